package freedarts

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// TE-NAS (Chen, Gong & Wang, "Neural Architecture Search on ImageNet in
// Four GPU Hours: A Theoretically Inspired Perspective", ICLR 2021;
// github.com/VITA-Group/TENAS, lib/procedures/ntk.py and
// lib/procedures/linear_region_counter.py, prune_tenas.py) ranks networks
// by two indicators, and prunes a supernet by them: removing each op in
// turn and keeping the ops whose removal hurts the indicators most. That
// pruning step is exactly this package's Ablate (entry j scores R(alpha) -
// R(alpha with entry j set to 0)), and ntk_cond reaches alpha so. The
// region count does not: on a supernet of 16 channels at 32x32 (8x8 in
// the tests) no two images share a pattern, with or without any one op,
// so its ablation is zero everywhere (NotOnAlpha).
//
// On whole networks the settings follow AZ-NAS's NAS-Bench-201 port of
// them (github.com/cvlab-yonsei/AZ-NAS, NB201/ZeroShotProxy/
// compute_te_nas_score.py), the reference for whole-network correlations:
// batch-statistics BN (train mode), PyTorch's default initialisation, one
// batch, no repeat (TE-NAS's own pruning averages 3 draws of
// Kaiming-normal weights).
//
//   - ntk_cond: the condition number lambda_max/lambda_min of the NTK
//     Theta = J J^T at initialisation, J the [N, P] per-sample gradients
//     of sum_k logits[n, k] with respect to the network's weights, over a
//     labelled batch's images (the reference: real images, N = 64 at the
//     default -batch). Lower is better, so the score is -cond, as
//     compute_NTK_score returns it. The weights are the convolution and
//     linear weights (the scored targets); the reference's parameters
//     "with 'weight' in their name" also hold the affine BN scales, which
//     this leaves out. A singular (lambda_min <= 0) or all-zero NTK is
//     Degenerate; the reference returns -100000 for the all-zero one
//     (nan_to_num of 0/0), -Inf for lambda_min = 0, and a positive score,
//     ranked best, for a lambda_min rounded below 0.
//   - linear_regions: the number of distinct ReLU activation patterns over
//     a batch of 64 N(0, 1) images (compute_RN_score): sum over samples of
//     1 / (samples with the same pattern), the pattern being the sign of
//     every ReLU's output. Higher is better. TE-NAS counts regions of a
//     width-1 supernet on 3x3 single-channel crops, 3000 of them, where
//     patterns repeat; in a whole NAS-Bench-201 network (C = 16, 32x32
//     inputs, about a million ReLUs) every sample has a pattern of its
//     own, so the count is the batch size for nearly every cell, in the
//     reference as here.
//
// Per-sample gradients have no batched (vmap) form in GoMLX: ntk_cond
// builds one gradient of sum_k logits[n, k] per sample n in one graph, N
// backward passes after one forward pass. With batch-statistics BN a
// sample's logits depend on the whole batch, so each is a full backward
// pass of the batch (per-sample gradients from one backward pass, or
// Jacobian-vector products, would need the samples decoupled, or P
// forward-mode products). That is about N times a SNIP pass: minutes per
// NAS-Bench-201 cell at N = 64 on a CPU (6 s at N = 16, 1 s at N = 8, on
// 2 cores). Memory grows with N too, faster than the N x 4 MB of the
// per-sample gradients: the go backend keeps part of every backward
// pass's work until the graph ends (a correlate run peaked at 7 GB at
// N = 16; at N = 64 it passed 12 GB, still growing, and was stopped), so
// a CPU study runs it at a smaller -batch.

