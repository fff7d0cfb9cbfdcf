package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"
)

// OutSize is the spatial output size of a window of k taps, dilation d,
// stride s over size with pad zeros on each side.
func OutSize(size, k, stride, dilation, pad int) int {
	return (size+2*pad-dilation*(k-1)-1)/stride + 1
}

// ZeroPad pads the two spatial axes of x [N,H,W,C] with pad zeros on each
// side.
func ZeroPad(x *Node, pad int) *Node {
	return PadSpatial(x, pad, pad, pad, pad, 0)
}

// PadSpatial pads the rows of x [N,H,W,C] with top and bottom cells and its
// columns with left and right cells holding value; a negative count crops
// that many rows or columns instead (see padEdges).
func PadSpatial(x *Node, top, bottom, left, right int, value float64) *Node {
	if top == 0 && bottom == 0 && left == 0 && right == 0 {
		return x
	}
	return padEdges(x, []int{0, top, left, 0}, []int{0, bottom, right, 0}, value)
}

// windows returns the k*k shifted views of x [N,H,W,C] that a k x k window
// with the given stride, dilation and padding sees, in row-major tap order.
// Padding cells hold fill. Each view is one Pad (see padEdges); a strided
// view is cut from the padded input reshaped so that the stride becomes an
// axis of its own ([N, H/s, s, W/s, s, C]), which needs no strided copy.
func windows(x *Node, k, stride, dilation, pad int, fill float64) []*Node {
	dims := x.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ho := OutSize(h, k, stride, dilation, pad)
	wo := OutSize(w, k, stride, dilation, pad)
	if ho < 1 || wo < 1 {
		exceptions.Panicf("nn: window %dx%d (stride %d, dilation %d, pad %d) does not fit input %v", k, k, stride, dilation, pad, dims)
	}
	views := make([]*Node, 0, k*k)
	if stride == 1 {
		for i := range k {
			for j := range k {
				// Rows r0-pad .. r0-pad+ho-1 of x, columns likewise.
				r0, c0 := i*dilation-pad, j*dilation-pad
				views = append(views, padEdges(x, []int{0, -r0, -c0, 0}, []int{0, ho - h + r0, wo - w + c0, 0}, fill))
			}
		}
		return views
	}
	// Pad to multiples of the stride; the extra cells are never read.
	s := stride
	hq, wq := ceilDiv(h+2*pad, s), ceilDiv(w+2*pad, s)
	xp := PadSpatial(x, pad, hq*s-h-pad, pad, wq*s-w-pad, fill)
	xp = Reshape(xp, n, hq, s, wq, s, c)
	for i := range k {
		for j := range k {
			r0, c0 := i*dilation, j*dilation // in padded coordinates
			lo := []int{0, -(r0 / s), -(r0 % s), -(c0 / s), -(c0 % s), 0}
			hi := []int{0, -(hq - r0/s - ho), -(s - 1 - r0%s), -(wq - c0/s - wo), -(s - 1 - c0%s), 0}
			views = append(views, Reshape(padEdges(xp, lo, hi, 0), n, ho, wo, c))
		}
	}
	return views
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Conv2D is a convolution without bias and with "same" padding
// (dilation*(k-1)/2) of x [N,H,W,Cin] with w [k*k*Cin, Cout], whose rows are
// ordered (tap row, tap column, input channel). It is computed as im2col: the
// shifted views concatenated on the channel axis, then one matrix product.
// The weight gradient builds the patches again from x rather than keeping
// them through the backward pass (matMulRebuilt).
func Conv2D(x, w *Node, k, stride, dilation int) *Node {
	cin := x.Shape().Dimensions[3]
	if w.Rank() != 2 || w.Shape().Dimensions[0] != k*k*cin {
		exceptions.Panicf("nn: Conv2D weight %v does not match a %dx%d kernel over %d channels", w.Shape().Dimensions, k, k, cin)
	}
	im2col := func(x *Node) *Node {
		switch {
		case k == 1 && stride == 1:
			return x
		case k == 1:
			return windows(x, 1, stride, 1, 0, 0)[0]
		case stride == 1 && k%2 == 1 && fastVJP:
			return im2colSame(x, k, dilation) // see fastpath.go
		}
		return ConcatChannels(windows(x, k, stride, dilation, dilation*(k-1)/2, 0)...)
	}
	patches := im2col(x)
	d := patches.Shape().Dimensions
	flat := func(p *Node) *Node { return Reshape(p, d[0]*d[1]*d[2], d[3]) }
	var rebuild func(v *Node) *Node
	if patches != x {
		rebuild = func(v *Node) *Node { return flat(im2col(SchedulingBarrier(x, v))) }
	}
	y := matMulRebuilt(flat(patches), w, rebuild)
	return Reshape(y, d[0], d[1], d[2], w.Shape().Dimensions[1])
}

// DepthwiseConv2D convolves each channel of x [N,H,W,C] with its own k x k
// filter, w [k*k, C], with "same" padding and no bias.
func DepthwiseConv2D(x, w *Node, k, stride, dilation int) *Node {
	c := x.Shape().Dimensions[3]
	if w.Rank() != 2 || w.Shape().Dimensions[0] != k*k || w.Shape().Dimensions[1] != c {
		exceptions.Panicf("nn: DepthwiseConv2D weight %v does not match a %dx%d kernel over %d channels", w.Shape().Dimensions, k, k, c)
	}
	if stride == 1 && k%2 == 1 && fastVJP {
		return depthwiseSame(x, w, k, dilation) // see fastpath.go
	}
	var y *Node
	for t, v := range windows(x, k, stride, dilation, dilation*(k-1)/2, 0) {
		term := Mul(v, Reshape(Slice(w, AxisElem(t), AxisRange()), 1, 1, 1, c))
		if y == nil {
			y = term
		} else {
			y = Add(y, term)
		}
	}
	return y
}

// AvgPool2D averages k x k windows, not counting padding cells: each output is
// divided by the number of real input cells its window covers.
func AvgPool2D(x *Node, k, stride, pad int) *Node {
	dims := x.Shape().Dimensions
	var sum *Node
	if stride == 1 && k%2 == 1 && pad == (k-1)/2 && fastVJP {
		sum = boxSum1D(boxSum1D(x, 1, k), 2, k) // separable, see fastpath.go
	} else {
		sum = ReduceSumNodes(windows(x, k, stride, 1, pad, 0))
	}
	ho, wo := sum.Shape().Dimensions[1], sum.Shape().Dimensions[2]
	counts := make([]float64, ho*wo)
	for i := range ho {
		for j := range wo {
			rows := overlap(i*stride-pad, k, dims[1])
			cols := overlap(j*stride-pad, k, dims[2])
			counts[i*wo+j] = 1 / float64(rows*cols)
		}
	}
	// The reciprocal counts are broadcast to [1,H,W,C] before the product:
	// the go backend multiplies by a factor broadcast over the leading axis
	// with its SIMD kernels, and by a [1,H,W,1] one through its generic
	// element iterator (7% of a SNIP pass, forward and backward). The
	// constant itself stays [H,W]: a [H,W,C] one would be built in Go for
	// every pool, at any channel count (-channels 16384 in a memory check).
	inv := ConvertDType(Reshape(Const(x.Graph(), counts), 1, ho, wo, 1), x.DType())
	inv = BroadcastToDims(inv, 1, ho, wo, dims[3])
	return Mul(sum, inv)
}

// overlap is how many of the k cells starting at start lie in [0, size).
func overlap(start, k, size int) int {
	return min(start+k, size) - max(start, 0)
}

// MaxPool2D takes the maximum over k x k windows; padding cells never win.
func MaxPool2D(x *Node, k, stride, pad int) *Node {
	views := windows(x, k, stride, 1, pad, lowest(x))
	y := views[0]
	for _, v := range views[1:] {
		y = Max(y, v)
	}
	return y
}

// lowest is the most negative finite value of x's dtype: a padding value that
// loses every max without the NaNs that -Inf can bring into gradients.
func lowest(x *Node) float64 {
	if x.DType().Size() == 4 {
		return -3.4028234663852886e38
	}
	return -1.7976931348623157e308
}

// ReduceSumNodes adds nodes of equal shape.
func ReduceSumNodes(nodes []*Node) *Node {
	y := nodes[0]
	for _, v := range nodes[1:] {
		y = Add(y, v)
	}
	return y
}

// ReLU is max(x, 0).
func ReLU(x *Node) *Node {
	y := Max(x, ZerosLike(x))
	reluVJP(y) // see fastpath.go
	return y
}

// GlobalAvgPool averages the spatial axes: [N,H,W,C] -> [N,C].
func GlobalAvgPool(x *Node) *Node { return ReduceMean(x, 1, 2) }

// Conv declares a convolution weight and applies Conv2D.
func (n *Net) Conv(name string, x *Node, cout, k, stride, dilation int) *Node {
	return n.conv(name, x, cout, k, stride, dilation, false)
}

// conv is Conv, plus a per-channel bias (parameter name+"/b") when bias is
// set. The observed layer output includes the bias, as a PyTorch Conv2d's.
func (n *Net) conv(name string, x *Node, cout, k, stride, dilation int, bias bool) *Node {
	cin := x.Shape().Dimensions[3]
	w := n.Param(name, Weight, k*k*cin, k*k*cin, cout)
	y := Conv2D(x, w, k, stride, dilation)
	if bias {
		b := n.Param(name+"/b", Bias, k*k*cin, cout)
		y = Add(y, Reshape(b, 1, 1, 1, cout))
	}
	return n.observe(LayerOutput, n.prefix+name, 0, y)
}

// DepthwiseConv declares a depthwise weight and applies DepthwiseConv2D.
func (n *Net) DepthwiseConv(name string, x *Node, k, stride, dilation int) *Node {
	c := x.Shape().Dimensions[3]
	w := n.Param(name, Weight, k*k, k*k, c)
	return n.observe(LayerOutput, n.prefix+name, 0, DepthwiseConv2D(x, w, k, stride, dilation))
}

// Linear is x [N,In] times a weight [In,Out] plus a bias.
func (n *Net) Linear(name string, x *Node, out int) *Node {
	in := x.Shape().Dimensions[1]
	w := n.Param(name+"/w", Weight, in, in, out)
	b := n.Param(name+"/b", Bias, in, out)
	return n.observe(LayerOutput, n.prefix+name+"/w", 0, Add(matMul(x, w), Reshape(b, 1, out)))
}

// BatchNorm normalises each channel of x [N,H,W,C] as the Options say.
func (n *Net) BatchNorm(name string, x *Node) *Node {
	if n.opts.BN == BNNone {
		return x
	}
	x = n.observe(BNInput, n.prefix+name, 0, x)
	c := x.Shape().Dimensions[3]
	// The statistics keep ReduceMean's summation order (float32 SNIP and
	// GraSP scores move by up to a few percent with it, see
	// docs/benchmarks.md); the normalisation and its gradient use the fast
	// forms of fastpath.go.
	mean := channelMean(x)
	centred := Sub(x, mean)
	variance := channelMean(Square(centred))
	std := Sqrt(AddScalar(variance, BNEpsilon))
	y := Div(centred, std)
	batchNormVJP(centred, std, y) // see fastpath.go
	if n.opts.Affine {
		gamma := n.Param(name+"/scale", BNScale, 0, c)
		beta := n.Param(name+"/shift", BNShift, 0, c)
		y = Add(Mul(y, Reshape(gamma, 1, 1, 1, c)), Reshape(beta, 1, 1, 1, c))
	}
	return y
}

// ReLUConvBN is ReLU, a convolution, then batch norm: the building block of
// both NAS-Bench-201 and DARTS. bias gives the convolution a per-channel
// bias, which PyTorch code adds when the batch norm has no affine parameters
// (bias=not affine). Batch-statistics BN cancels it, so it changes only what
// reads the convolution's output itself, or runs without BN.
func (n *Net) ReLUConvBN(name string, x *Node, cout, k, stride, dilation int, bias bool) *Node {
	s := n.Sub(name)
	return s.BatchNorm("bn", s.conv("conv", s.ReLU(x), cout, k, stride, dilation, bias))
}
