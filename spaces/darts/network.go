package darts

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Config sizes a DARTS network (supernet or evaluation network).
type Config struct {
	// C is the width of the first cells; cells after the first reduction
	// work at 2C, after the second at 4C.
	C int
	// Layers is the number of cells L; cells L/3 and 2L/3 (integer
	// division) are reduction cells.
	Layers int
	// Classes is the number of outputs of the classifier.
	Classes int
	// InputSize is the height and width of the (square) input image.
	InputSize int
	// ImageNet selects the DARTS ImageNet stem (stem0: conv 3x3 stride 2 to
	// C/2, BN, ReLU, conv 3x3 stride 2 to C, BN; stem1: ReLU, conv 3x3
	// stride 2, BN), which shrinks the input 8 times, instead of the CIFAR
	// stem (conv 3x3 to 3C, BN).
	ImageNet bool
}

// DefaultConfig is the FreeDARTS search supernet: 8 cells, C=16, CIFAR-10.
func DefaultConfig() Config { return Config{C: 16, Layers: 8, Classes: 10, InputSize: 32} }

// DeepConfig is the FreeDARTS-dagger supernet: the 20 cells of the
// evaluation network, C=16, CIFAR-10.
func DeepConfig() Config { return Config{C: 16, Layers: 20, Classes: 10, InputSize: 32} }

// ImageNetConfig is the FreeDARTS-double-dagger supernet: 14 cells, C=48,
// 224x224 input with the ImageNet stem, 1000 classes.
func ImageNetConfig() Config {
	return Config{C: 48, Layers: 14, Classes: 1000, InputSize: 224, ImageNet: true}
}

// EvalConfig is the CIFAR-10 evaluation network: 20 cells, C=36.
func EvalConfig() Config { return Config{C: 36, Layers: 20, Classes: 10, InputSize: 32} }

// IsReduction says whether cell i is a reduction cell.
func (c Config) IsReduction(i int) bool { return i == c.Layers/3 || i == 2*c.Layers/3 }

// AuxCell is the cell after which the auxiliary head is attached (2L/3).
func (c Config) AuxCell() int { return 2 * c.Layers / 3 }

// cellPlan is the shape of one cell.
type cellPlan struct {
	Reduction, ReductionPrev bool
	// CPrevPrev and CPrev are the widths of the inputs c_{k-2} and c_{k-1};
	// C the width of the cell's ops; Out its output width.
	CPrevPrev, CPrev, C, Out int
	// Size is the spatial size of c_{k-1} (c_{k-2} is twice that after a
	// reduction); OutSize the output's.
	Size, OutSize int
}

// Validate reports sizes out of range: C in 1..spaces.MaxChannels, Layers
// in 1..spaces.MaxCells, Classes in 2..spaces.MaxClasses, InputSize in
// 1..spaces.MaxInput. The limits keep every width (up to 16C in a cell's
// output) and every parameter count far inside int64; NewSpace and
// NewNetwork check more (the reduction cells' sizes, the ImageNet stem's
// even width).
func (c Config) Validate() error {
	switch {
	case c.C < 1 || c.C > spaces.MaxChannels:
		return fmt.Errorf("darts: width C=%d, want 1 to %d", c.C, spaces.MaxChannels)
	case c.Layers < 1 || c.Layers > spaces.MaxCells:
		return fmt.Errorf("darts: %d cells (Layers), want 1 to %d", c.Layers, spaces.MaxCells)
	case c.Classes < 2 || c.Classes > spaces.MaxClasses:
		return fmt.Errorf("darts: classes=%d, want 2 to %d", c.Classes, spaces.MaxClasses)
	case c.InputSize < 1 || c.InputSize > spaces.MaxInput:
		return fmt.Errorf("darts: input size %d, want 1 to %d", c.InputSize, spaces.MaxInput)
	}
	return nil
}

