package nn_test

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestFastPathActive fails when a GoMLX upgrade removes what fastpath.go
// relies on: the ops would silently fall back to the slow formulations.
func TestFastPathActive(t *testing.T) {
	if os.Getenv(nn.PlainOpsEnv) == "1" {
		t.Skipf("%s=1", nn.PlainOpsEnv)
	}
	if !nn.FastPath() {
		t.Fatal("the custom-gradient formulations are off: gomlxpriv.CustomVJPSupported is false (internal/gomlxpriv's tests name the GoMLX field that moved)")
	}
	b := nntest.Backend(t)
	g := NewGraph(b, "probe")
	defer g.Finalize()
	x := Parameter(g, "x", shapesOf(dtypes.Float32, 2, 4, 4, 2))
	w := Parameter(g, "w", shapesOf(dtypes.Float32, 18, 2))
	y := nn.Conv2D(x, w, 3, 1, 1)
	if y.Type() != NodeTypeReshape || y.Inputs()[0].CustomGradient() == nil {
		t.Fatalf("Conv2D does not end in the custom-gradient product: %s", y)
	}
}

// TestWindowsArePads fails when a window of an activation, or a derivative
// of one up to the second order, is cut with Slice, which the go backend
// copies one element at a time (see padEdges): only weight taps may be
// sliced.
func TestWindowsArePads(t *testing.T) {
	if !nn.FastPath() {
		t.Skip("fast path off")
	}
	b := nntest.Backend(t)
	g := NewGraph(b, "windows")
	defer g.Finalize()
	x := Parameter(g, "x", shapesOf(dtypes.Float32, 2, 7, 7, 2))
	w3 := Parameter(g, "w3", shapesOf(dtypes.Float32, 18, 2))
	wd := Parameter(g, "wd", shapesOf(dtypes.Float32, 9, 2))
	n := nn.Bind(g, nn.Options{DType: dtypes.Float32}, nil, nil)
	h := n.BatchNorm("bn", nn.Conv2D(nn.ReLU(x), w3, 3, 1, 1))
	h = Add(h, nn.AvgPool2D(nn.DepthwiseConv2D(h, wd, 3, 1, 2), 3, 1, 1))
	h = Add(nn.Conv2D(h, w3, 3, 2, 1), nn.MaxPool2D(nn.DepthwiseConv2D(h, wd, 3, 2, 1), 3, 1, 1))
	h = Add(h, nn.AvgPool2D(nn.MaxPool2D(h, 3, 1, 1), 3, 1, 1))
	loss := ReduceAllSum(Square(h))
	gw := Gradient(loss, w3)[0]
	hvp := Gradient(ReduceAllSum(Mul(gw, gw)), x, w3, wd)
	walkGraph(append([]*Node{loss, gw}, hvp...), func(n *Node) {
		if n.Type() == NodeTypeSlice && n.Inputs()[0].Rank() > 2 {
			t.Errorf("Slice of an activation: %s", n)
		}
	})
}

// walkGraph calls visit once on every node reachable from outputs.
func walkGraph(outputs []*Node, visit func(n *Node)) {
	seen := map[NodeId]bool{}
	stack := append([]*Node(nil), outputs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || seen[n.Id()] {
			continue
		}
		seen[n.Id()] = true
		stack = append(stack, n.Inputs()...)
		visit(n)
	}
}

