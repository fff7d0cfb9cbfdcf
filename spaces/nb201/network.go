package nb201

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Config sizes the macro network.
type Config struct {
	// C is the width of the first stage; the second and third use 2C and 4C.
	C int
	// N is the number of cells per stage.
	N int
	// Classes is the number of outputs of the classifier.
	Classes int
	// InputSize is the height and width of the (square) input image.
	InputSize int
	// ConvBias gives every cell convolution a per-channel bias, as
	// zero-cost-nas's NAS-Bench-201 model builds them (its cell BN is not
	// affine, and PyTorch's bias=not affine then adds one). The benchmark's
	// network has none. Batch-statistics BN cancels the bias, so only Fisher
	// (which reads the convolution's output) and the BN-free SynFlow see it;
	// Fisher's published rank correlation (0.36) needs it.
	ConvBias bool
}

// DefaultConfig is the benchmark's CIFAR-10 network: C=16, N=5, 10 classes,
// 32x32 inputs.
func DefaultConfig() Config { return Config{C: 16, N: 5, Classes: 10, InputSize: 32} }

// Validate reports a configuration that cannot be built, or one beyond
// the shape limits of package spaces (C <= spaces.MaxChannels, N <=
// spaces.MaxCells, Classes <= spaces.MaxClasses, InputSize <=
// spaces.MaxInput), under which every width (up to 4C) and size the
// network derives is a product far inside int64.
func (c Config) Validate() error {
	switch {
	case c.C < 1 || c.C > spaces.MaxChannels:
		return fmt.Errorf("nb201: width C=%d, want 1 to %d", c.C, spaces.MaxChannels)
	case c.N < 1 || c.N > spaces.MaxCells:
		return fmt.Errorf("nb201: cells per stage N=%d, want 1 to %d", c.N, spaces.MaxCells)
	case c.Classes < 2 || c.Classes > spaces.MaxClasses:
		return fmt.Errorf("nb201: classes=%d, want 2 to %d", c.Classes, spaces.MaxClasses)
	case c.InputSize < 4 || c.InputSize > spaces.MaxInput:
		return fmt.Errorf("nb201: input size %d, want 4 (two stride-2 stages) to %d", c.InputSize, spaces.MaxInput)
	}
	return nil
}

// AlphaName is the name of the architecture parameter [NumEdges, NumOps]
// that every cell of the supernet shares.
const AlphaName = "alpha"

// applyOp computes one candidate operation on x (all keep shape and width);
// bias: the convolutions have a bias (Config.ConvBias).
func applyOp(n *nn.Net, op int, x *Node, bias bool) *Node {
	c := x.Shape().Dimensions[3]
	switch Ops[op] {
	case "none":
		return ZerosLike(x)
	case "skip_connect":
		return x
	case "nor_conv_1x1":
		return n.ReLUConvBN("nor_conv_1x1", x, c, 1, 1, 1, bias)
	case "nor_conv_3x3":
		return n.ReLUConvBN("nor_conv_3x3", x, c, 3, 1, 1, bias)
	default: // avg_pool_3x3
		return nn.AvgPool2D(x, 3, 1, 1)
	}
}

// cell computes nodes 1..3 from node 0 = x and returns node 3. edge(n, e,
// x) gives the contribution of edge e.
func cell(n *nn.Net, x *Node, edge func(n *nn.Net, e int, x *Node) *Node) *Node {
	nodes := []*Node{x}
	for to := 1; to < NumNodes; to++ {
		var sum *Node
		for e, ed := range Edges {
			if ed.To != to {
				continue
			}
			y := edge(n.Subf("edge%d_%d", ed.From, ed.To), e, nodes[ed.From])
			if y == nil {
				continue
			}
			if sum == nil {
				sum = y
			} else {
				sum = Add(sum, y)
			}
		}
		if sum == nil { // every incoming edge is none
			sum = ZerosLike(x)
		}
		nodes = append(nodes, sum)
	}
	return nodes[NumNodes-1]
}

// resBlock is the benchmark's stride-2 residual block between stages.
func resBlock(n *nn.Net, x *Node, cout int) *Node {
	a := n.ReLUConvBN("conv_a", x, cout, 3, 2, 1, false)
	b := n.ReLUConvBN("conv_b", a, cout, 3, 1, 1, false)
	shortcut := n.Conv("shortcut", nn.AvgPool2D(x, 2, 2, 0), cout, 1, 1, 1)
	return Add(b, shortcut)
}

