package memlimit

import (
	"runtime/debug"
	"testing"
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