// plan checks c and lays out the cells; mult says how many states a cell
// of each kind concatenates into its output.
func (c Config) plan(mult func(reduction bool) int) ([]cellPlan, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch {
	case c.ImageNet && c.C%2 != 0:
		return nil, fmt.Errorf("darts: the ImageNet stem needs an even width, not C=%d", c.C)
	}
	var s0, s1, cpp, cp int // sizes and widths of the next cell's inputs
	reductionPrev := false
	if c.ImageNet {
		s0 = (((c.InputSize + 1) / 2) + 1) / 2
		s1 = (s0 + 1) / 2
		cpp, cp = c.C, c.C
		reductionPrev = true
	} else {
		s0, s1 = c.InputSize, c.InputSize
		cpp, cp = 3*c.C, 3*c.C
	}
	cells := make([]cellPlan, c.Layers)
	cur := c.C
	for i := range c.Layers {
		red := c.IsReduction(i)
		if red {
			cur *= 2
		}
		if reductionPrev && (s0%2 != 0 || s0/2 != s1 || cur%2 != 0) {
			return nil, fmt.Errorf("darts: cell %d: FactorizedReduce of a %dx%d input to width %d cannot match the %dx%d one (want even sizes and widths: use an input size divisible by %d)",
				i, s0, s0, cur, s1, s1, c.minDivisor())
		}
		out := s1
		if red {
			if s1%2 != 0 {
				return nil, fmt.Errorf("darts: reduction cell %d gets a %dx%d input, want an even size (use an input size divisible by %d)", i, s1, s1, c.minDivisor())
			}
			out = s1 / 2
		}
		m := mult(red)
		cells[i] = cellPlan{Reduction: red, ReductionPrev: reductionPrev, CPrevPrev: cpp, CPrev: cp, C: cur, Out: m * cur, Size: s1, OutSize: out}
		s0, s1 = s1, out
		cpp, cp = cp, m*cur
		reductionPrev = red
	}
	return cells, nil
}

func (c Config) minDivisor() int {
	if c.ImageNet {
		return 32
	}
	return 4
}

// stem returns the cell inputs s0, s1 that the stem makes of the image x.
func (b builder) stem(cfg Config, x *Node) (s0, s1 *Node) {
	if !cfg.ImageNet {
		s := b.sub("stem")
		h := s.batchNorm("bn", s.n.Conv("conv", x, 3*cfg.C, 3, 1, 1))
		return h, h
	}
	s := b.sub("stem0")
	h := s.batchNorm("bn1", s.n.Conv("conv1", x, cfg.C/2, 3, 2, 1))
	h = s.batchNorm("bn2", s.n.Conv("conv2", s.n.ReLU(h), cfg.C, 3, 2, 1))
	t := b.sub("stem1")
	return h, t.batchNorm("bn", t.n.Conv("conv", t.n.ReLU(h), cfg.C, 3, 2, 1))
}

// preprocess adapts the cell inputs to the cell's width: ReLU-Conv1x1-BN,
// or FactorizedReduce for c_{k-2} after a reduction cell.
func (b builder) preprocess(p cellPlan, s0, s1 *Node) (*Node, *Node) {
	if p.ReductionPrev {
		s0 = b.factorizedReduce("pre0", s0, p.C)
	} else {
		s0 = b.reluConvBN("pre0", s0, p.C, 1, 1)
	}
	return s0, b.reluConvBN("pre1", s1, p.C, 1, 1)
}

// head is global average pooling and the linear classifier.
func (b builder) head(x *Node, classes int) *Node {
	return b.n.Linear("classifier", nn.GlobalAvgPool(b.n.ObserveFeatures(x)), classes)
}

// Alpha names: the normal cells share one [NumEdges, NumOps] alpha, the
// reduction cells another.
const (
	NormalAlpha = "normal"
	ReduceAlpha = "reduce"
)

// Space is the DARTS CNN space as a FreeDARTS search space (spaces.Space):
// the search network, with every edge of every cell a mixed edge sum_o alpha[e,o] * op_o(x), raw alpha (no softmax) as in the
// FreeDARTS code. Its batch norms have no affine parameters (the stem BN of
// the DARTS code is affine, which at initialisation is the identity).
// It needs at least 3 cells, so that both alphas are used.
type Space struct {
	Config
	cells []cellPlan
}

