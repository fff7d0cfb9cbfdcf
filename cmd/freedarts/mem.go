package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// peakRSSMB is the process's peak resident set size in MiB (VmHWM in
// /proc/self/status); ok is false where that file does not exist (not
// Linux) or lacks the field.
func peakRSSMB() (mb float64, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !found {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, false
		}
		return kb / 1024, true
	}
	return 0, false
}

// peakRSSLine formats peakRSSMB for the end of a command's output.
func peakRSSLine() string {
	if mb, ok := peakRSSMB(); ok {
		return fmt.Sprintf("peak RSS: %.0f MiB", mb)
	}
	return "peak RSS: unknown (no /proc/self/status)"
}