func init() {
	mustRegister(Criterion{
		Name:  "ntk_cond",
		Doc:   "TE-NAS NTK: -lambda_max/lambda_min of J J^T, J the per-sample weight gradients of sum(logits) over the batch (one backward pass per image; Chen et al. ICLR 2021)",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Ablate:  true, // TE-NAS prunes by the change of cond when an op is removed
		Network: ntkGram, Finish: ntkCondScore,
	})
	mustRegister(Criterion{
		Name:  "linear_regions",
		Doc:   "TE-NAS linear regions: distinct ReLU sign patterns over 64 N(0,1) images (Chen et al. ICLR 2021)",
		DType: dtypes.Float32,
		BN:    nn.BNBatch,
		Input: InputGaussian, Images: teNASRegionSamples,
		// TE-NAS prunes by the change of the count when an op is removed,
		// which is Ablate; but it counts on a width-1 supernet at 3x3.
		NotOnAlpha: "on the supernets of the built-in spaces every image of a batch has a ReLU pattern of its own, " +
			"so removing an op never changes the count (all-zero ablation scores); TE-NAS counts on a width-1 supernet with 3x3 inputs",
		Network: reluPatternDistances, NetworkObserve: nn.ReLUInput, Finish: linearRegionCount,
	})
	mustRegisterEnsemble(NamedEnsemble{
		Name:    "te_nas",
		Doc:     "TE-NAS: rank average of ntk_cond and linear_regions over the networks scored (the AZ-NAS notebook's rank sum)",
		Method:  RankAverage,
		Members: []string{"ntk_cond", "linear_regions"},
	})
}

// teNASRegionSamples is the batch of compute_RN_score on NAS-Bench-201
// (its loader's 64).
const teNASRegionSamples = 64

// ntkGram is the NTK J J^T [N, N] of the per-sample gradients of
// sum_k logits[n, k] with respect to the targets, accumulated target by
// target.
func ntkGram(p *Pass) *Node {
	n := p.Logits.Shape().Dimensions[0]
	perSample := make([][]*Node, n)
	for i := range n {
		perSample[i] = Gradient(ReduceAllSum(Slice(p.Logits, AxisElem(i))), p.Targets...)
	}
	terms := make([]*Node, len(p.Targets))
	for t := range p.Targets {
		rows := make([]*Node, n)
		for i := range n {
			rows[i] = Reshape(perSample[i][t], 1, perSample[i][t].Shape().Size())
		}
		j := Concatenate(rows, 0)
		terms[t] = MatMul(j, Transpose(j, 0, 1))
	}
	return sumSamplePairs(p, terms)
}

// ntkCondScore is -lambda_max/lambda_min of the NTK; Degenerate when it
// is singular.
func ntkCondScore(gram []float64) (float64, error) {
	n, err := linalg.SquareSide(gram)
	if err != nil {
		return 0, err
	}
	ev := linalg.SymmetricEigenvalues(gram, n)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range ev {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if !(lo > 0) {
		return Degenerate, nil
	}
	score := -hi / lo
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}

// reluPatternDistances is the Hamming distance [N, N] between the ReLU
// sign patterns of the samples: sum over ReLUs of c(1-c)^T + (1-c)c^T for
// the codes c [N, D] (input > 0), computed as r_i + r_j - 2 c c^T with r
// the row sums. Its entries are integers below 2^24 for the networks of
// the built-in spaces, exact in float32.
func reluPatternDistances(p *Pass) *Node {
	return sumReLUCodes(p, func(twoCC, rr *Node, _ int) *Node { return Sub(rr, twoCC) })
}

// linearRegionCount is TE-NAS's count of distinct patterns from their
// distances: sum over samples i of 1 / #{j : pattern j = pattern i}.
func linearRegionCount(dist []float64) (float64, error) {
	n, err := linalg.SquareSide(dist)
	if err != nil {
		return 0, err
	}
	regions := 0.0
	for i := range n {
		same := 0
		for j := range n {
			if math.Abs(dist[i*n+j]) < 0.5 {
				same++
			}
		}
		if same == 0 { // a NaN distance to itself
			return Degenerate, nil
		}
		regions += 1 / float64(same)
	}
	return regions, nil
}
