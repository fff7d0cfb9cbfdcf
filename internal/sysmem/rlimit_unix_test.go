//go:build unix

package sysmem

import (
	"math"
	"syscall"
	"testing"
)

func TestRlimitBytes(t *testing.T) {
	for in, want := range map[uint64]int64{
		math.MaxUint64:     0, // RLIM_INFINITY on Linux
		math.MaxInt64:      0, // RLIM_INFINITY on the BSDs
		0:                  0,
		4000000 << 10:      4000000 << 10, // ulimit -v 4000000
		math.MaxInt64 - 1:  math.MaxInt64 - 1,
		math.MaxInt64 + 10: 0,
	} {
		if got := rlimitBytes(in); got != want {
			t.Errorf("rlimitBytes(%d) = %d, want %d", in, got, want)
		}
	}
}

// TestAddressSpaceRoom lowers this process's soft RLIMIT_AS to 1 GiB above
// its virtual size, as `ulimit -v` would, and reads the room back.
func TestAddressSpaceRoom(t *testing.T) {
	vsize := VirtualSize()
	if vsize <= 0 {
		t.Skip("no /proc/self/status here")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &old); err != nil {
		t.Skip(err)
	}
	const gib = 1 << 30
	lim := old
	lim.Cur = uint64(vsize + gib)
	if old.Max < lim.Cur {
		t.Skipf("hard limit %d below the test's", old.Max)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Skip(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &old); err != nil {
			t.Fatal(err)
		}
	}()
	if got := AddressSpaceLimit(); got != vsize+gib {
		t.Errorf("AddressSpaceLimit() = %d, want %d", got, vsize+gib)
	}
	// Other goroutines may map a little in between.
	if got := AddressSpaceRoom(); got <= gib/2 || got > gib {
		t.Errorf("AddressSpaceRoom() = %d, want about 1 GiB", got)
	}
}
