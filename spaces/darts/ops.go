package darts

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// BNStats threads batch-norm statistics through one forward pass of a
// Network, for training with running averages (see package doc).
//
// With Running set (evaluation), every batch norm normalises with the
// running (mean, variance) stored under its name (the prefix of its scale
// and shift parameters relative to the Net given to Build, like
// "cell3/pre0/bn"). Otherwise every batch norm
// normalises with the statistics of the batch (as nn.BNBatch does) and
// appends them to Batch.
type BNStats struct {
	Running map[string][2]*Node
	Batch   []BatchStat
}

// BatchStat is the batch statistics of one batch norm: per-channel mean and
// biased variance, each of shape [C], over N*H*W values.
type BatchStat struct {
	Name           string
	Mean, Variance *Node
	Count          int
}

// DropPath applies DARTS's drop-path during training: Mask is [sites,
// batch], already holding 0 or 1/keep_prob, and the k-th op that drop-path
// applies to (every op of a genotype cell other than the identity, in
// build order) is multiplied by row k. Network.DropSites counts the rows.
type DropPath struct {
	Mask *Node
	next int
}

// builder builds DARTS networks on an nn.Net; bn and drop are shared by
// every sub-builder of one forward pass and may be nil.
type builder struct {
	n      *nn.Net
	prefix string // n's name prefix, which nn.Net does not expose
	bn     *BNStats
	drop   *DropPath
}

func (b builder) sub(format string, args ...any) builder {
	name := fmt.Sprintf(format, args...)
	return builder{b.n.Sub(name), b.prefix + name + "/", b.bn, b.drop}
}

// batchNorm is nn.Net.BatchNorm (same parameter names, same arithmetic in
// batch mode), plus running statistics when b.bn is set.
func (b builder) batchNorm(name string, x *Node) *Node {
	if b.bn == nil || b.n.Options().BN == nn.BNNone {
		return b.n.BatchNorm(name, x)
	}
	c := x.Shape().Dimensions[3]
	full := b.prefix + name
	var mean, variance *Node
	if b.bn.Running != nil {
		st, ok := b.bn.Running[full]
		if !ok {
			exceptions.Panicf("darts: no running statistics for batch norm %q", full)
		}
		mean, variance = Reshape(st[0], 1, 1, 1, c), Reshape(st[1], 1, 1, 1, c)
	} else {
		mean = Reshape(ReduceMean(x, 0, 1, 2), 1, 1, 1, c)
		variance = Reshape(ReduceMean(Square(Sub(x, mean)), 0, 1, 2), 1, 1, 1, c)
		d := x.Shape().Dimensions
		b.bn.Batch = append(b.bn.Batch, BatchStat{full, Reshape(mean, c), Reshape(variance, c), d[0] * d[1] * d[2]})
	}
	y := Div(Sub(x, mean), Sqrt(AddScalar(variance, nn.BNEpsilon)))
	if b.n.Options().Affine {
		gamma := b.n.Param(name+"/scale", nn.BNScale, 0, c)
		beta := b.n.Param(name+"/shift", nn.BNShift, 0, c)
		y = Add(Mul(y, Reshape(gamma, 1, 1, 1, c)), Reshape(beta, 1, 1, 1, c))
	}
	return y
}

// dropPath multiplies x by the next row of the drop-path mask, if any.
func (b builder) dropPath(x *Node) *Node {
	if b.drop == nil || b.drop.Mask == nil {
		return x
	}
	m := b.drop.Mask
	if b.drop.next >= m.Shape().Dimensions[0] {
		exceptions.Panicf("darts: drop-path site %d asked for, the mask has %d rows", b.drop.next+1, m.Shape().Dimensions[0])
	}
	row := Slice(m, AxisElem(b.drop.next), AxisRange())
	b.drop.next++
	return Mul(x, Reshape(ConvertDType(row, x.DType()), x.Shape().Dimensions[0], 1, 1, 1))
}

// reluConvBN is ReLU, a k x k convolution, batch norm.
func (b builder) reluConvBN(name string, x *Node, cout, k, stride int) *Node {
	s := b.sub("%s", name)
	return s.batchNorm("bn", s.n.Conv("conv", s.n.ReLU(x), cout, k, stride, 1))
}

