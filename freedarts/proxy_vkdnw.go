package freedarts

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// vkdnw is VKDNW (Tybl & Neumann, "Training-free Neural Architecture
// Search through Variance of Knowledge of Deep Network Weights", CVPR 2025;
// github.com/ondratybl/VKDNW, NB201/ZeroShotProxy/compute_vkdnw_score.py):
// the entropy of the spectrum of the Fisher information of a subset of the
// network's weights, at a Kaiming-normal (fan-in) initialisation, on a
// batch of N(0, 1) images. With J_n [K, P] the Jacobian of sample n's
// logits with respect to the P chosen scalars and
//
//	p_n = (1-a)*softmax(logits_n) + a/K,   a = 0.05,
//	F   = mean_n J_n^T (diag(p_n) - p_n p_n^T) J_n        [P, P]
//
// (the reference multiplies J_n by the Cholesky factor of that covariance,
// whose square is the same F), lambda the eigenvalues of F, q_1..q_9 their
// deciles (torch.quantile's linear interpolation at 0.1, ..., 0.9) and
// t_i = q_i / (sum_j q_j + 1e-10),
//
//	vkdnw_entropy = -sum_i t_i log(t_i + 1e-10)
//	vkdnw         = aleph + vkdnw_entropy
//
// aleph (the paper's "number of trainable layers", the reference's
// vkdnw_dim) counts the network's weight tensors. The entropy is at most
// log 9 ~ 2.2, less than aleph moves between NAS-Bench-201 cells (15 per
// conv edge), so vkdnw ranks by aleph and breaks its ties by the entropy:
// the paper's VKDNW_single, with its published correlations (Table 1). The
// paper's headline rho 0.919 / 0.919 / 0.906 is VKDNW_agg, the rank
// aggregation sum log(rank/n) of VKDNW with other proxies (FLOPs and
// AZ-NAS's expressivity, progressivity and trainability in the reference's
// MobileNetV2 search), a score of a whole population, not of one network:
// it is not this criterion.
//
// The chosen scalars are, as in the reference (p = 1 element per tensor,
// params_grad_len = 128), the first element of each of the first 128
// parameter tensors in build order. Where this departs from it:
//
//   - batch norm: the reference computes F in eval mode with the running
//     statistics of a fresh network (mean 0, variance 1) and scale 1,
//     shift 0, where every batch norm is the identity up to 1/sqrt(1+1e-5):
//     here the network runs without batch norm (nn.BNNone), the same
//     function. Its BN scales and shifts, which the reference counts among
//     the 128 tensors (and in aleph), do not exist here, nor does the
//     classifier's bias (not a weight): the tensors are the convolution and
//     linear weights. On NAS-Bench-201 the reference's first 128 tensors
//     stop inside the second or third stage for cells with three or more
//     convolutions (3 tensors per conv op); here every weight (8 + 15 per
//     conv edge, at most 98) is in F. aleph is 8 + 15c against the
//     reference's 21 + 45c (c conv edges): the same order of cells.
//   - the batch: vkdnwImages images (the reference's batch_size, 32 by
//     default in its MobileNetV2 script; its NAS-Bench-201 notebook is not
//     published). Each sample's Jacobian is K gradients of a forward pass
//     of that sample alone, so the cost grows as images times classes.
//
// On alpha it is ablated (a spectrum of the whole network: no
// per-parameter decomposition), as jacob_cov.
func init() {
	mustRegister(Criterion{
		Name:  "vkdnw",
		Doc:   "VKDNW_single: number of weight tensors + entropy of the deciles of the Fisher information's eigenvalues (first element of every weight, Gaussian input)",
		Input: InputGaussian, Images: vkdnwImages, Weights: WeightsKaiming, DType: dtypes.Float32, BN: nn.BNNone,
		Ablate:  true, // a spectrum of the whole network: no per-parameter decomposition
		Network: vkdnwStat, Finish: vkdnwSingleScore,
		Published: []Published{
			{Statistic: Spearman, Value: 0.815, Target: "cifar10_test", Source: vkdnwPaper + ", CIFAR-10"},
			{Statistic: Kendall, Value: 0.618, Target: "cifar10_test", Source: vkdnwPaper + ", CIFAR-10"},
			{Statistic: Spearman, Value: 0.829, Target: "cifar100_test", Source: vkdnwPaper + ", CIFAR-100"},
			{Statistic: Kendall, Value: 0.634, Target: "cifar100_test", Source: vkdnwPaper + ", CIFAR-100"},
			{Statistic: Spearman, Value: 0.814, Target: "imagenet16_test", Source: vkdnwPaper + ", ImageNet16-120"},
			{Statistic: Kendall, Value: 0.622, Target: "imagenet16_test", Source: vkdnwPaper + ", ImageNet16-120"},
		},
	})
	mustRegister(Criterion{
		Name:  "vkdnw_entropy",
		Doc:   "VKDNW's entropy alone: entropy of the deciles of the Fisher information's eigenvalues (first element of every weight, Gaussian input)",
		Input: InputGaussian, Images: vkdnwImages, Weights: WeightsKaiming, DType: dtypes.Float32, BN: nn.BNNone,
		Ablate:  true,
		Network: vkdnwStat, Finish: vkdnwEntropyScore,
	})
}

