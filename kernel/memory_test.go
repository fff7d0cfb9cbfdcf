package kernel

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestCellMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: the limit is the user's")
	}
	if limit := debug.SetMemoryLimit(-1); limit == math.MaxInt64 {
		t.Errorf("importing kernel set no soft memory limit (%d)", limit)
	}
}
