package freedarts

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// The tests of epe_nas, l2_norm, plain, zen (NASLib's), zico and meco:
// each score against the formula recomputed on the host, in float64, from
// the weights, gradients or activations of the same network (gradients
// spot-checked by central differences), or, for zen and meco, from a
// one-layer network computed by hand.

// newProxiesCase is the tiny NB201 network's netCase for the float64
// criterion name with batch (its labels as given).
func newProxiesCase(t *testing.T, net *nb201.Network, name string, batch *Batch) *netCase {
	t.Helper()
	c := newNetCaseOf(t, net, name, batch.N)
	c.batch = batch
	args, err := graphInputs(c.specs, c.crit, nn.InitOptions{Seed: 3}, 8, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.inputs = c.inputs[:0]
	for _, a := range args[:len(c.specs)+1] {
		v, err := nn.FromTensor(tensorOf(a))
		if err != nil {
			t.Fatal(err)
		}
		c.inputs = append(c.inputs, nntest.Input{Values: v, Shape: tensorOf(a).Shape().Dimensions})
	}
	if c.crit.NeedsData() {
		c.inputs = append(c.inputs, nntest.Input{Values: oneHotOf(batch.Labels, 10), Shape: []int{batch.N, 10}})
	}
	return c
}

func oneHotOf(labels []int32, k int) []float64 {
	v := make([]float64, len(labels)*k)
	for i, l := range labels {
		v[i*k+int(l)] = 1
	}
	return v
}

func TestL2NormAndPlain(t *testing.T) {
	c := newNetCase(t, "l2_norm", 1)
	want := sumWeights(c, make([][]float64, len(c.specs)), func(w, _ []float64) float64 {
		s := 0.0
		for _, v := range w {
			s += v * v
		}
		return math.Sqrt(s)
	})
	if got := c.score(t); math.Abs(got-want) > 1e-12*want {
		t.Errorf("l2_norm %.15g, from the weights %.15g", got, want)
	}
	c = newNetCase(t, "plain", 4)
	g := c.gradients(t, 1e-7)
	want = sumWeights(c, g, func(w, g []float64) float64 {
		s := 0.0
		for j := range w {
			s += w[j] * g[j]
		}
		return s
	})
	// Signed: the sum of |w*g| (SNIP) is far larger than |plain|.
	snip := sumWeights(c, g, func(w, g []float64) float64 { return dotAbs(w, g) })
	if got := c.score(t); math.Abs(got-want) > 1e-9*snip || math.Abs(want) > 0.9*snip {
		t.Errorf("plain %.12g, from the gradients %.12g (snip %.6g)", got, want, snip)
	}
}

// TestEPENAS recomputes EPE-NAS from the per-sample input Jacobians, with
// classes of one, two and three samples.
func TestEPENAS(t *testing.T) {
	batch := randomBatch(6, 8, 4)
	batch.Labels = []int32{3, 1, 3, 7, 1, 3}
	c := newProxiesCase(t, tinyNetwork(t), "epe_nas", batch)
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
	jac := grads[xi]
	d := len(jac) / batch.N
	corr := func(i, j int) float64 { // numpy's corrcoef of two rows
		a, bb := jac[i*d:(i+1)*d], jac[j*d:(j+1)*d]
		ma, mb := mean(a), mean(bb)
		var sab, saa, sbb float64
		for k := range d {
			sab += (a[k] - ma) * (bb[k] - mb)
			saa += (a[k] - ma) * (a[k] - ma)
			sbb += (bb[k] - mb) * (bb[k] - mb)
		}
		return sab / math.Sqrt(saa*sbb)
	}
	want := 0.0
	for _, members := range [][]int{{0, 2, 5}, {1, 4}, {3}} {
		s := 0.0
		for _, i := range members {
			for _, j := range members {
				s += math.Log(math.Abs(corr(i, j)) + 1e-5)
			}
		}
		want += math.Abs(s)
	}
	if got := c.score(t); !(want > 0) || math.Abs(got-want) > 1e-9*want {
		t.Errorf("epe_nas %.12g, from the Jacobians %.12g", got, want)
	}
}

// TestEPENASScore checks the host formula on a given covariance: more than
// 100 classes (each class's sum divided by its size, single-sample classes
// left out, the mean pairwise difference), and a constant Jacobian.
func TestEPENASScore(t *testing.T) {
	const k = 120
	// Samples 0, 1 of class 5 (correlation 0.5), 2, 3 of class 9
	// (correlation -0.25), 4 alone in class 2.
	cov := []float64{
		4, 1, 0, 0, 0,
		1, 1, 0, 0, 0,
		0, 0, 1, -0.5, 0,
		0, 0, -0.5, 4, 0,
		0, 0, 0, 0, 2,
	}
	stat := append([]float64{5, k}, cov...)
	stat = append(stat, oneHotOf([]int32{5, 5, 9, 9, 2}, k)...)
	const eps = 1e-5
	sa := (2*math.Log(1+eps) + 2*math.Log(0.5+eps)) / 2
	sb := (2*math.Log(1+eps) + 2*math.Log(0.25+eps)) / 2
	want := 2 * math.Abs(sa-sb) / 2
	if got, err := epeNASScore(stat); err != nil || math.Abs(got-want) > 1e-14 {
		t.Errorf("120 classes: %v, %v; want %v", got, err, want)
	}
	// Ten classes: the sum of |s_c|, the single sample's class included
	// (log(1 + eps)).
	stat10 := append([]float64{5, 10}, cov...)
	stat10 = append(stat10, oneHotOf([]int32{5, 5, 9, 9, 2}, 10)...)
	want = math.Abs(2*sa) + math.Abs(2*sb) + math.Log(1+eps)
	if got, err := epeNASScore(stat10); err != nil || math.Abs(got-want) > 1e-14 {
		t.Errorf("10 classes: %v, %v; want %v", got, err, want)
	}
	stat10[2+4*5+4] = 0 // sample 4's Jacobian is constant
	if got, err := epeNASScore(stat10); err != nil || got != Degenerate {
		t.Errorf("a constant Jacobian: %v, %v; want the Degenerate score", got, err)
	}
	if _, err := epeNASScore([]float64{5, 10, 1}); err == nil {
		t.Error("a truncated statistic accepted")
	}
}

// TestZiCo recomputes ZiCo from the gradients of the two halves of the
// batch, each through a forward pass of its own.
func TestZiCo(t *testing.T) {
	c := newNetCase(t, "zico", 6)
	xi := len(c.specs)
	per := len(c.inputs[xi].Values) / c.batch.N
	var grads [zicoBatches][][]float64
	for h := range zicoBatches {
		lo, hi := h*3, (h+1)*3
		half := *c
		half.inputs = slices.Clone(c.inputs)
		half.inputs[xi] = nntest.Input{Values: c.inputs[xi].Values[lo*per : hi*per], Shape: []int{3, 8, 8, 3}}
		half.inputs[xi+1] = nntest.Input{Values: c.inputs[xi+1].Values[lo*10 : hi*10], Shape: []int{3, 10}}
		grads[h] = half.gradients(t, 1e-7)
	}
	want, layers := 0.0, 0
	for _, i := range nn.FindParams(c.specs, nn.Weight) {
		sum := 0.0
		for j := range grads[0][i] {
			g1, g2 := grads[0][i][j], grads[1][i][j]
			m := (g1 + g2) / 2
			std := math.Sqrt(((g1-m)*(g1-m) + (g2-m)*(g2-m)) / 2) // numpy: no Bessel correction
			if std != 0 {
				sum += (math.Abs(g1) + math.Abs(g2)) / 2 / std
			}
		}
		if sum != 0 {
			want += math.Log(sum)
			layers++
		}
	}
	if layers < 10 {
		t.Fatalf("only %d layers with a gradient", layers)
	}
	if got := c.score(t); math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("zico %.12g, from the two halves' gradients %.12g", got, want)
	}
	if got, err := zicoScore([]float64{0, math.E, 1}); err != nil || got != 1 {
		t.Errorf("zicoScore skips a zero layer: %v, %v; want 1", got, err)
	}
}

