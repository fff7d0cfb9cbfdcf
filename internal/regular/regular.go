// Package regular opens files that must be regular files (study tables,
// their sidecars, data and benchmark files) without blocking on the ones
// that are not: open(2) of a named pipe waits for a writer, forever when
// none comes, so a path is opened with O_NONBLOCK and the opened file is
// checked with fstat, which neither blocks nor races with a rename of the
// path between a check and the open.
package regular

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is the error, to test with errors.Is, of a path that is a
// directory, a device, a named pipe or a socket.
var ErrNotRegular = errors.New("not a regular file")

// Error is a path that is not a regular file.
type Error struct {
	Path string
	What string // "a directory", "a named pipe", ...
}

func (e *Error) Error() string { return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.What) }

// Is makes errors.Is(err, ErrNotRegular) true.
func (e *Error) Is(target error) bool { return target == ErrNotRegular }

// Describe names what a file of mode m is ("a named pipe"), "" for a
// regular file.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// Open opens path for reading; see OpenFile.
func Open(path string) (*os.File, error) { return OpenFile(path, os.O_RDONLY, 0) }

// OpenFile is os.OpenFile that does not block on a special file and
// refuses (an *Error) anything but a regular file. The flag's O_NONBLOCK
// (where the system has one) has no effect on the reads and writes of a
// regular file. A path that cannot be opened because of what it is (a
// directory opened for writing, a pipe without a reader) is an *Error too:
// os.Stat says what it is, and does not block.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|nonBlock, perm)
	if err != nil {
		if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
			return nil, &Error{Path: path, What: Describe(fi.Mode())}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if what := Describe(fi.Mode()); what != "" {
		f.Close()
		return nil, &Error{Path: path, What: what}
	}
	return f, nil
}

// ReadFile is os.ReadFile of a regular file (see OpenFile).
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Check refuses an existing path that is not a regular file (an *Error),
// without opening it; a missing path is nil. It is for a path that is
// about to be created or replaced by a rename; a path to read is checked
// by opening it (Open), which does not race.
func Check(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return &Error{Path: path, What: Describe(fi.Mode())}
	}
	return nil
}
