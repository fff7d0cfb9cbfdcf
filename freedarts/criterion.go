package freedarts

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Criterion is a training-free proxy. A proxy is what users name (-proxy,
// Options.Proxy), a Criterion is its definition: Options.Proxy names
// registered criteria, Options.Criteria gives them as values. It has two
// uses that share one definition of the objective and of the pass it runs
// on:
//
//   - on alpha (FreeDARTS): Saliency scores every entry of the architecture
//     parameters of a supernet; a space's selection rule turns the score
//     matrices into an architecture;
//   - on a concrete network (zero-cost NAS, Abdelfattah et al. 2021):
//     Network reduces the saliency of the network's convolution and linear
//     weights to one number, with which networks are ranked.
//
// A proxy whose score has no useful gradient (NASWOT's binary codes, the
// spectrum of jacob_cov) reaches alpha by ablation instead: see Ablate.
// Parameter and FLOP counts exist on networks only: NotOnAlpha says why.
//
// A criterion is found by name once registered (Register), which checks
// that its fields agree; the built-in ones register themselves from their
// proxy_*.go files.
type Criterion struct {
	// Name is what users type (-proxy).
	Name string
	// Doc is one line for help texts.
	Doc string
	// DType of the whole computation.
	DType dtypes.DType
	// BN is how the network's batch norms behave.
	BN nn.BNMode
	// Weights is how the pass draws the parameters (WeightsUniform, PyTorch's
	// default, when left out).
	Weights WeightInit
	// Input is what the pass feeds the network (InputOnes, one all-ones
	// image, when left out); Images is the number of images of
	// InputGaussian, and 0 for the others.
	Input  InputKind
	Images int
	// Published are the correlations with trained accuracy that the
	// proxy's sources report (package study holds its studies to them);
	// a proxy of your own may leave it out.
	Published []Published

	// Saliency scores every element of every target (the alphas). nil when
	// the criterion is not defined on alpha.
	Saliency func(p *Pass) []*Node
	// SaliencyObserve are the activations Saliency reads from the pass.
	SaliencyObserve nn.ActKind
	// Ablate scores alpha without a gradient: entry j gets R(alpha) -
	// R(alpha with entry j set to 0), R being Network's score of the
	// supernet. It is the finite difference that alpha_j * dR/dalpha_j
	// linearises, and costs one forward pass per entry (plus one).
	Ablate bool
	// NotOnAlpha explains why a criterion has neither Saliency nor Ablate.
	NotOnAlpha string

	// Network is the whole-network score's graph part, computed with the
	// network's weights (kind nn.Weight) as targets: a scalar, or a statistic
	// that Finish turns into the score on the host.
	Network func(p *Pass) *Node
	// NetworkObserve are the activations Network reads from the pass.
	NetworkObserve nn.ActKind
	// Finish turns Network's output into the score; nil: the output is the
	// score.
	Finish func(stat []float64) (float64, error)
	// Static, when set, replaces Network: the score follows from the traced
	// parameters and activation shapes alone (parameter and FLOP counts),
	// with LayerOutput activations observed.
	Static func(specs []nn.ParamSpec, acts []nn.Activation) float64
}

// Pass is one forward pass of a network as a criterion sees it.
type Pass struct {
	Logits *Node
	// Labels are one-hot [N, classes]; nil for criteria that need no data.
	Labels *Node
	// Input is the image batch [N, H, W, 3].
	Input *Node
	// Targets are the scored parameters, with their specs.
	Targets []*Node
	Specs   []nn.ParamSpec
	// Acts are the activations the criterion asked for, in build order. A
	// criterion that adds up terms of activations adds Weigh(a, term), so
	// that a supernet scored as one of its cells counts the cell's alone.
	Acts []nn.Activation

	lossGrads, actGrads []*Node
	// gates are the alpha nodes by name when the pass scores one cell of a
	// supernet (a one-hot alpha, NetScorer.ScoreArch); nil otherwise.
	gates map[string]*Node
	// gateWeights caches Weigh's alpha entries, one slice per entry.
	gateWeights map[nn.OpGate]*Node
	// net and forward run the network again (Forward); inputJacobian caches
	// InputJacobian.
	net           *nn.Net
	forward       func(n *nn.Net, x *Node) *Node
	inputJacobian *Node
	// shared holds the nodes of Shared, by key.
	shared map[string][]*Node
}

// Shared returns the nodes that build makes, built once per pass under key:
// criteria of one pass that read the same statistic (the feature
// covariances of AZ-NAS's expressivity and progressivity) compute it once.
func (p *Pass) Shared(key string, build func() []*Node) []*Node {
	if nodes, ok := p.shared[key]; ok {
		return nodes
	}
	nodes := build()
	if p.shared == nil {
		p.shared = map[string][]*Node{}
	}
	p.shared[key] = nodes
	return nodes
}

// newPass runs forward on the bound network n, recording the activations of
// the given kinds. labels are class indices (nil for data-free criteria).
func newPass(n *nn.Net, forward func(n *nn.Net, x *Node) *Node, kinds nn.ActKind, x, labels *Node, targets []*Node, specs []nn.ParamSpec) *Pass {
	obs := &nn.Observer{Kinds: kinds}
	n.Observe(obs)
	p := &Pass{Input: x, Targets: targets, Specs: specs, net: n, forward: forward}
	p.Logits = forward(n, x)
	n.Observe(nil)
	p.Acts = obs.Acts
	if labels != nil {
		p.Labels = OneHot(labels, p.Logits.Shape().Dimensions[1], p.Logits.DType())
	}
	return p
}

// LossGrads returns the gradients of the cross-entropy with respect to the
// targets and to the observed LayerOutput and GateOutput activations (in
// the order of ActsOf(nn.LayerOutput|nn.GateOutput)). They are built once,
// so one backward pass serves every loss criterion of a pass.
func (p *Pass) LossGrads() (targets, acts []*Node) {
	if p.lossGrads == nil {
		gated := p.ActsOf(nn.LayerOutput | nn.GateOutput)
		nodes := append([]*Node(nil), p.Targets...)
		for _, a := range gated {
			nodes = append(nodes, a.Node)
		}
		grads := Gradient(crossEntropy(p.Logits, p.Labels), nodes...)
		p.lossGrads, p.actGrads = grads[:len(p.Targets)], grads[len(p.Targets):]
	}
	return p.lossGrads, p.actGrads
}

// Forward runs the network once more, on x, with the pass's parameters,
// recording the activations of the given kinds: another forward pass, with
// batch statistics of its own, as a PyTorch model in training mode called
// twice. Gradients with respect to the targets flow through it as through
// the pass's own. The criteria that need more than the one forward pass on
// the input (ZiCo's two batches, Zen-NAS's perturbed input, MeCo's single
// image) build theirs with it.
func (p *Pass) Forward(x *Node, kinds nn.ActKind) (logits *Node, acts []nn.Activation) {
	obs := &nn.Observer{Kinds: kinds}
	p.net.Observe(obs)
	logits = p.forward(p.net, x)
	p.net.Observe(nil)
	return logits, obs.Acts
}

// InputJacobian is the gradient of sum(logits) with respect to the input
// [N, H, W, 3]: each sample's Jacobian, zero-cost-nas's backward of ones
// from the logits. It is built once, for every criterion of the pass that
// reads it (jacob_cov, epe_nas).
func (p *Pass) InputJacobian() *Node {
	if p.inputJacobian == nil {
		p.inputJacobian = Gradient(ReduceAllSum(p.Logits), p.Input)[0]
	}
	return p.inputJacobian
}

// Weigh returns term, the contribution of activation a to a whole-network
// score, as the scored network counts it. A supernet scored as one of its
// cells (NetScorer.ScoreArch) still computes the ops the cell drops, each
// output gated by a 0 alpha entry, so that one graph serves every cell: a
// term of an activation inside such an op (a.GatedBy) is multiplied by
// its entry, 1 or 0, which keeps a kept op's term exactly and cancels a
// dropped one's. Gradient-based terms need no weighing (a dropped op's
// weights and outputs get zero gradients); the ones read from activations
// do: NASWOT's ReLU codes. (Fisher's products of layer outputs and their
// gradients are zero there already; it weighs them all the same, rather
// than rest on that.) On any other pass term is returned as it is.
func (p *Pass) Weigh(a nn.Activation, term *Node) *Node {
	if p.gates == nil || !a.GatedBy.Gated() {
		return term
	}
	w, ok := p.gateWeights[a.GatedBy]
	if !ok {
		alpha, found := p.gates[a.GatedBy.Alpha]
		if !found {
			exceptions.Panicf("activation %s is gated by alpha %q, which the network does not declare", a.Name, a.GatedBy.Alpha)
		}
		flat := Reshape(alpha, alpha.Shape().Size())
		w = ConvertDType(Reshape(Slice(flat, AxisElem(a.GatedBy.Index))), term.DType())
		if p.gateWeights == nil {
			p.gateWeights = map[nn.OpGate]*Node{}
		}
		p.gateWeights[a.GatedBy] = w
	}
	return Mul(term, w)
}

// ActsOf returns the observed activations of the given kinds, in build order.
func (p *Pass) ActsOf(kinds nn.ActKind) []nn.Activation {
	var out []nn.Activation
	for _, a := range p.Acts {
		if a.Kind&kinds != 0 {
			out = append(out, a)
		}
	}
	return out
}

// criteria holds the registered criteria by name (Register), under the
// registry's lock.
var criteria = map[string]Criterion{}

// CriterionNames lists the criteria, sorted.
func CriterionNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	return criterionNames()
}

