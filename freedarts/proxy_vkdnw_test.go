package freedarts

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestVKDNWOnOneLayer recomputes VKDNW on the host for oneLayerNet without
// batch norm (conv 1x1 3->2, ReLU, average pool, linear 2->10): the
// Jacobians of each image's logits with respect to the first element of
// the two weights (conv w[0][0], fc w[0][0]), the smoothed-softmax
// covariance, the 2x2 Fisher, its deciles and their entropy.
func TestVKDNWOnOneLayer(t *testing.T) {
	crit := float64Criterion(t, "vkdnw_entropy")
	specs, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float64, BN: crit.BN, Affine: true}, func(n *nn.Net) {
		oneLayerNet{}.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, 1, 4, 4, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	args, err := graphInputs(specs, crit, nn.InitOptions{Seed: 3}, 4, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var w, fw, fb []float64
	for i, s := range specs {
		v, _ := nn.FromTensor(tensorOf(args[i]))
		switch s.Name {
		case "l/conv":
			w = v
		case "fc/w":
			fw = v
		case "fc/b":
			fb = v
		default:
			t.Fatalf("unexpected parameter %s (batch norm should be gone)", s.Name)
		}
	}
	x, _ := nn.FromTensor(tensorOf(args[len(specs)]))
	const pix, k = 16, 10
	images := len(x) / (pix * 3)
	if images != vkdnwImages || len(w) != 6 || len(fw) != 2*k || len(fb) != k {
		t.Fatalf("%d images, weights %d %d %d", images, len(w), len(fw), len(fb))
	}
	var f [2][2]float64
	for s := range images {
		xs := x[s*pix*3 : (s+1)*pix*3]
		y := conv1x1(xs, w)
		var feat [2]float64
		d0 := 0.0 // d feat[0] / d w[0][0]
		for p := range pix {
			for o := range 2 {
				if y[p*2+o] > 0 {
					feat[o] += y[p*2+o] / pix
					if o == 0 {
						d0 += xs[p*3] / pix
					}
				}
			}
		}
		logits := make([]float64, k)
		z := 0.0
		for c := range k {
			logits[c] = feat[0]*fw[c] + feat[1]*fw[k+c] + fb[c]
			z += math.Exp(logits[c])
		}
		// g_c = d logit_c / d (conv w[0][0], fc w[0][0])
		g := make([][2]float64, k)
		prob := make([]float64, k)
		var mean [2]float64
		for c := range k {
			g[c] = [2]float64{fw[c] * d0, 0}
			if c == 0 {
				g[c][1] = feat[0]
			}
			prob[c] = 0.95*math.Exp(logits[c])/z + 0.005
			mean[0] += prob[c] * g[c][0]
			mean[1] += prob[c] * g[c][1]
		}
		for c := range k { // covariance form of J^T (diag p - p p^T) J
			for a := range 2 {
				for b := range 2 {
					f[a][b] += prob[c] * (g[c][a] - mean[a]) * (g[c][b] - mean[b]) / float64(images)
				}
			}
		}
	}
	tr, det := f[0][0]+f[1][1], f[0][0]*f[1][1]-f[0][1]*f[1][0]
	disc := math.Sqrt(tr*tr/4 - det)
	lo, hi := tr/2-disc, tr/2+disc
	var q [9]float64
	sum := 0.0
	for i := range q {
		q[i] = lo + float64(i+1)/10*(hi-lo)
		sum += q[i]
	}
	want := 0.0
	for _, v := range q {
		want -= v / (sum + 1e-10) * math.Log(v/(sum+1e-10)+1e-10)
	}
	if got := scoreOneLayer(t, crit, nil); math.Abs(got-want) > 1e-9 {
		t.Errorf("vkdnw_entropy %.12g, from the host's Fisher %.12g (eigenvalues %g, %g)", got, want, lo, hi)
	}
	single := float64Criterion(t, "vkdnw")
	if got := scoreOneLayer(t, single, nil); math.Abs(got-(2+want)) > 1e-9 {
		t.Errorf("vkdnw %.12g, want 2 weight tensors + %.12g", got, want)
	}
}

// TestVKDNWScores: the deciles' entropy and its degenerate cases, and the
// statistic's layout (a dropped tensor leaves F and aleph).
func TestVKDNWScores(t *testing.T) {
	if h := vkdnwDecileEntropy([]float64{0, 0, 0}); h != Degenerate {
		t.Errorf("all-zero spectrum: %v, want Degenerate", h)
	}
	if h := vkdnwDecileEntropy([]float64{2, 2, 2, 2}); math.Abs(h-math.Log(9)) > 1e-9 {
		t.Errorf("flat spectrum: %v, want log 9", h)
	}
	if h := vkdnwDecileEntropy([]float64{0, 1}); math.Abs(h-decileEntropyOfLine()) > 1e-9 {
		t.Errorf("spectrum {0, 1}: %v, want %v", h, decileEntropyOfLine())
	}
	// N=1, K=2, P=3, the second tensor dropped: F over columns 0 and 2.
	stat := []float64{1, 2, 3, 1, 0, 1, 0, 0, 1, 5, 0, 0, 7, 0}
	// p = (0.5, 0.5): F = 0.25 (g_0 - g_1)(g_0 - g_1)^T, g_0 = (1, 0), g_1 =
	// (0, 0): eigenvalues 0 and 0.25.
	h, aleph, err := vkdnwScores(stat)
	if err != nil || aleph != 2 || math.Abs(h-decileEntropyOfLine()) > 1e-9 {
		t.Errorf("vkdnwScores = %v, %d, %v; want %v, 2", h, aleph, err, decileEntropyOfLine())
	}
	if s, err := vkdnwSingleScore(stat); err != nil || math.Abs(s-2-h) > 1e-12 {
		t.Errorf("vkdnwSingleScore = %v, %v; want 2 + %v", s, err, h)
	}
	zero := []float64{1, 2, 1, 1, 0, 0, 0, 0}
	if s, err := vkdnwSingleScore(zero); err != nil || s != Degenerate {
		t.Errorf("Jacobian 0: %v, %v; want Degenerate", s, err)
	}
	for _, tc := range []struct {
		stat []float64
		want string
	}{
		{[]float64{1, 2}, "header"},
		{[]float64{1, 2, 1, 1, 0}, "statistic of 5 values"},
		{[]float64{1, 2, 1, 0, 0, 0, 1, 1}, "no weights"},
	} {
		if _, err := vkdnwEntropyScore(tc.stat); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.stat, err, tc.want)
		}
	}
}

// decileEntropyOfLine is the entropy of the deciles 0.1..0.9 of {0, 1}
// normalised by their sum 4.5.
func decileEntropyOfLine() float64 {
	h := 0.0
	for i := 1; i <= 9; i++ {
		t := float64(i) / 10 / 4.5
		h -= t * math.Log(t+1e-10)
	}
	return h
}
