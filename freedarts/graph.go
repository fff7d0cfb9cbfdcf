package freedarts

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// scoringGraph is one scoring pass of a network: its parameters, which of
// them are scored, and what the pass computes from them. It is the one place
// where a scoring graph is assembled, so that the search on alpha, the
// whole-network scores and the FLOP count of the benchmark build the same
// graph.
type scoringGraph struct {
	net       Supernet
	opts      nn.Options
	inputSize int
	specs     []nn.ParamSpec
	// targets index specs: the parameters the criteria score.
	targets []int
	observe nn.ActKind
	data    bool
	outputs func(p *Pass) []*Node
	// oneHot: the alphas are a one-hot input that selects one cell of the
	// supernet, whose whole-network score the pass computes (see
	// Pass.Weigh).
	oneHot bool
}

// newScoringGraph traces net with opts on a one-image input of inputSize²
// to learn its parameters; the targets are the parameters of kind target.
// obs, when not nil, records the traced activations (the static proxies
// read their shapes).
func newScoringGraph(b compute.Backend, net Supernet, opts nn.Options, inputSize int, target nn.Kind,
	observe nn.ActKind, data bool, outputs func(p *Pass) []*Node) (*scoringGraph, error) {
	if inputSize < 1 {
		return nil, fmt.Errorf("input size %d, want >= 1", inputSize)
	}
	specs, err := traceParams(b, net, opts, inputSize, nil)
	if err != nil {
		return nil, err
	}
	return &scoringGraph{net: net, opts: opts, inputSize: inputSize, specs: specs, targets: nn.FindParams(specs, target),
		observe: observe, data: data, outputs: outputs}, nil
}

// traceParams runs net's forward pass once, symbolically, to collect its
// parameters (and, with obs, its activations).
func traceParams(b compute.Backend, net Supernet, opts nn.Options, inputSize int, obs *nn.Observer) ([]nn.ParamSpec, error) {
	return nn.Trace(b, opts, func(n *nn.Net) {
		if obs != nil {
			n.Observe(obs)
		}
		net.Forward(n, Zeros(n.Graph(), shapes.Make(opts.DType, 1, inputSize, inputSize, 3)))
	})
}

// build assembles the pass on in: the parameters in specs order, the input
// image batch and, for data criteria, the labels.
func (g *scoringGraph) build(in []*Node) (*Pass, []*Node) {
	np := len(g.specs)
	n := nn.Bind(in[0].Graph(), g.opts, g.specs, in[:np])
	var labels *Node
	if g.data {
		labels = in[np+1]
	}
	targets := make([]*Node, len(g.targets))
	targetSpecs := make([]nn.ParamSpec, len(g.targets))
	for i, j := range g.targets {
		targets[i], targetSpecs[i] = in[j], g.specs[j]
	}
	p := newPass(n, g.net.Forward, g.observe, in[np], labels, targets, targetSpecs)
	if g.oneHot {
		p.gates = map[string]*Node{}
		for _, j := range nn.FindParams(g.specs, nn.Alpha) {
			p.gates[g.specs[j].Name] = in[j]
		}
	}
	return p, g.outputs(p)
}

// compile prepares the pass for execution on b (compiled at the first call,
// for the shapes of its arguments).
func (g *scoringGraph) compile(b compute.Backend) (*Exec, error) {
	return NewExec(b, func(in []*Node) []*Node {
		_, outs := g.build(in)
		return outs
	})
}

// trace builds the pass for a batch of batchSize images without compiling
// it, and hands it to visit (which counts its operations).
func (g *scoringGraph) trace(b compute.Backend, batchSize int, visit func(p *Pass, outputs []*Node)) error {
	if batchSize < 1 {
		return fmt.Errorf("batch of %d images, want >= 1", batchSize)
	}
	gr := NewGraph(b, "trace")
	defer gr.Finalize()
	return exceptions.TryCatch[error](func() {
		in := make([]*Node, 0, len(g.specs)+2)
		for _, p := range g.specs {
			in = append(in, Parameter(gr, p.Name, shapes.Make(g.opts.DType, p.Shape...)))
		}
		in = append(in, Parameter(gr, "x", shapes.Make(g.opts.DType, batchSize, g.inputSize, g.inputSize, 3)))
		if g.data {
			in = append(in, Parameter(gr, "labels", shapes.Make(dtypes.Int32, batchSize)))
		}
		visit(g.build(in))
	})
}