// criterionNames is CriterionNames for a caller that holds the lock.
func criterionNames() []string {
	return slices.Sorted(maps.Keys(criteria))
}

// AlphaCriterionNames lists the criteria defined on alpha, sorted.
func AlphaCriterionNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	var names []string
	for _, n := range criterionNames() {
		if c := criteria[n]; c.Saliency != nil || c.Ablate {
			names = append(names, n)
		}
	}
	return names
}

// LookupCriterion returns the named criterion.
func LookupCriterion(name string) (Criterion, error) {
	registry.RLock()
	defer registry.RUnlock()
	c, ok := criteria[name]
	if e, named := namedEnsembles[name]; !ok && named {
		return Criterion{}, fmt.Errorf("proxy %q is an ensemble of %s over the networks scored together, not a score of one network "+
			"(correlate -proxy %s adds its row; on alpha, give its members and -ensemble %s)", name, strings.Join(e.Members, ","), name, e.Method)
	}
	if !ok {
		return Criterion{}, fmt.Errorf("unknown proxy %q (want one of %s)", name, strings.Join(criterionNames(), ", "))
	}
	c.Published = slices.Clone(c.Published)
	return c, nil
}

// LookupCriteria parses a comma-separated list of criterion names.
func LookupCriteria(list string) ([]Criterion, error) {
	var out []Criterion
	seen := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		c, err := LookupCriterion(name)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("proxy %q listed twice in %q", name, list)
		}
		seen[name] = true
		out = append(out, c)
	}
	return out, nil
}

