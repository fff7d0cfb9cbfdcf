package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"

	"github.com/freedarts/freedarts-gonb/internal/quote"

	// Registered, so that Recall gives a freedarts.Result of every built-in
	// space its typed Arch (darts.Genotype, mobile.Arch; nb201 is imported
	// by the study plots) even in a notebook that does not import them.
	_ "github.com/freedarts/freedarts-gonb/spaces/darts"
	_ "github.com/freedarts/freedarts-gonb/spaces/mobile"
)

// GoNB runs every cell as a new program: top-level declarations are kept
// from cell to cell, computed values are not. Keep and Recall hand values
// over as JSON files in the kernel's scratch directory ($GONB_TMP_DIR,
// which GoNB makes 0700 and removes when the kernel stops; outside GoNB
// freedarts-kernel-UID under os.TempDir). A freedarts.Result comes back
// with its architecture typed again when its space's package is imported.
//
// The directory's name is predictable and os.TempDir is shared, so anyone
// could make it first, or plant a symlink there, and read or replace what
// a notebook hands over. It is used only when it is a real directory (not
// a symlink) of this user that no one else can enter; the directory is
// opened once as an os.Root and every file is reached through it, so that
// it cannot be swapped between the check and the use, and a file is
// written to a new temporary name and renamed over its own, never opened
// through a symlink someone left at its name.

var keepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// handoverFile is the file name of name.
func handoverFile(name string) (string, error) {
	if !keepName.MatchString(name) || len(name) > 200 {
		return "", fmt.Errorf("kernel: name %s: want letters, digits, '.', '_' or '-' (it names a file)", quote.Max(name, 60))
	}
	return name + ".json", nil
}

// handoverDir is the directory Keep and Recall use.
func handoverDir() string {
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("freedarts-kernel-%d", os.Getuid()))
}

// openHandover opens the handover directory as a root, making it (0700)
// when create is set and it is missing, and refuses one that is not a
// private directory of this user (see above).
func openHandover(create bool) (*os.Root, error) {
	dir := handoverDir()
	if create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("handover directory: %w", err)
		}
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("handover directory: %w", err)
	}
	if err := checkPrivateDir(dir, info); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("handover directory: %w", err)
	}
	// The directory opened is the one checked, not one put in its place
	// since.
	opened, err := root.Stat(".")
	if err != nil || !os.SameFile(info, opened) {
		root.Close()
		return nil, fmt.Errorf("handover directory %s changed while it was opened; not using it", quote.Max(dir, 200))
	}
	return root, nil
}

// checkPrivateDir refuses dir (info from Lstat) unless it is a directory,
// not a symlink, owned by this user and closed to group and others.
func checkPrivateDir(dir string, info fs.FileInfo) error {
	q := quote.Max(dir, 200)
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("handover directory %s is a symlink, want a directory of your own (remove it, or set $GONB_TMP_DIR)", q)
	case !info.IsDir():
		return fmt.Errorf("handover directory %s is not a directory (%s), want a directory of your own", q, info.Mode().Type())
	}
	uid, ok := fileOwner(info)
	switch {
	case !ok:
		// No owner or Unix modes (Windows): the checks above are all there is.
	case uid != os.Getuid():
		return fmt.Errorf("handover directory %s is owned by uid %d, want yours (%d): someone else made it", q, uid, os.Getuid())
	case info.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("handover directory %s has mode %04o, want no access for group and others (chmod 700 it)", q, info.Mode().Perm())
	}
	return nil
}

// Keep saves v for later cells under name; Recall reads it back.
func Keep(name string, v any) error {
	file, err := handoverFile(name)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	root, err := openHandover(true)
	if err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	defer root.Close()
	// Written whole to a new name (O_EXCL: never through a symlink at
	// it), then renamed over the old file, which replaces whatever is at
	// name, a symlink included, without following it; a cell interrupted
	// half-way leaves the previous value, never half a file.
	var tmp *os.File
	var tmpName string
	for range 100 {
		tmpName = fmt.Sprintf("%s.%016x.tmp", name, rand.Uint64())
		tmp, err = root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	defer root.Remove(tmpName) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	if err := root.Rename(tmpName, file); err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	return nil
}

// Recall loads into v (a pointer) what Keep saved under name.
func Recall(name string, v any) error {
	file, err := handoverFile(name)
	if err != nil {
		return err
	}
	root, err := openHandover(false)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kernel: no saved %q: run the cell that computes it first (%w)", name, err)
	}
	if err != nil {
		return fmt.Errorf("kernel: recall %q: %w", name, err)
	}
	defer root.Close()
	// Keep writes regular files only; anything else at the name was put
	// there by someone else.
	if info, err := root.Lstat(file); err == nil && !info.Mode().IsRegular() {
		return fmt.Errorf("kernel: recall %q: %s is not a regular file (%s), not what Keep writes", name, file, info.Mode().Type())
	}
	data, err := root.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kernel: no saved %q: run the cell that computes it first (%w)", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("kernel: saved %q: %w", name, err)
	}
	return nil
}
