package darts

// ParamCount is the exact number of parameters of the evaluation network of
// g (conv and linear weights, linear biases, affine batch-norm scales and
// shifts), computed from the architecture alone; it equals the parameters
// NewNetwork declares (tested) and PyTorch's count of the DARTS model.
// DARTS's count_parameters_in_MB leaves out the auxiliary head: pass
// auxiliary=false to compare with it.
func ParamCount(cfg Config, g Genotype, auxiliary bool) (int, error) {
	net, err := NewNetwork(cfg, g, auxiliary)
	if err != nil {
		return 0, err
	}
	bn := func(c int) int { return 2 * c }
	total := 0
	// Stem.
	if cfg.ImageNet {
		half := cfg.C / 2
		total += 27*half + bn(half) + 9*half*cfg.C + bn(cfg.C) // stem0
		total += 9*cfg.C*cfg.C + bn(cfg.C)                     // stem1
	} else {
		total += 27*3*cfg.C + bn(3*cfg.C)
	}
	last := 0
	for i, p := range net.cells {
		// Preprocessing: ReLUConvBN 1x1 and FactorizedReduce (two 1x1 convs
		// to C/2 each) both cost cin*C weights and a BN of C.
		total += p.CPrevPrev*p.C + bn(p.C)
		total += p.CPrev*p.C + bn(p.C)
		pairs := g.Normal
		if p.Reduction {
			pairs = g.Reduce
		}
		for _, pr := range pairs {
			total += opParams(pr.Op, p.C, pairStride(p, pr))
		}
		if auxiliary && i == cfg.AuxCell() {
			total += 128*p.Out + bn(128) + 4*128*768 + 768*cfg.Classes + cfg.Classes
			if !cfg.ImageNet {
				total += bn(768)
			}
		}
		last = p.Out
	}
	total += last*cfg.Classes + cfg.Classes
	return total, nil
}

// opParams counts the parameters of one op of the evaluation network at
// width c.
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
