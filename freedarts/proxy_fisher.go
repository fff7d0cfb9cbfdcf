package freedarts

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	mustRegister(Criterion{
		Name:  "fisher",
		Doc:   "Fisher: per unit 0.5*mean_n(sum act*dL/dact)^2 over conv/linear outputs (on alpha: over each gated op output)",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: fisherSaliency, SaliencyObserve: nn.GateOutput,
		Network: fisherNetwork, NetworkObserve: nn.LayerOutput,
		Published: []Published{{Statistic: Spearman, Value: 0.360, Target: "cifar10valid_test", Source: zeroCostPaper}},
	})
}

// fisherSaliency scores alpha entry j by 0.5*mean_n(s_n)^2 with s_n =
// alpha_j * g_n, g_n the per-sample gradient of alpha_j. An alpha entry
// gates its op's output y in every cell, so s_n is the sum over those
// outputs of <y_n, dL/dy_n>: zero-cost-nas's per-channel Fisher with the
// gate as the channel, summed over the cells that share it before squaring
// (they share one parameter). Entries that gate nothing (none) score 0.
func fisherSaliency(p *Pass) []*Node {
	_, actGrads := p.LossGrads()
	out := make([]*Node, len(p.Targets))
	for i, spec := range p.Specs {
		perEntry := make([]*Node, spec.Size())
		for j, a := range p.ActsOf(nn.LayerOutput | nn.GateOutput) {
			if a.Kind != nn.GateOutput || a.Name != spec.Name {
				continue
			}
			s := perSample(Mul(a.Node, actGrads[j]))
			if perEntry[a.Index] != nil {
				s = Add(perEntry[a.Index], s)
			}
			perEntry[a.Index] = s
		}
		t := p.Targets[i]
		vals := make([]*Node, spec.Size())
		for k, s := range perEntry {
			if s == nil {
				vals[k] = ScalarZero(t.Graph(), t.DType())
			} else {
				vals[k] = MulScalar(ReduceAllMean(Square(s)), 0.5)
			}
		}
		out[i] = Reshape(Stack(vals, 0), spec.Shape...)
	}
	return out
}

// fisherNetwork is zero-cost-nas's Fisher: for the output act of every
// convolution and linear layer, per output channel k, del_k =
// 0.5*mean_n(sum_spatial act*dL/dact)^2. It broadcasts |del_k| to every
// weight of channel k before summing, so each channel counts fan-in times.
func fisherNetwork(p *Pass) *Node {
	_, actGrads := p.LossGrads()
	fanIn := make(map[string]int, len(p.Specs))
	for _, s := range p.Specs {
		fanIn[s.Name] = s.FanIn
	}
	var terms []*Node
	for j, a := range p.ActsOf(nn.LayerOutput | nn.GateOutput) {
		if a.Kind != nn.LayerOutput {
			continue
		}
		g := Mul(a.Node, actGrads[j])
		if g.Rank() == 4 {
			g = ReduceSum(g, 1, 2) // [N, C]
		}
		del := MulScalar(ReduceMean(Square(g), 0), 0.5)
		terms = append(terms, p.Weigh(a, MulScalar(ReduceAllSum(Abs(del)), float64(fanIn[a.Name]))))
	}
	return nn.ReduceSumNodes(terms)
}
