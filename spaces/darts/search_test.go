package darts

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// tinyConfig is the supernet of the gradient checks: C=4, 3 cells (cell 0
// normal, cells 1 and 2 reductions, so both alphas and FactorizedReduce are
// exercised), 8x8 input.
func tinyConfig() Config { return Config{C: 4, Layers: 3, Classes: 10, InputSize: 8} }

// TestGradientCheck compares dR/dalpha of the supernet, for both alphas,
// with float64 central differences (SynFlow's and SNIP's R; see
// nntest.CheckAlphaGradients).
func TestGradientCheck(t *testing.T) {
	net, err := NewSpace(tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	nntest.CheckAlphaGradients(t, net.Forward, nntest.SupernetCheck{
		InputSize: 8, Batch: 4, Classes: 10, Alphas: []string{NormalAlpha, ReduceAlpha}, Coords: 8, Seed: 3})
}

// newSearch compiles a search of the DARTS space with the named proxy.
func newSearch(t *testing.T, cfg Config, proxy string, alphaStd float64) *freedarts.Search {
	t.Helper()
	space, err := NewSpace(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Data proxies get a batch of 8 N(0,1) images per seed.
	data := func(seed uint64) (*freedarts.Batch, error) {
		rng := rand.New(rand.NewPCG(seed, 1))
		batch := &freedarts.Batch{N: 8, H: cfg.InputSize, W: cfg.InputSize}
		for range 8 * cfg.InputSize * cfg.InputSize * 3 {
			batch.Images = append(batch.Images, float32(rng.NormFloat64()))
		}
		for range 8 {
			batch.Labels = append(batch.Labels, int32(rng.IntN(cfg.Classes)))
		}
		return batch, nil
	}
	s, err := freedarts.New(space, freedarts.Options{Proxy: proxy, AlphaStd: alphaStd, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// synflowR evaluates, for the parameters a SynFlow search uses at seed, R'
// = sum of logits minus sum of classifier biases (the part of R that
// depends on alpha) of the BN-free network.
func synflowR(t *testing.T, s *freedarts.Search, cfg Config, seed uint64, alphaStd float64) float64 {
	t.Helper()
	net, _ := NewSpace(cfg)
	specs, err := s.Params()
	if err != nil {
		t.Fatal(err)
	}
	values := nn.InitValues(specs, nn.InitOptions{Seed: seed, AlphaStd: alphaStd})
	var inputs []nntest.Input
	biasSum := 0.0
	for i, v := range values {
		for j := range v {
			v[j] = math.Abs(v[j])
		}
		if specs[i].Kind == nn.Bias {
			for _, x := range v {
				biasSum += x
			}
		}
		inputs = append(inputs, nntest.Input{Values: v, Shape: specs[i].Shape})
	}
	size := cfg.InputSize
	ones := make([]float64, size*size*3)
	for i := range ones {
		ones[i] = 1
	}
	inputs = append(inputs, nntest.Input{Values: ones, Shape: []int{1, size, size, 3}})
	opts := nn.Options{DType: dtypes.Float64, BN: nn.BNNone}
	r, _, err := nntest.Eval(nntest.Backend(t), func(in []*Node) *Node {
		return ReduceAllSum(net.Forward(nn.Bind(in[0].Graph(), opts, specs, in[:len(specs)]), in[len(specs)]))
	}, inputs, false)
	if err != nil {
		t.Fatal(err)
	}
	return r - biasSum
}

// TestSynFlowIsRealSignal checks that the default SynFlow gives the DARTS
// supernet a real score matrix, at 8 cells and at the evaluation depth of
// 20 cells:
//
//   - every non-none score is finite and strictly positive (all weights,
//     alphas and activations are positive, so every op adds flow), none's
//     column is exactly zero;
//   - the scores add up to what Euler's theorem says: R' (the logits'
//     dependence on alpha) is a sum over paths of products of positive
//     factors, each path taking 1 to 4 alphas from each cell it crosses and
//     crossing between ceil(L/2) and L cells, so sum(alpha * dR/dalpha) =
//     sum over paths of (alphas on the path) * (path value) lies in
//     [ceil(L/2) R', 4L R']. Rounding noise (what the BN version produces)
//     cannot satisfy this;
//   - a second run with the same seed gives bit-identical scores and the same
//     genotype.
func TestSynFlowIsRealSignal(t *testing.T) {
	cfgs := []Config{DefaultConfig(), DeepConfig()}
	if testing.Short() {
		cfgs = cfgs[:1]
	}
	for _, cfg := range cfgs {
		s := newSearch(t, cfg, "synflow", 0)
		const seed = 7
		res, err := s.Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		r := synflowR(t, s, cfg, seed, 1e-3)
		sum := 0.0
		minPos, maxPos := math.Inf(1), 0.0
		for _, m := range res.Scores {
			for e, row := range m.Values {
				for o, v := range row {
					switch {
					case o == None && v != 0:
						t.Errorf("L=%d %s[%d] none score %g, want 0", cfg.Layers, m.Name, e, v)
					case o != None && (!(v > 0) || math.IsInf(v, 0)):
						t.Errorf("L=%d %s[%d][%s] = %g, want finite and > 0", cfg.Layers, m.Name, e, Ops[o], v)
					case o != None:
						minPos, maxPos = min(minPos, v), max(maxPos, v)
					}
					sum += v
				}
			}
		}
		lo, hi := float64((cfg.Layers+1)/2)*r, float64(4*cfg.Layers)*r
		t.Logf("L=%d: R' = %.6g, sum of scores = %.6g = %.2f R' (bounds %d..%d), scores %.3g..%.3g, %s",
			cfg.Layers, r, sum, sum/r, (cfg.Layers+1)/2, 4*cfg.Layers, minPos, maxPos, res.Arch)
		if !(r > 1e-200) || !(sum >= lo*(1-1e-9)) || !(sum <= hi*(1+1e-9)) {
			t.Errorf("L=%d: sum of scores %g outside [%g, %g] (R' = %g)", cfg.Layers, sum, lo, hi, r)
		}
		again, err := s.Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		if again.Arch.String() != res.Arch.String() || !reflect.DeepEqual(again.Scores, res.Scores) {
			t.Errorf("L=%d: same seed, different results:\n%s\n%s", cfg.Layers, res.Arch, again.Arch)
		}
		if _, err := ParseGenotype(res.Arch.String()); err != nil {
			t.Errorf("selected genotype does not parse: %v", err)
		}
	}
}

// TestSynFlowBNIsDegenerate documents the released behaviour: with
// batch-statistics BN and one all-ones image, every channel entering the
// global pool has zero mean, so the logits are the classifier bias and
// dR/dalpha is zero up to rounding. Its scores are more than 10 orders of
// magnitude below the BN-free ones at the same seed, and |dR/dalpha| <
// 1e-9 everywhere (the BN-free gradients are of order 1 and more).
func TestSynFlowBNIsDegenerate(t *testing.T) {
	cfg := DefaultConfig()
	bn, err := newSearch(t, cfg, "synflow-bn", 0).Run(0)
	if err != nil {
		t.Fatal(err)
	}
	free, err := newSearch(t, cfg, "synflow", 0).Run(0)
	if err != nil {
		t.Fatal(err)
	}
	space, _ := NewSpace(cfg)
	specs, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float64}, func(n *nn.Net) {
		space.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 32, 32, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	values := nn.InitValues(specs, nn.InitOptions{Seed: 0, AlphaStd: 1e-3})
	maxBN, maxFree, maxGrad := 0.0, 0.0, 0.0
	for k, m := range bn.Scores {
		i, _ := nn.ParamIndex(specs, m.Name)
		for e, row := range m.Values {
			for o, v := range row {
				maxBN = max(maxBN, v)
				maxFree = max(maxFree, free.Scores[k].Values[e][o])
				if a := math.Abs(values[i][e*NumOps+o]); a > 0 {
					maxGrad = max(maxGrad, v/a)
				}
			}
		}
	}
	t.Logf("max score: synflow-bn %.3g, synflow %.3g; max |dR/dalpha| with BN %.3g", maxBN, maxFree, maxGrad)
	if !(maxBN < 1e-10*maxFree) || !(maxGrad < 1e-9) {
		t.Errorf("synflow-bn is not degenerate: max score %g (BN-free %g), max |dR/dalpha| %g", maxBN, maxFree, maxGrad)
	}
}

// TestSynFlowAlphaScales: float64 keeps the BN-free scores finite and
// positive for alpha scales far from the reference (1e-3, tested above).
func TestSynFlowAlphaScales(t *testing.T) {
	for _, std := range []float64{1e-9, 1, 10} {
		res, err := newSearch(t, DefaultConfig(), "synflow", std).Run(1)
		if err != nil {
			t.Errorf("alpha std %g: %v", std, err)
			continue
		}
		for _, m := range res.Scores {
			for _, row := range m.Values {
				for o, v := range row[1:] {
					if !(v > 0) || math.IsInf(v, 0) {
						t.Errorf("alpha std %g: %s score of %s is %g", std, m.Name, Ops[o+1], v)
					}
				}
			}
		}
	}
}

// TestSNIPOnSupernet runs a data proxy on the tiny supernet end to end.
func TestSNIPOnSupernet(t *testing.T) {
	cfg := tinyConfig()
	s := newSearch(t, cfg, "snip", 0)
	res, err := s.Run(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseGenotype(res.Arch.String()); err != nil {
		t.Errorf("SNIP genotype %q: %v", res.Arch, err)
	}
}
