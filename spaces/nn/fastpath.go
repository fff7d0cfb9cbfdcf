package nn

import (
	"os"
	"reflect"
	"slices"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// Fast formulations of the ops for GoMLX's pure-Go backend (v0.28.3,
// compute v0.1.3). There, every op materialises its output and the
// elementwise kernels cost about 1 ns an element for equal shapes, 2.5-3 ns
// for Slice, ReduceSum and broadcasting binary ops (index iterators), so
// the gradients that autodiff derives from the plain formulations dominate
// a search:
//
//   - The gradient of each shifted window of im2col (convolution, depthwise
//     convolution, pooling) is a Pad back to the size of the padded input:
//     a k x k convolution's backward pass runs k*k full-size Pads and Adds,
//     and GraSP's second derivative pads the backward pass's slices again.
//   - GoMLX's DotGeneral gradient ends in a Transpose that the backend runs
//     element by element even when it is the identity, and asks for dY·Wᵀ in
//     the "transposed" layout, whose SIMD kernel (GOEXPERIMENT=simd) does a
//     horizontal reduction per output element: it made SynFlow (float64,
//     batch 1) 3.6x slower in a SIMD build than without SIMD.
//   - Batch norm's gradient through its statistics, and Max's (ReLU), take
//     about twice the full-size ops of the textbook formulas.
//
// Each op below keeps the forward values of the plain formulation (the same
// products and sums in the same order, except the separable average pool)
// and carries its own gradient, written with graph ops so that it is
// differentiable again (GraSP's Hessian-vector product):
//
//   - im2col's adjoint is col2im (one Pad of the patch gradient, k*k slices
//     of it, summed); col2im's adjoint is im2col. The stride-1 depthwise
//     convolution's input gradient is the depthwise convolution of v with
//     the taps flipped.
//   - The 1-D box sum (k shifted copies, zero padding) is self-adjoint; the
//     stride-1 average pool is the 2-D box sum (rows, then columns: 2(k-1)
//     slices instead of k*k-1) times the reciprocal window counts.
//   - A matrix product's gradients are plain products: dA = V·Bᵀ with Bᵀ
//     materialised (a small weight), dB = Aᵀ·V.
//   - Batch norm: dx = (v - mean(v) - y·mean(v·y)) / std, split so that the
//     second derivative stays exact (batchNormVJP); ReLU: v·[x >= 0].
//   - On the go backend only, per-channel means of the gradients are
//     products with a row of ones, and float32 per-channel broadcasts are
//     products with a column of ones (exact), which run in the matmul
//     kernels instead of the index iterators.
//
// A custom gradient sits on a node whose direct inputs include the op's
// differentiable input: the concatenation of the windows takes the centre
// window, which for a stride-1 "same" window is the input itself, and
// returns no gradient for the other windows. GoMLX lets only Identity nodes
// carry a custom gradient (IdentityWithCustomGradient), so the gradient is
// stored in the node's private customVJP field with reflection; fastVJP says
// whether that field is there on this GoMLX version, and every op falls
// back to the plain formulation when it is not (TestFastPathActive then
// fails, so an upgrade cannot silently lose the speed).

var customVJPType = reflect.TypeFor[VJP]()

// PlainOpsEnv, set to 1, turns the fast formulations off (for comparisons).
const PlainOpsEnv = "FREEDARTS_PLAIN_OPS"

// fastVJP is whether setVJP can attach gradients on this GoMLX version.
var fastVJP = func() bool {
	if os.Getenv(PlainOpsEnv) == "1" {
		return false
	}
	f, ok := reflect.TypeFor[Node]().FieldByName("customVJP")
	return ok && f.Type == customVJPType
}()

// FastPath reports whether the custom-gradient formulations are in use (see
// fastpath.go); when false, the plain ones are.
func FastPath() bool { return fastVJP }

// setVJP makes vjp the gradient of n (see the comment above).
func setVJP(n *Node, vjp VJP) {
	f := reflect.ValueOf(n).Elem().FieldByName("customVJP")
	reflect.NewAt(customVJPType, unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(vjp))
}

// matMul is a [M,K] x [K,N] product whose gradients are plain products (no
// Transpose of the result, the input gradient in the fast layout).
func matMul(a, b *Node) *Node {
	y := DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
	if !fastVJP || y.Type() != NodeTypeDotGeneral {
		return y
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		return []*Node{
			matMul(v[0], Transpose(b, 0, 1)),
			DotGeneral(a, []int{0}, nil, v[0], []int{0}, nil),
		}
	})
	return y
}

