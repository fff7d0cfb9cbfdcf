package regular

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenFile: a regular file opens; a directory, a device and a named
// pipe are refused at once (a pipe without a writer would block open(2)),
// for reading and for writing, with an error naming the path and what it
// is; a missing file is the os error.
func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	haveFIFO := mkfifo(fifo) == nil
	for _, tc := range []struct {
		path, want string // want "" opens
		skip       bool
	}{
		{path: file},
		{path: dir, want: dir + " is a directory, not a regular file"},
		{path: os.DevNull, want: os.DevNull + " is a device, not a regular file", skip: !exists(os.DevNull)},
		{path: fifo, want: fifo + " is a named pipe, not a regular file", skip: !haveFIFO},
	} {
		if tc.skip {
			continue
		}
		for _, flag := range []int{os.O_RDONLY, os.O_WRONLY | os.O_APPEND, os.O_RDWR} {
			done := make(chan error, 1)
			go func() {
				f, err := OpenFile(tc.path, flag, 0o644)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("OpenFile(%s, %#x) blocks", tc.path, flag)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("OpenFile(%s, %#x): %v", tc.path, flag, err)
			case tc.want != "" && (!errors.Is(err, ErrNotRegular) || err.Error() != tc.want):
				t.Errorf("OpenFile(%s, %#x) = %v, want ErrNotRegular: %s", tc.path, flag, err, tc.want)
			}
		}
		if err := Check(tc.path); (err == nil) != (tc.want == "") {
			t.Errorf("Check(%s) = %v", tc.path, err)
		}
	}
	missing := filepath.Join(dir, "missing")
	if _, err := ReadFile(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	if err := Check(missing); err != nil {
		t.Errorf("Check of a missing file: %v", err)
	}
	if b, err := ReadFile(file); err != nil || string(b) != "x" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if !strings.Contains(Describe(os.ModeSocket), "socket") {
		t.Errorf("Describe(socket) = %q", Describe(os.ModeSocket))
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }
