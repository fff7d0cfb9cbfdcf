//go:build unix

package nb201

import "syscall"

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
