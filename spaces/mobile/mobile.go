// Package mobile is the ProxylessNAS-style mobile search space as
// FreeDARTS searches it: 21 searchable layers, each a mixed op over six
// MBConv candidates (kernel 3, 5 or 7, expansion 3 or 6), scored with
// |alpha ⊙ dR/dalpha| and decided by argmax per layer.
//
// The macro network is ProxylessNAS's SuperProxylessNASNets with the
// widths the FreeDARTS spec gives (the ProxylessNAS "GPU" stage widths):
//
//   - first conv: 3x3, stride 2, to 32 channels, BN, activation;
//   - first block: MBConv with expansion 1 (depthwise 3x3, BN, activation,
//     pointwise to 16, BN), not searched;
//   - six stages of widths 32, 56, 112, 128, 256, 432, depths 4, 4, 4, 4, 4,
//     1 and strides 2, 2, 2, 1, 2, 1 (the stride on a stage's first layer):
//     21 searchable layers, each sum_o alpha[l,o] * MBConv_o(x), plus the
//     identity shortcut when the layer keeps shape (stride 1, same width);
//   - feature mix: 1x1 conv to 1280, BN, activation; global average pool;
//     linear classifier.
//
// An MBConv(k, e) is pointwise to e*in, BN, activation, depthwise kxk
// (stride), BN, activation, pointwise to out, BN. Unlike ProxylessNAS, no
// layer offers a "zero" (skip) candidate: the spec's six candidates only.
//
// The activation is ReLU6, as ProxylessNAS, except when batch norm is
// removed (nn.BNNone, the default SynFlow): there every activation is
// positive and unbounded, and ReLU6 would clip most of them to the
// constant 6, cutting their gradient, so the BN-free network uses ReLU
// (which is then the identity, SynFlow's linearised network).
//
// alpha is raw (no softmax), as in the FreeDARTS code. The input size is a
// parameter: ImageNet's 224 is the reference, but the CLI defaults to 32 so
// that a search runs in seconds on a CPU (and data proxies can use
// CIFAR-10). Tensors are NHWC.
package mobile

