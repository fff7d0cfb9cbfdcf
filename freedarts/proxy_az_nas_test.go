package freedarts

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// azCase runs the pass of the float64 AZ-NAS criteria on net and returns
// the cell outputs, and per pair (from the last) the Rademacher cotangent
// on F_l and its backpropagation to F_{l-1}, drawn as azTrainability draws
// them, as host values with their shapes.
func azCase(t *testing.T, net *nb201.Network) (feats, gouts, gins [][]float64, dims [][]int) {
	t.Helper()
	crit := float64Criterion(t, "az_nas_trainability")
	opts := nn.Options{DType: dtypes.Float64, BN: crit.BN, Affine: true}
	b := nntest.Backend(t)
	specs, err := nn.Trace(b, opts, func(n *nn.Net) { net.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 8, 8, 3))) })
	if err != nil {
		t.Fatal(err)
	}
	var nFeats int
	exec, err := NewExec(b, func(in []*Node) []*Node {
		n := nn.Bind(in[0].Graph(), opts, specs, in[:len(specs)])
		p := newPass(n, net.Forward, nn.CellOutput, in[len(specs)], nil, nil, nil)
		var outs []*Node
		fs := p.ActsOf(nn.CellOutput)
		nFeats = len(fs)
		for _, a := range fs {
			outs = append(outs, a.Node)
		}
		rng := RNGStateFromSeedForGraph(in[0].Graph(), azProbeSeed)
		for l := len(fs) - 1; l >= 1; l-- {
			var u *Node
			rng, u = RandomUniform(rng, fs[l].Node.Shape())
			gout := SignPlusOrMinus(AddScalar(u, -0.5))
			outs = append(outs, gout, Gradient(ReduceAllSum(Mul(fs[l].Node, gout)), fs[l-1].Node)[0])
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	args, err := graphInputs(specs, crit, nn.InitOptions{Seed: 3}, 8, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	host := func(i int) []float64 {
		v, err := nn.FromTensor(outs[i])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i := range nFeats {
		feats = append(feats, host(i))
		dims = append(dims, outs[i].Shape().Dimensions)
	}
	for k := nFeats; k < len(outs); k += 2 {
		gouts, gins = append(gouts, host(k)), append(gins, host(k+1))
	}
	return feats, gouts, gins, dims
}

// hostEntropy is AZ-NAS's expressivity of one NHWC feature map, from
// scratch: channel covariance over the pixels, its eigenvalues, the
// entropy of their normalised values.
func hostEntropy(f []float64, c int) float64 {
	rows := len(f) / c
	mean := make([]float64, c)
	for r := range rows {
		for k := range c {
			mean[k] += f[r*c+k] / float64(rows)
		}
	}
	cov := make([]float64, c*c)
	for r := range rows {
		for i := range c {
			for j := range c {
				cov[i*c+j] += (f[r*c+i] - mean[i]) * (f[r*c+j] - mean[j]) / float64(rows)
			}
		}
	}
	s := linalg.SymmetricEigenvalues(cov, c)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	h := 0.0
	for _, v := range s {
		h -= v / sum * math.Log(v/sum+1e-8)
	}
	return h
}

// hostSigma is the spectral norm of M = g_in^T g_out / pixels, g_in
// pixel-unshuffled as PyTorch does on NCHW (channel c*s*s + i*s + j), by
// power iteration on M^T M.
func hostSigma(gin, gout []float64, in, out []int) float64 {
	b, ho, wo, co := out[0], out[1], out[2], out[3]
	s, ci := in[1]/ho, in[3]
	cu := ci * s * s
	pixels := b * ho * wo
	m := make([]float64, cu*co)
	for n := range b {
		for y := range ho {
			for x := range wo {
				for c := range ci {
					for i := range s {
						for j := range s {
							g := gin[((n*in[1]+y*s+i)*in[2]+x*s+j)*ci+c]
							row := c*s*s + i*s + j
							for k := range co {
								m[row*co+k] += g * gout[((n*ho+y)*wo+x)*co+k] / float64(pixels)
							}
						}
					}
				}
			}
		}
	}
	v := make([]float64, co)
	for k := range v {
		v[k] = 1 + float64(k%3)
	}
	lambda := 0.0
	for range 2000 {
		mv := make([]float64, cu)
		for r := range cu {
			for k := range co {
				mv[r] += m[r*co+k] * v[k]
			}
		}
		w := make([]float64, co)
		for r := range cu {
			for k := range co {
				w[k] += m[r*co+k] * mv[r]
			}
		}
		norm := 0.0
		for _, x := range w {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			return 0
		}
		lambda = norm
		for k := range w {
			v[k] = w[k] / norm
		}
	}
	return math.Sqrt(lambda)
}

// TestAZNASParts recomputes expressivity, progressivity and trainability
// on the host from the network's cell outputs and the backpropagated
// cotangents, and compares with the NetScorer.
func TestAZNASParts(t *testing.T) {
	net := tinyNetwork(t)
	feats, gouts, gins, dims := azCase(t, net)
	// stem, one cell per stage, two residual blocks
	if len(feats) != 6 || len(gins) != 5 {
		t.Fatalf("%d cell outputs, %d pairs; want 6 and 5", len(feats), len(gins))
	}
	h := make([]float64, len(feats))
	expressivity, progressivity := 0.0, math.Inf(1)
	for l, f := range feats {
		h[l] = hostEntropy(f, dims[l][3])
		expressivity += h[l]
		if l > 0 {
			progressivity = math.Min(progressivity, h[l]-h[l-1])
		}
	}
	trainability := 0.0
	for k := range gins {
		l := len(feats) - 1 - k
		sigma := hostSigma(gins[k], gouts[k], dims[l-1], dims[l])
		trainability += (-sigma - 1/(sigma+1e-6) + 2) / float64(len(gins))
	}
	want := map[string]float64{"az_nas_expressivity": expressivity, "az_nas_progressivity": progressivity, "az_nas_trainability": trainability}
	var crits []Criterion
	for _, name := range []string{"az_nas_expressivity", "az_nas_progressivity", "az_nas_trainability"} {
		crits = append(crits, float64Criterion(t, name))
	}
	s, err := NewNetScorer(nntest.Backend(t), crits, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.groups) != 1 {
		t.Errorf("the three AZ-NAS parts run in %d passes, want one", len(s.groups))
	}
	res, err := s.Score(net, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range crits {
		if w := want[c.Name]; math.Abs(res.Scores[i]-w) > 1e-9*math.Abs(w) {
			t.Errorf("%s %.12g, from the host %.12g", c.Name, res.Scores[i], w)
		}
	}
	t.Logf("entropies %v, scores %v", h, res.Scores)
}

// TestAZNASHandCases: the formulas on values worked out by hand.
func TestAZNASHandCases(t *testing.T) {
	// An isotropic covariance: entropy log(c) (up to the 1e-8).
	id := []float64{2, 0, 0, 0, 2, 0, 0, 0, 2}
	if h := spectrumEntropy(id, 3); math.Abs(h-math.Log(3)) > 1e-7 {
		t.Errorf("entropy of an isotropic 3x3 covariance %v, want log 3", h)
	}
	// A one-dimensional one: 0.
	if h := spectrumEntropy([]float64{1, 1, 1, 1}, 2); math.Abs(h) > 1e-7 {
		t.Errorf("entropy of a rank-one covariance %v, want 0", h)
	}
	// Two maps: isotropic 2x2 (log 2), then 3x3 (log 3).
	stat := []float64{2, 2, 3, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}
	if e, _ := azExpressivity(stat, false); math.Abs(e-math.Log(6)) > 1e-7 {
		t.Errorf("expressivity %v, want log 2 + log 3", e)
	}
	if p, _ := azExpressivity(stat, true); math.Abs(p-math.Log(1.5)) > 1e-7 {
		t.Errorf("progressivity %v, want log 3 - log 2", p)
	}
	// An all-zero map: the reference's NaN.
	zero := []float64{2, 2, 3, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, prog := range []bool{false, true} {
		if v, err := azExpressivity(zero, prog); err != nil || v != Degenerate {
			t.Errorf("all-zero map (progressive %v): %v, %v; want Degenerate", prog, v, err)
		}
	}
	// One pair, M = [[0, 2], [1, 0]] (2x2): sigma 2, -2 - 1/(2+1e-6) + 2.
	m := []float64{1, 2, 2, 0, 0, 2, 1, 0}
	if s, _ := azTrainabilityScore(m); math.Abs(s-(-1/(2+1e-6))) > 1e-12 {
		t.Errorf("trainability %v, want %v", s, -1/(2+1e-6))
	}
	// A 3x1 M = (3, 0, 4)^T: sigma 5.
	if s := largestSingularValue([]float64{3, 0, 4}, 3, 1); math.Abs(s-5) > 1e-12 {
		t.Errorf("sigma of (3,0,4) %v, want 5", s)
	}
	if s := largestSingularValue([]float64{3, 0, 4}, 1, 3); math.Abs(s-5) > 1e-12 {
		t.Errorf("sigma of (3,0,4)^T %v, want 5", s)
	}
	// The identity flag: Degenerate.
	m[3] = 1
	if s, _ := azTrainabilityScore(m); s != Degenerate {
		t.Errorf("an identity cell: %v, want Degenerate", s)
	}
	for _, bad := range [][]float64{nil, {3, 1}, {1, 2, 2, 0, 1}, {1, 2, 7}} {
		if _, err := azTrainabilityScore(bad); err == nil {
			t.Errorf("statistic %v accepted", bad)
		}
	}
}

// TestKaimingNormal: the weights of a WeightsKaiming criterion are
// WeightsGaussian's N(0, 1) draws times sqrt(2/fan_in), biases 0, the rest
// as nn.Draw draws them.
func TestKaimingNormal(t *testing.T) {
	net := tinyNetwork(t)
	net.ConvBias = true
	opts := nn.Options{DType: dtypes.Float64, BN: nn.BNBatch, Affine: true}
	specs, err := nn.Trace(nntest.Backend(t), opts, func(n *nn.Net) { net.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 8, 8, 3))) })
	if err != nil {
		t.Fatal(err)
	}
	kaiming := float64Criterion(t, "az_nas_expressivity")
	gauss := kaiming
	gauss.Weights = WeightsGaussian
	ka, err := graphInputs(specs, kaiming, nn.InitOptions{Seed: 4}, 8, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ga, err := graphInputs(specs, gauss, nn.InitOptions{Seed: 4}, 8, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sumSq, count := 0.0, 0
	for i, s := range specs {
		k, _ := nn.FromTensor(tensorOf(ka[i]))
		g, _ := nn.FromTensor(tensorOf(ga[i]))
		scale := 1.0
		if s.Kind == nn.Weight {
			scale = math.Sqrt(2 / float64(s.FanIn))
		}
		for j := range k {
			if math.Abs(k[j]-g[j]*scale) > 1e-15 || (s.Kind == nn.Bias && k[j] != 0) {
				t.Fatalf("%s[%d]: %v, Gaussian %v, scale %v", s.Name, j, k[j], g[j], scale)
			}
			if s.Kind == nn.Weight {
				sumSq += g[j] * g[j]
				count++
			}
		}
	}
	if v := sumSq / float64(count); math.Abs(v-1) > 0.05 {
		t.Errorf("variance of the N(0, 1) draws %v over %d weights", v, count)
	}
}

// TestTeAZDegenerate scores cells that break the proxies: all none (every
// cell output zero), the identity cell (a lone skip to the output node),
// and a cell whose output node has no path from its input. Every score is
// finite, Degenerate where the reference has -Inf or NaN.
func TestTeAZDegenerate(t *testing.T) {
	names := []string{"az_nas_expressivity", "az_nas_progressivity", "az_nas_trainability", "az_nas_complexity", "ntk_cond", "linear_regions"}
	var crits []Criterion
	for _, n := range names {
		crits = append(crits, float64Criterion(t, n))
	}
	s, err := NewNetScorer(nntest.Backend(t), crits, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arch       string
		degenerate []string
	}{
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", []string{"az_nas_expressivity", "az_nas_progressivity", "ntk_cond"}},
		{"|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", []string{"az_nas_trainability"}},
		{"|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", []string{"az_nas_expressivity", "az_nas_progressivity", "ntk_cond"}},
	} {
		a, err := nb201.ParseArch(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		net, _ := nb201.NewNetwork(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}, a)
		res, err := s.Score(net, 2, randomBatch(4, 8, 3))
		if err != nil {
			t.Fatalf("%s: %v", tc.arch, err)
		}
		for i, n := range names {
			v := res.Scores[i]
			isDeg := slices.Contains(tc.degenerate, n)
			if math.IsNaN(v) || math.IsInf(v, 0) || (v == Degenerate) != isDeg {
				t.Errorf("%s %s: %v (Degenerate wanted: %v)", tc.arch, n, v, isDeg)
			}
		}
		t.Logf("%s: %v", tc.arch, res.Scores)
	}
}

// TestAZNASOnAlpha ablates the supernet's alpha with the AZ-NAS parts and
// ntk_cond: finite score matrices, none's entries exactly 0 (removing an op
// that is not there changes nothing). The counts are not on alpha.
func TestAZNASOnAlpha(t *testing.T) {
	b := nntest.Backend(t)
	for _, name := range []string{"az_nas_expressivity", "az_nas_progressivity", "az_nas_trainability", "ntk_cond"} {
		c, _ := LookupCriterion(name)
		s, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s.scoreOne(1, randomBatch(4, 8, 1), nil)
		s.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for r, row := range sc.Matrices[0].Values {
			if row[0] != 0 {
				t.Errorf("%s row %d: none scores %v, want 0", name, r, row[0])
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s row %d: %v", name, r, row)
				}
			}
		}
		t.Logf("%s: %v", name, sc.Matrices[0].Values)
	}
	for _, name := range []string{"az_nas_complexity", "linear_regions"} {
		if c, _ := LookupCriterion(name); c.checkAlpha() == nil {
			t.Errorf("%s accepted on alpha", name)
		}
	}
	// linear_regions' reason: ablated, it scores 0 everywhere.
	c, _ := LookupCriterion("linear_regions")
	c.Ablate, c.Images = true, 8
	s, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.scoreOne(1, nil, nil); err == nil || !strings.Contains(err.Error(), "every score of alpha is zero") {
		t.Errorf("linear_regions ablated: %v, want all-zero scores", err)
	}
}
