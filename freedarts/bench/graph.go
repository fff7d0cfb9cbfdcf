package bench

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// CountSearch builds, without compiling, the graph that a
// freedarts.Searcher compiles for net and crit (same parameters, same
// objective) with a batch of batchSize images of inputSize², and counts the
// forward pass (input to logits) and the whole scoring graph (forward,
// backward and, for GraSP, the Hessian-vector product).
func CountSearch(b compute.Backend, net freedarts.Supernet, crit freedarts.Criterion, inputSize, batchSize int) (forward, full GraphStats, err error) {
	nopts := nn.Options{DType: crit.DType, BN: crit.BN}
	specs, err := nn.Trace(b, nopts, func(n *nn.Net) {
		net.Forward(n, Zeros(n.Graph(), shapes.Make(crit.DType, 1, inputSize, inputSize, 3)))
	})
	if err != nil {
		return forward, full, err
	}
	g := NewGraph(b, "flops")
	defer g.Finalize()
	if crit.Saliency == nil {
		return forward, full, fmt.Errorf("proxy %s is not defined on alpha", crit.Name)
	}
	err = exceptions.TryCatch[error](func() {
		params := make([]*Node, len(specs))
		var targets []*Node
		var targetSpecs []nn.ParamSpec
		for i, p := range specs {
			params[i] = Parameter(g, p.Name, shapes.Make(crit.DType, p.Shape...))
			if p.Kind == nn.Alpha {
				targets = append(targets, params[i])
				targetSpecs = append(targetSpecs, p)
			}
		}
		x := Parameter(g, "x", shapes.Make(crit.DType, batchSize, inputSize, inputSize, 3))
		var labels *Node
		if crit.NeedsData {
			labels = Parameter(g, "labels", shapes.Make(dtypes.Int32, batchSize))
		}
		pass := freedarts.NewPass(nn.Bind(g, nopts, specs, params), net.Forward, crit.SaliencyObserve, x, labels, targets, targetSpecs)
		forward = CountGraph(pass.Logits)
		full = CountGraph(crit.Saliency(pass)...)
	})
	if err != nil {
		err = fmt.Errorf("counting %s graph: %w", crit.Name, err)
	}
	return forward, full, err
}
