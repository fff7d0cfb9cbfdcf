package sysmem

import (
	"strings"
	"testing"
)

func TestMeminfo(t *testing.T) {
	for _, tc := range []struct {
		in, field string
		want      int64
	}{
		{"MemTotal:       24567892 kB\nMemFree: 1 kB\n", "MemTotal", 24567892 << 10},
		{"MemFree: 1 kB\nMemTotal: 2 kB\n", "MemTotal", 2 << 10},
		{"MemTotal: 8 kB\nMemAvailable: 3 kB\n", "MemAvailable", 3 << 10},
		{"MemFree: 1 kB\n", "MemTotal", 0},
		{"MemTotal: lots kB\n", "MemTotal", 0},
		{"MemTotal: 2 MB\n", "MemTotal", 0},
		{"MemTotal: 0 kB\n", "MemTotal", 0},
		{"MemTotal: 9223372036854775807 kB\n", "MemTotal", 0},
		{"MemTotal:\n", "MemTotal", 0},
	} {
		if got := meminfo(strings.NewReader(tc.in), tc.field); got != tc.want {
			t.Errorf("meminfo(%q, %s) = %d, want %d", tc.in, tc.field, got, tc.want)
		}
	}
}

func TestCgroupValue(t *testing.T) {
	for in, want := range map[string]int64{"max\n": 0, "8589934592\n": 8589934592, "0": 0, "": 0} {
		if got := cgroupValue(in); got != want {
			t.Errorf("cgroupValue(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestReadsThisMachine: on Linux the machine's total memory is known.
func TestReadsThisMachine(t *testing.T) {
	if got := Meminfo("MemTotal"); got <= 0 {
		t.Skipf("no /proc/meminfo here (MemTotal %d)", got)
	}
	if total, avail := Meminfo("MemTotal"), Meminfo("MemAvailable"); avail <= 0 || avail > total {
		t.Errorf("MemAvailable %d, MemTotal %d: want 0 < available <= total", avail, total)
	}
}
