package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// zico is ZiCo (Li et al., "ZiCo: Zero-shot NAS via Inverse Coefficient of
// Variation on Gradients", ICLR 2023; github.com/SLDGroup/ZiCo,
// ZeroShotProxy/compute_zico.py): with g_b the gradient of the mean
// cross-entropy of batch b (zero_grad before each), for every convolution
// and linear layer l
//
//	zico = sum_l log( sum_{w in l, std_w > 0} mean_b |g_b,w| / std_b g_b,w )
//
// std being numpy's (no Bessel correction), the weights whose gradient does
// not vary left out, and a layer whose sum is 0 (no gradient at all) left
// out too. The released code averages over the batches of a loader; here,
// as MeCo's re-implementation does (HamsterMimi/MeCo, correlation/
// foresight/pruners/measures/zico.py), the batch is split into its two
// halves, each its own forward pass (its own batch statistics) and its own
// backward pass, all in the one graph. Unlike that re-implementation, the
// second gradient is the second half's alone, as in ZiCo's code: MeCo's
// accumulates the two (it calls zero_grad once).
//
// On alpha each entry is a layer of its own, as grad_norm's, scored by its
// ratio mean_b |g_b| / std_b g_b, 0 for the entries whose gradient does not
// vary (none). The layer's log is left out: it is monotone, so it ranks
// the ops of an edge alike, but with two batches the ratio is (|g_1| +
// |g_2|) / |g_1 - g_2| >= 1, exactly 1 where the two gradients have
// opposite signs, whose log 0 would tie with none; the ratio keeps every
// entry with a gradient above none.
func init() {
	mustRegister(Criterion{
		Name:  "zico",
		Doc:   "ZiCo: sum over layers of log sum_w mean|g|/std(g), gradients of the two halves of the batch (on alpha: mean|g|/std(g))",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: zicoSaliency, Network: zicoStat, Finish: zicoScore,
		Published: []Published{{Statistic: Spearman, Value: 0.80, Target: "cifar10_test", Source: "Li et al., ZiCo, ICLR 2023, Table 1: NATS-Bench-TSS, CIFAR-10 test accuracy"}},
	})
}

// zicoBatches is the number of batches (halves of the pass's batch) whose
// gradients ZiCo compares.
const zicoBatches = 2

// zicoRatios is, per target, mean_b |g_b| / std_b g_b where the standard
// deviation is not 0, and 0 where it is.
func zicoRatios(p *Pass) []*Node {
	n := p.Input.Shape().Dimensions[0]
	if n < zicoBatches {
		exceptions.Panicf("zico: a batch of %d images, want at least %d (it compares the gradients of its halves)", n, zicoBatches)
	}
	perBatch := make([][]*Node, zicoBatches)
	for b := range zicoBatches {
		lo, hi := b*n/zicoBatches, (b+1)*n/zicoBatches
		logits, _ := p.Forward(Slice(p.Input, AxisRange(lo, hi)), 0)
		perBatch[b] = Gradient(crossEntropy(logits, Slice(p.Labels, AxisRange(lo, hi))), p.Targets...)
	}
	out := make([]*Node, len(p.Targets))
	for i := range p.Targets {
		g := make([]*Node, zicoBatches)
		for b := range zicoBatches {
			g[b] = perBatch[b][i]
		}
		stacked := Stack(g, 0)
		meanAbs := ReduceMean(Abs(stacked), 0)
		std := Sqrt(ReduceMean(Square(Sub(stacked, ReduceAndKeep(stacked, ReduceMean, 0))), 0))
		varies := GreaterThan(std, ZerosLike(std))
		out[i] = Where(varies, Div(meanAbs, Where(varies, std, OnesLike(std))), ZerosLike(std))
	}
	return out
}

// zicoStat is the per-layer sums [layers] of zicoRatios.
func zicoStat(p *Pass) *Node {
	ratios := zicoRatios(p)
	sums := make([]*Node, len(ratios))
	for i, r := range ratios {
		sums[i] = ReduceAllSum(r)
	}
	return Stack(sums, 0)
}

// zicoScore is the sum of the logs of the layers' sums that are not 0.
func zicoScore(sums []float64) (float64, error) {
	score := 0.0
	for i, s := range sums {
		if s < 0 || math.IsNaN(s) {
			return 0, fmt.Errorf("layer %d: sum of ratios %v", i, s)
		}
		if s > 0 {
			score += math.Log(s)
		}
	}
	if math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}

// zicoSaliency scores every alpha entry by its ratio (0 where the
// gradient does not vary).
func zicoSaliency(p *Pass) []*Node { return zicoRatios(p) }
