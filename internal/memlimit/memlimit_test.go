package memlimit

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/sysmem"
)

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

func TestCheckLimit(t *testing.T) {
	for _, tc := range []struct {
		v     string
		limit int64
		want  string
	}{
		{"4GiB", 4 << 30, ""},
		{"off", math.MaxInt64, ""},
		{"64MiB", 64 << 20, ""},
		{"1", 1, "GOMEMLIMIT=\"1\" sets a soft memory limit of 1 bytes"},
		{"1000KiB", 1000 << 10, "give at least 64MiB"},
		{strings.Repeat("0", 500) + "1", 1, `"` + strings.Repeat("0", 40) + `"…`},
	} {
		got := checkLimit(tc.v, tc.limit)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) || len(got) > 300 {
			t.Errorf("checkLimit(%.50q, %d) = %q, want %q", tc.v, tc.limit, got, tc.want)
		}
	}
}

// TestAvailableCountsAddressSpace: under an address-space limit (ulimit -v)
// the default limit is a fraction of it, not of the machine's memory.
func TestAvailableCountsAddressSpace(t *testing.T) {
	if lim := sysmem.AddressSpaceLimit(); lim > 0 && available() > lim {
		t.Errorf("available() = %d above the address-space limit %d", available(), lim)
	}
}
