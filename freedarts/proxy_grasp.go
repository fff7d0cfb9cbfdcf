package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	mustRegister(Criterion{
		Name:  "grasp",
		Doc:   "GraSP: S=theta*Hg on alpha (signed, largest kept), -theta*Hg summed on a network; g=dL/dtheta",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: graspSaliency,
		// zero-cost-nas negates GraSP's theta*Hg so that larger is better.
		Network:   func(p *Pass) *Node { return Neg(sumSaliency(graspSaliency)(p)) },
		Published: []Published{{Statistic: Spearman, Value: 0.514, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
}

// graspSaliency is theta ⊙ Hg: the Hessian-vector product with g held fixed
// is the gradient of g·stopgrad(g).
func graspSaliency(p *Pass) []*Node {
	grads, _ := p.LossGrads()
	terms := make([]*Node, len(grads))
	for i, g := range grads {
		terms[i] = ReduceAllSum(Mul(g, StopGradient(g)))
	}
	hg := Gradient(nn.ReduceSumNodes(terms), p.Targets...)
	out := make([]*Node, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = Mul(t, hg[i])
	}
	return out
}
