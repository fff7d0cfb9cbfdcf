//go:build unix

package main

import (
	"os"
	"syscall"
)

// stdoutClosed reports whether the process was started with stdout closed.
// The Go runtime opens /dev/null read-write on a closed standard descriptor
// before main runs (runtime.checkfds), so that a later file never lands on
// it; writes then succeed and the output would be lost without a word. A
// shell's `> /dev/null` opens it write-only, so read-write /dev/null on
// descriptor 1 is the runtime's stand-in. (Only `<> /dev/null` looks the
// same, and it is not a way anyone keeps output.)
func stdoutClosed() bool {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 1, syscall.F_GETFL, 0)
	if errno != 0 || flags&syscall.O_ACCMODE != syscall.O_RDWR {
		return false
	}
	var out, null syscall.Stat_t
	if syscall.Fstat(1, &out) != nil || syscall.Stat(os.DevNull, &null) != nil {
		return false
	}
	return out.Rdev == null.Rdev && out.Mode&syscall.S_IFMT == syscall.S_IFCHR
}
