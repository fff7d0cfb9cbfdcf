package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// at reads x[n,h,w,c] of an NHWC tensor, 0 outside the image.
func at(x nntest.Input, n, h, w, c int) float64 {
	H, W, C := x.Shape[1], x.Shape[2], x.Shape[3]
	if h < 0 || h >= H || w < 0 || w >= W {
		return 0
	}
	return x.Values[((n*H+h)*W+w)*C+c]
}

// refConv is a direct convolution with "same" padding: the textbook loop
// that the im2col formulation must reproduce.
func refConv(x nntest.Input, w []float64, cout, k, stride, dil int, depthwise bool) ([]float64, []int) {
	N, H, W, C := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	pad := dil * (k - 1) / 2
	ho, wo := nn.OutSize(H, k, stride, dil, pad), nn.OutSize(W, k, stride, dil, pad)
	if depthwise {
		cout = C
	}
	out := make([]float64, N*ho*wo*cout)
	for n := range N {
		for i := range ho {
			for j := range wo {
				for o := range cout {
					s := 0.0
					for a := range k {
						for b := range k {
							h, v := i*stride-pad+a*dil, j*stride-pad+b*dil
							if depthwise {
								s += at(x, n, h, v, o) * w[(a*k+b)*C+o]
								continue
							}
							for c := range C {
								s += at(x, n, h, v, c) * w[((a*k+b)*C+c)*cout+o]
							}
						}
					}
					out[((n*ho+i)*wo+j)*cout+o] = s
				}
			}
		}
	}
	return out, []int{N, ho, wo, cout}
}

func refPool(x nntest.Input, k, stride, pad int, isMax bool) []float64 {
	N, H, W, C := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ho, wo := nn.OutSize(H, k, stride, 1, pad), nn.OutSize(W, k, stride, 1, pad)
	out := make([]float64, 0, N*ho*wo*C)
	for n := range N {
		for i := range ho {
			for j := range wo {
				for c := range C {
					s, cnt, m := 0.0, 0, math.Inf(-1)
					for a := range k {
						for b := range k {
							h, v := i*stride-pad+a, j*stride-pad+b
							if h < 0 || h >= H || v < 0 || v >= W {
								continue
							}
							val := at(x, n, h, v, c)
							s, cnt, m = s+val, cnt+1, math.Max(m, val)
						}
					}
					if isMax {
						out = append(out, m)
					} else {
						out = append(out, s/float64(cnt))
					}
				}
			}
		}
	}
	return out
}

func assertClose(t *testing.T, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("value %d: got %.12g, want %.12g", i, got[i], want[i])
		}
	}
}

func TestConvForward(t *testing.T) {
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name                    string
		h, cin, cout, k, s, dil int
		depthwise               bool
	}{
		{"1x1", 5, 3, 4, 1, 1, 1, false},
		{"1x1 stride 2", 6, 3, 2, 1, 2, 1, false},
		{"3x3", 5, 2, 3, 3, 1, 1, false},
		{"3x3 stride 2", 7, 2, 3, 3, 2, 1, false},
		{"5x5 dilation 2", 9, 2, 2, 5, 1, 2, false},
		{"depthwise 3x3", 6, 3, 0, 3, 1, 1, true},
		{"depthwise 5x5 stride 2", 8, 2, 0, 5, 2, 1, true},
		{"depthwise 3x3 dilation 2 stride 2", 8, 2, 0, 3, 2, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := nntest.Random(rng, 2, tc.h, tc.h, tc.cin)
			wShape := []int{tc.k * tc.k * tc.cin, tc.cout}
			if tc.depthwise {
				wShape = []int{tc.k * tc.k, tc.cin}
			}
			w := nntest.Random(rng, wShape...)
			got, dims, err := nntest.Run(b, func(in []*Node) *Node {
				if tc.depthwise {
					return nn.DepthwiseConv2D(in[0], in[1], tc.k, tc.s, tc.dil)
				}
				return nn.Conv2D(in[0], in[1], tc.k, tc.s, tc.dil)
			}, x, w)
			if err != nil {
				t.Fatal(err)
			}
			want, wantDims := refConv(x, w.Values, tc.cout, tc.k, tc.s, tc.dil, tc.depthwise)
			if len(dims) != 4 || dims[1] != wantDims[1] || dims[3] != wantDims[3] {
				t.Fatalf("shape %v, want %v", dims, wantDims)
			}
			assertClose(t, got, want, 1e-12)
		})
	}
}

func TestPoolForward(t *testing.T) {
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name         string
		h, k, s, pad int
		isMax        bool
	}{
		{"avg 3x3 pad 1", 5, 3, 1, 1, false},
		{"avg 3x3 stride 2 pad 1", 6, 3, 2, 1, false},
		{"avg 2x2 stride 2", 6, 2, 2, 0, false},
		{"max 3x3 pad 1", 5, 3, 1, 1, true},
		{"max 3x3 stride 2 pad 1", 7, 3, 2, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := nntest.Random(rng, 2, tc.h, tc.h, 3)
			got, _, err := nntest.Run(b, func(in []*Node) *Node {
				if tc.isMax {
					return nn.MaxPool2D(in[0], tc.k, tc.s, tc.pad)
				}
				return nn.AvgPool2D(in[0], tc.k, tc.s, tc.pad)
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, got, refPool(x, tc.k, tc.s, tc.pad, tc.isMax), 1e-12)
		})
	}
}

