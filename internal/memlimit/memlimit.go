// Package memlimit gives a freedarts process a soft memory limit when the
// user has not set one, so that the garbage collector runs before the
// machine runs out of memory.
//
// Why: the go backend releases a graph's buffers when the garbage
// collector finalizes them. Under the default GOGC alone the heap of a
// long study can outgrow the machine (a 500-cell correlate with -workers 2
// and the AZ-NAS proxies reached 24 GiB and was killed on a 24 GiB
// machine after 191 cells), while with a limit the same work stays near
// its live size (20 cells of az_nas_trainability: 1.76 GiB without a
// limit, 1.05 GiB with GOMEMLIMIT=1GiB).
package memlimit

import (
	"os"
	"runtime/debug"

	"github.com/freedarts/freedarts-gonb/internal/sysmem"
)

// Fraction of the available memory that Default sets as the soft limit.
const Fraction = 0.6

// Default sets the soft memory limit to Fraction of the memory available
// (the smaller of the machine's and the cgroup's limit, on Linux), unless
// $GOMEMLIMIT is set, and returns the limit set (0 when it set none).
func Default() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	avail := available()
	if avail <= 0 {
		return 0
	}
	limit := int64(float64(avail) * Fraction)
	debug.SetMemoryLimit(limit)
	return limit
}

// available is the memory this process may use, in bytes: the machine's,
// or its cgroup's limit when that is smaller; 0 if unknown.
func available() int64 {
	total := sysmem.Meminfo("MemTotal")
	if c := sysmem.Cgroup("memory.max"); c > 0 && (total == 0 || c < total) {
		total = c
	}
	return total
}