import (
	"errors"
	"fmt"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// NumOps is the number of candidates per layer.
const NumOps = 6

// Ops are the candidates, in alpha's column order (ProxylessNAS's order:
// 3x3_MBConv3, 3x3_MBConv6, 5x5_MBConv3, ...).
var Ops = [NumOps]string{"mb3_e3", "mb3_e6", "mb5_e3", "mb5_e6", "mb7_e3", "mb7_e6"}

// Kernel and Expand give each candidate's kernel size and expansion.
var (
	Kernel = [NumOps]int{3, 3, 5, 5, 7, 7}
	Expand = [NumOps]int{3, 6, 3, 6, 3, 6}
)

// AlphaName is the architecture parameter [Layers, NumOps].
const AlphaName = "alpha"

// Config sizes the macro network.
type Config struct {
	InputSize, Classes int
	// FirstConv and FirstBlock are the widths of the stem conv and of the
	// fixed expansion-1 MBConv after it.
	FirstConv, FirstBlock int
	// Widths, Depths and Strides describe the searchable stages.
	Widths, Depths, Strides []int
	// FeatureMix is the width of the last 1x1 conv.
	FeatureMix int
}

// DefaultConfig is the spec's space at a CPU-friendly 32x32 input, 1000
// classes.
func DefaultConfig() Config {
	return Config{
		InputSize: 32, Classes: 1000, FirstConv: 32, FirstBlock: 16,
		Widths: []int{32, 56, 112, 128, 256, 432}, Depths: []int{4, 4, 4, 4, 4, 1}, Strides: []int{2, 2, 2, 1, 2, 1},
		FeatureMix: 1280,
	}
}

// ImageNetConfig is DefaultConfig at ImageNet's 224x224.
func ImageNetConfig() Config {
	c := DefaultConfig()
	c.InputSize = 224
	return c
}

// Layers is the number of searchable layers.
func (c Config) Layers() int {
	n := 0
	for _, d := range c.Depths {
		n += d
	}
	return n
}

// Validate reports a configuration that cannot be built, or one beyond
// the limits of package spaces: InputSize up to spaces.MaxInput, Classes
// up to spaces.MaxClasses, every width up to spaces.MaxChannels and at most
// spaces.MaxCells searchable layers in all, under which every width (up to
// 6x a stage's in an expansion) and size stays far inside int64.
func (c Config) Validate() error {
	switch {
	case c.InputSize < 1 || c.InputSize > spaces.MaxInput:
		return fmt.Errorf("mobile: input size %d, want 1 to %d", c.InputSize, spaces.MaxInput)
	case c.Classes < 2 || c.Classes > spaces.MaxClasses:
		return fmt.Errorf("mobile: classes=%d, want 2 to %d", c.Classes, spaces.MaxClasses)
	case c.FirstConv < 1 || c.FirstBlock < 1 || c.FeatureMix < 1 ||
		c.FirstConv > spaces.MaxChannels || c.FirstBlock > spaces.MaxChannels || c.FeatureMix > spaces.MaxChannels:
		return fmt.Errorf("mobile: widths first conv %d, first block %d, feature mix %d: want 1 to %d", c.FirstConv, c.FirstBlock, c.FeatureMix, spaces.MaxChannels)
	case len(c.Widths) == 0 || len(c.Widths) != len(c.Depths) || len(c.Widths) != len(c.Strides):
		return fmt.Errorf("mobile: %d widths, %d depths, %d strides: want as many of each, at least one", len(c.Widths), len(c.Depths), len(c.Strides))
	}
	layers := 0
	for i := range c.Widths {
		if c.Widths[i] < 1 || c.Widths[i] > spaces.MaxChannels || c.Depths[i] < 1 || c.Depths[i] > spaces.MaxCells || (c.Strides[i] != 1 && c.Strides[i] != 2) {
			return fmt.Errorf("mobile: stage %d: width %d, depth %d, stride %d: want 1 to %d, 1 to %d, 1 or 2", i+1, c.Widths[i], c.Depths[i], c.Strides[i], spaces.MaxChannels, spaces.MaxCells)
		}
		if layers += c.Depths[i]; layers > spaces.MaxCells {
			return fmt.Errorf("mobile: %d searchable layers or more, want at most %d", layers, spaces.MaxCells)
		}
	}
	return nil
}

// LayerLabels names the searchable layers "s<stage>.<block>" (1-based
// stage, 0-based block).
func (c Config) LayerLabels() []string {
	var rows []string
	for s, d := range c.Depths {
		for i := range d {
			rows = append(rows, fmt.Sprintf("s%d.%d", s+1, i))
		}
	}
	return rows
}

// activation is ReLU6, or ReLU in a BN-free network (see package doc).
func activation(n *nn.Net, x *Node) *Node {
	y := n.ReLU(x)
	if n.Options().BN == nn.BNNone {
		return y
	}
	return Min(y, Scalar(x.Graph(), x.DType(), 6.0))
}

// mbConv is ProxylessNAS's MBInvertedConvLayer: [pointwise expansion, BN,
// act,] depthwise k x k, BN, act, pointwise projection, BN.
func mbConv(n *nn.Net, x *Node, k, expand, stride, out int) *Node {
	in := x.Shape().Dimensions[3]
	h := x
	if expand != 1 {
		h = activation(n, n.BatchNorm("expand/bn", n.Conv("expand/conv", h, in*expand, 1, 1, 1)))
	}
	h = activation(n, n.BatchNorm("depth/bn", n.DepthwiseConv("depth/conv", h, k, stride, 1)))
	return n.BatchNorm("project/bn", n.Conv("project/conv", h, out, 1, 1, 1))
}

// macro builds the network around layer, which computes searchable layer l
// from x at the given stride and output width.
func macro(n *nn.Net, cfg Config, x *Node, layer func(n *nn.Net, l int, x *Node, stride, out int) *Node) *Node {
	s := n.Sub("first_conv")
	x = activation(n, s.BatchNorm("bn", s.Conv("conv", x, cfg.FirstConv, 3, 2, 1)))
	x = mbConv(n.Sub("first_block"), x, 3, 1, 1, cfg.FirstBlock)
	l := 0
	for st, width := range cfg.Widths {
		for i := range cfg.Depths[st] {
			stride := 1
			if i == 0 {
				stride = cfg.Strides[st]
			}
			y := layer(n.Subf("layer%d", l), l, x, stride, width)
			if stride == 1 && x.Shape().Dimensions[3] == width {
				y = Add(y, x)
			}
			x = y
			l++
		}
	}
	s = n.Sub("feature_mix")
	x = activation(n, s.BatchNorm("bn", s.Conv("conv", x, cfg.FeatureMix, 1, 1, 1)))
	return n.Linear("classifier", nn.GlobalAvgPool(n.ObserveFeatures(x)), cfg.Classes)
}

// Space is the mobile space as a FreeDARTS search space (spaces.Space):
// the search network, in which every searchable layer is the mixed op
// sum_o alpha[l,o] * MBConv_o(x), raw alpha; batch norm without affine
// parameters.
type Space struct{ Config }

// NewSpace checks cfg and returns the space: its supernet, with the
// selection rule among its methods (spaces.Space).
func NewSpace(cfg Config) (*Space, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Space{cfg}, nil
}

// Forward returns the logits [batch, Classes] of x [batch, H, W, 3].
func (s *Space) Forward(n *nn.Net, x *Node) *Node {
	alpha := n.Param(AlphaName, nn.Alpha, 0, s.Layers(), NumOps)
	return macro(n, s.Config, x, func(n *nn.Net, l int, x *Node, stride, out int) *Node {
		return n.Mixed(AlphaName, alpha, l, func(o int) *Node {
			return mbConv(n.Sub(Ops[o]), x, Kernel[o], Expand[o], stride, out)
		})
	})
}

// Arch is a chosen candidate (index into Ops) per searchable layer.
type Arch []int

// String is the encoding "mb3_e3,mb5_e6,...", one op per layer.
func (a Arch) String() string {
	names := make([]string, len(a))
	for i, o := range a {
		if o >= 0 && o < NumOps {
			names[i] = Ops[o]
		} else {
			names[i] = fmt.Sprintf("%%!op(%d)", o)
		}
	}
	return strings.Join(names, ",")
}

// ParseArch reads the encoding String writes (spaces around the commas
// are allowed) and checks it has layers entries (any number when layers
// is 0).
func ParseArch(s string, layers int) (Arch, error) {
	tokens := strings.Split(s, ",")
	if layers > 0 && len(tokens) != layers {
		return nil, fmt.Errorf("mobile: arch %q: %d layers, want %d", s, len(tokens), layers)
	}
	a := make(Arch, len(tokens))
	for i, tok := range tokens {
		name := strings.TrimSpace(tok)
		a[i] = -1
		for o, op := range Ops {
			if op == name {
				a[i] = o
			}
		}
		if a[i] < 0 {
			return nil, fmt.Errorf("mobile: arch layer %d: unknown op %q (want one of %s)", i+1, name, strings.Join(Ops[:], ", "))
		}
	}
	return a, nil
}

// Select picks the candidate with the largest score in every layer (ties:
// the first). scores is [Layers][NumOps].
func Select(scores [][]float64) (Arch, error) {
	if len(scores) == 0 {
		return nil, fmt.Errorf("mobile: no score rows, want one per layer, each of %d values", NumOps)
	}
	best, err := spaces.ArgmaxRows("mobile", scores, len(scores), NumOps)
	return Arch(best), err
}

// Network is the single-path network of an arch, with affine batch norm.
type Network struct {
	Config
	Arch Arch
}

// NewNetwork checks cfg and arch and returns the network.
func NewNetwork(cfg Config, arch Arch) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(arch) != cfg.Layers() {
		return nil, fmt.Errorf("mobile: arch of %d layers, the network has %d", len(arch), cfg.Layers())
	}
	for l, o := range arch {
		if o < 0 || o >= NumOps {
			return nil, fmt.Errorf("mobile: layer %d has op index %d, want 0..%d", l+1, o, NumOps-1)
		}
	}
	return &Network{cfg, arch}, nil
}

