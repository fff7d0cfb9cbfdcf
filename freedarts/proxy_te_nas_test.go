package freedarts

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestNTKCond rebuilds the NTK on the host from per-sample gradients, each
// the gradient of its own objective sum_k logits[i, k] (spot-checked by
// central differences), and compares -cond with the NetScorer's.
func TestNTKCond(t *testing.T) {
	c := newNetCase(t, "ntk_cond", 5)
	b := nntest.Backend(t)
	weights := nn.FindParams(c.specs, nn.Weight)
	x := len(c.specs)
	n := c.batch.N
	var rows [][]float64
	for i := range n {
		sample := func(in []*Node) *Node {
			net := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:x])
			return ReduceAllSum(Slice(c.net.Forward(net, in[x]), AxisElem(i)))
		}
		if i == 0 {
			rng := rand.New(rand.NewPCG(8, 8))
			for _, w := range weights[:2] {
				nntest.CheckGradient(t, b, sample, c.inputs[:x+1], w, 1e-6, 1e-5, 4, rng)
			}
		}
		_, grads, err := nntest.Eval(b, sample, c.inputs[:x+1], true)
		if err != nil {
			t.Fatal(err)
		}
		var row []float64
		for _, w := range weights {
			row = append(row, grads[w]...)
		}
		rows = append(rows, row)
	}
	gram := make([]float64, n*n)
	for i := range n {
		for j := range n {
			for k := range rows[i] {
				gram[i*n+j] += rows[i][k] * rows[j][k]
			}
		}
	}
	want, err := ntkCondScore(gram)
	if err != nil || want == Degenerate || want > -1 {
		t.Fatalf("host NTK score %v, %v", want, err)
	}
	if got := c.score(t); math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("ntk_cond %.12g, from the per-sample gradients %.12g", got, want)
	}
	// By hand: diag(4, 1) has condition number 4; a singular NTK, or one
	// whose smallest eigenvalue rounds below 0, is Degenerate.
	for _, tc := range []struct {
		gram []float64
		want float64
	}{{[]float64{4, 0, 0, 1}, -4}, {[]float64{1, 1, 1, 1}, Degenerate}, {[]float64{1, 2, 2, 1}, Degenerate}, {[]float64{0, 0, 0, 0}, Degenerate}} {
		if got, _ := ntkCondScore(tc.gram); math.Abs(got-tc.want) > 1e-12 && got != tc.want {
			t.Errorf("ntkCondScore(%v) = %v, want %v", tc.gram, got, tc.want)
		}
	}
}

// regionsOf runs the network on images and returns the ReLU inputs
// and the linear region count of reluPatternDistances.
func regionsOf(t *testing.T, c *netCase, images []float64, count int) (relus [][]float64, regions float64) {
	t.Helper()
	b := nntest.Backend(t)
	exec, err := NewExec(b, func(in []*Node) []*Node {
		n := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:len(c.specs)])
		p := newPass(n, c.net.Forward, nn.ReLUInput, in[len(c.specs)], nil, nil, nil)
		outs := []*Node{reluPatternDistances(p)}
		for _, a := range p.Acts {
			outs = append(outs, a.Node)
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	args := make([]any, 0, len(c.specs)+1)
	for _, in := range c.inputs[:len(c.specs)] {
		args = append(args, tensors.FromFlatDataAndDimensions(in.Values, in.Shape...))
	}
	args = append(args, tensors.FromFlatDataAndDimensions(images, count, 8, 8, 3))
	outs, err := exec.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	dist, _ := nn.FromTensor(outs[0])
	if regions, err = linearRegionCount(dist); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs[1:] {
		v, _ := nn.FromTensor(o)
		relus = append(relus, v)
	}
	return relus, regions
}

// hostRegions counts distinct sign patterns of the ReLU inputs directly,
// as TE-NAS's update1D does: one string of 0s and 1s per sample.
func hostRegions(relus [][]float64, n int) int {
	patterns := map[string]bool{}
	for i := range n {
		var code []byte
		for _, r := range relus {
			d := len(r) / n
			for _, v := range r[i*d : (i+1)*d] {
				code = append(code, '0'+byte(boolInt(v > 0)))
			}
		}
		patterns[string(code)] = true
	}
	return len(patterns)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestLinearRegions: the count equals the distinct patterns counted on the
// host, for a batch with repeated images (which share a pattern) and for
// the scorer's own Gaussian batch.
func TestLinearRegions(t *testing.T) {
	c := newNetCase(t, "linear_regions", 1)
	// Images 0, 2 and 5 alike, 1 and 4 alike: 3 patterns among 6.
	rng := rand.New(rand.NewPCG(9, 9))
	distinct := make([][]float64, 3)
	for k := range distinct {
		for range 8 * 8 * 3 {
			distinct[k] = append(distinct[k], rng.NormFloat64())
		}
	}
	var images []float64
	for _, k := range []int{0, 1, 0, 2, 1, 0} {
		images = append(images, distinct[k]...)
	}
	relus, got := regionsOf(t, c, images, 6)
	if want := hostRegions(relus, 6); got != float64(want) || want != 3 {
		t.Errorf("%v regions, host patterns %d, want 3", got, want)
	}
	// The scorer's batch of 64 N(0, 1) images.
	args, err := graphInputs(c.specs, c.crit, nn.InitOptions{Seed: 3}, 8, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := nn.FromTensor(tensorOf(args[len(c.specs)]))
	if len(x) != teNASRegionSamples*8*8*3 {
		t.Fatalf("input of %d values", len(x))
	}
	relus, got = regionsOf(t, c, x, teNASRegionSamples)
	if want := hostRegions(relus, teNASRegionSamples); got != float64(want) || c.score(t) != got {
		t.Errorf("%v regions, host %d, scorer %v", got, want, c.score(t))
	}
	// By hand: samples 1 and 2 share a pattern.
	if r, _ := linearRegionCount([]float64{0, 3, 3, 3, 0, 0, 3, 0, 0}); r != 2 {
		t.Errorf("count %v, want 1 + 1/2 + 1/2", r)
	}
	// No ReLU at all: one pattern.
	p := &Pass{}
	g := NewGraph(nntest.Backend(t), "no-relu")
	defer g.Finalize()
	p.Input = Zeros(g, shapes.Make(dtypes.Float32, 3, 8, 8, 3))
	p.Logits = Zeros(g, shapes.Make(dtypes.Float32, 3, 10))
	if d := reluPatternDistances(p); !d.Shape().Equal(shapes.Make(dtypes.Float32, 3, 3)) {
		t.Errorf("no-ReLU distances %s", d.Shape())
	}
}