// zeroPad pads the spatial axes of x [N,H,W,C] with one Pad op.
func zeroPad(x *Node, pad int) *Node {
	if pad == 0 {
		return x
	}
	sp := PadAxis{Start: pad, End: pad}
	return Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, sp, sp, PadAxis{})
}

// view holds x for cutting several slices out of it with stride 1.
//
// (Viewing float32 tensors as int64 pairs through Bitcast halves the
// backend's per-element Slice loop, but the Bitcast copies cost as much as
// they save: measured, no gain.)
type view struct{ x *Node }

func newView(x *Node) view { return view{x} }

// slice cuts [start[a], end[a]) on every axis a.
func (v view) slice(start, end []int) *Node {
	specs := make([]SliceAxisSpec, len(start))
	for a := range start {
		specs[a] = AxisRange(start[a], end[a])
	}
	return Slice(v.x, specs...)
}

// im2colSame returns the k*k windows (dilation d, stride 1, "same" zero
// padding) of x [N,H,W,C] concatenated on the channel axis: [N,H,W,k*k*C],
// in row-major tap order.
func im2colSame(x *Node, k, d int) *Node {
	pad := d * (k - 1) / 2
	centre := (k*k - 1) / 2
	dims := x.Shape().Dimensions
	xp := newView(zeroPad(x, pad))
	views := make([]*Node, 0, k*k)
	for i := range k {
		for j := range k {
			if i*k+j == centre {
				views = append(views, x)
				continue
			}
			views = append(views, xp.slice([]int{0, i * d, j * d, 0}, []int{dims[0], i*d + dims[1], j*d + dims[2], dims[3]}))
		}
	}
	// Only the centre window passes a gradient, and it passes the whole of
	// it: the other windows need no StopGradient.
	p := Concatenate(views, 3)
	setVJP(p, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		grads := make([]*Node, len(node.Inputs()))
		grads[centre] = col2imSame(v[0], k, d)
		return grads
	})
	return p
}

// col2imSame is the adjoint of im2colSame: it adds every window's slice of
// v [N,H,W,k*k*C] back where the window came from.
func col2imSame(v *Node, k, d int) *Node {
	pad := d * (k - 1) / 2
	centre := (k*k - 1) / 2
	dims := v.Shape().Dimensions
	c := dims[3] / (k * k)
	vp := newView(zeroPad(v, pad))
	var sum *Node
	for i := range k {
		for j := range k {
			t := i*k + j
			if t == centre {
				continue
			}
			r0, c0 := 2*pad-i*d, 2*pad-j*d
			term := vp.slice([]int{0, r0, c0, t * c}, []int{dims[0], r0 + dims[1], c0 + dims[2], (t + 1) * c})
			if sum == nil {
				sum = term
			} else {
				sum = Add(sum, term)
			}
		}
	}
	// The centre term is cut from v itself, and carries the whole gradient
	// (im2col); the other terms get none.
	mid := Slice(v, AxisRange(), AxisRange(), AxisRange(), AxisRange(centre*c, (centre+1)*c))
	setVJP(mid, func(_ *Node, u []*Node, _ shapes.Shape) []*Node {
		return []*Node{im2colSame(u[0], k, d)}
	})
	y := Add(sum, mid)
	setVJP(y, func(_ *Node, u []*Node, _ shapes.Shape) []*Node { return []*Node{nil, u[0]} })
	return y
}

