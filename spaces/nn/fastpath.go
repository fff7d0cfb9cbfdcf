package nn

import (
	"os"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

// Fast formulations of the ops for GoMLX's pure-Go backend (v0.28.16,
// compute v0.1.14). There, every op materialises its output, and the
// gradients that autodiff derives from the plain formulations dominate a
// search:
//
//   - The gradient of each shifted window of im2col (convolution, depthwise
//     convolution, pooling) is a Pad back to the size of the padded input:
//     a k x k convolution's backward pass runs k*k full-size Pads and Adds,
//     and GraSP's second derivative pads the backward pass's slices again.
//   - Slice copies one element at a time (about 5 ns an element on the
//     2-core dev machine), Pad in contiguous blocks (below 1 ns).
//   - GoMLX's DotGeneral gradient ends in a Transpose and asks for dY·Wᵀ in
//     the "transposed" layout, whose SIMD kernel (GOEXPERIMENT=simd) does a
//     horizontal reduction per output element.
//   - Batch norm's gradient through its statistics, and Max's (ReLU), take
//     about twice the full-size ops of the textbook formulas.
//
// Each op below keeps the forward values of the plain formulation (the same
// products and sums in the same order, except the separable average pool)
// and carries its own gradient, written with graph ops so that it is
// differentiable again (GraSP's Hessian-vector product):
//
//   - Every window is one Pad of the unpadded input, with negative edges
//     on the side it moves away from (padEdges); its adjoint is the Pad
//     with the edges negated, so no derivative of any order runs a Slice.
//   - im2col's adjoint is col2im (k*k shifted channel blocks of the patch
//     gradient, summed); col2im's adjoint is im2col. The stride-1 depthwise
//     convolution's input gradient is the depthwise convolution of v with
//     the taps flipped.
//   - The 1-D box sum (k shifted copies, zero padding) is self-adjoint; the
//     stride-1 average pool is the 2-D box sum (rows, then columns: 2(k-1)
//     windows instead of k*k-1) times the reciprocal window counts.
//   - A matrix product's gradients are plain products: dA = V·Bᵀ with Bᵀ
//     materialised (a small weight), dB = (Vᵀ·A)ᵀ with Vᵀ materialised
//     (the backend would transpose A, the larger, for Aᵀ·V: see matMul).
//     A convolution's dB reads its patches rebuilt from the input, not
//     the forward pass's, which are freed after the forward product
//     (matMulRebuilt).
//   - Batch norm: dx = (v - mean(v) - y·mean(v·y)) / std, split so that the
//     second derivative stays exact (batchNormVJP); ReLU: v·[x >= 0].
//
// Re-measured on v0.28.16 (docs/benchmarks.md): the matmul, ReLU and batch
// norm gradients still save 3-10% of a SNIP pass each; the products with
// rows and columns of ones that replaced ReduceSum and broadcasting Muls on
// v0.28.3 now cost more than the backend's own reductions and were removed.
//
// A custom gradient sits on a node whose direct inputs include the op's
// differentiable input: the concatenation of the windows takes the centre
// window, which for a stride-1 "same" window is the input itself, and
// returns no gradient for the other windows. GoMLX has no public API for a
// custom gradient on an arbitrary node (IdentityWithCustomGradient covers
// only Identity nodes): setVJP attaches it with gomlxpriv.SetVJP, which
// writes a private field of the node. When that is not possible on this
// GoMLX version, fastVJP is false and every op falls back to the plain
// formulation (TestFastPathActive and internal/gomlxpriv's tests then fail,
// so an upgrade cannot silently lose the speed).

// PlainOpsEnv, set to 1, turns the fast formulations off (for comparisons).
const PlainOpsEnv = "FREEDARTS_PLAIN_OPS"

// fastVJP is whether the fast formulations are in use: setVJP can attach
// gradients on this GoMLX version, and PlainOpsEnv is not 1.
var fastVJP = os.Getenv(PlainOpsEnv) != "1" && gomlxpriv.CustomVJPSupported()

// FastPath reports whether the custom-gradient formulations are in use (see
// fastpath.go); when false, the plain ones are.
func FastPath() bool { return fastVJP }

// setVJP makes vjp the gradient of n and reports whether it did. On the
// plain path (fastVJP false) it does nothing, and n keeps GoMLX's own
// gradient: an op whose forward formulation is the same on both paths just
// calls it.
func setVJP(n *Node, vjp VJP) bool {
	return fastVJP && gomlxpriv.SetVJP(n, vjp)
}

// matMul is a [M,K] x [K,N] product whose gradients are plain products (no
// Transpose of the result, the input gradient in the fast layout).
//
// The weight gradient aᵀ·v contracts the rows of a, the M = N·H·W pixels.
// The go backend runs a product as is only when the left operand's
// contracted axis is its last; otherwise it transposes both operands
// first, and a is the larger by far (a convolution's im2col patches,
// [65536, 144] on NB201's first stage): those transposes were a fifth of
// the CPU time of whole-network SNIP and grad_norm. So the gradient is
// (vᵀ·a)ᵀ: only v, [M, N], is transposed, a is read in place, and the
// result, [N, K], is a weight's size. The sums are the same products in
// another order: float32 scores move in their last digit (1e-7 relative).
func matMul(a, b *Node) *Node { return matMulRebuilt(a, b, nil) }

// matMulRebuilt is matMul whose weight gradient reads a as rebuild(v)
// returns it, v being the product's cotangent (a nil rebuild: a itself).
// A convolution's im2col patches are k*k times its input. Kept alive for
// the weight gradients, they were a third of the memory of a study's
// whole-network pass (and with GraSP 40%), and the pages of that memory
// were faulted in anew for every cell. Rebuilt from the input behind a
// SchedulingBarrier on v, they are neither computed by the executor as
// soon as the input exists nor merged with the forward patches: each is
// freed after its forward product and made again for its weight gradient
// alone. The values are the same; a pass that takes no weight gradient
// (a search on alpha) never runs the rebuild.
func matMulRebuilt(a, b *Node, rebuild func(v *Node) *Node) *Node {
	y := DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
	if y.Type() != NodeTypeDotGeneral {
		return y
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		if rebuild != nil {
			a = rebuild(v[0])
		}
		return []*Node{
			matMul(v[0], Transpose(b, 0, 1)),
			Transpose(matMul(Transpose(v[0], 0, 1), a), 0, 1),
		}
	})
	return y
}

