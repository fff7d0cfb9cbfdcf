package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/linalg"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// meco is MeCo (Jiang et al., "MeCo: Zero-Shot NAS with One Data and Single
// Forward Pass via Minimum Eigenvalue of Correlation", NeurIPS 2023;
// github.com/HamsterMimi/MeCo, correlation/NAS_Bench_201.py get_score): one
// image (the first of the batch; MeCo's NAS-Bench-201 study draws one
// CIFAR image, batch size 1) through the network in training mode, and for
// the feature map F [C, H*W] of every layer, the smallest eigenvalue of
// the C x C Pearson correlation matrix of its channels over the spatial
// positions (torch.corrcoef; entries that are NaN, a channel constant over
// the image, set to 0), summed over the layers. Plain MeCo takes the whole
// matrix: the factor C/8 belongs to MeCo_opt, which samples 8 channels.
//
// The released code hooks every module of its PyTorch model and so counts
// a feature map once for each module that returns it (a ReLUConvBN's
// output three times: the op, its Sequential and its BatchNorm2d; cells,
// stages, pools and identities once or twice; Linear and pooled outputs
// give 0). That multiplicity is an artefact of the module tree; here the
// layers are the network's convolutions, batch norms and ReLUs, each
// counted once: a convolution's output (nn.LayerOutput), a batch norm's
// (whose correlations are its input's, nn.BNInput, a per-channel affine
// map leaving them unchanged) and a ReLU's (of its nn.ReLUInput). The
// correlation matrices come out of the graph; the eigenvalues are taken on
// the host.
//
// On alpha it is an ablation, as MeCo's own search does (Zero-Cost-PT: an
// op's score is the change of MeCo when the op is removed): a spectrum has
// no per-parameter decomposition.
func init() {
	mustRegister(Criterion{
		Name:  "meco",
		Doc:   "MeCo: sum over conv/BN/ReLU layers of the min eigenvalue of the channel correlation of the feature map, one image",
		Input: InputData, DType: dtypes.Float32, BN: nn.BNBatch,
		Ablate:  true, // a sum of spectra: no per-parameter decomposition
		Network: mecoStat, Finish: mecoScore,
		Published: []Published{{Statistic: Spearman, Value: 0.89, Target: "cifar10valid_test", Source: "Jiang et al., MeCo, NeurIPS 2023, abstract and Table 1 (0.894): all cells, cifar10-valid test accuracy (its code)"}},
	})
}

// mecoKinds are the activations MeCo's layers are read from.
const mecoKinds = nn.LayerOutput | nn.BNInput | nn.ReLUInput

// mecoLayers are the distinct feature maps [1, H, W, C] of the layers of a
// pass's activations (mecoKinds, in build order), each with its weight: the
// number of layers that output it, weighed (Pass.Weigh) as their
// activations are. Linear layers, whose outputs have no spatial extent,
// are left out (MeCo's correlation of a 1 x 1 map is all NaN, so 0).
func mecoLayers(p *Pass, acts []nn.Activation) (maps []*Node, weights []*Node) {
	type key struct {
		node *Node
		relu bool // the map is ReLU(node)
	}
	index := map[key]int{}
	for _, a := range acts {
		if a.Node.Rank() != 4 {
			continue
		}
		k := key{a.Node, a.Kind == nn.ReLUInput}
		w := p.Weigh(a, ScalarOne(a.Node.Graph(), a.Node.DType()))
		if i, ok := index[k]; ok {
			weights[i] = Add(weights[i], w)
			continue
		}
		f := a.Node
		if k.relu {
			f = nn.ReLU(f)
		}
		index[k] = len(maps)
		maps = append(maps, f)
		weights = append(weights, w)
	}
	return maps, weights
}

// mecoStat is [k, the channels C_1..C_k of the k feature maps, their
// weights, then the covariance [C_i, C_i] of each map's channels over its
// spatial positions], flat.
func mecoStat(p *Pass) *Node {
	g := p.Input.Graph()
	dtype := p.Logits.DType()
	_, acts := p.Forward(Slice(p.Input, AxisRange(0, 1)), mecoKinds)
	maps, weights := mecoLayers(p, acts)
	header := []float64{float64(len(maps))}
	var covs []*Node
	for _, f := range maps {
		dims := f.Shape().Dimensions
		c := dims[3]
		x := Reshape(f, dims[1]*dims[2], c)
		x = Sub(x, ReduceAndKeep(x, ReduceMean, 0))
		cov := MatMul(Transpose(x, 0, 1), x)
		header = append(header, float64(c))
		covs = append(covs, Reshape(cov, c*c))
	}
	parts := []*Node{ConstAsDType(g, dtype, header)}
	if len(maps) > 0 {
		parts = append(parts, Stack(weights, 0))
	}
	parts = append(parts, covs...)
	return Concatenate(parts, 0)
}

// mecoScore is the weighted sum of the smallest eigenvalues of the maps'
// correlation matrices, from mecoStat's output.
func mecoScore(stat []float64) (float64, error) {
	if len(stat) < 1 {
		return 0, fmt.Errorf("empty statistic")
	}
	k := int(stat[0])
	if k < 0 || len(stat) < 1+2*k {
		return 0, fmt.Errorf("statistic of %d values does not hold %d feature maps", len(stat), k)
	}
	channels, weights := stat[1:1+k], stat[1+k:1+2*k]
	rest := stat[1+2*k:]
	score := 0.0
	for i := range k {
		c := int(channels[i])
		if c < 1 || len(rest) < c*c {
			return 0, fmt.Errorf("statistic of %d values does not hold feature map %d of %d channels", len(stat), i, c)
		}
		cov := rest[:c*c]
		rest = rest[c*c:]
		if weights[i] == 0 {
			continue // an op the cell drops (Pass.Weigh)
		}
		l := minCorrelationEigenvalue(cov, c)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			continue // MeCo drops NaN and Inf layers
		}
		score += weights[i] * l
	}
	if len(rest) != 0 {
		return 0, fmt.Errorf("statistic has %d values past its %d feature maps", len(rest), k)
	}
	return score, nil
}

// minCorrelationEigenvalue is the smallest eigenvalue of the correlation
// matrix of the c x c covariance cov, as torch.corrcoef builds it:
// entries of a channel with zero variance (NaN there) are 0, the others
// clipped to [-1, 1].
func minCorrelationEigenvalue(cov []float64, c int) float64 {
	corr := make([]float64, c*c)
	for i := range c {
		for j := range c {
			d := math.Sqrt(cov[i*c+i] * cov[j*c+j])
			if d > 0 {
				corr[i*c+j] = max(-1, min(1, cov[i*c+j]/d))
			}
		}
	}
	ev := linalg.SymmetricEigenvalues(corr, c)
	low := math.Inf(1)
	for _, v := range ev {
		low = min(low, v)
	}
	return low
}
