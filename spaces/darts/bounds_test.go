package darts

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestConfigLimits: every size is bounded before anything is built, the
// error naming the field, its value and the limit.
func TestConfigLimits(t *testing.T) {
	g, err := ParseGenotype(DARTSV2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{C: 4_000_000_000, Layers: 20, Classes: 10, InputSize: 32}, "width C=4000000000, want 1 to 16384"},
		{Config{C: spaces.MaxChannels + 1, Layers: 20, Classes: 10, InputSize: 32}, "width C=16385"},
		{Config{C: 16, Layers: 100_000, Classes: 10, InputSize: 32}, "100000 cells (Layers), want 1 to 100"},
		{Config{C: 16, Layers: -3, Classes: 10, InputSize: 32}, "-3 cells"},
		{Config{C: 16, Layers: 8, Classes: 100_000_000, InputSize: 32}, "classes=100000000, want 2 to 1048576"},
		{Config{C: 16, Layers: 8, Classes: 10, InputSize: 100_000}, "input size 100000, want 1 to 512"},
		{Config{C: 16, Layers: 8, Classes: 10, InputSize: math.MaxInt}, "input size"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
		if _, err := NewSpace(tc.cfg); err == nil {
			t.Errorf("NewSpace(%+v) accepted", tc.cfg)
		}
		if n, err := ParamCount(tc.cfg, g, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParamCount(%+v) = %d, %v; want an error with %q", tc.cfg, n, err, tc.want)
		}
	}
	// At the limits the count is exact and positive (no wrap-around).
	big := Config{C: spaces.MaxChannels, Layers: spaces.MaxCells, Classes: spaces.MaxClasses, InputSize: 32}
	n, err := ParamCount(big, g, true)
	if err != nil || n <= 0 {
		t.Fatalf("ParamCount at the limits = %d, %v", n, err)
	}
	var c counter
	c.add(math.MaxInt/2, 3)
	if !c.overflow {
		t.Error("counter: MaxInt/2*3 did not overflow")
	}
	c = counter{total: math.MaxInt}
	c.add(1)
	if !c.overflow {
		t.Error("counter: MaxInt+1 did not overflow")
	}
}

// TestTrainConfigValidate: NaN, infinities and values out of range are
// errors naming the field.
func TestTrainConfigValidate(t *testing.T) {
	if err := DefaultTrainConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set  func(c *TrainConfig)
		want string
	}{
		{func(c *TrainConfig) { c.LR = math.Inf(1) }, "LR +Inf"},
		{func(c *TrainConfig) { c.LR = -1 }, "LR -1"},
		{func(c *TrainConfig) { c.LR = 0 }, "LR 0"},
		{func(c *TrainConfig) { c.DropPath = math.NaN() }, "DropPath NaN"},
		{func(c *TrainConfig) { c.DropPath = 1 }, "DropPath 1, want a finite value in [0, 1)"},
		{func(c *TrainConfig) { c.WeightDecay = -1e-4 }, "WeightDecay"},
		{func(c *TrainConfig) { c.AuxWeight = math.Inf(-1) }, "AuxWeight -Inf"},
		{func(c *TrainConfig) { c.GradClip = math.NaN() }, "GradClip NaN"},
		{func(c *TrainConfig) { c.Momentum = math.NaN() }, "Momentum NaN"},
		{func(c *TrainConfig) { c.Epochs = 0 }, "Epochs 0, want >= 1"},
		{func(c *TrainConfig) { c.BatchSize = 1 }, "BatchSize 1, want >= 2"},
		{func(c *TrainConfig) { c.Cutout = -1 }, "Cutout -1"},
	} {
		c := DefaultTrainConfig()
		tc.set(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
}

// TestTrainStop: a Stop that turns true after the first step interrupts
// Train there, with the error saying how far it got.
func TestTrainStop(t *testing.T) {
	train := loadCIFAR(t, trainFile, 64)
	g, err := ParseGenotype(DARTSV2)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(Config{C: 4, Layers: 2, Classes: 10, InputSize: 32}, g, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultTrainConfig()
	cfg.Epochs, cfg.BatchSize, cfg.EvalBatch = 3, 16, 16
	steps := 0
	cfg.Progress = func(Progress) { steps++ }
	cfg.Stop = func() bool { return steps >= 1 }
	res, err := Train(nntest.Backend(t), net, train, nil, cfg)
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "after 1 steps (0 of 3 epochs finished)") {
		t.Fatalf("Train = %v, want ErrInterrupted after 1 step", err)
	}
	if res == nil || len(res.Epochs) != 0 || len(res.Params) == 0 || steps != 1 {
		t.Fatalf("result %+v after %d steps", res, steps)
	}
}
