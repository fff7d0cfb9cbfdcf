package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// plain is NASLib's (naslib/predictors/utils/pruners/measures/plain.py, of
// NAS-Bench-Suite-Zero, Krishnakumar et al., NeurIPS 2022 Datasets and
// Benchmarks; first in the zero-cost-nas code, Abdelfattah et al. 2021):
// the sum over the convolution and linear weights of dL/dW ⊙ W, signed,
// with L the mean cross-entropy of one labelled batch through the network
// in training mode (batch statistics): SNIP without the absolute value, the
// first-order change of the loss were the weights scaled towards 0.
//
// On alpha it is the same saliency of the architecture parameters, alpha ⊙
// dL/dalpha, signed, the largest kept: the first-order estimate of what
// removing an op changes in the loss.
func init() {
	mustRegister(Criterion{
		Name:  "plain",
		Doc:   "plain (NASLib): S=theta*dL/dtheta, signed, summed over conv/linear weights (on alpha: alpha*dL/dalpha)",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: plainSaliency, Network: sumSaliency(plainSaliency),
		Published: []Published{{Statistic: Spearman, Value: -0.26, Target: "cifar10valid_valid", Source: suiteZero}},
	})
}

// plainSaliency is theta ⊙ dL/dtheta, with the gradient the pass shares with
// the other loss criteria.
func plainSaliency(p *Pass) []*Node {
	grads, _ := p.LossGrads()
	out := make([]*Node, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = Mul(t, grads[i])
	}
	return out
}