// NeedsData says whether c needs a labelled batch (Input is InputData).
func (c Criterion) NeedsData() bool { return c.Input == InputData }

// NeedData says whether any of crits needs a labelled batch.
func NeedData(crits ...Criterion) bool {
	for _, c := range crits {
		if c.NeedsData() {
			return true
		}
	}
	return false
}

// score turns the output of the criterion's Network graph into its score
// (through Finish, when the criterion has one).
func (c Criterion) score(out *tensors.Tensor) (float64, error) {
	stat, err := nn.FromTensor(out)
	if err != nil {
		return 0, err
	}
	if c.Finish == nil {
		return stat[0], nil
	}
	r, err := c.Finish(stat)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Name, err)
	}
	return r, nil
}

// checkAlpha reports a criterion that cannot score alpha.
func (c Criterion) checkAlpha() error {
	if c.Saliency == nil && !c.Ablate {
		return fmt.Errorf("proxy %s is not defined on alpha: %s (on alpha: %s)", c.Name, c.NotOnAlpha, strings.Join(AlphaCriterionNames(), ", "))
	}
	return nil
}

// sumSaliency is the network-level reduction of zero-cost-nas: the sum of
// every element's saliency over all targets.
func sumSaliency(saliency func(p *Pass) []*Node) func(p *Pass) *Node {
	return func(p *Pass) *Node {
		s := saliency(p)
		terms := make([]*Node, len(s))
		for i := range s {
			terms[i] = ReduceAllSum(s[i])
		}
		return nn.ReduceSumNodes(terms)
	}
}

// crossEntropy is the mean cross-entropy of logits [N,K] against one-hot
// labels [N,K].
func crossEntropy(logits, labels *Node) *Node {
	return Neg(ReduceAllMean(ReduceSum(Mul(labels, LogSoftmax(logits, -1)), -1)))
}

// Degenerate is the score of a network that the spectral proxies (jacob_cov,
// naswot) cannot tell anything about: its output ignores its input, or two
// samples are indistinguishable. It is below every real score and finite,
// so that rank statistics still apply; plots should leave it out.
const Degenerate = -math.MaxFloat64

// perSample sums x [N, ...] over every axis but the batch axis.
func perSample(x *Node) *Node {
	axes := make([]int, 0, x.Rank()-1)
	for a := 1; a < x.Rank(); a++ {
		axes = append(axes, a)
	}
	return ReduceSum(x, axes...)
}
