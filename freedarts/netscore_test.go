package freedarts

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// cellConfig is the small NB201 network of the supernet-mode tests: C=4,
// N=1, 8x8 inputs, with the convolution bias that Fisher and the BN-free
// SynFlow see (so that the bias parameters are compared too).
var cellConfig = nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8, ConvBias: true}

// testCells are a dozen NB201 cells: all-none (every node zero), all-conv,
// the benchmark's best CIFAR-10 cell, one with a node whose incoming edges
// are all none, and random ones.
func testCells(t *testing.T) []nb201.Arch {
	t.Helper()
	best, err := nb201.ParseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
	if err != nil {
		t.Fatal(err)
	}
	cells := []nb201.Arch{{}, {3, 3, 3, 3, 3, 3}, best, {2, 0, 0, 4, 1, 3}}
	rng := rand.New(rand.NewPCG(11, 3))
	for len(cells) < 12 {
		var a nb201.Arch
		for e := range a {
			a[e] = rng.IntN(nb201.NumOps)
		}
		cells = append(cells, a)
	}
	return cells
}

// networkCriteria are the registered criteria with a whole-network
// definition: every one a study can score, whoever registered it.
func networkCriteria(t *testing.T) []Criterion {
	t.Helper()
	var crits []Criterion
	for _, name := range CriterionNames() {
		c, err := LookupCriterion(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Network != nil || c.Static != nil {
			crits = append(crits, c)
		}
	}
	if len(crits) < 10 {
		t.Fatalf("%d whole-network criteria registered, want at least the 10 of the paper and the baselines", len(crits))
	}
	return crits
}

// Tolerances of TestSupernetCellsMatchNetworks, relative. The supernet's
// forward pass computes the cell's values exactly: a kept op's output is
// multiplied by alpha 1, a dropped op's by 0, and adding those zeros to a
// node's sum changes no bit. Its backward pass sums, at every node that
// feeds several ops, the gradients of all of them: the dropped ones add
// exact zeros, but the backend may associate the kept ones' terms
// otherwise than in the concrete network's graph, which has fewer
// consumers. Such a sum can differ by an ulp, and the difference travels
// through the rest of the backward pass and the score's reductions.
//
// Measured on the go backend (12 cells, every registered criterion):
// float64 SynFlow bit-identical (the bound is the 1e-12); in
// float32 (ulp 6e-8) most scores within 1e-7 or exact (grad_norm, naswot,
// the counts), GraSP 8.5e-7 (its Hessian-vector product is a second
// backward pass over the first one's rounding) and ZiCo 3.4e-6 (a log of
// gradient means over their standard deviations, which divides the
// rounding by small numbers). 5e-5 leaves a factor of over 10 on the worst
// for another summation order (another machine's SIMD width) and is still
// far below what a wrong cell moves: the difference between two cells is
// percents, and a dropped op's activations counted by mistake (Pass.Weigh
// left out) moves NASWOT by 1.
const (
	cellTolFloat64 = 1e-12
	cellTolFloat32 = 5e-5
)

// relDiff is |a-b| relative to the larger magnitude (0 when both are 0).
func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / max(math.Abs(a), math.Abs(b))
}

// TestSupernetCellsMatchNetworks scores a dozen cells with every
// registered whole-network criterion twice: as concrete networks (Score)
// and as the supernet with a one-hot alpha (ScoreArch), with a seed per
// cell as a per-cell study draws them. The scores must agree within the
// tolerances above, and the supernet scorer must build its graphs once,
// one per pass, for all the cells.
func TestSupernetCellsMatchNetworks(t *testing.T) {
	b := nntest.Backend(t)
	crits := networkCriteria(t)
	super, err := nb201.NewSpace(cellConfig)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := NewSupernetScorer(b, crits, super, cellConfig.InputSize)
	if err != nil {
		t.Fatal(err)
	}
	defer cells.Close()
	nets, err := NewNetScorer(b, crits, cellConfig.InputSize)
	if err != nil {
		t.Fatal(err)
	}
	graphs := 0
	for _, g := range cells.groups {
		if !g.static {
			graphs++
		}
	}
	if cells.builds.Load() != 0 {
		t.Errorf("%d graphs built before the first cell, want none (compiled at the first cell)", cells.builds.Load())
	}
	batch := randomBatch(8, cellConfig.InputSize, 4)
	worst := map[string]float64{}
	for k, arch := range testCells(t) {
		seed := SubSeed(7, uint64(k))
		net, err := nb201.NewNetwork(cellConfig, arch)
		if err != nil {
			t.Fatal(err)
		}
		want, err := nets.Score(net, seed, batch)
		if err != nil {
			t.Fatalf("%s: concrete: %v", arch, err)
		}
		got, err := cells.ScoreArch(arch, seed, batch)
		if err != nil {
			t.Fatalf("%s: supernet: %v", arch, err)
		}
		for i, c := range crits {
			tol := cellTolFloat32
			if c.DType == dtypes.Float64 {
				tol = cellTolFloat64
			}
			d := relDiff(got.Scores[i], want.Scores[i])
			worst[c.Name] = max(worst[c.Name], d)
			if d > tol {
				t.Errorf("%s %s: supernet %.17g, network %.17g (relative %.2g, tolerance %g)", arch, c.Name, got.Scores[i], want.Scores[i], d, tol)
			}
		}
	}
	var report []string
	for _, c := range crits {
		report = append(report, fmt.Sprintf("%s %.2g", c.Name, worst[c.Name]))
	}
	t.Logf("largest relative differences: %s", strings.Join(report, ", "))
	if n := cells.builds.Load(); n != int64(graphs) {
		t.Errorf("supernet scorer built %d graphs for 12 cells, want %d (one per pass)", n, graphs)
	}
	// Another batch shape compiles each data pass once more; the same again
	// compiles nothing.
	for range 2 {
		if _, err := cells.ScoreArch(nb201.Arch{1, 2, 3, 4, 1, 2}, 1, randomBatch(4, cellConfig.InputSize, 5)); err != nil {
			t.Fatal(err)
		}
	}
	dataGraphs := 0
	for _, g := range cells.groups {
		if !g.static && g.key.input == InputData {
			dataGraphs++
		}
	}
	if n := cells.builds.Load(); n != int64(graphs+dataGraphs) {
		t.Errorf("after a batch of another size: %d graphs built, want %d", n, graphs+dataGraphs)
	}
}