const vkdnwPaper = "Tybl & Neumann, VKDNW, CVPR 2025, Table 1, VKDNW_single (VKDNW_agg, a rank aggregation with other proxies: rho 0.919 / 0.919 / 0.906): NAS-Bench-201, all cells, mean of 5 runs"

const (
	// vkdnwImages is the batch of N(0, 1) images.
	vkdnwImages = 16
	// vkdnwTensors is the number of parameter tensors whose first element
	// enters F (params_grad_len).
	vkdnwTensors = 128
	// vkdnwSmoothing is the label smoothing a of the class probabilities.
	vkdnwSmoothing = 0.05
)

// vkdnwStat is, flat: [N, K, P], then per target whether the cell keeps it
// (1, or 0 for an op its one-hot alpha drops), the logits [N, K] and the
// Jacobians [N, K, P] of each sample's logits with respect to the first
// element of every target. Each sample runs alone (Pass.Forward): without
// batch norm its logits are its rows of the batch's, and the gradient of
// one logit is then that sample's. The two criteria share it (Pass.Shared).
func vkdnwStat(p *Pass) *Node {
	return p.Shared("vkdnw", func() []*Node {
		g, dt := p.Input.Graph(), p.Input.DType()
		n := p.Input.Shape().Dimensions[0]
		nt := len(p.Targets)
		parts := []*Node{Const(g, []float64{float64(n), 0, float64(nt)})}
		one := ScalarOne(g, dt)
		for _, s := range p.Specs {
			parts = append(parts, Reshape(p.Weigh(nn.Activation{Name: s.Name, GatedBy: s.GatedBy}, one), 1))
		}
		var logits, jac []*Node
		k := 0
		for i := range n {
			l, _ := p.Forward(Slice(p.Input, AxisRange(i, i+1)), 0)
			k = l.Shape().Dimensions[1]
			logits = append(logits, Reshape(l, k))
			for c := range k {
				grads := Gradient(Reshape(Slice(l, AxisElem(0), AxisElem(c))), p.Targets...)
				firsts := make([]*Node, nt)
				for j, gr := range grads {
					firsts[j] = Slice(Reshape(gr, gr.Shape().Size()), AxisRange(0, 1))
				}
				if nt > 0 {
					jac = append(jac, Concatenate(firsts, 0))
				}
			}
		}
		parts[0] = Const(g, []float64{float64(n), float64(k), float64(nt)})
		parts = append(parts, logits...)
		parts = append(parts, jac...)
		for i := range parts {
			parts[i] = ConvertDType(parts[i], dt)
		}
		return []*Node{Concatenate(parts, 0)}
	})[0]
}

// vkdnwSingleScore is aleph + vkdnwEntropyScore (Degenerate when the
// entropy is).
func vkdnwSingleScore(stat []float64) (float64, error) {
	h, aleph, err := vkdnwScores(stat)
	if err != nil || h == Degenerate {
		return h, err
	}
	return float64(aleph) + h, nil
}

// vkdnwEntropyScore is the entropy of the normalised deciles of F's
// spectrum.
func vkdnwEntropyScore(stat []float64) (float64, error) {
	h, _, err := vkdnwScores(stat)
	return h, err
}