// oneLayerNet is conv 1x1 (3 -> 2 channels), batch norm and ReLU, then the
// head: the network on which zen and meco are computed by hand.
type oneLayerNet struct{}

func (oneLayerNet) Forward(n *nn.Net, x *Node) *Node {
	h := n.Sub("l")
	y := h.ReLU(h.BatchNorm("bn", h.Conv("conv", x, 2, 1, 1, 1)))
	return n.Linear("fc", nn.GlobalAvgPool(n.ObserveFeatures(y)), 10)
}

// oneLayerCase is what oneLayerNet's pass for the float64 criterion name
// sees with seed 3: the conv weight [3][2] and the input images, H x W =
// 4 x 4 each, flat.
func oneLayerCase(t *testing.T, name string, batch *Batch) (crit Criterion, w []float64, x []float64) {
	t.Helper()
	crit = float64Criterion(t, name)
	specs, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float64, BN: crit.BN, Affine: true}, func(n *nn.Net) {
		oneLayerNet{}.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 4, 4, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	args, err := graphInputs(specs, crit, nn.InitOptions{Seed: 3}, 4, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range specs {
		v, _ := nn.FromTensor(tensorOf(args[i]))
		switch {
		case s.Name == "l/conv":
			w = v
		case s.Kind == nn.BNScale && !allEqual(v, 1), s.Kind == nn.BNShift && !allEqual(v, 0):
			t.Fatalf("%s drawn as %v", s.Name, v)
		case crit.Weights == WeightsGaussian && s.Kind == nn.Bias && !allEqual(v, 0):
			t.Fatalf("zen's bias %s drawn as %v, want 0", s.Name, v)
		}
	}
	x, _ = nn.FromTensor(tensorOf(args[len(specs)]))
	return crit, w, x
}

func allEqual(v []float64, c float64) bool {
	for _, x := range v {
		if x != c {
			return false
		}
	}
	return true
}

func scoreOneLayer(t *testing.T, crit Criterion, batch *Batch) float64 {
	t.Helper()
	s, err := NewNetScorer(nntest.Backend(t), []Criterion{crit}, 4)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Score(oneLayerNet{}, 3, batch)
	if err != nil {
		t.Fatal(err)
	}
	return res.Scores[0]
}

// conv1x1 is x [pixels*3] times w [3][2]: [pixels][2], flat.
func conv1x1(x, w []float64) []float64 {
	p := len(x) / 3
	y := make([]float64, 2*p)
	for i := range p {
		for o := range 2 {
			for c := range 3 {
				y[i*2+o] += x[i*3+c] * w[c*2+o]
			}
		}
	}
	return y
}

// channelStats are the mean and the (biased) variance of channel o of y
// [pixels][2].
func channelStats(y []float64, o int) (m, v float64) {
	p := len(y) / 2
	for i := range p {
		m += y[i*2+o]
	}
	m /= float64(p)
	for i := range p {
		v += (y[i*2+o] - m) * (y[i*2+o] - m)
	}
	return m, v / float64(p)
}

// bnReLU is ReLU of y [pixels][2] normalised with its own statistics.
func bnReLU(y []float64) []float64 {
	out := make([]float64, len(y))
	for o := range 2 {
		m, v := channelStats(y, o)
		for i := o; i < len(y); i += 2 {
			out[i] = max(0, (y[i]-m)/math.Sqrt(v+nn.BNEpsilon))
		}
	}
	return out
}

// TestZenOnOneLayer computes the Zen-score of oneLayerNet by hand: N(0, 1)
// weights, 64 Gaussian images and their perturbation, each pass with its
// own batch statistics, and the running variances after the two passes.
func TestZenOnOneLayer(t *testing.T) {
	crit, w, x := oneLayerCase(t, "zen", nil)
	if len(x) != 2*zenBatch*16*3 {
		t.Fatalf("zen's input has %d values, want %d images", len(x), 2*zenBatch)
	}
	half := len(x) / 2
	mixed := make([]float64, half)
	for i := range mixed {
		mixed[i] = x[i] + 0.01*x[half+i]
	}
	y1, y2 := conv1x1(x[:half], w), conv1x1(mixed, w)
	f1, f2 := bnReLU(y1), bnReLU(y2)
	l1 := 0.0
	for i := range f1 {
		l1 += math.Abs(f1[i] - f2[i])
	}
	l1 /= zenBatch
	n := float64(len(y1) / 2)
	rv := 0.0
	for o := range 2 {
		_, v1 := channelStats(y1, o)
		_, v2 := channelStats(y2, o)
		rv += 0.9*(0.9*1+0.1*v1*n/(n-1)) + 0.1*v2*n/(n-1)
	}
	want := math.Log(l1) + math.Log(math.Sqrt(rv/2))
	if got := scoreOneLayer(t, crit, nil); math.Abs(got-want) > 1e-10*math.Abs(want) {
		t.Errorf("zen %.12g, by hand %.12g", got, want)
	}
}

// TestGaussianWeights: zen's weights are N(0, 1) whatever their fan-in,
// the same for the same seed and name, its biases 0; other criteria keep
// the uniform draw.
func TestGaussianWeights(t *testing.T) {
	spec := nn.ParamSpec{Name: "conv/w", Kind: nn.Weight, Shape: []int{576, 64}, FanIn: 576}
	draw := func(gauss bool, seed uint64) []float64 {
		v := make([]float64, spec.Size())
		w := WeightsUniform
		if gauss {
			w = WeightsGaussian
		}
		drawParam(v, spec, nn.InitOptions{Seed: seed}, w, nil)
		return v
	}
	v := draw(true, 1)
	var m, sq, inside float64
	for _, x := range v {
		m += x
		sq += x * x
		if math.Abs(x) < 1 {
			inside++
		}
	}
	n := float64(len(v))
	m, sd, inside := m/n, math.Sqrt(sq/n-m*m/n/n), inside/n
	if math.Abs(m) > 0.02 || math.Abs(sd-1) > 0.02 || math.Abs(inside-0.6827) > 0.01 {
		t.Errorf("N(0,1) weights: mean %.4f, std %.4f, %.4f within ±1", m, sd, inside)
	}
	if !slices.Equal(v, draw(true, 1)) || slices.Equal(v, draw(true, 2)) {
		t.Error("the Gaussian draw does not follow the seed")
	}
	u := draw(false, 1)
	for _, x := range u {
		if math.Abs(x) >= 1/math.Sqrt(576) {
			t.Fatalf("uniform weight %v outside ±1/sqrt(fan-in)", x)
		}
	}
	bias := []float64{1, 2}
	drawParam(bias, nn.ParamSpec{Name: "fc/b", Kind: nn.Bias, Shape: []int{2}, FanIn: 4}, nn.InitOptions{Seed: 1}, WeightsGaussian, nil)
	if !allEqual(bias, 0) {
		t.Errorf("Gaussian bias %v, want 0", bias)
	}
}

// corr2MinEigenvalue is the smaller eigenvalue of the 2 x 2 correlation of
// the channels of y [pixels][2] (0 where a channel is constant).
func corr2MinEigenvalue(y []float64) float64 {
	m0, v0 := channelStats(y, 0)
	m1, v1 := channelStats(y, 1)
	var c float64
	for i := 0; i < len(y); i += 2 {
		c += (y[i] - m0) * (y[i+1] - m1)
	}
	c /= float64(len(y) / 2)
	if v0 == 0 || v1 == 0 {
		return 0
	}
	return 1 - math.Abs(c/math.Sqrt(v0*v1))
}

// TestMeCoOnOneLayer: on the first image, MeCo of oneLayerNet is the
// convolution's and the batch norm's min eigenvalue (the same correlations)
// plus the ReLU's; a 2 x 2 correlation with coefficient r has eigenvalues
// 1 ± r.
func TestMeCoOnOneLayer(t *testing.T) {
	batch := randomBatch(3, 4, 8)
	crit, w, x := oneLayerCase(t, "meco", batch)
	y := conv1x1(x[:16*3], w)
	want := 2*corr2MinEigenvalue(y) + corr2MinEigenvalue(bnReLU(y))
	if got := scoreOneLayer(t, crit, batch); math.Abs(got-want) > 1e-10 {
		t.Errorf("meco %.12g, by hand %.12g", got, want)
	}
	// Only the first image counts.
	other := *batch
	other.Images = slices.Clone(batch.Images)
	for i := 16 * 3; i < len(other.Images); i++ {
		other.Images[i] = 0
	}
	if got := scoreOneLayer(t, crit, &other); math.Abs(got-want) > 1e-10 {
		t.Errorf("meco with the other images zeroed %.12g, want %.12g", got, want)
	}
}

// TestMeCoOnNB201 recomputes MeCo of the tiny NB201 network from its
// convolution outputs, batch-norm inputs and ReLU inputs on the first
// image, each layer's smallest eigenvalue bracketed by Cholesky
// factorisations (independent of the Jacobi rotations the score uses).
func TestMeCoOnNB201(t *testing.T) {
	c := newNetCase(t, "meco", 4)
	b := nntest.Backend(t)
	var kinds []nn.ActKind
	exec, err := NewExec(b, func(in []*Node) []*Node {
		n := nn.Bind(in[0].Graph(), c.opts, c.specs, in[:len(c.specs)])
		p := newPass(n, c.net.Forward, mecoKinds, Slice(in[len(c.specs)], AxisRange(0, 1)), nil, nil, nil)
		var outs []*Node
		kinds = kinds[:0]
		for _, a := range p.Acts {
			if a.Node.Rank() == 4 {
				outs = append(outs, a.Node)
				kinds = append(kinds, a.Kind)
			}
		}
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
	want := 0.0
	counts := map[nn.ActKind]int{}
	for i, o := range outs {
		f, _ := nn.FromTensor(o)
		if kinds[i] == nn.ReLUInput {
			for j := range f {
				f[j] = max(0, f[j])
			}
		}
		counts[kinds[i]]++
		ch := o.Shape().Dimensions[3]
		corr := channelCorrelation(f, ch)
		l := minEigenvalueByBisection(corr, ch)
		want += l
	}
	// 4 convolutions in the cell, 2 per residual block plus its shortcut,
	// the stem's; a batch norm after each but the shortcuts, and the head's;
	// a ReLU before each cell and block convolution, and the head's.
	if counts[nn.LayerOutput] != 4*3+3*2+1 || counts[nn.BNInput] != 4*3+2*2+2 || counts[nn.ReLUInput] != 4*3+2*2+1 {
		t.Errorf("layers observed: %v", counts)
	}
	if got := c.score(t); math.Abs(got-want) > 1e-8*math.Max(1, math.Abs(want)) {
		t.Errorf("meco %.12g, from the feature maps %.12g", got, want)
	}
}

// channelCorrelation is torch.corrcoef of the channels of f [pixels][ch]
// over the pixels, NaN entries (constant channels) set to 0.
func channelCorrelation(f []float64, ch int) []float64 {
	p := len(f) / ch
	m := make([]float64, ch)
	for i := range p {
		for a := range ch {
			m[a] += f[i*ch+a] / float64(p)
		}
	}
	cov := make([]float64, ch*ch)
	for i := range p {
		for a := range ch {
			for b := range ch {
				cov[a*ch+b] += (f[i*ch+a] - m[a]) * (f[i*ch+b] - m[b])
			}
		}
	}
	corr := make([]float64, ch*ch)
	for a := range ch {
		for b := range ch {
			if d := math.Sqrt(cov[a*ch+a] * cov[b*ch+b]); d > 0 {
				corr[a*ch+b] = cov[a*ch+b] / d
			}
		}
	}
	return corr
}

// minEigenvalueByBisection is the smallest eigenvalue of the symmetric m:
// the largest l such that m - l I is positive definite (Cholesky), by
// bisection on [-n, n] (a correlation matrix's spectrum lies in [0, n]).
func minEigenvalueByBisection(m []float64, n int) float64 {
	positive := func(l float64) bool {
		a := slices.Clone(m)
		for i := range n {
			a[i*n+i] -= l
		}
		for j := range n {
			d := a[j*n+j]
			for k := range j {
				d -= a[j*n+k] * a[j*n+k]
			}
			if !(d > 0) {
				return false
			}
			d = math.Sqrt(d)
			a[j*n+j] = d
			for i := j + 1; i < n; i++ {
				s := a[i*n+j]
				for k := range j {
					s -= a[i*n+k] * a[j*n+k]
				}
				a[i*n+j] = s / d
			}
		}
		return true
	}
	lo, hi := -float64(n)-1, float64(n)+1
	for range 200 {
		mid := (lo + hi) / 2
		if positive(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// TestNewProxiesOnNB201Cells scores NAS-Bench-201 cells with the six
// proxies together (one pass per group) and alone: finite scores, or
// Degenerate where the reference has NaN (epe_nas, zen of the all-none
// cell), never NaN; and the same score in a group as alone.
func TestNewProxiesOnNB201Cells(t *testing.T) {
	names := []string{"epe_nas", "l2_norm", "plain", "zen", "zico", "meco"}
	crits, err := LookupCriteria(strings.Join(names, ","))
	if err != nil {
		t.Fatal(err)
	}
	b := nntest.Backend(t)
	all, err := NewNetScorer(b, crits, 8)
	if err != nil {
		t.Fatal(err)
	}
	batch := randomBatch(8, 8, 4)
	for k, arch := range testCells(t)[:6] {
		net, err := nb201.NewNetwork(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}, arch)
		if err != nil {
			t.Fatal(err)
		}
		res, err := all.Score(net, uint64(k), batch)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		for i, v := range res.Scores {
			name := names[i]
			// The all-none cell's output ignores its input (NaN and log 0
			// in the reference); the all-conv cell's does not.
			degenerate := v == Degenerate
			if math.IsNaN(v) || math.IsInf(v, 0) ||
				(k == 0 && degenerate != (name == "epe_nas" || name == "zen")) || (k == 1 && degenerate) {
				t.Errorf("%s %s: %v", arch, name, v)
			}
			if k == 0 && (name == "plain" || name == "zico") && v != 0 {
				t.Errorf("all-none cell: %s %v, want 0 (no weight has a gradient)", name, v)
			}
			if k == 2 {
				alone, err := NewNetScorer(b, crits[i:i+1], 8)
				if err != nil {
					t.Fatal(err)
				}
				one, err := alone.Score(net, uint64(k), batch)
				if err != nil {
					t.Fatal(err)
				}
				if d := relDiff(one.Scores[0], v); d > 1e-6 {
					t.Errorf("%s: %v alone, %v with the others", name, one.Scores[0], v)
				}
			}
		}
		t.Logf("%s: %v", arch, res.Scores)
	}
	// Degenerate inputs: an all-zero batch.
	zero := randomBatch(8, 8, 4)
	clear(zero.Images)
	net, _ := nb201.NewNetwork(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}, nb201.Arch{3, 3, 3, 3, 3, 3})
	res, err := all.Score(net, 1, zero)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range res.Scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("all-zero images: %s %v", names[i], v)
		}
	}
	t.Logf("all-zero images: %v", res.Scores)
}

// TestNewProxiesOnAlpha: plain's saliency is alpha ⊙ dL/dalpha (central
// differences), zico's the ratio mean|g|/std(g) of the two halves' alpha
// gradients (>= 1, none 0);
// epe_nas, zen and meco ablate (none, which gates nothing, scores exactly
// 0); l2_norm is not defined on alpha.
func TestNewProxiesOnAlpha(t *testing.T) {
	b := nntest.Backend(t)
	crit := float64Criterion(t, "plain")
	s, inputs, ai, batch := fdSetup(t, crit, 0.5, 4)
	sc, err := s.scoreOne(3, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := objective(crit, s.graph.net, s.graph.specs)
	numeric, err := nntest.NumericGradient(b, f, inputs, ai, 1e-8, 30, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	negative := 0
	for i, d := range numeric {
		want := inputs[ai].Values[i] * d
		got := sc.Matrices[0].Values[i/nb201.NumOps][i%nb201.NumOps]
		if math.Abs(got-want) > 1e-5*math.Abs(want)+1e-14 {
			t.Errorf("plain alpha[%d]: %.10g, finite differences %.10g", i, got, want)
		}
		if got < 0 {
			negative++
		}
	}
	if negative == 0 {
		t.Error("plain on alpha: no negative score (it is signed)")
	}

	crit = float64Criterion(t, "zico")
	s, inputs, ai, batch = fdSetup(t, crit, 0.5, 6)
	sc, err = s.scoreOne(3, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	xi := len(s.graph.specs)
	per := len(inputs[xi].Values) / batch.N
	var g [2][]float64
	for h := range 2 {
		half := slices.Clone(inputs)
		half[xi] = nntest.Input{Values: inputs[xi].Values[h*3*per : (h+1)*3*per], Shape: []int{3, 8, 8, 3}}
		half[xi+1] = nntest.Input{Values: inputs[xi+1].Values[h*30 : (h+1)*30], Shape: []int{3, 10}}
		_, grads, err := nntest.Eval(b, objective(crit, s.graph.net, s.graph.specs), half, true)
		if err != nil {
			t.Fatal(err)
		}
		g[h] = grads[ai]
	}
	for i := range g[0] {
		want := 0.0
		if d := math.Abs(g[0][i] - g[1][i]); d != 0 {
			want = (math.Abs(g[0][i]) + math.Abs(g[1][i])) / d
		}
		got := sc.Matrices[0].Values[i/nb201.NumOps][i%nb201.NumOps]
		if math.Abs(got-want) > 1e-8*want || (i%nb201.NumOps == 0) != (got == 0) || (got != 0 && got < 1-1e-12) {
			t.Errorf("zico alpha[%d]: %.10g, from the halves' gradients %.10g", i, got, want)
		}
	}

	for _, name := range []string{"epe_nas", "zen", "meco"} {
		c, _ := LookupCriterion(name)
		s, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s.scoreOne(1, randomBatch(8, 8, 1), nil)
		s.Close()
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
	c, _ := LookupCriterion("l2_norm")
	if _, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3); err == nil || !strings.Contains(err.Error(), "not defined on alpha") {
		t.Errorf("l2_norm on alpha: %v", err)
	}
}

// TestCriteriaRegisteredOnce: every built-in criterion is registered by
// one proxy_*.go file, the one a reader looks in (Register itself refuses
// a second registration of a name, at init).
func TestCriteriaRegisteredOnce(t *testing.T) {
	files, err := filepath.Glob("proxy_*.go")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`(?m)mustRegister\(Criterion\{\s*Name:\s*"([^"]+)"`)
	seen := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			if prev, dup := seen[m[1]]; dup {
				t.Errorf("criterion %q registered in %s and %s", m[1], prev, f)
			}
			seen[m[1]] = f
		}
	}
	for _, n := range CriterionNames() {
		if _, found := seen[n]; !found {
			t.Errorf("criterion %q: no proxy_*.go file registers it", n)
		}
	}
	if len(seen) != len(CriterionNames()) {
		t.Errorf("%d registrations found in the sources, %d criteria", len(seen), len(CriterionNames()))
	}
}