// boxSum1D adds the k shifted copies of x along axis (zero padding
// (k-1)/2 on each side, stride 1); it is its own adjoint.
func boxSum1D(x *Node, axis, k int) *Node {
	if k == 1 {
		return x
	}
	pad := (k - 1) / 2
	dims := x.Shape().Dimensions
	cfg := make([]PadAxis, x.Rank())
	cfg[axis] = PadAxis{Start: pad, End: pad}
	xp := newView(Pad(x, ScalarZero(x.Graph(), x.DType()), cfg...))
	var sum *Node
	for s := range k {
		if s == pad {
			continue
		}
		start, end := make([]int, x.Rank()), slices.Clone(dims)
		start[axis], end[axis] = s, s+dims[axis]
		term := xp.slice(start, end)
		if sum == nil {
			sum = term
		} else {
			sum = Add(sum, term)
		}
	}
	y := Add(sum, x)
	setVJP(y, func(_ *Node, v []*Node, _ shapes.Shape) []*Node {
		return []*Node{nil, boxSum1D(v[0], axis, k)}
	})
	return y
}

// channelMean is the mean of x [N,H,W,C] over N, H and W, as [1,1,1,C].
//
// The backend's ReduceSum walks an index iterator (about 2.6 ns an element
// here); a product with a row of ones runs in the matmul kernels instead,
// so x is viewed as [M/r, r*C] with r*C >= 128 columns, multiplied by
// ones [1, M/r], and the r partial sums of each channel are added last.
func channelMean(x *Node) *Node {
	dims := x.Shape().Dimensions
	c := dims[3]
	m := dims[0] * dims[1] * dims[2]
	r := 1
	for r*c < 128 && m%(2*r) == 0 {
		r *= 2
	}
	if !fastVJP || !onGoBackend(x) || m/r < 64 {
		return Reshape(ReduceMean(x, 0, 1, 2), 1, 1, 1, c)
	}
	partial := colSum(Reshape(x, m/r, r*c))
	sum := ReduceSum(Reshape(partial, r, c), 0)
	return Reshape(MulScalar(sum, 1/float64(m)), 1, 1, 1, c)
}

// colSum is the sum of the rows of x [R,K], as [1,K]: a product with a row
// of ones, whose gradient is the broadcast of v (as ReduceSum's).
func colSum(x *Node) *Node {
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, x.Shape().Dimensions[0]))
	y := DotGeneral(ones, []int{1}, nil, x, []int{0}, nil)
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		return []*Node{nil, BroadcastToShape(v[0], node.Inputs()[1].Shape())}
	})
	return y
}

// reluVJP gives y = Max(x, 0) the gradient v·[x >= 0] in two ops (GoMLX's
// Max gradient takes five full-size ops for the same mask: Sub, Sign, Add,
// Sign, Mul).
func reluVJP(y *Node) {
	if !fastVJP || y.Type() != NodeTypeMax {
		return
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		x := node.Inputs()[0]
		zero := ScalarZero(x.Graph(), x.DType())
		return []*Node{Where(GreaterOrEqual(x, zero), v[0], zero), nil}
	})
}

// batchNormVJP gives y = centred / std, the batch-statistics normalisation
// of x (centred = x - mean(x), std = sqrt(mean(centred²) + eps)), the
// textbook gradient instead of the one autodiff derives through the
// statistics (about twice the full-size ops):
//
//	y's input gradient, to centred: g = (v - y·mean(v·y)) / std, std gets none;
//	centred's, to x:               g - mean(g), the mean gets none.
//
// Together they are dx = (v - mean(v) - y·mean(v·y)) / std. The split keeps
// the second derivative exact: a gradient that reaches std from outside
// (GraSP differentiates g) flows through the variance into centred and is
// centred there, as the chain rule wants.
func batchNormVJP(centred, std, y *Node) {
	if !fastVJP || y.Type() != NodeTypeDiv || centred.Type() != NodeTypeSub {
		return
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		y := node
		g := Mul(Sub(v[0], Mul(y, expandChannels(channelMean(Mul(v[0], y)), y))), expandChannels(Inverse(std), y))
		return []*Node{g, nil}
	})
	setVJP(centred, func(_ *Node, u []*Node, _ shapes.Shape) []*Node {
		return []*Node{Sub(u[0], expandChannels(channelMean(u[0]), u[0])), nil}
	})
}

