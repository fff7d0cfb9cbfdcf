package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	mustRegister(Criterion{
		Name:  "naswot",
		Doc:   "NASWOT: log|det K|, K = sum over ReLUs of c*c^T + (1-c)*(1-c)^T for the binary codes c of each sample",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Ablate:  true, // binary activation codes are piecewise constant in alpha: no gradient
		Network: naswotKernel, NetworkObserve: nn.ReLUInput, Finish: logAbsDet,
		Published: []Published{{Statistic: Spearman, Value: 0.79, Target: "cifar10valid_test",
			Source: "Mellor et al., Neural Architecture Search without Training, ICML 2021: all cells, CIFAR-10"}},
	})
}

// naswotKernel is K = sum over ReLUs of c c^T + (1-c)(1-c)^T for the binary
// codes c [N, D] (input > 0) of each sample: the number of units on which
// two samples agree. It is computed as 2cc^T - r_i - r_j + D with r the row
// sums of c, one matrix product per ReLU instead of two.
func naswotKernel(p *Pass) *Node {
	return sumReLUCodes(p, func(twoCC, rr *Node, d int) *Node { return AddScalar(Sub(twoCC, rr), float64(d)) })
}

// sumReLUCodes is the sum over the pass's ReLUs of term(2 c c^T, r_i + r_j,
// D) [N, N], for the binary codes c [N, D] (input > 0) of each sample and r
// their row sums, each term weighed as its activation counts (Pass.Weigh):
// the pairwise statistics of ReLU codes that NASWOT and TE-NAS read. With
// no ReLU at all it is 0.
func sumReLUCodes(p *Pass, term func(twoCC, rr *Node, d int) *Node) *Node {
	var terms []*Node
	for _, a := range p.ActsOf(nn.ReLUInput) {
		x := a.Node
		n := x.Shape().Dimensions[0]
		d := x.Shape().Size() / n
		c := Reshape(ConvertDType(GreaterThan(x, ZerosLike(x)), x.DType()), n, d)
		r := ReduceSum(c, 1)
		// c c^T contracts the rows of c with each other: a Transpose of c
		// first would copy all N*D codes (8% of a NASWOT pass). Its sums
		// are of 0s and 1s, exact in any order.
		cct := DotGeneral(c, []int{1}, nil, c, []int{1}, nil)
		terms = append(terms, p.Weigh(a, term(MulScalar(cct, 2), Add(Reshape(r, n, 1), Reshape(r, 1, n)), d)))
	}
	return sumSamplePairs(p, terms)
}

// sumSamplePairs is the sum of terms, each [N, N] over the pass's N
// samples, in order (nn.ReduceSumNodes); with no term (no ReLU, no target)
// it is the [N, N] zero matrix.
func sumSamplePairs(p *Pass, terms []*Node) *Node {
	if len(terms) == 0 {
		n := p.Input.Shape().Dimensions[0]
		return Zeros(p.Input.Graph(), shapes.Make(p.Logits.DType(), n, n))
	}
	return nn.ReduceSumNodes(terms)
}

// logAbsDet is log|det K| (numpy's slogdet) of the square matrix k: the
// NASWOT score of its kernel. A singular K is Degenerate.
func logAbsDet(k []float64) (float64, error) {
	n, err := linalg.SquareSide(k)
	if err != nil {
		return 0, err
	}
	if ld, ok := linalg.LogAbsDet(k, n); ok {
		return ld, nil
	}
	return Degenerate, nil
}
