package freedarts

import (
	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// noCountsOnAlpha is why the counts have no alpha form.
const noCountsOnAlpha = "every cell of a supernet holds every op, so counts do not depend on alpha"

func init() {
	mustRegister(Criterion{
		Name:  "params",
		Doc:   "baseline: number of trainable parameters (affine BN included)",
		DType: dtypes.Float32, BN: nn.BNBatch,
		NotOnAlpha: noCountsOnAlpha,
		Static:     func(specs []nn.ParamSpec, _ []nn.Activation) float64 { return float64(nn.CountParams(specs)) },
	})
	mustRegister(Criterion{
		Name:  "flops",
		Doc:   "baseline: multiply-accumulates of the convolution and linear layers for one image",
		DType: dtypes.Float32, BN: nn.BNBatch,
		NotOnAlpha: noCountsOnAlpha,
		Static:     countMACs,
	})
}

// countMACs is the multiply-accumulates per image of every convolution and
// linear layer: output elements times the weight's fan-in.
func countMACs(specs []nn.ParamSpec, acts []nn.Activation) float64 {
	fanIn := make(map[string]int, len(specs))
	for _, s := range specs {
		fanIn[s.Name] = s.FanIn
	}
	total := 0.0
	for _, a := range acts {
		if a.Kind != nn.LayerOutput {
			continue
		}
		dims := a.Node.Shape().Dimensions
		perImage := a.Node.Shape().Size() / dims[0]
		total += float64(perImage) * float64(fanIn[a.Name])
	}
	return total
}
