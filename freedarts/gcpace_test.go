package freedarts

import (
	"runtime/metrics"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestScoreCollectsNetGarbage: a network's score ends in a collection once
// the heap has allocated netGCAllocs since the last one collectNetGarbage
// ran, and not before (the pools of the go backend would otherwise grow
// with the time between collections: see gcpace.go).
func TestScoreCollectsNetGarbage(t *testing.T) {
	crit, _ := LookupCriterion("synflow")
	s, err := NewNetScorer(nntest.Backend(t), []Criterion{crit}, cellConfig.InputSize)
	if err != nil {
		t.Fatal(err)
	}
	net, err := nb201.NewNetwork(cellConfig, nb201.Arch{3, 3, 3, 3, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	sample := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}}
	forced := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	score := func() {
		t.Helper()
		if _, err := s.Score(net, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	score() // the first score: the one-off allocations of the backend are behind

	// Due: the last collection as long ago as netGCAllocs of allocation
	// (the mark may wrap below 0; collectNetGarbage's difference wraps back).
	metrics.Read(sample)
	netGCMark.Store(sample[1].Value.Uint64() - netGCAllocs)
	before := forced()
	score()
	if got := forced() - before; got != 1 {
		t.Errorf("%d forced collections after a score with a collection due, want 1", got)
	}
	// Not due: a small network allocates far less than netGCAllocs.
	before = forced()
	score()
	if got := forced() - before; got != 0 {
		t.Errorf("%d forced collections right after one, want 0", got)
	}
}
