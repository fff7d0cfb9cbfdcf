//go:build unix

package regular

import "syscall"

// nonBlock makes open(2) of a named pipe return at once.
const nonBlock = syscall.O_NONBLOCK
