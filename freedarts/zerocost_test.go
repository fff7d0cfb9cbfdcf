package freedarts

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// tinyNetwork is a concrete NB201 network of the gradient checks: C=4, N=1,
// 8x8 input, with both convolutions, a skip and a pool in its cell.
func tinyNetwork(t *testing.T) *nb201.Network {
	t.Helper()
	a, err := nb201.ParseArch("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
	if err != nil {
		t.Fatal(err)
	}
	net, err := nb201.NewNetwork(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}, a)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// netCase is the network, specs and float64 graph inputs (parameters, image
// batch, one-hot labels for data criteria) that a NetScorer's pass sees.
type netCase struct {
	net    *nb201.Network
	crit   Criterion
	opts   nn.Options
	specs  []nn.ParamSpec
	inputs []nntest.Input
	batch  *Batch
}

func newNetCase(t *testing.T, name string, batchSize int) *netCase {
	t.Helper()
	return newNetCaseOf(t, tinyNetwork(t), name, batchSize)
}

func newNetCaseOf(t *testing.T, net *nb201.Network, name string, batchSize int) *netCase {
	t.Helper()
	c := &netCase{net: net, crit: float64Criterion(t, name), batch: randomBatch(batchSize, 8, 4)}
	c.opts = nn.Options{DType: dtypes.Float64, BN: c.crit.BN, Affine: true}
	var err error
	c.specs, err = nn.Trace(nntest.Backend(t), c.opts, func(n *nn.Net) {
		c.net.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 8, 8, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	args, err := graphInputs(c.specs, c.crit, nn.InitOptions{Seed: 3}, 8, c.batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range args[:len(c.specs)+1] {
		v, err := nn.FromTensor(tensorOf(a))
		if err != nil {
			t.Fatal(err)
		}
		c.inputs = append(c.inputs, nntest.Input{Values: v, Shape: tensorOf(a).Shape().Dimensions})
	}
	if c.crit.NeedsData() {
		oneHot := make([]float64, c.batch.N*10)
		for i, l := range c.batch.Labels {
			oneHot[i*10+int(l)] = 1
		}
		c.inputs = append(c.inputs, nntest.Input{Values: oneHot, Shape: []int{c.batch.N, 10}})
	}
	return c
}

// objective is the criterion's R as a function of the pass's inputs.
func (c *netCase) objective() nntest.Func {
	return func(in []*Node) *Node {
		n := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:len(c.specs)])
		logits := c.net.Forward(n, in[len(c.specs)])
		if c.crit.NeedsData() {
			return crossEntropy(logits, in[len(c.specs)+1])
		}
		return sumLogits(logits, nil)
	}
}

// gradients returns dR/d(every input) by autodiff, after checking the
// weights' at a few coordinates against central differences.
func (c *netCase) gradients(t *testing.T, h float64) [][]float64 {
	t.Helper()
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, i := range nn.FindParams(c.specs, nn.Weight)[:3] {
		nntest.CheckGradient(t, b, c.objective(), c.inputs, i, h, 1e-5, 4, rng)
	}
	_, grads, err := nntest.Eval(b, c.objective(), c.inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	return grads
}

func (c *netCase) score(t *testing.T) float64 {
	t.Helper()
	s, err := NewNetScorer(nntest.Backend(t), []Criterion{c.crit}, 8)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Score(c.net, 3, c.batch)
	if err != nil {
		t.Fatal(err)
	}
	return res.Scores[0]
}

// TestNetworkScoresMatchFiniteDifferences recomputes each whole-network
// proxy on the host from the weight gradients (autodiff, spot-checked by
// central differences) and compares with the NetScorer.
func TestNetworkScoresMatchFiniteDifferences(t *testing.T) {
	sumAbs := func(c *netCase, g [][]float64) float64 {
		return sumWeights(c, g, func(w, g []float64) float64 { return dotAbs(w, g) })
	}
	fisher := func(c *netCase, g [][]float64) float64 {
		total := 0.0
		for i, s := range c.specs {
			if s.Kind != nn.Weight {
				continue
			}
			cout := s.Shape[len(s.Shape)-1]
			perChannel := make([]float64, cout)
			for j, w := range c.inputs[i].Values {
				perChannel[j%cout] += w * g[i][j]
			}
			if b, err := nn.ParamIndex(c.specs, strings.TrimSuffix(s.Name, "/w")+"/b"); err == nil && b != i {
				for k := range perChannel {
					perChannel[k] += c.inputs[b].Values[k] * g[b][k]
				}
			}
			for _, v := range perChannel {
				total += 0.5 * v * v * float64(s.FanIn)
			}
		}
		return total
	}
	for _, tc := range []struct {
		name     string
		batch    int
		h        float64
		want     func(c *netCase, grads [][]float64) float64
		convBias bool
	}{
		{"synflow", 1, 1e-6, sumAbs, false},
		{"synflow", 1, 1e-6, sumAbs, true},
		{"snip", 4, 1e-7, sumAbs, false},
		{"grad_norm", 4, 1e-7, func(c *netCase, g [][]float64) float64 {
			return sumWeights(c, g, func(_, g []float64) float64 {
				s := 0.0
				for _, v := range g {
					s += v * v
				}
				return math.Sqrt(s)
			})
		}, false},
		// With one image, sum_spatial act*dL/dact of output channel k is
		// sum_i W_ik dL/dW_ik (+ b_k dL/db_k where the layer has a bias):
		// the outputs are linear in the weights.
		{"fisher", 1, 1e-7, fisher, false},
		{"fisher", 1, 1e-7, fisher, true},
	} {
		t.Run(fmt.Sprintf("%s/convBias=%v", tc.name, tc.convBias), func(t *testing.T) {
			net := tinyNetwork(t)
			net.ConvBias = tc.convBias
			c := newNetCaseOf(t, net, tc.name, tc.batch)
			want := tc.want(c, c.gradients(t, tc.h))
			got := c.score(t)
			if !(want > 0) || math.Abs(got-want) > 1e-9*want {
				t.Errorf("score %.12g, from gradients %.12g", got, want)
			}
		})
	}
}

func sumWeights(c *netCase, grads [][]float64, f func(w, g []float64) float64) float64 {
	total := 0.0
	for _, i := range nn.FindParams(c.specs, nn.Weight) {
		total += f(c.inputs[i].Values, grads[i])
	}
	return total
}

func dotAbs(w, g []float64) float64 {
	s := 0.0
	for j := range w {
		s += math.Abs(w[j] * g[j])
	}
	return s
}

// TestNetworkGraSP checks -theta·Hg against a central difference of the
// gradient along g.
func TestNetworkGraSP(t *testing.T) {
	c := newNetCase(t, "grasp", 4)
	b := nntest.Backend(t)
	g := c.gradients(t, 1e-7)
	weights := nn.FindParams(c.specs, nn.Weight)
	shifted := func(h float64) [][]float64 {
		in := append([]nntest.Input(nil), c.inputs...)
		for _, i := range weights {
			v := make([]float64, len(in[i].Values))
			for j := range v {
				v[j] = in[i].Values[j] + h*g[i][j]
			}
			in[i] = nntest.Input{Values: v, Shape: in[i].Shape}
		}
		_, gr, err := nntest.Eval(b, c.objective(), in, true)
		if err != nil {
			t.Fatal(err)
		}
		return gr
	}
	const h = 1e-6
	plus, minus := shifted(h), shifted(-h)
	want := 0.0
	for _, i := range weights {
		for j, w := range c.inputs[i].Values {
			want -= w * (plus[i][j] - minus[i][j]) / (2 * h)
		}
	}
	if got := c.score(t); math.Abs(got-want) > 1e-5*math.Abs(want) || want == 0 {
		t.Errorf("GraSP %.10g, finite-difference HVP %.10g", got, want)
	}
}

// TestJacobCov checks the per-sample input Jacobians against central
// differences and the score against the host formula on their covariance.
func TestJacobCov(t *testing.T) {
	c := newNetCase(t, "jacob_cov", 4)
	sum := func(in []*Node) *Node {
		n := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:len(c.specs)])
		return ReduceAllSum(c.net.Forward(n, in[len(c.specs)]))
	}
	b := nntest.Backend(t)
	xi := len(c.specs)
	nntest.CheckGradient(t, b, sum, c.inputs, xi, 1e-6, 1e-5, 8, rand.New(rand.NewPCG(6, 6)))
	_, grads, err := nntest.Eval(b, sum, c.inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	n := c.batch.N
	d := len(grads[xi]) / n
	cov := make([]float64, n*n)
	for i := range n {
		for j := range n {
			ri, rj := grads[xi][i*d:(i+1)*d], grads[xi][j*d:(j+1)*d]
			mi, mj := mean(ri), mean(rj)
			for k := range d {
				cov[i*n+j] += (ri[k] - mi) * (rj[k] - mj)
			}
		}
	}
	want, err := jacobCovScore(cov)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.score(t); math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("jacob_cov %.12g, from the Jacobians %.12g", got, want)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestNASWOT recomputes the kernel on the host from the ReLU inputs.
func TestNASWOT(t *testing.T) {
	c := newNetCase(t, "naswot", 5)
	var relus int
	b := nntest.Backend(t)
	exec, err := NewExec(b, func(in []*Node) []*Node {
		n := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:len(c.specs)])
		p := newPass(n, c.net.Forward, nn.ReLUInput, in[len(c.specs)], nil, nil, nil)
		var outs []*Node
		for _, a := range p.Acts {
			outs = append(outs, a.Node)
		}
		relus = len(outs)
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	args, err := graphInputs(c.specs, c.crit, nn.InitOptions{Seed: 3}, 8, c.batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(args[:len(c.specs)+1]...)
	if err != nil {
		t.Fatal(err)
	}
	// 4 convolutions in each of the 3 cells, 2 per residual block, 1 in
	// the head.
	if relus != 3*4+2*2+1 {
		t.Errorf("%d ReLUs observed, want 17", relus)
	}
	n := c.batch.N
	k := make([]float64, n*n)
	for _, o := range outs {
		x, err := nn.FromTensor(o)
		if err != nil {
			t.Fatal(err)
		}
		d := len(x) / n
		for i := range n {
			for j := range n {
				for u := range d {
					if (x[i*d+u] > 0) == (x[j*d+u] > 0) {
						k[i*n+j]++
					}
				}
			}
		}
	}
	want, err := logAbsDet(k)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.score(t); math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("naswot %.12g, from the ReLU codes %.12g", got, want)
	}
}

// TestCountsMatchBenchmark: params of the default CIFAR-10 network of index
// 6111 as the benchmark lists it, and the MACs of an all-none cell by hand.
func TestCountsMatchBenchmark(t *testing.T) {
	b := nntest.Backend(t)
	crits, err := LookupCriteria("params,flops")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewNetScorer(b, crits, 32)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := nb201.ParseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
	net, _ := nb201.NewNetwork(nb201.DefaultConfig(), a)
	res, err := s.Score(net, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scores[0] != 1073466 {
		t.Errorf("params of index 6111: %g, the benchmark lists 1.073466 M", res.Scores[0])
	}
	// The benchmark lists 153.27 MFLOPs for this network.
	if math.Abs(res.Scores[1]-153.27e6) > 0.01e6 {
		t.Errorf("MACs of index 6111: %g, want 153.27 M", res.Scores[1])
	}
	// All-none cell, C=4, 8x8: stem 8*8*4*27, then per stage s (4x4 with 8
	// channels, 2x2 with 16): conv_a, conv_b and the shortcut, and the
	// 16->10 classifier.
	s, _ = NewNetScorer(b, crits[1:], 8)
	none, _ := nb201.NewNetwork(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}, nb201.Arch{})
	res, err = s.Score(none, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 8.0*8*4*27 + 16*8*(36+72+4) + 4*16*(72+144+8) + 160
	if res.Scores[0] != want {
		t.Errorf("MACs of the all-none network: %g, want %g", res.Scores[0], want)
	}
}

// TestHostLinearAlgebra checks the proxies' host-side finishing steps
// around package linalg (tested there): NASWOT's log|det K| and
// jacob_cov's score, with their Degenerate cases and shape errors.
func TestHostLinearAlgebra(t *testing.T) {
	// diag(2, 4) rotated: log|det| is log 8.
	c, s := math.Cos(0.3), math.Sin(0.3)
	m := []float64{2*c*c + 4*s*s, (4 - 2) * c * s, (4 - 2) * c * s, 2*s*s + 4*c*c}
	if ld, err := logAbsDet(m); err != nil || math.Abs(ld-math.Log(8)) > 1e-12 {
		t.Errorf("log|det| = %v, %v; want log 8", ld, err)
	}
	if ld, _ := logAbsDet([]float64{0, 2, 3, 0}); math.Abs(ld-math.Log(6)) > 1e-15 {
		t.Errorf("log|det| of a matrix that needs pivoting: %v, want log 6", ld)
	}
	if ld, _ := logAbsDet([]float64{1, 1, 1, 1}); ld != Degenerate {
		t.Errorf("singular matrix: %v, want the Degenerate score", ld)
	}
	// Uncorrelated Jacobians: the correlation is the identity.
	k := 1e-5
	if js, _ := jacobCovScore([]float64{2, 0, 0, 3}); math.Abs(js+2*(math.Log(1+k)+1/(1+k))) > 1e-12 {
		t.Errorf("jacob_cov of uncorrelated samples: %v", js)
	}
	if js, _ := jacobCovScore([]float64{0, 0, 0, 1}); js != Degenerate {
		t.Errorf("jacob_cov with a zero Jacobian: %v, want the Degenerate score", js)
	}
	for _, f := range []func([]float64) (float64, error){jacobCovScore, logAbsDet} {
		if _, err := f([]float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "not a square matrix") {
			t.Errorf("3 values: %v", err)
		}
	}
}

func TestNetScorerErrors(t *testing.T) {
	b := nntest.Backend(t)
	if _, err := NewNetScorer(b, nil, 8); err == nil {
		t.Error("no criteria accepted")
	}
	crits, _ := LookupCriteria("snip")
	if _, err := NewNetScorer(b, crits, 0); err == nil {
		t.Error("input size 0 accepted")
	}
	s, _ := NewNetScorer(b, crits, 8)
	if _, err := s.Score(tinyNetwork(t), 0, nil); err == nil || !strings.Contains(err.Error(), "needs a labelled batch") {
		t.Errorf("snip without data: %v", err)
	}
}

// TestConvBiasOnlyMovesFisher: batch-statistics BN cancels a cell
// convolution's bias, so SNIP does not see it, while Fisher, which reads the
// convolution's output, does (nb201.Config.ConvBias).
func TestConvBiasOnlyMovesFisher(t *testing.T) {
	for _, tc := range []struct {
		proxy string
		moves bool
	}{{"snip", false}, {"fisher", true}} {
		var scores [2]float64
		for i, bias := range []bool{false, true} {
			net := tinyNetwork(t)
			net.ConvBias = bias
			scores[i] = newNetCaseOf(t, net, tc.proxy, 4).score(t)
		}
		rel := math.Abs(scores[1]-scores[0]) / scores[0]
		if moved := rel > 1e-3; moved != tc.moves || (!tc.moves && rel > 1e-9) {
			t.Errorf("%s: %.12g without the bias, %.12g with it (relative change %.2g)", tc.proxy, scores[0], scores[1], rel)
		}
	}
}