// padEdges pads every axis a of x with lo[a] cells before it and hi[a]
// after it, holding fill; a negative edge crops that many cells instead.
// One such Pad moves a window: shiftSpatial is a Pad with opposite edges on
// each side. The go backend copies a Pad in contiguous blocks, where its
// Slice copies one element at a time (about 5 ns an element here, 60% of a
// SNIP pass when the windows were Slices), so every window below, and every
// derivative of one, is a Pad: the adjoint of Pad(lo, hi) with a constant
// fill is Pad(-lo, -hi) with zeros (each output cell is one input cell or
// the fill), whose adjoint is the first again.
func padEdges(x *Node, lo, hi []int, fill float64) *Node {
	cfg := make([]PadAxis, len(lo))
	negative := false
	for a := range cfg {
		cfg[a] = PadAxis{Start: lo[a], End: hi[a]}
		negative = negative || lo[a] < 0 || hi[a] < 0
	}
	if !fastVJP && negative {
		// GoMLX differentiates only non-negative Pads: pad, then slice.
		specs := make([]SliceAxisSpec, len(lo))
		dims := x.Shape().Dimensions
		for a := range cfg {
			cfg[a] = PadAxis{Start: max(lo[a], 0), End: max(hi[a], 0)}
			start := max(-lo[a], 0)
			specs[a] = AxisRange(start, start+dims[a]+lo[a]+hi[a])
		}
		return Slice(Pad(x, Scalar(x.Graph(), x.DType(), fill), cfg...), specs...)
	}
	y := Pad(x, Scalar(x.Graph(), x.DType(), fill), cfg...)
	setVJP(y, func(_ *Node, v []*Node, _ shapes.Shape) []*Node {
		return []*Node{padEdges(v[0], neg(lo), neg(hi), 0), nil}
	})
	return y
}

func neg(xs []int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = -x
	}
	return out
}

// shiftSpatial is the window of x [N,H,W,C] displaced by (dy, dx): output
// cell (h, w) holds x[h+dy, w+dx], or 0 outside x. chanLo and chanHi crop
// channels off both ends of the channel axis (0 keeps them all).
func shiftSpatial(x *Node, dy, dx, chanLo, chanHi int) *Node {
	return padEdges(x, []int{0, -dy, -dx, -chanLo}, []int{0, dy, dx, -chanHi}, 0)
}

