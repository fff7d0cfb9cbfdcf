package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// AZ-NAS (Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network
// Architecture Search", CVPR 2024; github.com/cvlab-yonsei/AZ-NAS,
// NB201/ZeroShotProxy/compute_az_nas_score.py, run by NB201/tss_general.ipynb)
// scores a network by four proxies, each of which ranks the candidates, and
// combines the ranks: az_nas = sum over the four of log(rank/N) across the
// N candidates (LogRank, which takes the mean: the same order). The
// combination is not a property of one network,
// so az_nas is a NamedEnsemble of its parts, computed by study.Correlate
// over the cells of a study; the parts are criteria of their own.
//
// The parts read the feature maps F_0..F_L of the network: the stem's
// output and every cell's, reduction blocks included (nn.CellOutput; the
// reference's extract_cell_features), 18 maps for NAS-Bench-201. As the
// reference runs them: a batch of 64 N(0, 1) images (the notebook gives
// az_nas no data), batch-statistics BN (model.train()), float32, and
// Kaiming-normal weights (kaiming_normal_, fan_in, relu: N(0, 2/fan_in),
// biases 0). The weight scale matters only where no batch norm follows a
// convolution: the 1x1 shortcut of NAS-Bench-201's residual blocks.
//
//   - expressivity: for each F_l, the entropy -sum p log(p + 1e-8) of the
//     normalised eigenvalues p = s/sum(s) of the channel covariance of F_l
//     (pixels of the batch as samples, mean removed, divided by their
//     number): how isotropic the feature space is. The score is the sum
//     over l.
//   - progressivity: min over l >= 1 of (entropy of F_l - entropy of
//     F_{l-1}): expressivity should grow with depth.
//   - trainability: for each pair (F_{l-1}, F_l), a random ±1 (Rademacher)
//     cotangent g_out on F_l is backpropagated to g_in on F_{l-1} (pixel-
//     unshuffled to F_l's resolution at a reduction); with M = g_in^T g_out
//     / (pixels), channels by channels, an estimate of the cell's Jacobian,
//     and sigma its largest singular value, the pair scores
//     -sigma - 1/(sigma + 1e-6) + 2 (best at sigma = 1). The score is the
//     mean over the pairs, and -Inf (Degenerate) when a cell passes the
//     cotangent unchanged (g_in == g_out: a cell that is the identity).
//   - complexity: the network's FLOPs (the reference takes the benchmark's
//     count); here the multiply-accumulates of its convolution and linear
//     layers, the flops criterion. The benchmark's count also has the
//     pooling windows, which this one leaves out: cells that differ only
//     by avg_pool_3x3 against skip_connect or none tie here.
//
// A NaN in the reference (a feature map that is all zero: a cell whose
// output node has no path from its input) becomes -Inf there; here it is
// Degenerate. The Rademacher cotangents are drawn in the graph from a fixed
// seed (the reference draws them afresh with torch.bernoulli), the same for
// every network.

func init() {
	const doc = " (AZ-NAS, Lee & Ham CVPR 2024; 64 N(0,1) images, Kaiming-normal weights, batch-statistics BN)"
	mustRegister(Criterion{
		Name:  "az_nas_expressivity",
		Doc:   "AZ-NAS expressivity: sum over the stem and cell outputs of the entropy of the normalised eigenvalues of the channel covariance" + doc,
		DType: dtypes.Float32,
		BN:    nn.BNBatch,
		Input: InputGaussian, Images: azNASBatch, Weights: WeightsKaiming,
		Ablate:  true, // an eigenvalue spectrum of the supernet's features: no per-entry decomposition
		Network: azFeatureCovariances, NetworkObserve: nn.CellOutput,
		Finish: func(stat []float64) (float64, error) { return azExpressivity(stat, false) },
	})
	mustRegister(Criterion{
		Name:  "az_nas_progressivity",
		Doc:   "AZ-NAS progressivity: min over consecutive stem/cell outputs of the increase of the covariance-spectrum entropy" + doc,
		DType: dtypes.Float32,
		BN:    nn.BNBatch,
		Input: InputGaussian, Images: azNASBatch, Weights: WeightsKaiming,
		Ablate:  true,
		Network: azFeatureCovariances, NetworkObserve: nn.CellOutput,
		Finish: func(stat []float64) (float64, error) { return azExpressivity(stat, true) },
	})
	mustRegister(Criterion{
		Name:  "az_nas_trainability",
		Doc:   "AZ-NAS trainability: mean over cells of -s-1/(s+1e-6)+2, s the spectral norm of the cell's Jacobian estimated by a random ±1 backprop" + doc,
		DType: dtypes.Float32,
		BN:    nn.BNBatch,
		Input: InputGaussian, Images: azNASBatch, Weights: WeightsKaiming,
		Ablate:  true, // a spectral norm: no per-entry decomposition
		Network: azTrainability, NetworkObserve: nn.CellOutput, Finish: azTrainabilityScore,
	})
	mustRegister(Criterion{
		Name:       "az_nas_complexity",
		Doc:        "AZ-NAS complexity: multiply-accumulates of the convolution and linear layers for one image (the flops criterion)",
		DType:      dtypes.Float32,
		BN:         nn.BNBatch,
		NotOnAlpha: "every cell of a supernet holds every op, so counts do not depend on alpha",
		Static:     countMACs,
	})
	mustRegisterEnsemble(NamedEnsemble{
		Name:      "az_nas",
		Doc:       "AZ-NAS: sum of log(rank/N) of its expressivity, progressivity, trainability and complexity over the N networks scored",
		Method:    LogRank,
		Members:   []string{"az_nas_expressivity", "az_nas_progressivity", "az_nas_trainability", "az_nas_complexity"},
		Published: []Published{{Statistic: Spearman, Value: 0.913, Target: "cifar10_test", Source: "Lee & Ham, AZ-NAS, CVPR 2024, Table 1 and NB201/tss_general.ipynb (0.9127): all 15,625 cells, CIFAR-10 test accuracy, 200 epochs"}},
	})
}