// TestSupernetCellParts: the parameters and activations of a cell of the
// supernet (cellParts) are the concrete network's, with the same names,
// kinds, shapes and fan-ins, so that the seed draws the same weights for
// both (nn.Draw keys each parameter by its name) and the counts and the
// activation proxies see the same layers.
func TestSupernetCellParts(t *testing.T) {
	b := nntest.Backend(t)
	super, err := nb201.NewSpace(cellConfig)
	if err != nil {
		t.Fatal(err)
	}
	opts := nn.Options{DType: dtypes.Float32, BN: nn.BNBatch, Affine: true}
	kinds := nn.ReLUInput | nn.LayerOutput
	superObs := &nn.Observer{Kinds: kinds}
	superSpecs, err := traceParams(b, super, opts, 8, superObs)
	if err != nil {
		t.Fatal(err)
	}
	type act struct {
		kind  nn.ActKind
		name  string
		shape string
	}
	acts := func(as []nn.Activation) []act {
		var out []act
		for _, a := range as {
			out = append(out, act{a.Kind, a.Name, a.Node.Shape().String()})
		}
		return out
	}
	params := func(specs []nn.ParamSpec) []string {
		var out []string
		for _, p := range specs {
			out = append(out, fmt.Sprintf("%s %s %v fan-in %d", p.Name, p.Kind, p.Shape, p.FanIn))
		}
		return out
	}
	for _, arch := range testCells(t) {
		net, err := nb201.NewNetwork(cellConfig, arch)
		if err != nil {
			t.Fatal(err)
		}
		obs := &nn.Observer{Kinds: kinds}
		specs, err := traceParams(b, net, opts, 8, obs)
		if err != nil {
			t.Fatal(err)
		}
		mask, err := oneHotMask(superSpecs, arch)
		if err != nil {
			t.Fatal(err)
		}
		cellSpecs, cellActs, err := cellParts(superSpecs, superObs.Acts, mask)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := params(cellSpecs), params(specs); !slices.Equal(got, want) {
			t.Errorf("%s: cell parameters\n%v\nwant the network's\n%v", arch, got, want)
		}
		if got, want := acts(cellActs), acts(obs.Acts); !slices.Equal(got, want) {
			t.Errorf("%s: cell activations\n%v\nwant the network's\n%v", arch, got, want)
		}
	}
}

// otherArch is an Arch that marks the entries its fields say.
type otherArch map[string][][]bool

func (a otherArch) String() string            { return "other" }
func (a otherArch) Kept() map[string][][]bool { return a }

func TestSupernetScorerErrors(t *testing.T) {
	b := nntest.Backend(t)
	crits, err := LookupCriteria("synflow,params")
	if err != nil {
		t.Fatal(err)
	}
	net, err := nb201.NewNetwork(cellConfig, nb201.Arch{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSupernetScorer(b, crits, net, 8); err == nil || !strings.Contains(err.Error(), "no architecture parameters") {
		t.Errorf("a concrete network as the supernet: %v", err)
	}
	if _, err := NewSupernetScorer(b, crits, nil, 8); err == nil {
		t.Error("no supernet accepted")
	}
	concrete, err := NewNetScorer(b, crits, 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := concrete.ScoreArch(nb201.Arch{}, 0, nil); err == nil || !strings.Contains(err.Error(), "NewSupernetScorer") {
		t.Errorf("ScoreArch of a concrete scorer: %v", err)
	}
	super, err := nb201.NewSpace(cellConfig)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSupernetScorer(b, crits, super, 8)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]bool, nb201.NumOps)
	for _, tc := range []struct {
		arch Arch
		want string
	}{
		{nil, "no architecture"},
		{otherArch{}, "marks no entries of alpha alpha"},
		{otherArch{nb201.AlphaName: {row}}, "marks 1 rows"},
		{otherArch{nb201.AlphaName: {row, row, row, row, row, row[:2]}}, "marks 2 ops in row 5"},
		{otherArch{nb201.AlphaName: {row, row, row, row, row, row}, "beta": {row}}, "alpha beta, which the supernet does not declare"},
	} {
		if _, err := s.ScoreArch(tc.arch, 0, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("arch %v: %v, want an error with %q", tc.arch, err, tc.want)
		}
	}
	// An arch of no alpha entry at all is a cell of none ops: as nb201.Arch{}.
	empty := make([][]bool, nb201.NumEdges)
	for e := range empty {
		empty[e] = make([]bool, nb201.NumOps)
	}
	got, err := s.ScoreArch(otherArch{nb201.AlphaName: empty}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.ScoreArch(nb201.Arch{}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Scores, want.Scores) {
		t.Errorf("no entry kept: %v, want the all-none cell's %v", got.Scores, want.Scores)
	}
	s.Close()
	if _, err := s.ScoreArch(nb201.Arch{}, 0, nil); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("ScoreArch after Close: %v", err)
	}
}