// depthwiseSame is DepthwiseConv2D at stride 1 with "same" padding: the
// same products and sums in the same order, with the input gradient of the
// whole convolution carried by the centre tap (whose window is x itself):
// the transposed convolution, a depthwise convolution of v with the taps
// flipped. The other windows get no gradient, so the backward pass runs
// no Pads; every tap still passes its weight gradient.
func depthwiseSame(x, w *Node, k, d int) *Node {
	pad := d * (k - 1) / 2
	centre := (k*k - 1) / 2
	dims := x.Shape().Dimensions
	c := dims[3]
	xp := newView(zeroPad(x, pad))
	var y *Node
	for i := range k {
		for j := range k {
			t := i*k + j
			wt := Reshape(Slice(w, AxisElem(t), AxisRange()), 1, 1, 1, c)
			var term *Node
			if t == centre {
				term = Mul(x, wt)
				setVJP(term, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
					x, wt := node.Inputs()[0], node.Inputs()[1]
					return []*Node{depthwiseSame(v[0], flipTaps(w, k), k, d), channelSum(Mul(v[0], x), wt)}
				})
			} else {
				term = Mul(xp.slice([]int{0, i * d, j * d, 0}, []int{dims[0], i*d + dims[1], j*d + dims[2], c}), wt)
				setVJP(term, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
					return []*Node{nil, channelSum(Mul(v[0], node.Inputs()[0]), node.Inputs()[1])}
				})
			}
			if y == nil {
				y = term
			} else {
				y = Add(y, term)
			}
		}
	}
	return y
}

// flipTaps reverses the k x k taps of a depthwise weight [k*k, C] (both
// spatial axes, which reverses the row-major tap order). GoMLX's Reverse has
// no gradient, so the rows are concatenated backwards.
func flipTaps(w *Node, k int) *Node {
	rows := make([]*Node, k*k)
	for t := range rows {
		rows[t] = Slice(w, AxisRange(k*k-1-t, k*k-t), AxisRange())
	}
	return Concatenate(rows, 0)
}

// channelSum sums x [N,H,W,C] over N, H and W into like's shape [1,1,1,C]
// (the gradient of a per-channel factor that was broadcast).
func channelSum(x, like *Node) *Node {
	return Reshape(ReduceSum(x, 0, 1, 2), like.Shape().Dimensions...)
}

// expandChannels broadcasts s [1,1,1,C] to like's shape [N,H,W,C] for a
// binary op. The backend's broadcasting binary ops walk an index iterator
// (about 3 ns an element, against 0.8 for equal shapes); for float32 the
// broadcast is cheaper as a product with a column of ones [M,1] x [1,C]
// (exact: one product by 1 per element), measured 1.6 ns an element with
// the op. For float64 it is no faster, and s is returned as is.
func expandChannels(s, like *Node) *Node {
	dims := like.Shape().Dimensions
	c := dims[3]
	m := dims[0] * dims[1] * dims[2]
	if !fastVJP || !onGoBackend(s) || s.DType() != dtypes.Float32 || m < 64 || s.Shape().Size() != c {
		return s
	}
	ones := Ones(s.Graph(), shapes.Make(s.DType(), m, 1))
	y := DotGeneral(ones, []int{1}, nil, Reshape(s, 1, c), []int{0}, nil)
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		return []*Node{nil, colSum(v[0])}
	})
	return Reshape(y, dims...)
}

// onGoBackend is whether x's graph runs on GoMLX's pure-Go backend, whose
// costs the reduction and broadcast rewrites above are tuned to (XLA fuses
// plain reductions and broadcasts on its own).
func onGoBackend(x *Node) bool {
	b := x.Graph().Backend()
	return b != nil && b.String() == "go"
}
