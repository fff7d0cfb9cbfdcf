package freedarts

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

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
	if err == nil || err.Error() != "search: nb201 with these options needs at least 750.2 GiB for its weights alone; this machine has 21.3 GiB available" {
		t.Errorf("weights: %v", err)
	}
	err = checkMemory("darts", memoryNeed{Weights: gib, Input: 1 << 20, Activation: 30 * gib}, 20*gib)
	if err == nil || !strings.Contains(err.Error(), "needs at least 31.0 GiB (weights 1.0 GiB, one input image 1.0 MiB, its largest activation 30.0 GiB)") {
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
// images beyond the weights: the activation is traced.
func need1(s *Search) int64 {
	var w int64
	for _, sc := range s.scorers {
		b, _ := paramBytes(sc.graph.specs, sc.crits[0].DType)
		w += b
	}
	return w + 2*8*int64(s.space.InputSize()*s.space.InputSize()*3)
}
