package freedarts

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestNilInputs calls every entry point of the package with nil or zero
// inputs: each must return an error that says what it got and wanted, not
// panic.
func TestNilInputs(t *testing.T) {
	b := nntest.Backend(t)
	space := tinySpace(t)
	open, err := New(space, Options{Backend: &backend.Backend{Backend: b, Config: "go"}})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	closed, err := New(space, Options{Backend: &backend.Backend{Backend: b, Config: "go"}})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	var nilSearch *Search
	visit := func(*Pass, []*Node) {}
	netCrits, err := LookupCriteria("synflow,params")
	if err != nil {
		t.Fatal(err)
	}
	scorer, err := NewNetScorer(b, netCrits, 8)
	if err != nil {
		t.Fatal(err)
	}
	snip, err := LookupCriteria("snip")
	if err != nil {
		t.Fatal(err)
	}
	dataScorer, err := NewNetScorer(b, snip, 8)
	if err != nil {
		t.Fatal(err)
	}
	net, err := nb201.NewNetwork(cellConfig, nb201.Arch{})
	if err != nil {
		t.Fatal(err)
	}
	var nilScorer *NetScorer
	var nilResult *Result
	one := &cifar10.Dataset{Labels: make([]uint8, 1), Pixels: make([]uint8, 1)}
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("New(nil space)", func() error { return err1(New(nil, Options{})) }, "space is nil"),
		nilcase.New("New(nil *nb201.Space)", func() error { return err1(New((*nb201.Space)(nil), Options{})) }, "space is nil"),
		nilcase.New("New(zero Options.Backend)", func() error { return err1(New(space, Options{Backend: &backend.Backend{}})) }, "holds no compute backend"),
		nilcase.New("New(zero Criterion)", func() error { return err1(New(space, Options{Criteria: []Criterion{{}}})) }, "Criteria[0] has no Name"),
		nilcase.New("New(data proxy, nil Data)", func() error { return err1(New(space, Options{Proxy: "snip"})) }, "set Options.Data"),
		nilcase.New("Run(Sample(nil, 64))", func() error { return err1(Run(space, Options{Proxy: "snip", Data: Sample(nil, 64)}, 0)) }, "data set is nil"),
		nilcase.New("Run(Sample(empty, 64))", func() error {
			return err1(Run(space, Options{Proxy: "snip", Data: Sample(&cifar10.Dataset{}, 64)}, 0))
		}, "the data set has 0"),
		nilcase.New("Run(Data giving a nil batch)", func() error {
			return err1(Run(space, Options{Proxy: "snip", Data: func(uint64) (*Batch, error) { return nil, nil }}, 0))
		}, "needs a labelled batch"),
		nilcase.New("Run(nil space)", func() error { return err1(Run(nil, Options{}, 0)) }, "space is nil"),
		nilcase.New("nil Search.Run", func() error { return err1(nilSearch.Run(0)) }, "nil *Search"),
		nilcase.New("nil Search.Params", func() error { return err1(nilSearch.Params()) }, "nil *Search"),
		nilcase.New("nil Search.Trace", func() error { return nilSearch.Trace(1, visit) }, "nil *Search"),
		nilcase.New("zero Search.Run", func() error { return err1((&Search{}).Run(0)) }, "not made by freedarts.New"),
		nilcase.New("zero Search.Params", func() error { return err1((&Search{}).Params()) }, "not made by freedarts.New"),
		nilcase.New("zero Search.Trace", func() error { return (&Search{}).Trace(1, visit) }, "not made by freedarts.New"),
		nilcase.New("Search.Run after Close", func() error { return err1(closed.Run(0)) }, "Run after Close"),
		nilcase.New("Search.Params after Close", func() error { return err1(closed.Params()) }, "Params after Close"),
		nilcase.New("Search.Trace after Close", func() error { return closed.Trace(1, visit) }, "Trace after Close"),
		nilcase.New("Search.Trace(nil visit)", func() error { return open.Trace(1, nil) }, "nil visit"),
		nilcase.New("Search.Trace(0 images)", func() error { return open.Trace(0, visit) }, "batch of 0 images"),
		nilcase.New("SampleBatch(nil)", func() error { return err1(SampleBatch(nil, 1, 0)) }, "data set is nil"),
		nilcase.New("SampleAugmentedBatch(nil)", func() error { return err1(SampleAugmentedBatch(nil, 1, 0)) }, "data set is nil"),
		nilcase.New("SampleBatch(empty set)", func() error { return err1(SampleBatch(&cifar10.Dataset{}, 1, 0)) }, "the data set has 0"),
		nilcase.New("SampleBatch(0 images)", func() error { return err1(SampleBatch(one, 0, 0)) }, "batch of 0 images"),
		nilcase.New("SampleBatch(-1 images)", func() error { return err1(SampleBatch(one, -1, 0)) }, "batch of -1 images"),
		nilcase.New("SampleBatch(short pixels)", func() error { return err1(SampleBatch(one, 1, 0)) }, "pixel bytes"),
		nilcase.New("NewNetScorer(nil backend)", func() error { return err1(NewNetScorer(nil, netCrits, 8)) }, "backend is nil"),
		nilcase.New("NewNetScorer(nil criteria)", func() error { return err1(NewNetScorer(b, nil, 8)) }, "no proxies"),
		nilcase.New("NewNetScorer(zero Criterion)", func() error { return err1(NewNetScorer(b, []Criterion{{}}, 8)) }, "no whole-network definition"),
		nilcase.New("NewNetScorer(input 0)", func() error { return err1(NewNetScorer(b, netCrits, 0)) }, "input size 0"),
		nilcase.New("NewSupernetScorer(nil backend)", func() error { return err1(NewSupernetScorer(nil, netCrits, space, 8)) }, "backend is nil"),
		nilcase.New("NewSupernetScorer(nil supernet)", func() error { return err1(NewSupernetScorer(b, netCrits, nil, 8)) }, "supernet is nil"),
		nilcase.New("NewSupernetScorer(nil *nb201.Space)", func() error {
			return err1(NewSupernetScorer(b, netCrits, (*nb201.Space)(nil), 8))
		}, "supernet is nil"),
		nilcase.New("nil NetScorer.Score", func() error { return err1(nilScorer.Score(net, 0, nil)) }, "nil *NetScorer"),
		nilcase.New("nil NetScorer.ScoreArch", func() error { return err1(nilScorer.ScoreArch(nb201.Arch{}, 0, nil)) }, "nil *NetScorer"),
		nilcase.New("zero NetScorer.Score", func() error { return err1((&NetScorer{}).Score(net, 0, nil)) }, "not made by NewNetScorer"),
		nilcase.New("zero NetScorer.ScoreArch", func() error { return err1((&NetScorer{}).ScoreArch(nb201.Arch{}, 0, nil)) }, "not made by NewNetScorer"),
		nilcase.New("NetScorer.Score(nil network)", func() error { return err1(scorer.Score(nil, 0, nil)) }, "network is nil"),
		nilcase.New("NetScorer.Score(nil *nb201.Network)", func() error { return err1(scorer.Score((*nb201.Network)(nil), 0, nil)) }, "network is nil"),
		nilcase.New("NetScorer.Score(snip, nil batch)", func() error { return err1(dataScorer.Score(net, 0, nil)) }, "needs a labelled batch"),
		nilcase.New("NetScorer.Score(snip, zero batch)", func() error { return err1(dataScorer.Score(net, 0, &Batch{})) }, "does not match input size"),
		nilcase.New("Combine(nil)", func() error { return err1(Combine(RankAverage, nil)) }, "no proxies"),
		nilcase.New("Combine(no method)", func() error { return err1(Combine("", [][]float64{{1, 2}})) }, "unknown ensemble"),
		nilcase.New("CombineMatrices(nil)", func() error { return err1(CombineMatrices(RankAverage, nil)) }, "no score matrices"),
		nilcase.New("CombineMatrices(nil rows)", func() error { return err1(CombineMatrices(RankAverage, [][][]float64{{{1}}, nil})) }, "matrix 1 has 0 rows"),
		nilcase.New("LookupCriterion(\"\")", func() error { return err1(LookupCriterion("")) }, "unknown proxy"),
		nilcase.New("LookupCriteria(\"\")", func() error { return err1(LookupCriteria("")) }, "unknown proxy"),
		nilcase.New("nil Result.Matrix", func() error { return err1(nilResult.Matrix("alpha")) }, "nil *Result"),
		nilcase.New("nil Result.UnmarshalJSON", func() error { return nilResult.UnmarshalJSON([]byte(`{}`)) }, "nil *Result"),
		nilcase.New("nil Batch.ClassCounts", func() error { return err1((*Batch)(nil).ClassCounts(10)) }, "nil *Batch"),
		nilcase.New("RowNormalizedDiff(nil)", func() error { return err1(RowNormalizedDiff(nil, nil)) }, "nil *ScoreMatrix"),
		nilcase.New("SameArchs(nil result)", func() error { return err1(SameArchs([]*Result{nil})) }, "has no architecture"),
		nilcase.New("SameArchs(nil *T arch)", func() error { return err1(SameArchs([]*Result{{Arch: (*nilArch)(nil)}})) }, "has no architecture"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"nil Search.Close":   nilSearch.Close,
		"Search.Close twice": closed.Close,
		"nil Search accessors": func() {
			_, _, _, _, _, _, _ = nilSearch.Space(), nilSearch.Backend(), nilSearch.AlphaStd(), nilSearch.Criteria(), nilSearch.Name(), nilSearch.NeedsData(), nilSearch.CompileSeconds()
		},
		"zero Search.Name":           func() { _ = (&Search{}).Name() },
		"nil NetScorer.Close":        nilScorer.Close,
		"nil NetScorer accessors":    func() { _, _ = nilScorer.Criteria(), nilScorer.NeedsData() },
		"nil ScoreMatrix.Range":      func() { (*ScoreMatrix)(nil).Range() },
		"nil ScoreMatrix counts":     func() { _, _ = (*ScoreMatrix)(nil).Negatives(), (*ScoreMatrix)(nil).KeptCount() },
		"nil Result.MaxScore":        func() { _ = nilResult.MaxScore(); nilResult.Range() },
		"zero Result.MarshalJSON":    func() { _, _ = Result{}.MarshalJSON() },
		"Result.MarshalJSON(nil *T)": func() { _, _ = Result{Arch: (*nilArch)(nil)}.MarshalJSON() },
		"ExpandEnsembles(\"\")":      func() { ExpandEnsembles("") },
		"Combine(items of none)":     func() { _, _ = Combine(MajorityVote, [][]float64{nil, nil}) },
	})
}

// nilArch is an architecture type whose String reads a field, so that a
// nil *nilArch panics where it is used.
type nilArch struct{ text string }

func (a *nilArch) String() string            { return a.text }
func (a *nilArch) Kept() map[string][][]bool { return nil }
