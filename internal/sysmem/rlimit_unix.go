//go:build unix

package sysmem

import (
	"math"
	"syscall"
)

// AddressSpaceLimit is this process's soft address-space limit (RLIMIT_AS,
// what `ulimit -v` sets), in bytes; 0 when there is none. Under it an
// allocation fails once the process's mappings reach it, whatever memory the
// machine has: the Go runtime then dies with "fatal error: out of memory",
// which no caller can recover, so the checks must count it beforehand.
func AddressSpaceLimit() int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil {
		return 0
	}
	return rlimitBytes(uint64(r.Cur))
}

// rlimitBytes is a limit's value in bytes: 0 for unlimited (RLIM_INFINITY:
// all ones on Linux, MaxInt64 on the BSDs) and for 0, which no process could
// run under.
func rlimitBytes(v uint64) int64 {
	if v == 0 || v >= math.MaxInt64 {
		return 0
	}
	return int64(v)
}
