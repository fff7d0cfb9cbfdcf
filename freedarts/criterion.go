package freedarts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Criterion is a pruning-at-initialisation saliency applied to target
// parameters (the alphas of a supernet).
type Criterion struct {
	// Name is what users type (-proxy).
	Name string
	// Doc is one line for help texts.
	Doc string
	// NeedsData: the criterion needs a labelled batch; otherwise the input is
	// a single all-ones image.
	NeedsData bool
	// DType of the whole computation.
	DType dtypes.DType
	// BN is how the supernet's batch norms behave.
	BN nn.BNMode
	// AbsParams feeds |theta| for every parameter, alphas included: SynFlow's
	// linearised network.
	AbsParams bool
	// Saliency builds the score of every target from the logits (and, for
	// data criteria, the one-hot labels).
	Saliency func(logits, labels *Node, targets []*Node) []*Node
}

// The SynFlow objective is a product of many |weights| and alphas along every
// path; float32 under- or overflows for plausible alpha scales (the reference
// notebook's run produced NaN gradients and an all-none cell). float64 keeps
// R and its gradient finite and non-zero for alpha scales from 1e-3 to 10
// (tested); Searcher.Score still rejects non-finite or all-zero scores.
var criteria = map[string]Criterion{
	"synflow": {
		Name:  "synflow",
		Doc:   "SynFlow on the BN-free supernet, float64, all-ones input: S=|alpha*dR/dalpha|, R=sum(logits) (default)",
		DType: dtypes.Float64, BN: nn.BNNone, AbsParams: true,
		Saliency: absSaliency(sumLogits),
	},
	"synflow-bn": {
		Name:  "synflow-bn",
		Doc:   "SynFlow as the released code runs it: batch-statistics BN kept, float64",
		DType: dtypes.Float64, BN: nn.BNBatch, AbsParams: true,
		Saliency: absSaliency(sumLogits),
	},
	"snip": {
		Name:      "snip",
		Doc:       "SNIP: S=|alpha*dL/dalpha|, L=cross-entropy of one labelled batch",
		NeedsData: true, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: absSaliency(crossEntropy),
	},
	"grasp": {
		Name:      "grasp",
		Doc:       "GraSP: S=alpha*Hg, g=dL/dalpha, Hg by double backward of g·stopgrad(g); signed",
		NeedsData: true, DType: dtypes.Float32, BN: nn.BNBatch,
		Saliency: graspSaliency,
	},
}

// CriterionNames lists the criteria, sorted.
func CriterionNames() []string {
	names := make([]string, 0, len(criteria))
	for n := range criteria {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupCriterion returns the named criterion.
func LookupCriterion(name string) (Criterion, error) {
	c, ok := criteria[name]
	if !ok {
		return Criterion{}, fmt.Errorf("unknown proxy %q (want one of %s)", name, strings.Join(CriterionNames(), ", "))
	}
	return c, nil
}

func sumLogits(logits, _ *Node) *Node { return ReduceAllSum(logits) }

// crossEntropy is the mean cross-entropy of logits [N,K] against one-hot
// labels [N,K].
func crossEntropy(logits, labels *Node) *Node {
	return Neg(ReduceAllMean(ReduceSum(Mul(labels, LogSoftmax(logits, -1)), -1)))
}

// absSaliency is |theta ⊙ dR/dtheta| for an objective R.
func absSaliency(objective func(logits, labels *Node) *Node) func(logits, labels *Node, targets []*Node) []*Node {
	return func(logits, labels *Node, targets []*Node) []*Node {
		grads := Gradient(objective(logits, labels), targets...)
		out := make([]*Node, len(targets))
		for i, t := range targets {
			out[i] = Abs(Mul(t, grads[i]))
		}
		return out
	}
}

// graspSaliency is theta ⊙ Hg: the Hessian-vector product with g held fixed
// is the gradient of g·stopgrad(g).
func graspSaliency(logits, labels *Node, targets []*Node) []*Node {
	grads := Gradient(crossEntropy(logits, labels), targets...)
	var z *Node
	for _, g := range grads {
		term := ReduceAllSum(Mul(g, StopGradient(g)))
		if z == nil {
			z = term
		} else {
			z = Add(z, term)
		}
	}
	hg := Gradient(z, targets...)
	out := make([]*Node, len(targets))
	for i, t := range targets {
		out[i] = Mul(t, hg[i])
	}
	return out
}