// factorizedReduce halves the resolution without losing pixels: ReLU, two
// 1x1 stride-2 convolutions to cout/2 channels each, the second on the input
// shifted by one pixel (x[:, 1:, 1:, :]), concatenated, batch norm. The
// spatial size must be even (as in the DARTS code).
func (b builder) factorizedReduce(name string, x *Node, cout int) *Node {
	dims := x.Shape().Dimensions
	if cout%2 != 0 || dims[1]%2 != 0 || dims[2]%2 != 0 {
		exceptions.Panicf("darts: FactorizedReduce of %v to %d channels: needs even sizes and channels", dims, cout)
	}
	s := b.sub("%s", name)
	x = s.n.ReLU(x)
	a := s.n.Conv("conv_1", x, cout/2, 1, 2, 1)
	shifted := nn.PadSpatial(x, -1, 0, -1, 0, 0) // x[:, 1:, 1:, :]
	c := s.n.Conv("conv_2", shifted, cout/2, 1, 2, 1)
	return s.batchNorm("bn", nn.ConcatChannels(a, c))
}

// sepConv is (ReLU, depthwise k x k, pointwise 1x1, BN) twice; the first
// depthwise convolution carries the stride.
func (b builder) sepConv(name string, x *Node, k, stride int) *Node {
	s := b.sub("%s", name)
	c := x.Shape().Dimensions[3]
	y := s.n.DepthwiseConv("dw1", s.n.ReLU(x), k, stride, 1)
	y = s.batchNorm("bn1", s.n.Conv("pw1", y, c, 1, 1, 1))
	y = s.n.DepthwiseConv("dw2", s.n.ReLU(y), k, 1, 1)
	return s.batchNorm("bn2", s.n.Conv("pw2", y, c, 1, 1, 1))
}

// dilConv is ReLU, depthwise k x k with dilation 2, pointwise 1x1, BN.
func (b builder) dilConv(name string, x *Node, k, stride int) *Node {
	s := b.sub("%s", name)
	c := x.Shape().Dimensions[3]
	y := s.n.DepthwiseConv("dw", s.n.ReLU(x), k, stride, 2)
	return s.batchNorm("bn", s.n.Conv("pw", y, c, 1, 1, 1))
}

// applyOp computes Ops[op] on x with the given stride (1 or 2), keeping the
// width. In the supernet the pools are followed by a batch norm without
// affine parameters, as in the DARTS search code; the evaluation network
// has none there.
func (b builder) applyOp(op int, x *Node, stride int, supernet bool) *Node {
	name := Ops[op]
	c := x.Shape().Dimensions[3]
	switch name {
	case "none":
		d := x.Shape().Dimensions
		return Zeros(x.Graph(), shapes.Make(x.DType(), d[0], (d[1]+stride-1)/stride, (d[2]+stride-1)/stride, c))
	case "max_pool_3x3", "avg_pool_3x3":
		var y *Node
		if name == "max_pool_3x3" {
			y = nn.MaxPool2D(x, 3, stride, 1)
		} else {
			y = nn.AvgPool2D(x, 3, stride, 1)
		}
		if supernet {
			y = b.sub("%s", name).batchNorm("bn", y)
		}
		return y
	case "skip_connect":
		if stride == 1 {
			return x
		}
		return b.factorizedReduce(name, x, c)
	case "sep_conv_3x3":
		return b.sepConv(name, x, 3, stride)
	case "sep_conv_5x5":
		return b.sepConv(name, x, 5, stride)
	case "dil_conv_3x3":
		return b.dilConv(name, x, 3, stride)
	case "dil_conv_5x5":
		return b.dilConv(name, x, 5, stride)
	}
	exceptions.Panicf("darts: unknown op %d", op)
	return nil
}

// isIdentity says whether op at stride is the identity (which drop-path
// skips, as the DARTS code does).
func isIdentity(op string, stride int) bool { return op == "skip_connect" && stride == 1 }
