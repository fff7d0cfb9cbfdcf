package freedarts

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Float32 and Float64 are the dtypes a criterion runs in (Criterion.DType),
// named here so that a notebook that writes a criterion need not import
// GoMLX's dtypes package (GoNB would have to fetch its module).
const (
	Float32 = dtypes.Float32
	Float64 = dtypes.Float64
)

// WeightInit is how a criterion's pass draws the network's parameters.
// The zero value is PyTorch's default, which most proxies are defined on.
type WeightInit int

const (
	// WeightsUniform is PyTorch's default initialisation (nn.Draw): the
	// uniform draws of nn.Linear and nn.Conv2d, BN's ones and zeros.
	WeightsUniform WeightInit = iota
	// WeightsAbs is |theta| of the uniform draw for every parameter, alphas
	// included: SynFlow's linearised network.
	WeightsAbs
	// WeightsGaussian draws the convolution and linear weights from N(0, 1)
	// and sets their biases to 0 (Zen-NAS's network_weight_gaussian_init).
	WeightsGaussian
	// WeightsKaiming draws the convolution and linear weights from
	// N(0, 2/fan_in) and sets their biases to 0 (PyTorch's
	// kaiming_normal_, fan_in, relu: AZ-NAS's initialisation):
	// WeightsGaussian scaled by sqrt(2/fan_in).
	WeightsKaiming
)

// String names the initialisation as a help text does.
func (w WeightInit) String() string {
	switch w {
	case WeightsUniform:
		return "uniform"
	case WeightsAbs:
		return "abs"
	case WeightsGaussian:
		return "gaussian"
	case WeightsKaiming:
		return "kaiming"
	}
	return fmt.Sprintf("WeightInit(%d)", int(w))
}

// InputKind is what a criterion's pass feeds the network. The zero value
// is the single all-ones image of the data-free pruning criteria.
type InputKind int

const (
	// InputOnes is one all-ones image (SynFlow's input).
	InputOnes InputKind = iota
	// InputData is the labelled batch of real images the search or the
	// scorer is given (Options.Data): the loss criteria's input.
	InputData
	// InputGaussian is Criterion.Images images of N(0, 1) pixels, drawn
	// from the seed (Zen-NAS, TE-NAS's linear regions, AZ-NAS).
	InputGaussian
)

// String names the input as a help text does.
func (k InputKind) String() string {
	switch k {
	case InputOnes:
		return "ones"
	case InputData:
		return "data"
	case InputGaussian:
		return "gaussian"
	}
	return fmt.Sprintf("InputKind(%d)", int(k))
}

// Statistic is a rank correlation a source publishes.
type Statistic string

const (
	// Spearman is Spearman's rho.
	Spearman Statistic = "spearman"
	// Kendall is Kendall's tau.
	Kendall Statistic = "kendall"
)

// Published is a correlation of a proxy with trained accuracy that its
// authors (or a benchmark paper) report: what a study of the proxy is held
// to (package study).
type Published struct {
	// Statistic is Spearman or Kendall.
	Statistic Statistic
	// Value is the published rho or tau, in [-1, 1].
	Value float64
	// Target is the accuracy correlated with, as study's target names it
	// where one matches (cifar10valid_test, cifar10_test), else in words.
	Target string
	// Source is the paper, its table or figure, the cells and the accuracy.
	Source string
}

// registry holds the criteria (criteria) and the named ensembles
// (namedEnsembles) under one lock, so that a program may Register from
// any goroutine while another looks up.
var registry sync.RWMutex

// Register adds c to the criteria that LookupCriterion and the command
// line find by name. The built-in proxies call it from the init functions
// of their proxy_*.go files; a program or a notebook calls it before its
// search or study. It refuses a criterion that could not run, or that would
// run differently from what its fields say, with an error naming the
// field.
func Register(c Criterion) error {
	registry.Lock()
	defer registry.Unlock()
	if err := c.validate(); err != nil {
		return err
	}
	if _, taken := criteria[c.Name]; taken {
		return fmt.Errorf("criterion %q: Name is taken by a registered criterion", c.Name)
	}
	if _, taken := namedEnsembles[c.Name]; taken {
		return fmt.Errorf("criterion %q: Name is taken by a named ensemble", c.Name)
	}
	c.Published = slices.Clone(c.Published)
	criteria[c.Name] = c
	return nil
}

// RegisterEnsemble adds a named ensemble of registered criteria, checked as
// Register checks a criterion.
func RegisterEnsemble(e NamedEnsemble) error {
	registry.Lock()
	defer registry.Unlock()
	if err := checkName("ensemble", e.Name); err != nil {
		return err
	}
	if _, taken := criteria[e.Name]; taken {
		return fmt.Errorf("ensemble %q: Name is taken by a registered criterion", e.Name)
	}
	if _, taken := namedEnsembles[e.Name]; taken {
		return fmt.Errorf("ensemble %q: Name is taken by a named ensemble", e.Name)
	}
	if e.Doc == "" {
		return fmt.Errorf("ensemble %q: Doc is empty, want one line for help texts", e.Name)
	}
	if !slices.Contains(EnsembleNames(), e.Method) {
		return fmt.Errorf("ensemble %q: Method %q, want one of %s", e.Name, e.Method, strings.Join(EnsembleNames(), ", "))
	}
	if len(e.Members) < 2 {
		return fmt.Errorf("ensemble %q: Members has %d criteria, want two or more", e.Name, len(e.Members))
	}
	for i, m := range e.Members {
		if _, ok := criteria[m]; !ok {
			return fmt.Errorf("ensemble %q: Members[%d] %q is not a registered criterion", e.Name, i, m)
		}
		if slices.Contains(e.Members[:i], m) {
			return fmt.Errorf("ensemble %q: Members[%d] %q is listed twice", e.Name, i, m)
		}
	}
	if err := checkPublished(e.Name, e.Published); err != nil {
		return err
	}
	e.Members, e.Published = slices.Clone(e.Members), slices.Clone(e.Published)
	namedEnsembles[e.Name] = e
	return nil
}

