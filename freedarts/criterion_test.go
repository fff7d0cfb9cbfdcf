package freedarts

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// tinyNB201 is the supernet of the gradient checks: C=4, N=1, 8x8 input.
func tinyNB201(t *testing.T) *nb201.Supernet {
	t.Helper()
	net, err := nb201.NewSupernet(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func randomBatch(n, size int, seed uint64) *Batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := &Batch{N: n, H: size, W: size}
	for range n * size * size * 3 {
		b.Images = append(b.Images, float32(rng.NormFloat64()))
	}
	for range n {
		b.Labels = append(b.Labels, int32(rng.IntN(10)))
	}
	return b
}

// float64Criterion is crit computed in float64, for finite differences.
func float64Criterion(t *testing.T, name string) Criterion {
	t.Helper()
	c, err := LookupCriterion(name)
	if err != nil {
		t.Fatal(err)
	}
	c.DType = dtypes.Float64
	return c
}

// objective rebuilds R(params, x, one-hot labels) of a criterion: the
// function whose alpha-gradient the searcher's saliency must use.
func objective(c Criterion, net Supernet, specs []nn.ParamSpec) nntest.Func {
	return func(in []*Node) *Node {
		n := nn.Bind(in[0].Graph(), nn.Options{DType: c.DType, BN: c.BN}, specs, in[:len(specs)])
		logits := net.Forward(n, in[len(specs)])
		if c.NeedsData {
			return crossEntropy(logits, in[len(specs)+1])
		}
		return sumLogits(logits, nil)
	}
}

// fdSetup returns a searcher for crit on the tiny supernet, the inputs its
// graph sees for seed 3 (as float64), and the index of alpha among them.
func fdSetup(t *testing.T, crit Criterion, alphaStd float64) (*Searcher, []nntest.Input, int, *Batch) {
	t.Helper()
	net := tinyNB201(t)
	s, err := NewSearcher(nntest.Backend(t), net, crit, Options{InputSize: 8, AlphaStd: alphaStd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	batch := randomBatch(4, 8, 1)
	args, err := s.inputs(3, batch)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []nntest.Input
	for i, a := range args[:len(s.specs)+1] {
		v, err := nn.FromTensor(tensorOf(a))
		if err != nil {
			t.Fatal(err)
		}
		shape := tensorOf(a).Shape().Dimensions
		if i < len(s.specs) {
			shape = s.specs[i].Shape
		}
		inputs = append(inputs, nntest.Input{Values: v, Shape: shape})
	}
	if crit.NeedsData {
		oneHot := make([]float64, batch.N*10)
		for i, l := range batch.Labels {
			oneHot[i*10+int(l)] = 1
		}
		inputs = append(inputs, nntest.Input{Values: oneHot, Shape: []int{batch.N, 10}})
	}
	return s, inputs, s.alphaIdx[0], batch
}

// TestSaliencyMatchesFiniteDifferences checks, for every first-order
// criterion, that the searcher's scores equal |alpha ⊙ dR/dalpha| with
// dR/dalpha from float64 central differences of R. The steps are small
// because with batch-norm the ReLUs see inputs of both signs, and a step
// that moves one across zero spoils the difference; BN-free SynFlow (all
// inputs positive) has no such kinks.
func TestSaliencyMatchesFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    float64
	}{{"synflow", 1e-6}, {"synflow-bn", 1e-7}, {"snip", 1e-8}} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			crit := float64Criterion(t, name)
			s, inputs, ai, batch := fdSetup(t, crit, 0.5)
			scores, err := s.Score(3, batch)
			if err != nil {
				t.Fatal(err)
			}
			b := nntest.Backend(t)
			f := objective(crit, s.net, s.specs)
			numeric, err := nntest.NumericGradient(b, f, inputs, ai, tc.h, 30, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			alpha := inputs[ai].Values
			got := scores.Matrices[0].Values
			checked := 0
			for i, d := range numeric {
				want := math.Abs(alpha[i] * d)
				g := got[i/nb201.NumOps][i%nb201.NumOps]
				if math.Abs(g-want) > 1e-5*want+1e-14 {
					t.Errorf("alpha[%d]: score %.10g, finite differences %.10g", i, g, want)
				}
				if want != 0 {
					checked++
				}
			}
			if checked < 20 {
				t.Errorf("only %d non-zero scores checked", checked)
			}
		})
	}
}

// TestGraSPHessianVectorProduct checks GraSP's double backward: the score
// alpha ⊙ Hg against alpha ⊙ (g(alpha + h g) - g(alpha - h g)) / 2h, with g
// the autodiff gradient (itself checked against R by the test above).
func TestGraSPHessianVectorProduct(t *testing.T) {
	crit := float64Criterion(t, "grasp")
	s, inputs, ai, batch := fdSetup(t, crit, 0.5)
	scores, err := s.Score(3, batch)
	if err != nil {
		t.Fatal(err)
	}
	b := nntest.Backend(t)
	f := objective(crit, s.net, s.specs)
	_, grads, err := nntest.Eval(b, f, inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	g := grads[ai]
	alpha := inputs[ai].Values
	shifted := func(h float64) []float64 {
		in := append([]nntest.Input(nil), inputs...)
		a := make([]float64, len(alpha))
		for i := range a {
			a[i] = alpha[i] + h*g[i]
		}
		in[ai] = nntest.Input{Values: a, Shape: inputs[ai].Shape}
		_, gr, err := nntest.Eval(b, f, in, true)
		if err != nil {
			t.Fatal(err)
		}
		return gr[ai]
	}
	const h = 1e-7
	plus, minus := shifted(h), shifted(-h)
	maxScore := 0.0
	for i := range alpha {
		maxScore = math.Max(maxScore, math.Abs(alpha[i]*(plus[i]-minus[i])/(2*h)))
	}
	for i := range alpha {
		want := alpha[i] * (plus[i] - minus[i]) / (2 * h)
		got := scores.Matrices[0].Values[i/nb201.NumOps][i%nb201.NumOps]
		if math.Abs(got-want) > 1e-5*maxScore {
			t.Errorf("alpha[%d]: GraSP score %.10g, finite-difference HVP %.10g", i, got, want)
		}
	}
	if maxScore == 0 {
		t.Error("all GraSP scores are zero")
	}
}

func TestLookupCriterion(t *testing.T) {
	for _, name := range CriterionNames() {
		c, err := LookupCriterion(name)
		if err != nil || c.Name != name || c.Saliency == nil {
			t.Errorf("LookupCriterion(%q) = %+v, %v", name, c, err)
		}
	}
	if _, err := LookupCriterion("synfow"); err == nil {
		t.Error("unknown proxy accepted")
	}
}
