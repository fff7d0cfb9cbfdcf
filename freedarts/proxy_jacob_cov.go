package freedarts

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	mustRegister(Criterion{
		Name:  "jacob_cov",
		Doc:   "Jacobian covariance: -sum(log(l+1e-5)+1/(l+1e-5)) over eigenvalues l of the correlation of per-sample input Jacobians",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Ablate:  true, // a spectrum of the whole network's input Jacobians: no per-parameter decomposition
		Network: jacobianCovariance, Finish: jacobCovScore,
		Published: []Published{{Statistic: Spearman, Value: 0.731, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
}

// jacobianCovariance returns the covariance [N, N] of the per-sample input
// Jacobians of sum(logits) (zero-cost-nas backpropagates ones from the
// logits); jacobCovScore normalises it on the host.
func jacobianCovariance(p *Pass) *Node {
	j := p.InputJacobian()
	n := j.Shape().Dimensions[0]
	j = Reshape(j, n, j.Shape().Size()/n)
	c := Sub(j, ReduceAndKeep(j, ReduceMean, 1))
	return MatMul(c, Transpose(c, 0, 1))
}

// jacobCovScore is -sum(log(l+k) + 1/(l+k)), k = 1e-5, over the eigenvalues
// l of the correlation matrix of the per-sample Jacobians, from their
// covariance cov [N, N] (row-major).
func jacobCovScore(cov []float64) (float64, error) {
	n, err := linalg.SquareSide(cov)
	if err != nil {
		return 0, err
	}
	corr := make([]float64, len(cov))
	for i := range n {
		for j := range n {
			d := math.Sqrt(cov[i*n+i] * cov[j*n+j])
			if !(d > 0) {
				return Degenerate, nil // the logits ignore sample i's (or j's) input
			}
			corr[i*n+j] = cov[i*n+j] / d
		}
	}
	const k = 1e-5
	score := 0.0
	for _, l := range linalg.SymmetricEigenvalues(corr, n) {
		score -= math.Log(l+k) + 1/(l+k)
	}
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}
