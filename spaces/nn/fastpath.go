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

// Fast formulations of the stride-1 convolution, the stride-1 average pool
// and the matrix product, for GoMLX's pure-Go backend.
//
// On that backend every Slice, Pad and broadcast costs a few nanoseconds per
// element, and the stock gradients of the plain formulations are expensive:
//
//   - The gradient of each shifted window of im2col is a Pad back to the size
//     of the padded input, so a k x k convolution's backward pass runs k*k
//     full-size Pads and k*k full-size Adds; GraSP's second derivative then
//     pads the backward pass's slices again, to k*k times that size.
//   - GoMLX's DotGeneral gradient ends in a Transpose, which the backend
//     executes (element by element) even when its permutation is the
//     identity, and asks for the input gradient dY·Wᵀ in the "transposed"
//     layout, whose SIMD kernel (GOEXPERIMENT=simd) does one horizontal
//     reduction per output element: 4x slower than the plain product in
//     float64 at batch 1 (SynFlow).
//
// Each op below therefore carries its own gradient, written with the same
// ops (so it is differentiable again, for GraSP), and computes exactly the
// same values as the plain formulation up to floating-point summation
// order:
//
//   - im2col's adjoint is col2im: one Pad of the patch gradient and k*k
//     slices of it, summed; col2im's adjoint is im2col.
//   - The 1-D box sum (k shifted copies, zero padding) is self-adjoint; the
//     average pool is the 2-D box sum (rows, then columns: 2k instead of k*k
//     slices) times the reciprocal window counts.
//   - A matrix product's gradients are plain products: dA = V·Bᵀ with Bᵀ
//     materialised (a small weight), dB = Aᵀ·V.
//
// The gradient is attached to a node whose direct inputs include the op's
// differentiable input: the concatenation of the windows takes the centre
// window, which for a stride-1 "same" convolution is the input itself, and
// every other window is cut from a StopGradient of it. GoMLX only lets
// Identity nodes carry a custom gradient (IdentityWithCustomGradient), so the
// gradient is stored in the node's private customVJP field with reflection;
// fastVJP says whether that worked on this GoMLX version, and every op falls
// back to the plain formulation when it did not (TestFastPathActive fails
// then, so an upgrade cannot silently lose the speed).

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

// view holds x for cutting several slices out of it. The backend's Slice
// copies one element per step, so a float32 tensor whose last axis is even
// is sliced as int64 pairs (Bitcast views, which are plain memory copies),
// which halves the cost of every slice. Values are never converted: the
// bits come back as they went in.
type view struct {
	x    *Node
	wide *Node // int64 view, [..., C/2]; nil when not used
}

func newView(x *Node) view {
	dims := x.Shape().Dimensions
	last := dims[len(dims)-1]
	if x.DType().Size() != 4 || last%2 != 0 || os.Getenv("FD_NOWIDE") == "1" {
		return view{x: x}
	}
	pairs := append(append([]int(nil), dims[:len(dims)-1]...), last/2, 2)
	return view{x: x, wide: Bitcast(Reshape(x, pairs...), dtypes.Int64)}
}

// slice cuts [start[a], end[a]) on every axis a (stride 1).
func (v view) slice(start, end []int) *Node {
	rank := len(start)
	specs := make([]SliceAxisSpec, rank)
	for a := range rank {
		specs[a] = AxisRange(start[a], end[a])
	}
	if v.wide == nil {
		return Slice(v.x, specs...)
	}
	if start[rank-1]%2 != 0 || end[rank-1]%2 != 0 {
		return Slice(v.x, specs...)
	}
	specs[rank-1] = AxisRange(start[rank-1]/2, end[rank-1]/2)
	y := Bitcast(Slice(v.wide, specs...), v.x.DType())
	dims := y.Shape().Dimensions
	return Reshape(y, append(append([]int(nil), dims[:len(dims)-2]...), dims[len(dims)-2]*2)...)
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
	if m/r < 64 {
		return Reshape(ReduceMean(x, 0, 1, 2), 1, 1, 1, c)
	}
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, m/r))
	partial := matMul(ones, Reshape(x, m/r, r*c))
	sum := ReduceSum(Reshape(partial, r, c), 0)
	return Reshape(MulScalar(sum, 1/float64(m)), 1, 1, 1, c)
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
		y, std := node, node.Inputs()[1]
		g := Mul(Sub(v[0], Mul(y, channelMean(Mul(v[0], y)))), Inverse(std))
		return []*Node{g, nil}
	})
	setVJP(centred, func(_ *Node, u []*Node, _ shapes.Shape) []*Node {
		return []*Node{Sub(u[0], channelMean(u[0])), nil}
	})
}
