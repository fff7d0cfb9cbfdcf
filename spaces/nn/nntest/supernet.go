package nntest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Forward builds a network's logits [batch, classes] from x [batch, H, W, 3].
type Forward func(n *nn.Net, x *Node) *Node

// SupernetCheck configures CheckAlphaGradients.
type SupernetCheck struct {
	InputSize, Batch, Classes int
	// Alphas are the names of the architecture parameters to check.
	Alphas []string
	// Coords is how many coordinates of each alpha are checked.
	Coords int
	// Seed draws the parameters (alpha at scale 0.5, far from rounding), the
	// input and the labels.
	Seed uint64
}

// CheckAlphaGradients compares dR/dalpha of a supernet with float64 central
// differences for the two objectives FreeDARTS differentiates: R = sum of
// the logits of the BN-free network with |parameters| and a positive input
// (SynFlow), and R = cross-entropy of a random labelled batch with
// batch-statistics BN (SNIP). The SynFlow input is random rather than all
// ones so that no max pool sees ties, where R has no derivative; the SNIP
// step is smaller because its ReLUs see inputs of both signs.
func CheckAlphaGradients(t *testing.T, forward Forward, c SupernetCheck) {
	t.Helper()
	b := Backend(t)
	for _, tc := range []struct {
		name string
		opts nn.Options
		abs  bool
		h    float64
	}{
		{"synflow", nn.Options{DType: dtypes.Float64, BN: nn.BNNone}, true, 1e-6},
		{"snip", nn.Options{DType: dtypes.Float64, BN: nn.BNBatch}, false, 1e-7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := nn.Trace(b, tc.opts, func(n *nn.Net) {
				forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float64, c.Batch, c.InputSize, c.InputSize, 3)))
			})
			if err != nil {
				t.Fatal(err)
			}
			var inputs []Input
			for i, v := range nn.InitValues(specs, nn.InitOptions{Seed: c.Seed, AlphaStd: 0.5}) {
				if tc.abs {
					absAll(v)
				}
				inputs = append(inputs, Input{Values: v, Shape: specs[i].Shape})
			}
			rng := rand.New(rand.NewPCG(c.Seed, 6))
			x := Random(rng, c.Batch, c.InputSize, c.InputSize, 3)
			if tc.abs {
				absAll(x.Values)
			}
			oneHot := make([]float64, c.Batch*c.Classes)
			for i := range c.Batch {
				oneHot[i*c.Classes+rng.IntN(c.Classes)] = 1
			}
			inputs = append(inputs, x, Input{Values: oneHot, Shape: []int{c.Batch, c.Classes}})
			np := len(specs)
			f := func(in []*Node) *Node {
				logits := forward(nn.Bind(in[0].Graph(), tc.opts, specs, in[:np]), in[np])
				if tc.abs {
					return ReduceAllSum(logits)
				}
				return Neg(ReduceAllMean(ReduceSum(Mul(in[np+1], LogSoftmax(logits, -1)), -1)))
			}
			for _, name := range c.Alphas {
				i, err := nn.ParamIndex(specs, name)
				if err != nil {
					t.Fatal(err)
				}
				CheckGradient(t, b, f, inputs, i, tc.h, 1e-5, c.Coords, rng)
			}
		})
	}
}

func absAll(v []float64) {
	for i := range v {
		v[i] = math.Abs(v[i])
	}
}
