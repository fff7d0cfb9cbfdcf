package main

import (
	"fmt"

	"github.com/freedarts/freedarts-gonb/freedarts/bench"
)

// peakRSSMB is the process's peak resident set size in MiB; ok is false
// where it is unknown (no /proc/self/status: not Linux).
func peakRSSMB() (mb float64, ok bool) {
	b := bench.PeakRSS()
	return float64(b) / (1 << 20), b > 0
}

// peakRSSLine formats peakRSSMB for the end of a command's output.
func peakRSSLine() string {
	if mb, ok := peakRSSMB(); ok {
		return fmt.Sprintf("peak RSS: %.0f MiB", mb)
	}
	return "peak RSS: unknown (no /proc/self/status)"
}