// mustRegister registers a built-in criterion: a refusal is a bug of this
// package, found by any test, so it panics.
func mustRegister(c Criterion) {
	if err := Register(c); err != nil {
		panic("freedarts: built-in " + err.Error())
	}
}

// mustRegisterEnsemble is mustRegister for a built-in named ensemble.
func mustRegisterEnsemble(e NamedEnsemble) {
	if err := RegisterEnsemble(e); err != nil {
		panic("freedarts: built-in " + err.Error())
	}
}

// checkName refuses a name the command line could not give: empty, or
// holding a comma (LookupCriteria's separator), a space or an ensemble's
// parenthesis.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("%s: Name is empty, want the name users type (-proxy)", what)
	}
	if strings.ContainsAny(name, ",()+ \t\n") {
		return fmt.Errorf("%s %q: Name holds one of `,()+` or a space, which lists of proxies use as separators", what, name)
	}
	return nil
}

// validate checks c's fields one by one, naming the first that is wrong.
func (c Criterion) validate() error {
	if err := checkName("criterion", c.Name); err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("criterion %q: "+format, append([]any{c.Name}, args...)...)
	}
	alpha := c.Saliency != nil || c.Ablate
	switch {
	case c.Doc == "":
		return bad("Doc is empty, want one line for help texts")
	case c.DType != dtypes.Float32 && c.DType != dtypes.Float64:
		return bad("DType %s, want Float32 or Float64", c.DType)
	case c.BN != nn.BNBatch && c.BN != nn.BNNone:
		return bad("BN %d, want nn.BNBatch or nn.BNNone", int(c.BN))
	case c.Weights < WeightsUniform || c.Weights > WeightsKaiming:
		return bad("Weights %s, want WeightsUniform, WeightsAbs, WeightsGaussian or WeightsKaiming", c.Weights)
	case c.Input < InputOnes || c.Input > InputGaussian:
		return bad("Input %s, want InputOnes, InputData or InputGaussian", c.Input)
	case c.Input == InputGaussian && c.Images < 1:
		return bad("Images %d with InputGaussian, want the number of N(0, 1) images (>= 1)", c.Images)
	case c.Input != InputGaussian && c.Images != 0:
		return bad("Images %d with Input %s, want 0 (only InputGaussian draws a number of images)", c.Images, c.Input)
	case !alpha && c.Network == nil && c.Static == nil:
		return bad("no form: want an alpha form (Saliency or Ablate), a network form (Network or Static), or both")
	case c.Saliency != nil && c.Ablate:
		return bad("both Saliency and Ablate are set, want one way of scoring alpha")
	case alpha && c.NotOnAlpha != "":
		return bad("NotOnAlpha is set, but the criterion has an alpha form (Saliency or Ablate)")
	case !alpha && c.NotOnAlpha == "":
		return bad("NotOnAlpha is empty, want why the criterion has no alpha form (Saliency or Ablate)")
	case c.Ablate && c.Network == nil:
		return bad("Ablate without Network, want the Network score that ablation differentiates")
	case c.Network != nil && c.Static != nil:
		return bad("both Network and Static are set, want one network form")
	case c.Finish != nil && c.Network == nil:
		return bad("Finish without Network, want the Network statistic it finishes")
	case c.SaliencyObserve != 0 && c.Saliency == nil:
		return bad("SaliencyObserve without Saliency, want the function that reads the activations")
	case c.NetworkObserve != 0 && c.Network == nil:
		return bad("NetworkObserve without Network, want the function that reads the activations")
	}
	return checkPublished(fmt.Sprintf("criterion %q", c.Name), c.Published)
}

// checkPublished checks the published correlations of what (a criterion
// or an ensemble, quoted).
func checkPublished(what string, pub []Published) error {
	for i, p := range pub {
		switch {
		case p.Statistic != Spearman && p.Statistic != Kendall:
			return fmt.Errorf("%s: Published[%d].Statistic %q, want %q or %q", what, i, p.Statistic, Spearman, Kendall)
		case math.IsNaN(p.Value) || p.Value < -1 || p.Value > 1:
			return fmt.Errorf("%s: Published[%d].Value %v, want a correlation in [-1, 1]", what, i, p.Value)
		case p.Target == "":
			return fmt.Errorf("%s: Published[%d].Target is empty, want the accuracy correlated with", what, i)
		case p.Source == "":
			return fmt.Errorf("%s: Published[%d].Source is empty, want the paper, its table and the cells", what, i)
		}
	}
	return nil
}

// PublishedCorrelations returns the published correlations of the named
// criterion or named ensemble, in their registration's order; nil for a
// name without any, or unknown.
func PublishedCorrelations(name string) []Published {
	registry.RLock()
	defer registry.RUnlock()
	if c, ok := criteria[name]; ok {
		return slices.Clone(c.Published)
	}
	return slices.Clone(namedEnsembles[name].Published)
}