// vkdnwScores computes F from vkdnwStat's output and returns the entropy
// of its deciles and aleph, the number of weight tensors the network has.
// A spectrum whose deciles are all 0 (F of rank below a tenth of P, or a
// network whose logits ignore its weights) is Degenerate: the reference's
// entropy 0 would tie it with a spectrum of one nonzero decile.
func vkdnwScores(stat []float64) (entropy float64, aleph int, err error) {
	if len(stat) < 3 {
		return 0, 0, fmt.Errorf("statistic of %d values, want at least the header [N, K, P]", len(stat))
	}
	n, k, nt := int(stat[0]), int(stat[1]), int(stat[2])
	if n < 1 || k < 2 || nt < 0 || len(stat) != 3+nt+n*k+n*k*nt {
		return 0, 0, fmt.Errorf("statistic of %d values for N=%v, K=%v, P=%v", len(stat), stat[0], stat[1], stat[2])
	}
	kept, logits, jac := stat[3:3+nt], stat[3+nt:3+nt+n*k], stat[3+nt+n*k:]
	var cols []int
	for j, w := range kept {
		if w != 0 {
			cols = append(cols, j)
		}
	}
	aleph = len(cols)
	if aleph == 0 {
		return 0, 0, errors.New("the network has no weights: no Fisher information")
	}
	cols = cols[:min(len(cols), vkdnwTensors)]
	f := vkdnwFisher(logits, jac, n, k, nt, cols)
	lambda := linalg.SymmetricEigenvalues(f, len(cols))
	for i, l := range lambda {
		lambda[i] = math.Abs(l) // torch.svd's singular values of the symmetric F
	}
	return vkdnwDecileEntropy(lambda), aleph, nil
}

// vkdnwFisher is F = mean_n J_n^T (diag(p_n) - p_n p_n^T) J_n [P, P]
// (row-major) over the columns cols of the Jacobians jac [N, K, nt], p_n
// the smoothed softmax of logits [N, K].
func vkdnwFisher(logits, jac []float64, n, k, nt int, cols []int) []float64 {
	m := len(cols)
	f := make([]float64, m*m)
	prob := make([]float64, k)
	v := make([]float64, k*m) // J_n restricted to cols, [K, m]
	for s := range n {
		l := logits[s*k : (s+1)*k]
		top := slices.Max(l)
		sum := 0.0
		for c := range k {
			prob[c] = math.Exp(l[c] - top)
			sum += prob[c]
		}
		for c := range k {
			prob[c] = prob[c]/sum*(1-vkdnwSmoothing) + vkdnwSmoothing/float64(k)
		}
		for c := range k {
			for a, j := range cols {
				v[c*m+a] = jac[(s*k+c)*nt+j]
			}
		}
		// J^T diag(p) J - (J^T p)(J^T p)^T
		mean := make([]float64, m)
		for c := range k {
			for a := range m {
				mean[a] += prob[c] * v[c*m+a]
			}
		}
		for a := range m {
			for b := range m {
				x := -mean[a] * mean[b]
				for c := range k {
					x += prob[c] * v[c*m+a] * v[c*m+b]
				}
				f[a*m+b] += x / float64(n)
			}
		}
	}
	return f
}

// vkdnwDecileEntropy is -sum_i t_i log(t_i + 1e-10) over the deciles q_i
// of lambda (i = 1..9, linear interpolation as torch.quantile), t_i =
// q_i / (sum |q| + 1e-10); Degenerate when every decile is 0 (or one is
// not a number).
func vkdnwDecileEntropy(lambda []float64) float64 {
	sorted := slices.Clone(lambda)
	slices.Sort(sorted)
	m := len(sorted)
	var q [9]float64
	norm := 0.0
	for i := range q {
		pos := float64(i+1) / 10 * float64(m-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, m-1)
		q[i] = sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
		norm += math.Abs(q[i])
	}
	if !(norm > 0) || math.IsInf(norm, 0) {
		return Degenerate
	}
	h := 0.0
	for _, v := range q {
		t := v / (norm + 1e-10)
		h -= t * math.Log(t+1e-10)
	}
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return Degenerate
	}
	return h
}