// macro builds stem, three stages of cells and the head around cellFn. The
// outputs of the stem, of every cell and of the residual blocks between the
// stages are observed as nn.CellOutput, in order (AZ-NAS's cell features).
func macro(n *nn.Net, cfg Config, x *Node, cellFn func(n *nn.Net, x *Node) *Node) *Node {
	h := n.Sub("stem")
	x = h.ObserveCell(h.BatchNorm("bn", h.Conv("conv", x, cfg.C, 3, 1, 1)))
	c := cfg.C
	for stage := range 3 {
		if stage > 0 {
			c *= 2
			r := n.Subf("reduce%d", stage)
			x = r.ObserveCell(resBlock(r, x, c))
		}
		for i := range cfg.N {
			s := n.Subf("stage%d/cell%d", stage, i)
			x = s.ObserveCell(cellFn(s, x))
		}
	}
	x = n.Sub("head").ReLU(n.BatchNorm("head/bn", x))
	return n.Linear("head/classifier", nn.GlobalAvgPool(n.ObserveFeatures(x)), cfg.Classes)
}

// Space is NAS-Bench-201 as a FreeDARTS search space (spaces.Space): the
// FreeDARTS supernet, with the selection rule among its methods. Every edge
// of every cell is a mixed edge sum_o alpha[e,o] * op_o(x) with the raw (not
// softmaxed) alpha shared by all cells, as in the reference code.
//
// Its batch norms have no affine parameters. The reference supernet keeps
// PyTorch's default affine BN in the stem, the residual blocks and the head;
// at initialisation those are the identity (scale 1, shift 0), so the scores
// are the same.
type Space struct{ Config }

// NewSpace checks cfg and returns the space of the supernet of cfg.
func NewSpace(cfg Config) (*Space, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Space{cfg}, nil
}

// Forward returns the logits [batch, Classes] of x [batch, H, W, 3].
func (s *Space) Forward(n *nn.Net, x *Node) *Node {
	alpha := n.Param(AlphaName, nn.Alpha, 0, NumEdges, NumOps)
	return macro(n, s.Config, x, func(n *nn.Net, x *Node) *Node {
		return cell(n, x, func(n *nn.Net, e int, x *Node) *Node {
			return n.Mixed(AlphaName, alpha, e, func(op int) *Node {
				if op == 0 { // none
					return nil
				}
				return applyOp(n, op, x, s.ConvBias)
			})
		})
	})
}

// Network is the concrete network of one cell (the same cell in every
// position), with affine batch norm as in the benchmark.
type Network struct {
	Config
	Arch Arch
}

// NewNetwork checks cfg and returns the network of arch.
func NewNetwork(cfg Config, arch Arch) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for e, op := range arch {
		if op < 0 || op >= NumOps {
			return nil, fmt.Errorf("nb201: arch edge %d has op index %d, want 0..%d", e, op, NumOps-1)
		}
	}
	return &Network{cfg, arch}, nil
}

// Forward returns the logits [batch, Classes] of x [batch, H, W, 3].
func (m *Network) Forward(n *nn.Net, x *Node) *Node {
	return macro(n, m.Config, x, func(n *nn.Net, x *Node) *Node {
		return cell(n, x, func(n *nn.Net, e int, x *Node) *Node {
			if Ops[m.Arch[e]] == "none" {
				return nil
			}
			return applyOp(n, m.Arch[e], x, m.ConvBias)
		})
	})
}

// Rows labels the rows of alpha (edges, as "1<-0").
func Rows() []string {
	rows := make([]string, NumEdges)
	for e, ed := range Edges {
		rows[e] = fmt.Sprintf("%d<-%d", ed.To, ed.From)
	}
	return rows
}

// Select picks, on every edge, the op with the largest score, none
// included: the FreeDARTS rule on this space. scores is [NumEdges][NumOps].
func Select(scores [][]float64) (Arch, error) {
	var a Arch
	best, err := spaces.ArgmaxRows("nb201", scores, NumEdges, NumOps)
	if err != nil {
		return a, err
	}
	copy(a[:], best)
	return a, nil
}

// Name is the space's command-line name.
func (s *Space) Name() string { return "nb201" }

// InputSize is the input's height and width (0 for a nil Space, which
// the search then refuses).
func (s *Space) InputSize() int {
	if s == nil {
		return 0
	}
	return s.Config.InputSize
}

// AlphaStd is the reference code's 1e-3.
func (s *Space) AlphaStd() float64 { return 1e-3 }

// Labels are the edges (rows) and ops (columns) of alpha.
func (s *Space) Labels(string) (rows, cols []string) { return Rows(), Ops[:] }

// Select applies Select to the alpha scores.
func (s *Space) Select(scores map[string][][]float64) (spaces.Arch, error) {
	m, ok := scores[AlphaName]
	if !ok {
		return nil, fmt.Errorf("nb201: no %q scores to select from", AlphaName)
	}
	return Select(m)
}
