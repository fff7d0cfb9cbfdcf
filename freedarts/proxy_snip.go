package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// The data criteria run in float32 with batch-statistics BN, as
// zero-cost-nas does; their network-level definitions follow its code
// (foresight/pruners/measures), summed over convolution and linear weights.
// SNIP and the gradient norm read the one loss gradient of the pass.
func init() {
	mustRegister(Criterion{
		Name:  "snip",
		Doc:   "SNIP: S=|theta*dL/dtheta|, L=cross-entropy of one labelled batch",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: snipSaliency, Network: sumSaliency(snipSaliency),
		Published: []Published{{Statistic: Spearman, Value: 0.596, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
	mustRegister(Criterion{
		Name:  "grad_norm",
		Doc:   "gradient norm: sum over layers of ||dL/dW|| (on alpha: |dL/dalpha|, each entry its own layer)",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: func(p *Pass) []*Node {
			g, _ := p.LossGrads()
			out := make([]*Node, len(g))
			for i := range g {
				out[i] = Abs(g[i])
			}
			return out
		},
		Network: func(p *Pass) *Node {
			g, _ := p.LossGrads()
			terms := make([]*Node, len(g))
			for i := range g {
				terms[i] = Sqrt(ReduceAllSum(Square(g[i])))
			}
			return nn.ReduceSumNodes(terms)
		},
		Published: []Published{{Statistic: Spearman, Value: 0.594, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
}

// snipSaliency is absSaliency(crossEntropy) with the gradient the pass
// shares with the other loss criteria.
func snipSaliency(p *Pass) []*Node {
	grads, _ := p.LossGrads()
	out := make([]*Node, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = Abs(Mul(t, grads[i]))
	}
	return out
}
