package darts

import (
	"fmt"
	"math"
)

// ParamCount is the exact number of parameters of the evaluation network of
// g (conv and linear weights, linear biases, affine batch-norm scales and
// shifts), computed from the architecture alone; it equals the parameters
// NewNetwork declares (tested) and PyTorch's count of the DARTS model.
// DARTS's count_parameters_in_MB leaves out the auxiliary head: pass
// auxiliary=false to compare with it.
//
// The sizes are checked first (Config.Validate), and the sum is computed
// with overflow checks: a count that does not fit an int is an error,
// never a wrapped-around number.
func ParamCount(cfg Config, g Genotype, auxiliary bool) (int, error) {
	net, err := NewNetwork(cfg, g, auxiliary)
	if err != nil {
		return 0, err
	}
	var n counter
	bn := func(c int) { n.add(2, c) }
	// Stem.
	if cfg.ImageNet {
		half := cfg.C / 2
		n.add(27, half) // stem0
		bn(half)
		n.add(9, half, cfg.C)
		bn(cfg.C)
		n.add(9, cfg.C, cfg.C) // stem1
		bn(cfg.C)
	} else {
		n.add(27, 3, cfg.C)
		bn(3 * cfg.C)
	}
	last := 0
	for i, p := range net.cells {
		// Preprocessing: ReLUConvBN 1x1 and FactorizedReduce (two 1x1 convs
		// to C/2 each) both cost cin*C weights and a BN of C.
		n.add(p.CPrevPrev, p.C)
		bn(p.C)
		n.add(p.CPrev, p.C)
		bn(p.C)
		pairs := g.Normal
		if p.Reduction {
			pairs = g.Reduce
		}
		for _, pr := range pairs {
			n.add(opParams(pr.Op, p.C, pairStride(p, pr)))
		}
		if auxiliary && i == cfg.AuxCell() {
			n.add(128, p.Out)
			bn(128)
			n.add(4, 128, 768)
			n.add(768, cfg.Classes)
			n.add(cfg.Classes)
			if !cfg.ImageNet {
				bn(768)
			}
		}
		last = p.Out
	}
	n.add(last, cfg.Classes)
	n.add(cfg.Classes)
	if n.overflow {
		return 0, fmt.Errorf("darts: the parameter count of %d cells at C=%d with %d classes overflows an int", cfg.Layers, cfg.C, cfg.Classes)
	}
	return n.total, nil
}

// counter sums products of non-negative sizes, remembering an overflow.
type counter struct {
	total    int
	overflow bool
}

// add adds the product of the factors (each >= 0).
func (c *counter) add(factors ...int) {
	p := 1
	for _, f := range factors {
		if f < 0 || (f != 0 && p > math.MaxInt/f) {
			c.overflow = true
			return
		}
		p *= f
	}
	if c.total > math.MaxInt-p {
		c.overflow = true
		return
	}
	c.total += p
}

// opParams counts the parameters of one op of the evaluation network at
// width c. It needs no overflow check: Config.Validate bounds c (16C at
// most) to under 2^19, so c*c is under 2^38.
func opParams(op string, c, stride int) int {
	switch op {
	case "sep_conv_3x3", "sep_conv_5x5":
		k := 3
		if op == "sep_conv_5x5" {
			k = 5
		}
		return 2 * (k*k*c + c*c + 2*c)
	case "dil_conv_3x3", "dil_conv_5x5":
		k := 3
		if op == "dil_conv_5x5" {
			k = 5
		}
		return k*k*c + c*c + 2*c
	case "skip_connect":
		if stride == 2 { // FactorizedReduce c -> c
			return c*c + 2*c
		}
	}
	return 0 // none, pools, identity
}