// Forward returns the logits [batch, Classes] of x [batch, H, W, 3].
func (m *Network) Forward(n *nn.Net, x *Node) *Node {
	return macro(n, m.Config, x, func(n *nn.Net, l int, x *Node, stride, out int) *Node {
		o := m.Arch[l]
		return mbConv(n.Sub(Ops[o]), x, Kernel[o], Expand[o], stride, out)
	})
}

// Name is the space's command-line name.
func (s *Space) Name() string { return "mobile" }

// InputSize is the input's height and width (0 for a nil Space, which
// the search then refuses).
func (s *Space) InputSize() int {
	if s == nil {
		return 0
	}
	return s.Config.InputSize
}

// AlphaStd is 1e-3, as the DARTS-space reference.
func (s *Space) AlphaStd() float64 { return 1e-3 }

// Labels are the layers (rows) and candidates (columns) of alpha (no rows
// for a nil Space).
func (s *Space) Labels(string) (rows, cols []string) {
	if s == nil {
		return nil, Ops[:]
	}
	return s.LayerLabels(), Ops[:]
}

// Select takes the argmax of every layer's scores.
func (s *Space) Select(scores map[string][][]float64) (spaces.Arch, error) {
	if s == nil {
		return nil, errors.New("mobile: Select on a nil *Space, want one from NewSpace")
	}
	m, ok := scores[AlphaName]
	if !ok {
		return nil, fmt.Errorf("mobile: no %q scores to select from", AlphaName)
	}
	if len(m) != s.Layers() {
		return nil, fmt.Errorf("mobile: %d score rows, want %d (one per layer)", len(m), s.Layers())
	}
	return Select(m)
}

// Kept marks the candidate of every layer in the [layers][NumOps] alpha.
func (a Arch) Kept() map[string][][]bool {
	return map[string][][]bool{AlphaName: spaces.KeptRows(a, NumOps)}
}
