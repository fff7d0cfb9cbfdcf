package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// suiteZero is the source of the published correlations of NASLib's
// proxies (epe_nas, l2_norm, plain, zen).
const suiteZero = "Krishnakumar et al., NAS-Bench-Suite-Zero, NeurIPS 2022 Datasets and Benchmarks, Figure 2: 1000 random cells, cifar10-valid validation accuracy"

// epe_nas is EPE-NAS (Lopes et al., "EPE-NAS: Efficient Performance
// Estimation Without Training for Neural Architecture Search", ICANN 2021)
// as NASLib computes it (naslib/predictors/utils/pruners/measures/epe_nas.py,
// taken from github.com/VascoLopes/EPE-NAS; NAS-Bench-Suite-Zero,
// Krishnakumar et al., NeurIPS 2022). J is the per-sample Jacobian of
// sum(logits) with respect to the input (as jacob_cov's), and for each
// class c among the batch's labels, s_c = sum over the pairs (i, j) of
// samples of c of log(|rho_ij| + 1e-5), rho the correlation matrix of their
// Jacobians (numpy's corrcoef; a class of one sample has rho = 1). With
// up to 100 classes the score is sum_c |s_c|; with more, each s_c is first
// divided by the class's sample count (classes of one sample are left
// out, as NASLib's exception handler drops them) and the score is
// sum_c sum_c' |s_c - s_c'| / (number of classes). A sample whose
// Jacobian is constant makes rho undefined: the score is then Degenerate
// (NASLib's NaN, which it turns into -1e8).
//
// On alpha it is an ablation, as jacob_cov: a function of the correlations
// of the whole network's input Jacobians has no per-parameter
// decomposition.
//
// NAS-Bench-Suite-Zero's precomputed scores of NAS-Bench-201 come from this
// same computation on a fresh augmented batch of 32 per cell (its configs'
// default; -batch 32 here gives scores on their scale). The score sums over
// same-class pairs, so the class make-up of each cell's batch is much of
// its draw noise: the suite's two published runs of the same cells
// rank-agree 0.76 with each other, and this project's per-cell draws agree
// with them 0.81, what that noise allows (docs/study/README.md).
func init() {
	mustRegister(Criterion{
		Name:  "epe_nas",
		Doc:   "EPE-NAS (NASLib): sum over classes of |sum log(|corr|+1e-5)| of the per-class correlations of the input Jacobians",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Ablate:  true, // correlations of the whole network's input Jacobians: no per-parameter decomposition
		Network: epeNASStat, Finish: epeNASScore,
		Published: []Published{{Statistic: Spearman, Value: 0.70, Target: "cifar10valid_valid", Source: suiteZero}},
	})
}

// epeNASStat is [N, K, the covariance [N, N] of the per-sample input
// Jacobians, the one-hot labels [N, K]], flat.
func epeNASStat(p *Pass) *Node {
	cov := jacobianCovariance(p)
	dims := p.Labels.Shape().Dimensions
	header := ConstAsDType(p.Logits.Graph(), cov.DType(), []float64{float64(dims[0]), float64(dims[1])})
	return Concatenate([]*Node{header, Reshape(cov, cov.Shape().Size()), Reshape(ConvertDType(p.Labels, cov.DType()), dims[0]*dims[1])}, 0)
}

// epeNASScore is the score of epeNASStat's output.
func epeNASScore(stat []float64) (float64, error) {
	if len(stat) < 2 {
		return 0, fmt.Errorf("statistic of %d values, want at least 2", len(stat))
	}
	n, k := int(stat[0]), int(stat[1])
	if n < 1 || k < 1 || len(stat) != 2+n*n+n*k {
		return 0, fmt.Errorf("statistic of %d values does not hold %d samples of %d classes", len(stat), n, k)
	}
	cov, oneHot := stat[2:2+n*n], stat[2+n*n:]
	// Samples by class, classes in order of first appearance (NASLib's
	// dict order; the sums below do not depend on it).
	var classes []int
	members := map[int][]int{}
	for i := range n {
		label := 0
		for c := 1; c < k; c++ {
			if oneHot[i*k+c] > oneHot[i*k+label] {
				label = c
			}
		}
		if _, ok := members[label]; !ok {
			classes = append(classes, label)
		}
		members[label] = append(members[label], i)
	}
	const eps = 1e-5
	var s []float64
	for _, c := range classes {
		m := members[c]
		if k > 100 && len(m) == 1 {
			continue // NASLib's len() of a scalar correlation raises; the class is skipped
		}
		sc := 0.0
		for _, i := range m {
			for _, j := range m {
				d := math.Sqrt(cov[i*n+i] * cov[j*n+j])
				if !(d > 0) {
					return Degenerate, nil // a sample's Jacobian is constant
				}
				rho := max(-1, min(1, cov[i*n+j]/d)) // numpy clips to [-1, 1]
				sc += math.Log(math.Abs(rho) + eps)
			}
		}
		if k > 100 {
			sc /= float64(len(m))
		}
		s = append(s, sc)
	}
	score := 0.0
	if k <= 100 {
		for _, v := range s {
			score += math.Abs(v)
		}
	} else if len(s) > 0 {
		for _, a := range s {
			for _, b := range s {
				score += math.Abs(a - b)
			}
		}
		score /= float64(len(s))
	}
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}