// azNASBatch is the reference's batch: 64 images (the NAS-Bench-201
// loader's batch size, whose shape the notebook's random input takes).
const azNASBatch = 64

// azProbeSeed seeds the in-graph Rademacher cotangents of trainability.
const azProbeSeed = 16

// azFeatureCovariances returns, for the observed cell outputs F_l [B, H,
// W, C], the channel covariances sum_p (f_p - m)(f_p - m)^T / P over the P
// = B*H*W pixels, as one vector: [L, C_1..C_L, cov_1 (C_1² values), ...].
func azFeatureCovariances(p *Pass) *Node {
	return p.Shared("az_nas/covariances", func() []*Node {
		feats := p.ActsOf(nn.CellOutput)
		if len(feats) < 2 {
			exceptions.Panicf("AZ-NAS needs the stem and cell outputs of the network (nn.CellOutput), found %d", len(feats))
		}
		g, dtype := p.Logits.Graph(), p.Logits.DType()
		header := []float64{float64(len(feats))}
		var covs []*Node
		for _, a := range feats {
			x := a.Node
			c := x.Shape().Dimensions[x.Rank()-1]
			rows := x.Shape().Size() / c
			x = Reshape(x, rows, c)
			x = Sub(x, ReduceAndKeep(x, ReduceMean, 0))
			cov := DivScalar(MatMul(Transpose(x, 0, 1), x), float64(rows))
			header = append(header, float64(c))
			covs = append(covs, Reshape(cov, c*c))
		}
		return []*Node{Concatenate(append([]*Node{ConvertDType(Const(g, header), dtype)}, covs...), 0)}
	})[0]
}

// splitMatrices reads the vector [L, dims of each of the L matrices (perMatrix
// numbers each), their values...] that the AZ-NAS graphs return.
func splitMatrices(stat []float64, perMatrix int) (dims [][]int, values [][]float64, err error) {
	if len(stat) < 1 {
		return nil, nil, fmt.Errorf("empty statistic")
	}
	l := int(stat[0])
	if l < 1 || len(stat) < 1+l*perMatrix {
		return nil, nil, fmt.Errorf("statistic of %d values does not hold %d matrix headers", len(stat), l)
	}
	off := 1 + l*perMatrix
	for i := range l {
		d := make([]int, perMatrix)
		size := 1
		for k := range perMatrix {
			d[k] = int(stat[1+i*perMatrix+k])
			if k < 2 {
				size *= d[k]
			}
		}
		if perMatrix == 1 {
			size = d[0] * d[0]
		}
		if off+size > len(stat) {
			return nil, nil, fmt.Errorf("statistic of %d values ends inside matrix %d", len(stat), i)
		}
		dims = append(dims, d)
		values = append(values, stat[off:off+size])
		off += size
	}
	if off != len(stat) {
		return nil, nil, fmt.Errorf("statistic has %d values after its %d matrices", len(stat)-off, l)
	}
	return dims, values, nil
}

// spectrumEntropy is AZ-NAS's expressivity of one feature map: -sum p
// log(p + 1e-8) over p = s/sum(s), s the eigenvalues of its covariance cov
// (c x c). NaN when the covariance is zero (the reference's 0/0).
func spectrumEntropy(cov []float64, c int) float64 {
	s := linalg.SymmetricEigenvalues(cov, c)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	h := 0.0
	for _, v := range s {
		p := v / sum
		h -= p * math.Log(p+1e-8)
	}
	return h
}