// NewSpace checks cfg and returns the space: its supernet, with the
// selection rule among its methods (spaces.Space).
func NewSpace(cfg Config) (*Space, error) {
	if cfg.Layers < 3 {
		return nil, fmt.Errorf("darts: a supernet of %d cells has no normal cell; want >= 3 cells", cfg.Layers)
	}
	cells, err := cfg.plan(func(bool) int { return Steps })
	if err != nil {
		return nil, err
	}
	return &Space{cfg, cells}, nil
}

// Forward returns the logits [batch, Classes] of x [batch, H, W, 3].
func (s *Space) Forward(n *nn.Net, x *Node) *Node {
	b := builder{n: n}
	alphas := map[bool]*Node{
		false: n.Param(NormalAlpha, nn.Alpha, 0, NumEdges, NumOps),
		true:  n.Param(ReduceAlpha, nn.Alpha, 0, NumEdges, NumOps),
	}
	s0, s1 := b.stem(s.Config, x)
	for i, p := range s.cells {
		c := b.sub("cell%d", i)
		h0, h1 := c.preprocess(p, s0, s1)
		s0, s1 = s1, c.mixedCell(p, alphas[p.Reduction], h0, h1)
	}
	return b.head(s1, s.Classes)
}

// mixedCell computes the 4 intermediate nodes of a supernet cell and
// returns their concatenation.
func (b builder) mixedCell(p cellPlan, alpha *Node, s0, s1 *Node) *Node {
	states := []*Node{s0, s1}
	for node := range Steps {
		var sum *Node
		for e, ed := range Edges {
			if ed.Node != node {
				continue
			}
			stride := 1
			if p.Reduction && ed.From < 2 {
				stride = 2
			}
			eb := b.sub("edge%d", e)
			name := NormalAlpha
			if p.Reduction {
				name = ReduceAlpha
			}
			y := eb.n.Mixed(name, alpha, e, func(op int) *Node {
				if op == None {
					return nil
				}
				return eb.applyOp(op, states[ed.From], stride, true)
			})
			if sum == nil {
				sum = y
			} else {
				sum = Add(sum, y)
			}
		}
		states = append(states, sum)
	}
	return nn.ConcatChannels(states[2:]...)
}

// Network is the evaluation network of a genotype (the DARTS
// NetworkCIFAR, or NetworkImageNet with Config.ImageNet), optionally with
// the auxiliary head after cell 2L/3.
type Network struct {
	Config
	Genotype  Genotype
	Auxiliary bool
	cells     []cellPlan
}

// NewNetwork checks cfg and g and returns the network.
func NewNetwork(cfg Config, g Genotype, auxiliary bool) (*Network, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	cells, err := cfg.plan(func(red bool) int {
		if red {
			return len(g.ReduceConcat)
		}
		return len(g.NormalConcat)
	})
	if err != nil {
		return nil, err
	}
	if auxiliary {
		s := cells[cfg.AuxCell()].OutSize
		if o := auxPooled(cfg, s); o != 2 {
			return nil, fmt.Errorf("darts: the auxiliary head after cell %d sees %dx%d, pooled to %dx%d; it needs 2x2 (CIFAR: input 32, ImageNet: 224)",
				cfg.AuxCell(), s, s, o, o)
		}
	}
	return &Network{cfg, g, auxiliary, cells}, nil
}

// auxPooled is the size after the auxiliary head's average pool (5x5,
// stride 3 for CIFAR, 2 for ImageNet, no padding).
func auxPooled(cfg Config, size int) int {
	stride := 3
	if cfg.ImageNet {
		stride = 2
	}
	if size < 5 {
		return 0
	}
	return nn.OutSize(size, 5, stride, 1, 0)
}

// BuildOptions configure one forward pass of a Network.
type BuildOptions struct {
	// Train adds the auxiliary head's logits (when the network has one)
	// and applies drop-path (when Drop is set).
	Train bool
	// BN, when set, takes over batch norm (see BNStats); otherwise batch
	// norm follows the nn.Options of the Net.
	BN *BNStats
	// Drop is the drop-path mask (training only).
	Drop *DropPath
}

