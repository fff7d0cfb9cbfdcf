package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestBounds: a size or setting out of range is refused before anything is
// allocated: a usage error (exit status 2) naming the flag or option and
// its value, no panic, and quickly. The memory estimate (search -channels
// 16384, within the limits but terabytes of weights) is a usage error too:
// search reports freedarts.New's refusals so.
func TestBounds(t *testing.T) {
	train := []string{"train", "-genotype", "DARTS_V2", "-data", testData, "-limit", "64", "-cells", "2", "-channels", "4"}
	for _, tc := range []struct {
		args     []string
		want     []string
		needData bool
		needMem  bool
	}{
		{args: []string{"search", "-channels", "100000"}, want: []string{"channels 100000", "at most 16384"}},
		{args: []string{"search", "-classes", "100000000"}, want: []string{"classes 100000000", "at most 1048576"}},
		{args: []string{"search", "-cells", "100000"}, want: []string{"cells 100000", "at most 100"}},
		{args: []string{"search", "-input", "100000"}, want: []string{"input 100000", "at most 512"}},
		{args: []string{"search", "-space", "darts", "-cells", "101"}, want: []string{"cells 101"}},
		{args: []string{"search", "-space", "mobile", "-input", "9000"}, want: []string{"input 9000"}},
		{args: []string{"search", "-channels", "16384", "-bench", "none"}, want: []string{"nb201 with these options needs at least", "TiB for its weights alone", "available"}, needMem: true},
		{args: []string{"params", "-channels", "4000000000"}, want: []string{"-channels 4000000000", "want 1 to 16384"}},
		{args: []string{"params", "-cells", "-3"}, want: []string{"-cells -3", "want 1 to 100"}},
		{args: []string{"params", "-classes", "1"}, want: []string{"-classes 1"}},
		{args: []string{"params", "-input", "100000"}, want: []string{"-input 100000"}},
		{args: append(train, "-drop-path", "NaN"), want: []string{"-drop-path NaN", "[0, 1)"}},
		{args: append(train, "-drop-path", "1"), want: []string{"-drop-path 1"}},
		{args: append(train, "-lr", "Inf"), want: []string{"-lr +Inf", "> 0"}},
		{args: append(train, "-lr", "-1"), want: []string{"-lr -1"}},
		{args: append(train, "-weight-decay", "-0.1"), want: []string{"-weight-decay -0.1"}},
		{args: append(train, "-aux-weight", "NaN"), want: []string{"-aux-weight NaN"}},
		{args: append(train, "-epochs", "0"), want: []string{"-epochs 0", ">= 1"}},
		{args: append(train, "-batch", "0"), want: []string{"-batch 0"}},
		{args: append(train, "-eval-batch", "-5"), want: []string{"-eval-batch -5"}},
		{args: append(train, "-cutout", "-1"), want: []string{"-cutout -1"}},
		{args: append(train, "-limit", "-1"), want: []string{"-limit -1"}},
		{args: append(train, "-test-limit", "-1"), want: []string{"-test-limit -1"}},
		{args: append(train, "-channels", "4000000000"), want: []string{"-channels 4000000000"}},
		{args: append(train, "-cells", "0"), want: []string{"-cells 0"}},
		{args: []string{"train", "-lr", "NaN"}, want: []string{"-lr NaN"}}, // before -genotype and the data
		// train's memory check is search's (freedarts.CheckTrainMemory):
		// refused before the data is read, not an out-of-memory crash.
		{args: append(train, "-channels", "16384"), want: []string{"train: 2 cells, C=16384", "GiB for its weights alone", "available"}, needMem: true},
		{args: []string{"train", "-genotype", "DARTS_V2", "-channels", "16384"}, want: []string{"C=16384", "TiB for its weights alone"}, needMem: true},
		// A data run within the bounds still works (exit 1 for what fails later).
		{args: append(train, "-batch", "100"), want: []string{"64 training images, want at least one batch of 100"}, needData: true},
	} {
		if tc.needMem && !knowsMemory() {
			t.Logf("%q: memory available unknown: skipped", tc.args)
			continue
		}
		if tc.needData {
			needFile(t, testData)
		}
		start := time.Now()
		_, status, err := runStatus(t, tc.args...)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%q: took %v, want a refusal within seconds", tc.args, d)
		}
		wantStatus := 2
		if tc.needData {
			wantStatus = 1
		}
		if status != wantStatus || err == nil {
			t.Errorf("%q: exit status %d (%v), want %d", tc.args, status, err, wantStatus)
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: stderr %q, want it to contain %q", tc.args, msg, w)
			}
		}
		if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
			t.Errorf("%q: stderr has a stack trace: %s", tc.args, msg)
		}
	}
}

// knowsMemory says whether freedarts.New can tell the memory available
// (Linux's MemAvailable), without which the estimate checks nothing.
func knowsMemory() bool {
	b, err := os.ReadFile("/proc/meminfo")
	return err == nil && strings.Contains(string(b), "MemAvailable:")
}
