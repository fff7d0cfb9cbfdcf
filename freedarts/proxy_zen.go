package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// zen is the Zen-score (Lin et al., "Zen-NAS: A Zero-Shot NAS for
// High-Performance Image Recognition", ICCV 2021) as NASLib computes it
// (naslib/predictors/utils/pruners/measures/zen.py, from Zen-NAS's
// ZeroShotProxy/compute_zen_score.py; NAS-Bench-Suite-Zero, Krishnakumar et
// al., NeurIPS 2022), repeat 1, mixup_gamma 1e-2:
//
//   - the convolution and linear weights are drawn from N(0, 1), biases 0,
//     batch-norm scales 1 and shifts 0 (network_weight_gaussian_init);
//   - x1 and x2 are batches of N(0, 1) images (zenBatch each, drawn from
//     the seed; no data) and f the feature map before the head's global
//     pooling (forward_before_global_avg_pool: after NAS-Bench-201's last
//     BN and ReLU), computed for x1 and for x1 + 0.01 x2 by two forward
//     passes in training mode, each with its own batch statistics;
//   - zen = log(mean_n sum_chw |f(x1) - f(x1 + 0.01 x2)|) + sum over the
//     batch norms of log sqrt(mean_c running_var_c).
//
// The running variance is PyTorch's after those two passes from its
// initial 1 with momentum 0.1, 0.81 + 0.09 v1 + 0.1 v2, v the unbiased
// variance of the batch norm's input in each pass: what the released code
// reads (the paper's sigma is the batch's own standard deviation). A
// network whose features do not move with its input (every cell none) is
// Degenerate (NASLib's log 0, which it turns into -1e8).
//
// NASLib's inputs have its data batch's shape (32 images in its benchmark);
// here zenBatch is this project's batch, 64.
//
// On alpha it is an ablation, as jacob_cov: the score of the whole
// network's features has no per-parameter decomposition.
func init() {
	mustRegister(Criterion{
		Name:  "zen",
		Doc:   "Zen-score (NASLib): log E|f(x)-f(x+0.01e)| + sum log sqrt(BN running var), N(0,1) weights and inputs (no data)",
		DType: dtypes.Float32, BN: nn.BNBatch,
		Weights: WeightsGaussian, Input: InputGaussian, Images: 2 * zenBatch,
		Ablate:  true, // a score of the whole network's features: no per-parameter decomposition
		Network: zenStat, NetworkObserve: nn.BNInput | nn.Features, Finish: zenScore,
		Published: []Published{{Statistic: Spearman, Value: 0.35, Target: "cifar10valid_valid", Source: suiteZero}},
	})
}

const (
	// zenBatch is the size of each of Zen-NAS's two Gaussian batches.
	zenBatch = 64
	// zenMixupGamma scales the perturbation x2.
	zenMixupGamma = 1e-2
	// bnMomentum is PyTorch's default batch-norm momentum.
	bnMomentum = 0.1
)

// zenStat is [mean_n sum_chw |f(x1) - f(x1 + gamma x2)|, sum over the
// batch norms of log sqrt(mean_c running_var)], the input being x1 then x2
// (InputGaussian).
func zenStat(p *Pass) *Node {
	x := p.Input
	n := x.Shape().Dimensions[0]
	if n < 2 || n%2 != 0 {
		exceptions.Panicf("zen: input of %d images, want an even number >= 2 (the batch and its perturbation)", n)
	}
	x1 := Slice(x, AxisRange(0, n/2))
	mixed := Add(x1, MulScalar(Slice(x, AxisRange(n/2, n)), zenMixupGamma))
	_, acts1 := p.Forward(x1, nn.BNInput|nn.Features)
	_, acts2 := p.Forward(mixed, nn.BNInput|nn.Features)
	f1, bn1 := zenActs(acts1)
	f2, bn2 := zenActs(acts2)
	if len(bn1) != len(bn2) {
		exceptions.Panicf("zen: %d and %d batch norms in the two passes", len(bn1), len(bn2))
	}
	l1 := ReduceAllMean(perSample(Abs(Sub(f1, f2))))
	bnTerm := ScalarZero(x.Graph(), x.DType())
	for k, a := range bn1 {
		// Two updates from 1: (1-m)^2 + (1-m) m v1 + m v2.
		v1, v2 := unbiasedChannelVariance(a.Node), unbiasedChannelVariance(bn2[k].Node)
		rv := AddScalar(Add(MulScalar(v1, (1-bnMomentum)*bnMomentum), MulScalar(v2, bnMomentum)), (1-bnMomentum)*(1-bnMomentum))
		bnTerm = Add(bnTerm, p.Weigh(a, MulScalar(Log(ReduceAllMean(rv)), 0.5)))
	}
	return Stack([]*Node{l1, bnTerm}, 0)
}

// zenActs splits a pass's activations into the feature map (the last
// Features) and the batch-norm inputs.
func zenActs(acts []nn.Activation) (features *Node, bn []nn.Activation) {
	for _, a := range acts {
		switch a.Kind {
		case nn.Features:
			features = a.Node
		case nn.BNInput:
			bn = append(bn, a)
		}
	}
	if features == nil {
		exceptions.Panicf("zen: the network observes no feature map before its global pooling (nn.Net.ObserveFeatures)")
	}
	return features, bn
}

// unbiasedChannelVariance is the variance [C] of x [N, H, W, C] over all
// but the channel axis, with Bessel's correction, as PyTorch's running
// statistics use it.
func unbiasedChannelVariance(x *Node) *Node {
	axes := make([]int, 0, x.Rank()-1)
	for a := 0; a < x.Rank()-1; a++ {
		axes = append(axes, a)
	}
	count := x.Shape().Size() / x.Shape().Dimensions[x.Rank()-1]
	v := ReduceMean(Square(Sub(x, ReduceAndKeep(x, ReduceMean, axes...))), axes...)
	if count > 1 {
		v = MulScalar(v, float64(count)/float64(count-1))
	}
	return v
}

// zenScore is log(L1) plus the batch-norm term of zenStat's output.
func zenScore(stat []float64) (float64, error) {
	if len(stat) != 2 {
		return 0, fmt.Errorf("statistic of %d values, want 2", len(stat))
	}
	l1, bn := stat[0], stat[1]
	if !(l1 > 0) || math.IsInf(l1, 0) || math.IsNaN(bn) || math.IsInf(bn, 0) {
		return Degenerate, nil // the features ignore the perturbation
	}
	return math.Log(l1) + bn, nil
}
