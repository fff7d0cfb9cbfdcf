package freedarts

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// tinyNB201 is the supernet of the gradient checks: C=4, N=1, 8x8 input.
func tinyNB201(t *testing.T) *nb201.Space {
	t.Helper()
	net, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// tinySpace is NB201 with one cell per stage, 4 channels and 8x8 inputs.
func tinySpace(t *testing.T) *nb201.Space {
	t.Helper()
	space, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return space
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
		if c.NeedsData() {
			return crossEntropy(logits, in[len(specs)+1])
		}
		return sumLogits(logits, nil)
	}
}

// fdSetup returns a searcher for crit on the tiny supernet, the inputs its
// graph sees for seed 3 and a batch of batchSize (as float64), and the index
// of alpha among them.
func fdSetup(t *testing.T, crit Criterion, alphaStd float64, batchSize int) (*scorer, []nntest.Input, int, *Batch) {
	t.Helper()
	net := tinyNB201(t)
	s, err := newScorer(nntest.Backend(t), net, []Criterion{crit}, 8, alphaStd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	batch := randomBatch(batchSize, 8, 1)
	args, err := s.inputs(3, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []nntest.Input
	for i, a := range args[:len(s.graph.specs)+1] {
		v, err := nn.FromTensor(tensorOf(a))
		if err != nil {
			t.Fatal(err)
		}
		shape := tensorOf(a).Shape().Dimensions
		if i < len(s.graph.specs) {
			shape = s.graph.specs[i].Shape
		}
		inputs = append(inputs, nntest.Input{Values: v, Shape: shape})
	}
	if crit.NeedsData() {
		oneHot := make([]float64, batch.N*10)
		for i, l := range batch.Labels {
			oneHot[i*10+int(l)] = 1
		}
		inputs = append(inputs, nntest.Input{Values: oneHot, Shape: []int{batch.N, 10}})
	}
	return s, inputs, s.graph.targets[0], batch
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
			s, inputs, ai, batch := fdSetup(t, crit, 0.5, 4)
			scores, err := s.scoreOne(3, batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := nntest.Backend(t)
			f := objective(crit, s.graph.net, s.graph.specs)
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
	s, inputs, ai, batch := fdSetup(t, crit, 0.5, 4)
	scores, err := s.scoreOne(3, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := nntest.Backend(t)
	f := objective(crit, s.graph.net, s.graph.specs)
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

// TestAlphaGradNormAndFisher checks the alpha versions of grad_norm
// (|dL/dalpha|) and Fisher against central differences of L. With one image
// the per-sample gradient is the gradient, so Fisher is 0.5*(alpha*g)^2.
func TestAlphaGradNormAndFisher(t *testing.T) {
	for _, tc := range []struct {
		name  string
		score func(alpha, g float64) float64
		tol   float64 // relative; Fisher squares g and so doubles its error
	}{
		{"grad_norm", func(_, g float64) float64 { return math.Abs(g) }, 1e-5},
		{"fisher", func(a, g float64) float64 { return 0.5 * a * a * g * g }, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crit := float64Criterion(t, tc.name)
			s, inputs, ai, batch := fdSetup(t, crit, 0.5, 1)
			scores, err := s.scoreOne(3, batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := nntest.Backend(t)
			numeric, err := nntest.NumericGradient(b, objective(crit, s.graph.net, s.graph.specs), inputs, ai, 1e-8, 30, rand.New(rand.NewPCG(2, 2)))
			if err != nil {
				t.Fatal(err)
			}
			maxScore := 0.0
			for i, d := range numeric {
				want := tc.score(inputs[ai].Values[i], d)
				maxScore = math.Max(maxScore, want)
				got := scores.Matrices[0].Values[i/nb201.NumOps][i%nb201.NumOps]
				if math.Abs(got-want) > tc.tol*want+1e-14 {
					t.Errorf("alpha[%d]: score %.10g, finite differences %.10g", i, got, want)
				}
			}
			if maxScore == 0 {
				t.Error("all checked scores are zero")
			}
		})
	}
}

// TestFisherSumsPerSampleGradients checks Fisher's per-sample split on a
// batch: one image repeated twice has the image's BN statistics and mean
// loss, so g is unchanged and each copy carries half of it, and Fisher is
// 0.5*mean_n(alpha*g/2)^2, a quarter of the one-image value.
func TestFisherSumsPerSampleGradients(t *testing.T) {
	crit := float64Criterion(t, "fisher")
	s, _, _, batch := fdSetup(t, crit, 0.5, 1)
	two := &Batch{N: 2, H: batch.H, W: batch.W, Images: append(append([]float32(nil), batch.Images...), batch.Images...),
		Labels: []int32{batch.Labels[0], batch.Labels[0]}}
	one, err := s.scoreOne(3, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := s.scoreOne(3, two, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range one.Matrices[0].Values {
		for c, v := range row {
			if got := dup.Matrices[0].Values[r][c]; math.Abs(got-v/4) > 1e-9*v {
				t.Errorf("alpha[%d][%d]: duplicated batch %.10g, want a quarter of %.10g", r, c, got, v)
			}
		}
	}
}

func TestLookupCriterion(t *testing.T) {
	for _, name := range CriterionNames() {
		c, err := LookupCriterion(name)
		onAlpha := 0 // exactly one of: a saliency, ablation, a reason for neither
		for _, ok := range []bool{c.Saliency != nil, c.Ablate, c.NotOnAlpha != ""} {
			if ok {
				onAlpha++
			}
		}
		if err != nil || c.Name != name || onAlpha != 1 || (c.Network == nil) == (c.Static == nil) || (c.Ablate && c.Network == nil) {
			t.Errorf("LookupCriterion(%q) = %+v, %v", name, c, err)
		}
	}
	if _, err := LookupCriterion("synfow"); err == nil {
		t.Error("unknown proxy accepted")
	}
	for _, tc := range []struct{ list, want string }{
		{"synflow,synfow", `unknown proxy "synfow"`},
		{"snip, snip", `"snip" listed twice`},
		{"", `unknown proxy ""`},
	} {
		if _, err := LookupCriteria(tc.list); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LookupCriteria(%q): %v, want an error containing %q", tc.list, err, tc.want)
		}
	}
	if cs, err := LookupCriteria("synflow, snip"); err != nil || len(cs) != 2 || cs[1].Name != "snip" {
		t.Errorf("LookupCriteria: %v, %v", cs, err)
	}
	for _, name := range []string{"params", "flops"} {
		c, _ := LookupCriterion(name)
		_, err := newScorer(nntest.Backend(t), tinyNB201(t), []Criterion{c}, 8, 1e-3)
		if err == nil || !strings.Contains(err.Error(), "proxy "+name+" is not defined on alpha") {
			t.Errorf("%s on alpha: %v", name, err)
		}
	}
}

// TestAblation checks the mechanics of Criterion.Ablate with an objective
// whose ablations are known: R = 2*sum(alpha^2) (Finish doubles the graph's
// sum), so entry j scores 2*alpha_j^2 exactly, masked entries score 0, and
// the other entries keep their score.
func TestAblation(t *testing.T) {
	c := Criterion{Name: "alpha-squares", DType: dtypes.Float64, BN: nn.BNNone, Ablate: true,
		Network: func(p *Pass) *Node { return ReduceAllSum(Square(p.Targets[0])) },
		Finish:  func(stat []float64) (float64, error) { return 2 * stat[0], nil },
	}
	s, err := newScorer(nntest.Backend(t), tinyNB201(t), []Criterion{c}, 8, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	alpha := nn.InitValues(s.graph.specs, nn.InitOptions{Seed: 3, AlphaStd: 0.5})[s.graph.targets[0]]
	keep := make([]bool, len(alpha))
	for k := range keep {
		keep[k] = k%4 != 1
	}
	for _, mask := range []Mask{nil, {"alpha": keep}} {
		sc, err := s.scoreOne(3, nil, mask)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range sc.Matrices[0].Values {
			for col, got := range row {
				k := r*len(row) + col
				want := 2 * alpha[k] * alpha[k]
				if mask != nil && !keep[k] {
					want = 0
				}
				if math.Abs(got-want) > 1e-12*math.Max(1, want) {
					t.Errorf("mask %v: alpha[%d][%d] scores %v, want %v", mask != nil, r, col, got, want)
				}
			}
		}
	}
}

// TestNASWOTAndJacobCovOnAlpha runs the two ablation criteria on a supernet
// with a batch: finite scores, none at exactly 0, some op above it.
func TestNASWOTAndJacobCovOnAlpha(t *testing.T) {
	b := nntest.Backend(t)
	for _, name := range []string{"naswot", "jacob_cov"} {
		c, _ := LookupCriterion(name)
		s, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sc, err := s.scoreOne(1, randomBatch(8, 8, 1), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for r, row := range sc.Matrices[0].Values {
			if row[0] != 0 {
				t.Errorf("%s row %d: none scores %v, want 0", name, r, row[0])
			}
		}
		t.Logf("%s: %v", name, sc.Matrices[0].Values)
	}
}
