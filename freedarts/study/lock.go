package study

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/freedarts/freedarts-gonb/internal/regular"
)

// LockPath is the file that marks the scores CSV at path as open for
// writing (Open creates it, Close removes it): one line, the process id of
// the writer. Open and Merge lock the file path leads to, through symbolic
// links, so that two names of one file share one lock.
func LockPath(path string) string { return path + ".lock" }

// lock creates LockPath(path) with O_EXCL, so that a second writer of the
// file is refused (ErrLocked). The lock of a process that is no longer
// running (one killed in a study) is taken over: note then says so.
//
// The process id is read on this machine: two machines writing one file on
// a shared disk are not told apart from a stale lock.
func lock(path string) (note string, err error) {
	lp := LockPath(path)
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(lp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.Write(pid) // one write: a reader sees the whole pid or none
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(lp)
				return "", fmt.Errorf("%s: writing its lock %s: %w", path, lp, err)
			}
			return note, nil
		}
		if !errors.Is(err, fs.ErrExist) || attempt > 1 {
			return "", fmt.Errorf("%s: cannot lock it for writing: %w", path, err)
		}
		held, other, err := readLock(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released meanwhile
		case err != nil:
			return "", err
		case other <= 0:
			return "", errorf(ErrLocked, "%s is locked by %s, which names no process (%s): "+
				"if no other study writes this file, remove the lock and run again", path, lp, quote(string(held)))
		case attempt > 0 || processAlive(other):
			return "", errorf(ErrLocked, "%s is being written by process %d (its lock is %s): "+
				"wait for that study to end, or choose another file", path, other, lp)
		}
		// Stale: take it over, unless another process did meanwhile.
		if again, err := regular.ReadFile(lp); err == nil && !bytes.Equal(again, held) {
			continue
		}
		if err := os.Remove(lp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: removing the stale lock %s: %w", path, lp, err)
		}
		note = fmt.Sprintf("%s: took over the lock %s of process %d, which is no longer running (an interrupted study)", path, lp, other)
	}
}

// readLock reads the lock of path: its bytes, and the process id they
// name (0 when none). A lock that is not a regular file (a named pipe) is
// an error, not waited on.
func readLock(path string) (held []byte, pid int, err error) {
	lp := LockPath(path)
	held, err = regular.ReadFile(lp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, err
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: reading its lock: %w", path, notRegular(err))
	}
	if pid, err = strconv.Atoi(strings.TrimSpace(string(held))); err != nil || pid < 0 {
		pid = 0
	}
	return held, pid, nil
}

// writer is the process that holds the lock of path, while it runs; 0 when
// none does (no lock, or a stale one).
func writer(path string) (int, error) {
	_, pid, err := readLock(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	case pid > 0 && processAlive(pid):
		return pid, nil
	}
	return 0, nil
}

// unlock removes the lock of path if it is this process's.
func unlock(path string) {
	if _, pid, err := readLock(path); err == nil && pid == os.Getpid() {
		os.Remove(LockPath(path))
	}
}