// azExpressivity finishes expressivity (the sum of the entropies) or,
// with progressive, progressivity (the least increase from one feature map
// to the next).
func azExpressivity(stat []float64, progressive bool) (float64, error) {
	dims, covs, err := splitMatrices(stat, 1)
	if err != nil {
		return 0, err
	}
	h := make([]float64, len(covs))
	for i, cov := range covs {
		h[i] = spectrumEntropy(cov, dims[i][0])
	}
	score := 0.0
	if progressive {
		if len(h) < 2 {
			return 0, fmt.Errorf("progressivity of %d feature map", len(h))
		}
		score = math.Inf(1)
		for i := 1; i < len(h); i++ {
			score = math.Min(score, h[i]-h[i-1])
		}
		for _, v := range h { // math.Min keeps the NaN of an all-zero map
			if math.IsNaN(v) {
				score = math.NaN()
			}
		}
	} else {
		for _, v := range h {
			score += v
		}
	}
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}

// azTrainability backpropagates a Rademacher cotangent through each cell
// (F_{l-1} -> F_l) and returns [L, (rows, cols, identity) per pair, M_l...]:
// M_l = g_in^T g_out / pixels (g_in pixel-unshuffled to F_l's size), and
// identity 1 when g_in == g_out exactly.
func azTrainability(p *Pass) *Node {
	feats := p.ActsOf(nn.CellOutput)
	if len(feats) < 2 {
		exceptions.Panicf("AZ-NAS needs the stem and cell outputs of the network (nn.CellOutput), found %d", len(feats))
	}
	g, dtype := p.Logits.Graph(), p.Logits.DType()
	rng := RNGStateFromSeedForGraph(g, azProbeSeed)
	header := []*Node{Const(g, []float64{float64(len(feats) - 1)})}
	var mats []*Node
	for l := len(feats) - 1; l >= 1; l-- { // the reference's order
		fout, fin := feats[l].Node, feats[l-1].Node
		var u *Node
		rng, u = RandomUniform(rng, fout.Shape())
		gout := SignPlusOrMinus(AddScalar(u, -0.5)) // ±1 with probability 1/2 each
		gin := Gradient(ReduceAllSum(Mul(fout, gout)), fin)[0]
		identity := ScalarZero(g, dtype)
		if gin.Shape().Equal(gout.Shape()) {
			identity = ConvertDType(Equal(ReduceAllMax(Abs(Sub(gin, gout))), ScalarZero(g, dtype)), dtype)
		}
		od, id := fout.Shape().Dimensions, gin.Shape().Dimensions
		b, ho, wo, co := od[0], od[1], od[2], od[3]
		if id[1] != ho || id[2] != wo { // PixelUnshuffle(hi/ho)
			s := id[1] / ho
			gin = Reshape(gin, b, ho, s, wo, s, id[3])
			gin = TransposeAllAxes(gin, 0, 1, 3, 2, 4, 5)
			gin = Reshape(gin, b, ho, wo, s*s*id[3])
		}
		ci := gin.Shape().Dimensions[3]
		pixels := b * ho * wo
		m := MatMul(Transpose(Reshape(gin, pixels, ci), 0, 1), Reshape(gout, pixels, co))
		header = append(header, Const(g, []float64{float64(ci), float64(co)}), ConvertDType(Reshape(identity, 1), dtypes.Float64))
		mats = append(mats, Reshape(DivScalar(m, float64(pixels)), ci*co))
	}
	return Concatenate(append([]*Node{ConvertDType(Concatenate(header, 0), dtype)}, mats...), 0)
}

// azTrainabilityScore is the mean over the cells of -s - 1/(s+1e-6) + 2,
// s the largest singular value of M_l; Degenerate when a cell is the
// identity (the reference's -Inf).
func azTrainabilityScore(stat []float64) (float64, error) {
	dims, mats, err := splitMatrices(stat, 3)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for i, m := range mats {
		if dims[i][2] != 0 {
			return Degenerate, nil
		}
		s := largestSingularValue(m, dims[i][0], dims[i][1])
		total += -s - 1/(s+1e-6) + 2
	}
	score := total / float64(len(mats))
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}

// largestSingularValue of the rows x cols matrix m (row-major): the square
// root of the largest eigenvalue of the smaller of m^T m and m m^T.
func largestSingularValue(m []float64, rows, cols int) float64 {
	n := min(rows, cols)
	gram := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			if cols <= rows { // m^T m
				for r := range rows {
					s += m[r*cols+i] * m[r*cols+j]
				}
			} else { // m m^T
				for c := range cols {
					s += m[i*cols+c] * m[j*cols+c]
				}
			}
			gram[i*n+j], gram[j*n+i] = s, s
		}
	}
	largest := 0.0
	for _, v := range linalg.SymmetricEigenvalues(gram, n) {
		largest = math.Max(largest, v)
	}
	return math.Sqrt(largest)
}