// TestConvWeightGradientRebuildsPatches fails when a convolution's weight
// gradient reads the forward pass's im2col patches, which then stay alive
// through the backward pass (a third of a study's whole-network pass in
// memory), instead of rebuilding them behind a SchedulingBarrier.
func TestConvWeightGradientRebuildsPatches(t *testing.T) {
	if !nn.FastPath() {
		t.Skip("fast path off")
	}
	b := nntest.Backend(t)
	for _, tc := range []struct {
		name         string
		k, stride, d int
	}{{"3x3", 3, 1, 1}, {"5x5 dilation 2", 5, 1, 2}, {"3x3 stride 2", 3, 2, 1}, {"1x1 stride 2", 1, 2, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph(b, "rebuild")
			defer g.Finalize()
			x := Parameter(g, "x", shapesOf(dtypes.Float32, 2, 7, 7, 2))
			w := Parameter(g, "w", shapesOf(dtypes.Float32, tc.k*tc.k*2, 3))
			y := nn.Conv2D(x, w, tc.k, tc.stride, tc.d)
			// The cotangent of y is c, so no path from the weight gradient
			// reaches the forward pass through it.
			c := Parameter(g, "c", y.Shape())
			gw := Gradient(ReduceAllSum(Mul(y, c)), w)[0]
			product := y.Inputs()[0]
			if product.Type() != NodeTypeDotGeneral {
				t.Fatalf("Conv2D does not end in a product: %s", product)
			}
			patches := product.Inputs()[0]
			barrier := false
			walkGraph([]*Node{gw}, func(n *Node) {
				if n == patches {
					t.Errorf("the weight gradient reads the forward patches %s", patches)
				}
				barrier = barrier || n.Type() == NodeTypeSchedulingBarrier
			})
			if !barrier {
				t.Error("the weight gradient rebuilds the patches without a SchedulingBarrier: the executor may build them with the forward pass")
			}
		})
	}
}

// withPlain runs f with the plain formulations.
func withPlain(f func()) {
	defer nn.SetFastPath(false)()
	f()
}

// inDType evaluates f with its inputs converted to dt and its output back
// to float64, so that nntest's float64 harness checks float32 graphs too.
func inDType(dt dtypes.DType, f nntest.Func) nntest.Func {
	return func(in []*Node) *Node {
		conv := make([]*Node, len(in))
		for i, x := range in {
			conv[i] = ConvertDType(x, dt)
		}
		return ConvertDType(f(conv), dtypes.Float64)
	}
}

// compareFastPlain checks that the fast and the plain formulations of f
// agree in value and in gradient with respect to every input.
func compareFastPlain(t *testing.T, f nntest.Func, inputs []nntest.Input, tol float64) {
	t.Helper()
	b := nntest.Backend(t)
	fastVal, fastGrads, err := nntest.Eval(b, f, inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	var plainVal float64
	var plainGrads [][]float64
	withPlain(func() { plainVal, plainGrads, err = nntest.Eval(b, f, inputs, true) })
	if err != nil {
		t.Fatal(err)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }
	if !close(fastVal, plainVal) {
		t.Errorf("value: fast %.12g, plain %.12g", fastVal, plainVal)
	}
	for i := range plainGrads {
		// Gradients are compared relative to the largest one of the input.
		scale := 0.0
		for _, v := range plainGrads[i] {
			scale = math.Max(scale, math.Abs(v))
		}
		for j, want := range plainGrads[i] {
			if got := fastGrads[i][j]; math.IsNaN(got) || math.Abs(got-want) > tol*math.Max(1, scale) {
				t.Fatalf("gradient of input %d at %d: fast %.12g, plain %.12g", i, j, got, want)
			}
		}
	}
}

func TestFastPathMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		tol := 1e-12
		if dt == dtypes.Float32 {
			tol = 2e-5
		}
		for _, tc := range []struct {
			name string
			f    func(x, w *Node) *Node
			c, w []int
		}{
			{"conv 1x1", func(x, w *Node) *Node { return nn.Conv2D(x, w, 1, 1, 1) }, []int{2, 5, 5, 4}, []int{4, 6}},
			{"conv 3x3", func(x, w *Node) *Node { return nn.Conv2D(x, w, 3, 1, 1) }, []int{2, 6, 5, 4}, []int{36, 6}},
			{"conv 3x3 odd channels", func(x, w *Node) *Node { return nn.Conv2D(x, w, 3, 1, 1) }, []int{2, 5, 5, 3}, []int{27, 2}},
			{"conv 5x5 dilation 2", func(x, w *Node) *Node { return nn.Conv2D(x, w, 5, 1, 2) }, []int{1, 9, 8, 2}, []int{50, 4}},
			{"conv 3x3 stride 2 (plain in both)", func(x, w *Node) *Node { return nn.Conv2D(x, w, 3, 2, 1) }, []int{2, 7, 7, 2}, []int{18, 3}},
			{"depthwise 3x3", func(x, w *Node) *Node { return nn.DepthwiseConv2D(x, w, 3, 1, 1) }, []int{2, 5, 6, 3}, []int{9, 3}},
			{"depthwise 5x5 dilation 2", func(x, w *Node) *Node { return nn.DepthwiseConv2D(x, w, 5, 1, 2) }, []int{1, 9, 9, 2}, []int{25, 2}},
			{"depthwise 3x3 stride 2 (plain in both)", func(x, w *Node) *Node { return nn.DepthwiseConv2D(x, w, 3, 2, 1) }, []int{1, 7, 7, 2}, []int{9, 2}},
			{"avg pool 3x3", func(x, w *Node) *Node { return Mul(nn.AvgPool2D(x, 3, 1, 1), ReduceAllSum(w)) }, []int{2, 5, 6, 4}, []int{1}},
			{"avg pool 5x5", func(x, w *Node) *Node { return Mul(nn.AvgPool2D(x, 5, 1, 2), ReduceAllSum(w)) }, []int{1, 6, 7, 3}, []int{1}},
			{"batch norm", func(x, w *Node) *Node {
				return nn.Bind(x.Graph(), nn.Options{DType: x.DType()}, nil, nil).BatchNorm("bn", Add(Square(x), Mul(x, ReduceAllSum(w))))
			}, []int{3, 4, 6, 3}, []int{2}},
			{"relu conv bn", func(x, w *Node) *Node {
				n := nn.Bind(x.Graph(), nn.Options{DType: x.DType()}, nil, nil)
				return n.BatchNorm("bn", nn.Conv2D(nn.ReLU(x), w, 3, 1, 1))
			}, []int{2, 6, 6, 4}, []int{36, 4}},
			{"linear", func(x, w *Node) *Node { return nn.MatMulFast(Reshape(x, 4, -1), w) }, []int{4, 2, 2, 2}, []int{8, 3}},
		} {
			t.Run(dt.String()+" "+tc.name, func(t *testing.T) {
				inputs := []nntest.Input{nntest.Random(rng, tc.c...), nntest.Random(rng, tc.w...)}
				f := inDType(dt, func(in []*Node) *Node { return nntest.Project(tc.f(in[0], in[1]), 5) })
				compareFastPlain(t, f, inputs, tol)
			})
		}
	}
}

