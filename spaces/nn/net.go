package nn

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"
)

// Kind says what a parameter is, which decides its initialisation.
type Kind int

const (
	// Weight is a convolution or linear weight: uniform in ±1/sqrt(fanIn),
	// the default (Kaiming-uniform, a=sqrt(5)) of PyTorch's Conv2d and Linear
	// that the reference code relies on.
	Weight Kind = iota
	// Bias is a linear bias: uniform in ±1/sqrt(fanIn), as PyTorch.
	Bias
	// BNScale is a batch-norm scale (gamma), initialised to 1.
	BNScale
	// BNShift is a batch-norm shift (beta), initialised to 0.
	BNShift
	// Alpha is an architecture parameter: AlphaStd * N(0, 1).
	Alpha
)

var kindNames = [...]string{"weight", "bias", "bn_scale", "bn_shift", "alpha"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParamSpec describes one named parameter of a network.
type ParamSpec struct {
	Name  string
	Kind  Kind
	Shape []int
	// FanIn is the number of inputs feeding one output unit (Weight, Bias).
	FanIn int
	// GatedBy is the mixed-edge op the parameter belongs to (see OpGate):
	// whole-network scores of one cell of a supernet leave out the
	// parameters of the ops its alpha drops.
	GatedBy OpGate
}

// Size is the number of scalars in the parameter.
func (p ParamSpec) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// CountParams sums the sizes of the specs of the given kinds (all kinds when
// none is given).
func CountParams(specs []ParamSpec, kinds ...Kind) int {
	total := 0
	for _, p := range specs {
		if len(kinds) == 0 || slices.Contains(kinds, p.Kind) {
			total += p.Size()
		}
	}
	return total
}

// BNMode selects how batch norm behaves.
type BNMode int

const (
	// BNBatch normalises with the statistics of the current batch (PyTorch's
	// training mode), as the FreeDARTS supernet does.
	BNBatch BNMode = iota
	// BNNone removes batch norm: the BN-free network that zero-cost-nas uses
	// for SynFlow, where R is a polynomial in the weights.
	BNNone
)

func (m BNMode) String() string {
	switch m {
	case BNBatch:
		return "batch"
	case BNNone:
		return "none"
	}
	return fmt.Sprintf("BNMode(%d)", int(m))
}

// Options configure how a network is built.
type Options struct {
	DType dtypes.DType
	BN    BNMode
	// Affine gives every batch norm a learnable scale and shift, as in the
	// networks that are trained; the search supernet has none.
	Affine bool
}

// BNEpsilon is added to the batch variance, as PyTorch's default.
const BNEpsilon = 1e-5

// Net hands out named parameters while a network builds its graph. It is
// created by Trace, which records what the network declares, or by Bind,
// which supplies the values (graph inputs) in the traced order.
type Net struct {
	g      *Graph
	opts   Options
	prefix string
	st     *netState
}

type netState struct {
	specs  []ParamSpec
	index  map[string]int
	values []*Node // nil while tracing
	obs    *Observer
	// gate is the op of a mixed edge being built (Mixed), which the
	// parameters and activations declared meanwhile belong to.
	gate OpGate
}

// Graph is the graph being built.
func (n *Net) Graph() *Graph { return n.g }

// Options are the build options.
func (n *Net) Options() Options { return n.opts }

// DType is the floating-point type of the network.
func (n *Net) DType() dtypes.DType { return n.opts.DType }

// Sub returns a view of n whose parameter names are prefixed by name + "/".
func (n *Net) Sub(name string) *Net {
	c := *n
	c.prefix = n.prefix + name + "/"
	return &c
}

// Subf is Sub with a formatted name.
func (n *Net) Subf(format string, args ...any) *Net { return n.Sub(fmt.Sprintf(format, args...)) }

// Param declares (when tracing) or fetches (when bound) a parameter.
func (n *Net) Param(name string, kind Kind, fanIn int, shape ...int) *Node {
	full := n.prefix + name
	st := n.st
	if st.values == nil {
		if _, dup := st.index[full]; dup {
			exceptions.Panicf("nn: parameter %q declared twice", full)
		}
		st.index[full] = len(st.specs)
		st.specs = append(st.specs, ParamSpec{Name: full, Kind: kind, Shape: slices.Clone(shape), FanIn: fanIn, GatedBy: st.gate})
		return Zeros(n.g, shapes.Make(n.opts.DType, shape...))
	}
	i, ok := st.index[full]
	if !ok {
		exceptions.Panicf("nn: parameter %q was not declared when the network was traced", full)
	}
	if spec := st.specs[i]; spec.Kind != kind || !slices.Equal(spec.Shape, shape) {
		exceptions.Panicf("nn: parameter %q traced as %s%v, now requested as %s%v", full, spec.Kind, spec.Shape, kind, shape)
	}
	return st.values[i]
}

// Trace runs build once on a throwaway graph and returns the parameters it
// declared, in declaration order (the order Bind expects their values in).
func Trace(backend compute.Backend, opts Options, build func(n *Net)) (specs []ParamSpec, err error) {
	g := NewGraph(backend, "trace")
	defer g.Finalize()
	n := &Net{g: g, opts: opts, st: &netState{index: map[string]int{}}}
	if err := exceptions.TryCatch[error](func() { build(n) }); err != nil {
		return nil, fmt.Errorf("tracing network: %w", err)
	}
	return n.st.specs, nil
}

// Bind returns a Net that serves the parameters in specs with the given
// values (usually graph inputs), in the same order.
func Bind(g *Graph, opts Options, specs []ParamSpec, values []*Node) *Net {
	if len(specs) != len(values) {
		exceptions.Panicf("nn: %d parameter specs but %d values", len(specs), len(values))
	}
	st := &netState{specs: specs, index: make(map[string]int, len(specs)), values: values}
	for i, p := range specs {
		st.index[p.Name] = i
	}
	return &Net{g: g, opts: opts, st: st}
}

// FindParams returns the indices of the specs of the given kind.
func FindParams(specs []ParamSpec, kind Kind) []int {
	var idx []int
	for i, p := range specs {
		if p.Kind == kind {
			idx = append(idx, i)
		}
	}
	return idx
}

// ParamIndex returns the index of the named parameter.
func ParamIndex(specs []ParamSpec, name string) (int, error) {
	for i, p := range specs {
		if p.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("nn: no parameter %q among %d", name, len(specs))
}
