// Package sysmem reads the memory figures the system gives a process: fields
// of /proc/meminfo, the files of its cgroup v2, its virtual size and its
// address-space limit (RLIMIT_AS, `ulimit -v`). The search's memory check
// (freedarts) and the soft memory limit (internal/memlimit) read them here.
// Elsewhere, and where a figure cannot be read, it is 0: unknown.
package sysmem

import (
	"bufio"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Meminfo is the /proc/meminfo field named ("MemTotal", "MemAvailable"), in
// bytes; 0 when it cannot be read.
func Meminfo(field string) int64 { return procField("/proc/meminfo", field) }

// VirtualSize is this process's virtual memory size (VmSize in
// /proc/self/status), in bytes; 0 when it cannot be read. It is what counts
// against AddressSpaceLimit.
func VirtualSize() int64 { return procField("/proc/self/status", "VmSize") }

// AddressSpaceRoom is what this process may still map under its
// address-space limit: AddressSpaceLimit minus VirtualSize (0: no limit; 1
// when the limit is already reached, so that a caller never reads it as
// "unknown"). Without VirtualSize (not Linux) it is the whole limit.
func AddressSpaceRoom() int64 {
	limit := AddressSpaceLimit()
	if limit <= 0 {
		return 0
	}
	return max(limit-VirtualSize(), 1)
}

// procField reads field ("Name: N kB") from the /proc file at path; 0 when
// the file or the field cannot be read.
func procField(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	return meminfo(f, field)
}

// meminfo reads field from /proc/meminfo's (or /proc/self/status's) text: "Field: N kB" (or "Field:
// N"), in bytes; 0 when it is missing, not a positive count, in another
// unit, or too large for an int64.
func meminfo(r io.Reader, field string) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
			return 0
		}
		if len(f) > 1 && f[1] != "kB" {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// Cgroup is the byte count in the named file of this process's cgroup v2
// ("memory.max", "memory.current"); 0 when it cannot be read or holds none
// ("max": no limit).
func Cgroup(name string) int64 {
	b, err := os.ReadFile("/sys/fs/cgroup/" + name)
	if err != nil {
		return 0
	}
	return cgroupValue(string(b))
}

// cgroupValue reads a cgroup v2 memory file's text: a byte count, or 0.
func cgroupValue(s string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0 // "max": no limit
	}
	return v
}