func TestBatchNormForward(t *testing.T) {
	b := nntest.Backend(t)
	x := nntest.Random(rand.New(rand.NewPCG(5, 6)), 3, 4, 4, 2)
	specs, err := nn.Trace(b, nn.Options{DType: dtypes.Float64}, func(n *nn.Net) {
		n.BatchNorm("bn", Zeros(n.Graph(), shapes.Make(dtypes.Float64, x.Shape...)))
	})
	if err != nil || len(specs) != 0 {
		t.Fatalf("BN without affine declared %v (err %v)", specs, err)
	}
	got, _, err := nntest.Run(b, func(in []*Node) *Node {
		return nn.Bind(in[0].Graph(), nn.Options{DType: dtypes.Float64}, nil, nil).BatchNorm("bn", in[0])
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	// Per channel, the output has mean 0 and (biased) variance v/(v+eps).
	C := 2
	for c := range C {
		var s, s2, xs, xs2 float64
		n := 0
		for i := c; i < len(got); i += C {
			s, s2 = s+got[i], s2+got[i]*got[i]
			xs, xs2 = xs+x.Values[i], xs2+x.Values[i]*x.Values[i]
			n++
		}
		mean, xmean := s/float64(n), xs/float64(n)
		v := xs2/float64(n) - xmean*xmean
		if math.Abs(mean) > 1e-12 || math.Abs(s2/float64(n)-v/(v+nn.BNEpsilon)) > 1e-9 {
			t.Errorf("channel %d: mean %g, variance %g, want 0 and %g", c, mean, s2/float64(n), v/(v+nn.BNEpsilon))
		}
	}
}

// TestGradients checks first derivatives of every op (and batch norm through
// its batch statistics) against central differences.
func TestGradients(t *testing.T) {
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(7, 8))
	opts := nn.Options{DType: dtypes.Float64}
	for _, tc := range []struct {
		name string
		f    func(x, w *Node) *Node
		w    []int
	}{
		{"conv 3x3 stride 2", func(x, w *Node) *Node { return nn.Conv2D(x, w, 3, 2, 1) }, []int{18, 3}},
		{"conv 3x3 dilation 2", func(x, w *Node) *Node { return nn.Conv2D(x, w, 3, 1, 2) }, []int{18, 2}},
		{"depthwise 5x5", func(x, w *Node) *Node { return nn.DepthwiseConv2D(x, w, 5, 1, 1) }, []int{25, 2}},
		{"avg pool", func(x, w *Node) *Node { return Mul(nn.AvgPool2D(x, 3, 1, 1), ReduceAllSum(w)) }, []int{1}},
		{"max pool stride 2", func(x, w *Node) *Node { return Mul(nn.MaxPool2D(x, 3, 2, 1), ReduceAllSum(w)) }, []int{1}},
		{"relu conv bn", func(x, w *Node) *Node {
			return nn.Bind(x.Graph(), opts, nil, nil).BatchNorm("bn", nn.Conv2D(nn.ReLU(x), w, 3, 1, 1))
		}, []int{18, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := []nntest.Input{nntest.Random(rng, 2, 5, 5, 2), nntest.Random(rng, tc.w...)}
			f := func(in []*Node) *Node { return nntest.Project(tc.f(in[0], in[1]), 9) }
			nntest.CheckGradient(t, b, f, inputs, 0, 1e-6, 1e-6, 12, rng)
			nntest.CheckGradient(t, b, f, inputs, 1, 1e-6, 1e-6, 12, rng)
		})
	}
}

// TestSecondOrder checks a Hessian-vector product through two im2col layers
// against differences of gradients. The gradient of the first layer's weight
// flows back through the second layer's strided windows, whose gradients are
// Pads of w-dependent values, differentiated again.
func TestSecondOrder(t *testing.T) {
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(9, 10))
	opts := nn.Options{DType: dtypes.Float64}
	loss := func(x, w1, w2 *Node) *Node {
		h := nn.Bind(x.Graph(), opts, nil, nil).BatchNorm("bn", nn.Conv2D(x, w1, 3, 1, 1))
		y := nn.AvgPool2D(nn.Conv2D(nn.ReLU(h), w2, 3, 2, 1), 3, 1, 1)
		return nntest.Project(Square(y), 11)
	}
	// hv(x, w1, w2, v) = d/dw1 (grad_w1 L · v)
	hv := func(in []*Node) *Node {
		g := Gradient(loss(in[0], in[1], in[2]), in[1])[0]
		return ReduceAllSum(Mul(g, in[3]))
	}
	inputs := []nntest.Input{nntest.Random(rng, 2, 5, 5, 2), nntest.Random(rng, 18, 2), nntest.Random(rng, 18, 2), nntest.Random(rng, 18, 2)}
	nntest.CheckGradient(t, b, hv, inputs, 1, 1e-5, 1e-5, 10, rng)
}
