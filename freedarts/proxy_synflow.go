package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// The SynFlow objective is a product of many |weights| and alphas along every
// path; float32 under- or overflows for plausible alpha scales (the reference
// notebook's run produced NaN gradients and an all-none cell). float64 keeps
// R and its gradient finite and non-zero for alpha scales from 1e-3 to 10
// (tested); every pass still rejects non-finite or all-zero scores.
func init() {
	mustRegister(Criterion{
		Name:  "synflow",
		Doc:   "SynFlow on the BN-free network, float64, all-ones input: S=|theta*dR/dtheta|, R=sum(logits) (default)",
		DType: dtypes.Float64, BN: nn.BNNone, Weights: WeightsAbs,
		Saliency: absSaliency(sumLogits), Network: sumSaliency(absSaliency(sumLogits)),
		Published: []Published{{Statistic: Spearman, Value: 0.737, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
	mustRegister(Criterion{
		Name:  "synflow-bn",
		Doc:   "SynFlow as the released FreeDARTS code runs it: batch-statistics BN kept, float64",
		DType: dtypes.Float64, BN: nn.BNBatch, Weights: WeightsAbs,
		Saliency: absSaliency(sumLogits), Network: sumSaliency(absSaliency(sumLogits)),
	})
}

// zeroCostPaper is the source of the published correlations of the
// pruning-at-initialisation criteria, which the zero-cost paper measured
// on NAS-Bench-201.
const zeroCostPaper = "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021: all 15,625 cells, cifar10-valid test accuracy"

func sumLogits(logits, _ *Node) *Node { return ReduceAllSum(logits) }

// absSaliency is |theta ⊙ dR/dtheta| for an objective R.
func absSaliency(objective func(logits, labels *Node) *Node) func(p *Pass) []*Node {
	return func(p *Pass) []*Node {
		grads := Gradient(objective(p.Logits, p.Labels), p.Targets...)
		out := make([]*Node, len(p.Targets))
		for i, t := range p.Targets {
			out[i] = Abs(Mul(t, grads[i]))
		}
		return out
	}
}