// Forward returns the logits of x without the auxiliary head or
// drop-path, with batch norm as the Net's options say.
func (m *Network) Forward(n *nn.Net, x *Node) *Node {
	logits, _ := m.Build(n, x, BuildOptions{})
	return logits
}

// Build returns the logits [batch, Classes] of x [batch, H, W, 3] and, when
// opts.Train and the network has an auxiliary head, the auxiliary logits.
func (m *Network) Build(n *nn.Net, x *Node, opts BuildOptions) (logits, aux *Node) {
	b := builder{n: n, bn: opts.BN}
	if opts.Train {
		b.drop = opts.Drop
	}
	s0, s1 := b.stem(m.Config, x)
	for i, p := range m.cells {
		c := b.sub("cell%d", i)
		h0, h1 := c.preprocess(p, s0, s1)
		s0, s1 = s1, c.genotypeCell(m.Genotype, p, h0, h1)
		if i == m.AuxCell() && m.Auxiliary && opts.Train {
			aux = b.sub("aux").auxHead(m.Config, s1)
		}
	}
	return b.head(s1, m.Classes), aux
}

// DropSites is the number of rows of the drop-path mask: ops of the
// genotype other than the identity, summed over the cells (0 for a nil
// Network).
func (m *Network) DropSites() int {
	if m == nil {
		return 0
	}
	n := 0
	for _, p := range m.cells {
		pairs := m.Genotype.Normal
		if p.Reduction {
			pairs = m.Genotype.Reduce
		}
		for _, pr := range pairs {
			if !isIdentity(pr.Op, pairStride(p, pr)) {
				n++
			}
		}
	}
	return n
}

func pairStride(p cellPlan, pr Pair) int {
	if p.Reduction && pr.Input < 2 {
		return 2
	}
	return 1
}

// genotypeCell computes a cell of the genotype (the DARTS eval Cell).
func (b builder) genotypeCell(g Genotype, p cellPlan, s0, s1 *Node) *Node {
	pairs, concat := g.Normal, g.NormalConcat
	if p.Reduction {
		pairs, concat = g.Reduce, g.ReduceConcat
	}
	states := []*Node{s0, s1}
	for i := 0; i < len(pairs); i += 2 {
		var sum *Node
		for k := i; k < i+2; k++ {
			pr := pairs[k]
			op, _ := OpIndex(pr.Op) // validated
			stride := pairStride(p, pr)
			h := b.sub("op%d", k).applyOp(op, states[pr.Input], stride, false)
			if !isIdentity(pr.Op, stride) {
				h = b.dropPath(h)
			}
			if sum == nil {
				sum = h
			} else {
				sum = Add(sum, h)
			}
		}
		states = append(states, sum)
	}
	out := make([]*Node, len(concat))
	for i, s := range concat {
		out[i] = states[s]
	}
	if len(out) == 1 {
		return out[0]
	}
	return nn.ConcatChannels(out...)
}

// auxHead is DARTS's AuxiliaryHeadCIFAR (ReLU, avg pool 5x5 stride 3
// without padding, conv 1x1 to 128, BN, ReLU, conv 2x2 to 768, BN, ReLU,
// linear) or AuxiliaryHeadImageNet (pool stride 2, and no BN after the 2x2
// conv, as in the DARTS code).
func (b builder) auxHead(cfg Config, x *Node) *Node {
	stride := 3
	if cfg.ImageNet {
		stride = 2
	}
	h := nn.AvgPool2D(b.n.ReLU(x), 5, stride, 0)
	h = b.n.ReLU(b.batchNorm("bn1", b.n.Conv("conv1", h, 128, 1, 1, 1)))
	h = b.n.Conv("conv2", h, 768, 2, 1, 1)
	if !cfg.ImageNet {
		h = b.batchNorm("bn2", h)
	}
	h = b.n.ReLU(h)
	d := h.Shape().Dimensions
	return b.n.Linear("classifier", Reshape(h, d[0], d[1]*d[2]*d[3]), cfg.Classes)
}
