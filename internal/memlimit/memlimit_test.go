package memlimit

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestMemTotal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"MemTotal:       24567892 kB\nMemFree: 1 kB\n", 24567892 << 10, true},
		{"MemFree: 1 kB\nMemTotal: 2 kB\n", 2 << 10, true},
		{"MemFree: 1 kB\n", 0, false},
		{"MemTotal: lots kB\n", 0, false},
	} {
		got, err := memTotal(strings.NewReader(tc.in))
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("memTotal(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCgroupMax(t *testing.T) {
	for in, want := range map[string]int64{"max\n": 0, "8589934592\n": 8589934592, "0": 0, "": 0} {
		got, ok := cgroupMax(in)
		if got != want && ok || ok != (want > 0) {
			t.Errorf("cgroupMax(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestDefault(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	limit := Default()
	if avail := available(); avail > 0 && (limit != int64(float64(avail)*Fraction) || debug.SetMemoryLimit(-1) != limit) {
		t.Errorf("Default() = %d with %d bytes available, want %v of it, set", limit, avail, Fraction)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := Default(); got != 0 {
		t.Errorf("Default() with $GOMEMLIMIT set = %d, want 0 (left to the runtime)", got)
	}
}
