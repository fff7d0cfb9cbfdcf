package freedarts

import (
	"math"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// graphInputs are the arguments of a scoring graph as new host tensors
// (argTensors.fill), which the caller finalizes.
func graphInputs(specs []nn.ParamSpec, crit Criterion, init nn.InitOptions, size int, batch *Batch, mask Mask) ([]any, error) {
	var a argTensors
	args, err := a.fill(specs, crit, init, size, batch, mask)
	if err != nil {
		a.release()
		return nil, err
	}
	return args, nil
}

// initValuesArgs are the parameter arguments as nn.InitValues draws them,
// with graphInputs' |theta| and mask, through nn.ToTensor: what the drawing
// in place must reproduce bit for bit.
func initValuesArgs(t *testing.T, specs []nn.ParamSpec, crit Criterion, init nn.InitOptions, mask Mask) [][]float64 {
	t.Helper()
	var out [][]float64
	for i, v := range nn.InitValues(specs, init) {
		if crit.Weights == WeightsAbs {
			for j := range v {
				v[j] = math.Abs(v[j])
			}
		}
		for j, k := range mask[specs[i].Name] {
			if !k {
				v[j] = 0
			}
		}
		tt, err := nn.ToTensor(v, crit.DType, specs[i].Shape...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := nn.FromTensor(tt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

// everyKindSpecs has a parameter of every kind, one with no fan-in, and the
// specs of a traced NB201 network with affine batch norm.
func everyKindSpecs(t *testing.T) []nn.ParamSpec {
	t.Helper()
	specs := []nn.ParamSpec{
		{Name: "conv/w", Kind: nn.Weight, Shape: []int{3, 3, 2, 4}, FanIn: 18},
		{Name: "fc/b", Kind: nn.Bias, Shape: []int{4}, FanIn: 4},
		{Name: "bn/scale", Kind: nn.BNScale, Shape: []int{4}},
		{Name: "bn/shift", Kind: nn.BNShift, Shape: []int{4}},
		{Name: "alpha", Kind: nn.Alpha, Shape: []int{6, 5}},
		{Name: "nofan/w", Kind: nn.Weight, Shape: []int{3}},
	}
	net := tinyNB201(t)
	traced, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float32, BN: nn.BNBatch, Affine: true}, func(n *nn.Net) {
		net.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float32, 1, 8, 8, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(specs, traced...)
}

// TestDrawParamIsInitValues: the arguments drawn in place are those of
// nn.InitValues, for every kind, dtype, |theta| and mask.
func TestDrawParamIsInitValues(t *testing.T) {
	specs := everyKindSpecs(t)
	mask := Mask{"alpha": make([]bool, 30)}
	for i := range mask["alpha"] {
		mask["alpha"][i] = i%3 != 0
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, abs := range []bool{false, true} {
			for _, m := range []Mask{nil, mask} {
				crit := Criterion{Name: "test", DType: dt}
				if abs {
					crit.Weights = WeightsAbs
				}
				for _, seed := range []uint64{0, 7} {
					init := nn.InitOptions{Seed: seed, AlphaStd: 0.5}
					args, err := graphInputs(specs, crit, init, 8, nil, m)
					if err != nil {
						t.Fatal(err)
					}
					want := initValuesArgs(t, specs, crit, init, m)
					for i := range specs {
						got, err := nn.FromTensor(tensorOf(args[i]))
						if err != nil {
							t.Fatal(err)
						}
						for j := range got {
							if math.Float64bits(got[j]) != math.Float64bits(want[i][j]) {
								t.Fatalf("%s abs=%v mask=%v seed %d: %s[%d] = %v, nn.InitValues gives %v",
									dt, abs, m != nil, seed, specs[i].Name, j, got[j], want[i][j])
							}
						}
					}
					for _, a := range args {
						_ = tensorOf(a).FinalizeAll()
					}
				}
			}
		}
	}
}

// TestArgTensorsRefillInPlace: a scorer's passes reuse its argument
// tensors, refilled with the new seed's values, and drawing them allocates
// next to nothing: before, every pass allocated the network's weights
// three times over (float64 draws, a host tensor, its device buffer), the
// garbage that grew the RSS of multi-seed searches.
func TestArgTensorsRefillInPlace(t *testing.T) {
	net, err := nb201.NewSpace(nb201.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	crit, _ := LookupCriterion("synflow")
	s, err := newScorer(nntest.Backend(t), net, []Criterion{crit}, 32, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.inputs(0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	paramBytes := 0
	for _, a := range first[:len(s.graph.specs)] {
		paramBytes += int(tensorOf(a).ByteSize())
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const passes = 3
	var again []any
	for seed := range uint64(passes) {
		if again, err = s.inputs(seed+1, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	for i := range first {
		if first[i] != again[i] {
			t.Fatalf("argument %d (%s) is a new tensor", i, tensorOf(again[i]).Shape())
		}
	}
	perPass := float64(after.TotalAlloc-before.TotalAlloc) / passes
	t.Logf("drawing %d parameters (%.1f MB) allocated %.3f MB per pass", len(s.graph.specs), float64(paramBytes)/1e6, perPass/1e6)
	if perPass > float64(paramBytes)/20 {
		t.Errorf("drawing the inputs allocated %.0f bytes per pass, want under 5%% of the %d bytes of parameters", perPass, paramBytes)
	}
	want := initValuesArgs(t, s.graph.specs, crit, nn.InitOptions{Seed: passes, AlphaStd: 1e-3}, nil)
	for i := range s.graph.specs {
		got, err := nn.FromTensor(tensorOf(again[i]))
		if err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if got[j] != want[i][j] {
				t.Fatalf("refilled %s[%d] = %v, want %v", s.graph.specs[i].Name, j, got[j], want[i][j])
			}
		}
	}
}

// TestScorerArgsLifetime: a batch of another size replaces its tensors,
// and Close finalizes every argument tensor.
func TestScorerArgsLifetime(t *testing.T) {
	crit, _ := LookupCriterion("snip")
	s, err := newScorer(nntest.Backend(t), tinyNB201(t), []Criterion{crit}, 8, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.scoreOne(0, randomBatch(4, 8, 1), nil); err != nil {
		t.Fatal(err)
	}
	old := append([]*tensors.Tensor(nil), s.args.ts...)
	if _, err := s.scoreOne(1, randomBatch(6, 8, 1), nil); err != nil {
		t.Fatal(err)
	}
	n := len(s.graph.specs)
	for i, tt := range s.args.ts {
		if replaced := tt != old[i]; replaced != (i >= n) {
			t.Errorf("argument %d replaced=%v after the batch grew from 4 to 6 images", i, replaced)
		}
	}
	for i := n; i < len(old); i++ {
		if old[i].Ok() {
			t.Errorf("replaced argument %d was not finalized", i)
		}
	}
	live := append([]*tensors.Tensor(nil), s.args.ts...)
	s.Close()
	for i, tt := range live {
		if tt.Ok() {
			t.Errorf("argument %d (%s) not finalized by Close", i, tt.Shape())
		}
	}
}

// TestMultiSeedHeapFlat: the live heap of a search does not grow with its
// seeds (nothing of a pass is kept), and after every pass the heap, garbage
// included, stays within 1/heapSlack of it (collectGarbage). The RSS
// measurement on the real spaces is the CLI's (search reports peak_rss_mb):
// see the report in freedarts/gcpace.go.
func TestMultiSeedHeapFlat(t *testing.T) {
	crit, _ := LookupCriterion("synflow")
	net, err := nb201.NewSpace(nb201.Config{C: 8, N: 2, Classes: 10, InputSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newScorer(nntest.Backend(t), net, []Criterion{crit}, 16, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var live []uint64
	for seed := range uint64(12) {
		first := heapBaseline.Load() == 0 // the process's first pass sets the baseline
		if _, err := s.scoreOne(seed, nil, nil); err != nil {
			t.Fatal(err)
		}
		metrics.Read(sample[:1])
		if heap, base := sample[0].Value.Uint64(), heapBaseline.Load(); !first && heap > base+base/heapSlack {
			t.Errorf("seed %d: heap %d bytes after the pass, baseline %d: over 1/%d of garbage left", seed, heap, base, heapSlack)
		}
		runtime.GC() // twice: the backend's pool of buffers survives one
		runtime.GC()
		metrics.Read(sample[1:])
		live = append(live, sample[1].Value.Uint64())
	}
	t.Logf("live heap after each pass: %v", live)
	if first, last := live[1], live[len(live)-1]; float64(last) > 1.05*float64(first)+(1<<20) {
		t.Errorf("live heap grew from %d to %d bytes over %d seeds", first, last, len(live)-2)
	}
}