// hvpNet is a small network of the fast ops (stride-1 convolutions, average
// pool, batch norm, a linear head) whose Hessian-vector product with respect
// to w1 exercises every custom gradient twice, as GraSP does.
func hvpNet(in []*Node) *Node {
	x, w1, w2, wl, v, wd := in[0], in[1], in[2], in[3], in[4], in[5]
	n := nn.Bind(x.Graph(), nn.Options{DType: x.DType()}, nil, nil)
	h := n.BatchNorm("bn1", nn.Conv2D(nn.ReLU(x), w1, 3, 1, 1))
	h = Add(nn.AvgPool2D(h, 3, 1, 1), n.BatchNorm("bn2", nn.Conv2D(nn.ReLU(h), w2, 3, 1, 2)))
	h = nn.Conv2D(nn.DepthwiseConv2D(h, wd, 3, 1, 2), w1, 3, 1, 1)
	logits := nn.MatMulFast(nn.GlobalAvgPool(Square(h)), wl)
	loss := ReduceAllSum(Mul(logits, logits))
	g := Gradient(loss, w1)[0]
	return ReduceAllSum(Mul(g, v))
}

func hvpInputs(rng *rand.Rand) []nntest.Input {
	return []nntest.Input{
		nntest.Random(rng, 2, 6, 6, 2), nntest.Random(rng, 18, 2), nntest.Random(rng, 18, 2),
		nntest.Random(rng, 2, 3), nntest.Random(rng, 18, 2), nntest.Random(rng, 9, 2),
	}
}

// TestFastPathSecondOrder checks the Hessian-vector product through the fast
// ops against differences of gradients (float64), and against the plain
// formulations (float64 and float32).
func TestFastPathSecondOrder(t *testing.T) {
	b := nntest.Backend(t)
	rng := rand.New(rand.NewPCG(23, 24))
	inputs := hvpInputs(rng)
	for _, which := range []int{0, 1, 2, 5} {
		nntest.CheckGradient(t, b, hvpNet, inputs, which, 1e-5, 1e-5, 8, rng)
	}
	compareFastPlain(t, hvpNet, inputs, 1e-10)
	compareFastPlain(t, inDType(dtypes.Float32, hvpNet), hvpInputs(rng), 1e-3)
}

func shapesOf(dt dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dt, dims...) }
