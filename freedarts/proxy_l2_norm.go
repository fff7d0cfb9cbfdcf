package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// l2_norm is NASLib's (naslib/predictors/utils/pruners/measures/l2_norm.py,
// one of the 13 proxies of NAS-Bench-Suite-Zero, Krishnakumar et al.,
// NeurIPS 2022 Datasets and Benchmarks): the sum over the convolution and
// linear layers of the Frobenius norm ||W|| of the weight, biases and
// batch-norm parameters left out. NASLib reads the network as it is
// initialised (copy_net=False, no data, no pass): here PyTorch's default,
// uniform in ±1/sqrt(fan_in), so that ||W||² is about c_out/3 and the
// score about the sum of sqrt(c_out/3) over the layers: how many layers,
// weighted by width.
//
// It has no alpha form: the norms of a supernet's weights do not depend on
// alpha.
func init() {
	mustRegister(Criterion{
		Name:  "l2_norm",
		Doc:   "L2 norm (NASLib): sum over conv/linear layers of ||W|| at initialisation (no data)",
		DType: dtypes.Float32, BN: nn.BNBatch,
		NotOnAlpha: "the norms of the weights do not depend on alpha (a supernet holds every op's weights whatever alpha is)",
		Network:    l2NormNetwork,
		Published:  []Published{{Statistic: Spearman, Value: 0.68, Target: "cifar10valid_valid", Source: suiteZero}},
	})
}

// l2NormNetwork sums ||W|| over the targets (the weights).
func l2NormNetwork(p *Pass) *Node {
	terms := make([]*Node, len(p.Targets))
	for i, w := range p.Targets {
		terms[i] = weighParam(p, p.Specs[i], Sqrt(ReduceAllSum(Square(w))))
	}
	return nn.ReduceSumNodes(terms)
}

// weighParam is Pass.Weigh for a term read from a parameter's values: on a
// supernet scored as one of its cells, the parameters of the ops the cell
// drops (spec.GatedBy) count 0.
func weighParam(p *Pass, spec nn.ParamSpec, term *Node) *Node {
	return p.Weigh(nn.Activation{Name: spec.Name, GatedBy: spec.GatedBy}, term)
}
