package freedarts

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func TestParamBytesOverflow(t *testing.T) {
	specs := []nn.ParamSpec{{Name: "w", Shape: []int{3, 3, 16, 32}}, {Name: "b", Shape: []int{32}}}
	if n, err := paramBytes(specs, dtypes.Float64); err != nil || n != 8*(9*16*32+32) {
		t.Errorf("paramBytes = %d, %v", n, err)
	}
	huge := []nn.ParamSpec{{Name: "w", Shape: []int{math.MaxInt / 2, 3}}}
	if _, err := paramBytes(huge, dtypes.Float32); err == nil {
		t.Error("an overflowing size accepted")
	}
	many := []nn.ParamSpec{{Name: "a", Shape: []int{1 << 60}}, {Name: "b", Shape: []int{1 << 60}}}
	if _, err := paramBytes(many, dtypes.Float32); err == nil {
		t.Error("an overflowing sum accepted")
	}
}

func TestCheckMemory(t *testing.T) {
	gib := int64(1) << 30
	if err := checkMemory("nb201", memoryNeed{Weights: gib}, 0); err != nil {
		t.Errorf("unknown memory: %v", err)
	}
	if err := checkMemory("nb201", memoryNeed{Weights: gib, Input: 1, Activation: gib}, 4*gib); err != nil {
		t.Errorf("fits: %v", err)
	}
	err := checkMemory("nb201", memoryNeed{Weights: 750*gib + gib/5}, 21*gib+gib/3)
	if err == nil || err.Error() != "search: nb201 with these options needs at least 750.2 GiB for its weights alone; this machine has 21.3 GiB available"+availableNote {
		t.Errorf("weights: %v", err)
	}
	err = checkMemory("darts", memoryNeed{Weights: gib, Input: 1 << 20, Activation: 30 * gib}, 20*gib)
	if err == nil || !strings.Contains(err.Error(), "needs at least 31.0 GiB (weights 1.0 GiB, one input image 1.0 MiB, activations 30.0 GiB)") {
		t.Errorf("activation: %v", err)
	}
	if got := (memoryNeed{Weights: math.MaxInt64, Input: 1}).Total(); got != math.MaxInt64 {
		t.Errorf("Total saturates at %d", got)
	}
}

// TestNewRefusesMemory: New refuses a supernet whose weights exceed the
// memory available, and traces the largest activation when it might
// matter.
func TestNewRefusesMemory(t *testing.T) {
	defer func(f func() int64) { memAvailable = f }(memAvailable)
	memAvailable = func() int64 { return 1 << 10 }
	s, err := New(tinySpace(t), Options{})
	if err == nil {
		s.Close()
		t.Fatal("a search needing more than 1 KiB accepted")
	}
	if !strings.Contains(err.Error(), "needs at least") || !strings.Contains(err.Error(), "1.0 KiB available") {
		t.Errorf("error %v", err)
	}
	memAvailable = func() int64 { return 1 << 40 }
	s, err = New(tinySpace(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	need, err := s.searchMemory(need1(s))
	if err != nil || need.Weights <= 0 || need.Input != 8*8*8*3 || need.Activation <= 0 {
		t.Errorf("need %+v, %v", need, err)
	}
}

// need1 is an availability that leaves room for less than 1024 input
// images beyond the rest of the need: the activation is traced.
func need1(s *Search) int64 {
	var n memoryNeed
	for _, sc := range s.scorers {
		n = n.add(passNeed(sc.crits, sc.graph.specs, sc.inputSize, 1))
	}
	return n.Total() + 2*8*int64(s.space.InputSize()*s.space.InputSize()*3)
}

// TestMemoryErrorParts: every part of a need is named, and a need that a
// batch makes large says that a smaller -batch needs less.
func TestMemoryErrorParts(t *testing.T) {
	gib := int64(1) << 30
	err := memoryError("correlate: -proxy ntk_cond at -batch 4000", memoryNeed{Weights: gib, Copies: gib, Gradients: 20 * gib, Input: gib / 2, Images: 4000}, 4*gib)
	want := "correlate: -proxy ntk_cond at -batch 4000 needs at least 22.5 GiB (weights 1.0 GiB, copies of them 1.0 GiB, per-image gradients 20.0 GiB, " +
		"input batch of 4000 images 512.0 MiB); this machine has 4.0 GiB available" + availableNote + " (a smaller -batch needs less)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	if err := memoryError("x", memoryNeed{Weights: gib}, 0); err != nil {
		t.Errorf("unknown memory: %v", err)
	}
}

// TestLeastKnown: the memory available is the least figure known (0:
// unknown), so that an address-space limit (ulimit -v) below the machine's
// memory is what counts.
func TestLeastKnown(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want int64
	}{
		{[]int64{20, 0, 0}, 20},
		{[]int64{20, 8, 0}, 8},
		{[]int64{20, 8, 3}, 3},
		{[]int64{0, 0, 5}, 5},
		{[]int64{0, 0, 0}, 0},
		{[]int64{-1, 7, 0}, 7},
	} {
		if got := leastKnown(tc.in...); got != tc.want {
			t.Errorf("leastKnown(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestPassNeed: SynFlow counts |theta| as a copy of the weights; a
// per-image criterion (ntk_cond) one gradient of the weights per image of
// its batch, and its batch's input.
func TestPassNeed(t *testing.T) {
	specs := []nn.ParamSpec{{Name: "w", Kind: nn.Weight, Shape: []int{10, 10}}, {Name: "b", Kind: nn.Bias, Shape: []int{10}}}
	synflow, err := LookupCriteria("synflow")
	if err != nil {
		t.Fatal(err)
	}
	need := passNeed(synflow, specs, 8, 1)
	if need.Weights != 8*110 || need.Copies != need.Weights || need.Gradients != 0 || need.Input != 8*8*8*3 {
		t.Errorf("synflow: %+v", need)
	}
	ntk, err := LookupCriteria("ntk_cond")
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 64, 4000} {
		need := passNeed(ntk, specs, 32, passImages(ntk[0], batch))
		if need.Weights != 4*110 || need.Copies != 0 || need.Gradients != int64(batch)*4*100 || need.Input != int64(batch)*32*32*3*4 || need.Images != batch {
			t.Errorf("ntk_cond, batch %d: %+v", batch, need)
		}
	}
	if got := scaleBytes(math.MaxInt64/2, 3); got != math.MaxInt64 {
		t.Errorf("scaleBytes saturates at %d", got)
	}
}

// TestCheckNetMemory: the whole-network check counts ntk_cond's batch: the
// same network fits at a batch of 1 and is refused at 4000.
func TestCheckNetMemory(t *testing.T) {
	b, err := backend.Shared("")
	if err != nil {
		t.Fatal(err)
	}
	ntk, err := LookupCriteria("ntk_cond")
	if err != nil {
		t.Fatal(err)
	}
	defer func(f func() int64) { memAvailable = f }(memAvailable)
	memAvailable = func() int64 { return 64 << 20 }
	space := tinySpace(t)
	if err := CheckNetMemory(b.Backend, "batch 1", space, ntk, 8, 1); err != nil {
		t.Errorf("batch 1: %v", err)
	}
	err = CheckNetMemory(b.Backend, "correlate: -batch 100000", space, ntk, 8, 100000)
	if err == nil || !strings.Contains(err.Error(), "correlate: -batch 100000 needs at least") || !strings.Contains(err.Error(), "per-image gradients") {
		t.Errorf("batch 100000: %v", err)
	}
}
