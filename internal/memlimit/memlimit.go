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
//
// A user's $GOMEMLIMIT is the runtime's, not this package's: the Go runtime
// parses it in its own start-up (runtime.gcinit, before any package's init
// or main), and a malformed value ("GOMEMLIMIT=garbage") ends the process
// there with "fatal error: malformed GOMEMLIMIT", status 2. No code of the
// program can catch or explain that; a process that runs has a well-formed
// value. What is left to check is a well-formed value that cannot work: a
// limit so small that the collector runs all the time (Check).
package memlimit

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"

	"github.com/freedarts/freedarts-gonb/internal/quote"
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

// available is the memory this process may use, in bytes: the least of the
// machine's, its cgroup's limit and its address-space limit (ulimit -v:
// past it every allocation fails, whatever the machine has); 0 if unknown.
func available() int64 {
	var least int64
	for _, v := range []int64{sysmem.Meminfo("MemTotal"), sysmem.Cgroup("memory.max"), sysmem.AddressSpaceLimit()} {
		if v > 0 && (least == 0 || v < least) {
			least = v
		}
	}
	return least
}

// MinUseful is the smallest soft limit Check accepts: below it the live heap
// of any search (tens of MiB for the smallest supernet) is over the limit
// from the start, and the collector runs after every allocation.
const MinUseful = 64 << 20

// Check returns a warning, for stderr, when $GOMEMLIMIT is set to a limit
// below MinUseful (it is well-formed: see the package doc); "" otherwise.
// The value is quoted bounded: it is user input.
func Check() string {
	v := os.Getenv("GOMEMLIMIT")
	if v == "" {
		return ""
	}
	return checkLimit(v, debug.SetMemoryLimit(-1))
}

// checkLimit is Check of the value v that the runtime took as limit bytes.
func checkLimit(v string, limit int64) string {
	if limit >= MinUseful || limit == math.MaxInt64 {
		return ""
	}
	return fmt.Sprintf("GOMEMLIMIT=%s sets a soft memory limit of %d bytes: the garbage collector will run almost all the time; "+
		"give at least 64MiB (e.g. GOMEMLIMIT=4GiB), or unset it for the default (%.0f%% of the memory)", quote.Max(v, 40), limit, Fraction*100)
}