// ConcatChannels concatenates xs [N,H,W,C_i] on the channel axis; the
// gradient of each part is its channel block of v, cut with a Pad (GoMLX's
// own gradient of Concatenate cuts them with Slice, see padEdges).
func ConcatChannels(xs ...*Node) *Node {
	y := Concatenate(xs, 3)
	if y.Type() != NodeTypeConcatenate {
		return y // one part: Concatenate returns it as is
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		total := v[0].Shape().Dimensions[3]
		grads := make([]*Node, len(node.Inputs()))
		lo := 0
		for i, x := range node.Inputs() {
			c := x.Shape().Dimensions[3]
			grads[i] = shiftSpatial(v[0], 0, 0, lo, total-lo-c)
			lo += c
		}
		return grads
	})
	return y
}

// im2colSame returns the k*k windows (dilation d, stride 1, "same" zero
// padding) of x [N,H,W,C] concatenated on the channel axis: [N,H,W,k*k*C],
// in row-major tap order.
func im2colSame(x *Node, k, d int) *Node {
	pad := d * (k - 1) / 2
	centre := (k*k - 1) / 2
	views := make([]*Node, 0, k*k)
	for i := range k {
		for j := range k {
			if i*k+j == centre {
				views = append(views, x)
				continue
			}
			views = append(views, shiftSpatial(x, i*d-pad, j*d-pad, 0, 0))
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
	c := v.Shape().Dimensions[3] / (k * k)
	var sum *Node
	for i := range k {
		for j := range k {
			t := i*k + j
			if t == centre {
				continue
			}
			term := shiftSpatial(v, pad-i*d, pad-j*d, t*c, (k*k-1-t)*c)
			if sum == nil {
				sum = term
			} else {
				sum = Add(sum, term)
			}
		}
	}
	// The centre term is cut from v itself, and carries the whole gradient
	// (im2col); the other terms get none.
	mid := shiftSpatial(v, 0, 0, centre*c, (k*k-1-centre)*c)
	setVJP(mid, func(node *Node, u []*Node, _ shapes.Shape) []*Node {
		grads := make([]*Node, len(node.Inputs())) // v, and the Pad's fill value
		grads[0] = im2colSame(u[0], k, d)
		return grads
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
	var sum *Node
	for s := range k {
		if s == pad {
			continue
		}
		lo, hi := make([]int, x.Rank()), make([]int, x.Rank())
		lo[axis], hi[axis] = pad-s, s-pad // the copy displaced by s-pad
		term := padEdges(x, lo, hi, 0)
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
func channelMean(x *Node) *Node {
	return Reshape(ReduceMean(x, 0, 1, 2), 1, 1, 1, x.Shape().Dimensions[3])
}

// reluVJP gives y = Max(x, 0) the gradient v·[x >= 0] in two ops (GoMLX's
// Max gradient takes five full-size ops for the same mask: Sub, Sign, Add,
// Sign, Mul).
func reluVJP(y *Node) {
	if y.Type() != NodeTypeMax {
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
	if y.Type() != NodeTypeDiv || centred.Type() != NodeTypeSub {
		return
	}
	setVJP(y, func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		y := node
		g := Mul(Sub(v[0], Mul(y, channelMean(Mul(v[0], y)))), Inverse(std))
		return []*Node{g, nil}
	})
	setVJP(centred, func(_ *Node, u []*Node, _ shapes.Shape) []*Node {
		return []*Node{Sub(u[0], channelMean(u[0])), nil}
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
	c := x.Shape().Dimensions[3]
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
					return []*Node{depthwiseSame(v[0], flipTaps(w), k, d), channelSum(Mul(v[0], x), wt)}
				})
			} else {
				term = Mul(shiftSpatial(x, i*d-pad, j*d-pad, 0, 0), wt)
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
// spatial axes, which reverses the row-major tap order).
func flipTaps(w *Node) *Node { return Reverse(w, 0) }

// channelSum sums x [N,H,W,C] over N, H and W into like's shape [1,1,1,C]
// (the gradient of a per-channel factor that was broadcast).
func channelSum(x, like *Node) *Node {
	return Reshape(ReduceSum(x, 0, 1, 2), like.Shape().Dimensions...)
}
