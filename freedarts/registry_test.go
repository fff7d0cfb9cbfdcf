package freedarts

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// squaredSynFlow is a toy proxy as a user writes one: SynFlow's setting
// with the saliency squared, (theta ⊙ dR/dtheta)², so that on alpha its
// scores are SynFlow's squared.
func squaredSynFlow(name string) Criterion {
	saliency := func(p *Pass) []*Node {
		s := absSaliency(sumLogits)(p)
		for i := range s {
			s[i] = Square(s[i])
		}
		return s
	}
	return Criterion{
		Name:  name,
		Doc:   "SynFlow's saliency squared",
		DType: dtypes.Float64, BN: nn.BNNone, Weights: WeightsAbs,
		Saliency: saliency, Network: sumSaliency(saliency),
	}
}

// registerForTest registers c for the test only: the registry is global,
// and a second run of the test (-count) would find the name taken.
func registerForTest(t *testing.T, c Criterion) {
	t.Helper()
	if err := Register(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		registry.Lock()
		defer registry.Unlock()
		delete(criteria, c.Name)
	})
}

// TestRegisterToyProxy registers a proxy and runs it on alpha (a search,
// by name, as -proxy gives it) and on a network (NetScorer).
func TestRegisterToyProxy(t *testing.T) {
	const name = "test_synflow_squared"
	registerForTest(t, squaredSynFlow(name))
	if err := Register(squaredSynFlow(name)); err == nil || !strings.Contains(err.Error(), "Name is taken") {
		t.Errorf("second registration: %v, want Name is taken", err)
	}
	if !strings.Contains(strings.Join(AlphaCriterionNames(), ","), name) {
		t.Errorf("AlphaCriterionNames %v lacks %s", AlphaCriterionNames(), name)
	}

	space := tinySpace(t)
	toy, err := Run(space, Options{Proxy: name}, 0)
	if err != nil {
		t.Fatal(err)
	}
	syn, err := Run(space, Options{Proxy: "synflow"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for m := range toy.Scores {
		for r, row := range toy.Scores[m].Values {
			for c, v := range row {
				want := math.Pow(syn.Scores[m].Values[r][c], 2)
				if math.Abs(v-want) > 1e-9*math.Max(1, want) {
					t.Fatalf("%s[%d][%d] = %g, want SynFlow's squared %g", toy.Scores[m].Name, r, c, v, want)
				}
			}
		}
	}

	// A variant given in code is checked as a registration is.
	bad := squaredSynFlow(name)
	bad.Ablate = true
	if _, err := New(space, Options{Criteria: []Criterion{bad}}); err == nil || !strings.Contains(err.Error(), "Criteria[0]: criterion") {
		t.Errorf("New with a contradictory criterion: %v, want Criteria[0]'s error", err)
	}

	b := nntest.Backend(t)
	crits, err := LookupCriteria("synflow," + name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewNetScorer(b, crits, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Score(tinyNetwork(t), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// For non-negative saliencies, the sum of squares is positive and at
	// most the square of the sum.
	if sq, sum := res.Scores[1], res.Scores[0]; !(sq > 0) || sq > sum*sum {
		t.Errorf("network score %g, want in (0, %g] (SynFlow's %g squared)", sq, sum*sum, sum)
	}
}

// TestRegisterRefusals: one criterion per mistake, each refused with an
// error that names the field.
func TestRegisterRefusals(t *testing.T) {
	network := func(p *Pass) *Node { return ReduceAllSum(p.Logits) }
	for _, tc := range []struct {
		name string
		edit func(c *Criterion)
		want string
	}{
		{"empty name", func(c *Criterion) { c.Name = "" }, "Name is empty"},
		{"taken name", func(c *Criterion) { c.Name = "synflow" }, "Name is taken by a registered criterion"},
		{"ensemble's name", func(c *Criterion) { c.Name = "az_nas" }, "Name is taken by a named ensemble"},
		{"separator in name", func(c *Criterion) { c.Name = "a,b" }, "Name holds"},
		{"no doc", func(c *Criterion) { c.Doc = "" }, "Doc is empty"},
		{"no dtype", func(c *Criterion) { c.DType = dtypes.InvalidDType }, "DType"},
		{"integer dtype", func(c *Criterion) { c.DType = dtypes.Int32 }, "DType"},
		{"unknown BN", func(c *Criterion) { c.BN = 7 }, "BN 7"},
		{"unknown weights", func(c *Criterion) { c.Weights = 9 }, "Weights WeightInit(9)"},
		{"unknown input", func(c *Criterion) { c.Input = -1 }, "Input InputKind(-1)"},
		{"gaussian input without images", func(c *Criterion) { c.Input = InputGaussian }, "Images 0 with InputGaussian"},
		{"images without gaussian input", func(c *Criterion) { c.Input, c.Images = InputData, 8 }, "Images 8 with Input data"},
		{"no form", func(c *Criterion) { c.Saliency, c.Network = nil, nil }, "no form"},
		{"saliency and ablate", func(c *Criterion) { c.Ablate = true }, "both Saliency and Ablate"},
		{"NotOnAlpha with an alpha form", func(c *Criterion) { c.NotOnAlpha = "because" }, "NotOnAlpha is set"},
		{"no alpha form, no reason", func(c *Criterion) { c.Saliency = nil }, "NotOnAlpha is empty"},
		{"ablate without network", func(c *Criterion) { c.Saliency, c.Ablate, c.Network = nil, true, nil }, "Ablate without Network"},
		{"network and static", func(c *Criterion) { c.Static = countMACs }, "both Network and Static"},
		{"finish without network", func(c *Criterion) {
			c.Network, c.Static = nil, countMACs
			c.Finish = func(s []float64) (float64, error) { return s[0], nil }
		}, "Finish without Network"},
		{"saliency observer without saliency", func(c *Criterion) {
			c.Saliency, c.NotOnAlpha, c.SaliencyObserve = nil, "network only", nn.GateOutput
		}, "SaliencyObserve without Saliency"},
		{"network observer without network", func(c *Criterion) { c.Network, c.NetworkObserve = nil, nn.LayerOutput }, "NetworkObserve without Network"},
		{"published statistic", func(c *Criterion) { c.Published = []Published{{Value: 0.5, Target: "t", Source: "s"}} }, "Published[0].Statistic"},
		{"published value", func(c *Criterion) {
			c.Published = []Published{{Statistic: Kendall, Value: 1.5, Target: "t", Source: "s"}}
		}, "Published[0].Value 1.5"},
		{"published target", func(c *Criterion) { c.Published = []Published{{Statistic: Spearman, Value: 0.5, Source: "s"}} }, "Published[0].Target"},
		{"published source", func(c *Criterion) { c.Published = []Published{{Statistic: Spearman, Value: 0.5, Target: "t"}} }, "Published[0].Source"},
	} {
		c := squaredSynFlow("test_refused")
		c.Network = network
		tc.edit(&c)
		err := Register(c)
		if err == nil {
			registry.Lock()
			delete(criteria, c.Name)
			registry.Unlock()
			t.Errorf("%s: registered, want an error with %q", tc.name, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestRegisterEnsembleRefusals: one ensemble per mistake.
func TestRegisterEnsembleRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(e *NamedEnsemble)
		want string
	}{
		{"empty name", func(e *NamedEnsemble) { e.Name = "" }, "Name is empty"},
		{"criterion's name", func(e *NamedEnsemble) { e.Name = "synflow" }, "Name is taken by a registered criterion"},
		{"taken name", func(e *NamedEnsemble) { e.Name = "te_nas" }, "Name is taken by a named ensemble"},
		{"no doc", func(e *NamedEnsemble) { e.Doc = "" }, "Doc is empty"},
		{"unknown method", func(e *NamedEnsemble) { e.Method = "mean" }, `Method "mean"`},
		{"one member", func(e *NamedEnsemble) { e.Members = e.Members[:1] }, "Members has 1 criteria"},
		{"unknown member", func(e *NamedEnsemble) { e.Members[1] = "nope" }, `Members[1] "nope" is not a registered criterion`},
		{"member twice", func(e *NamedEnsemble) { e.Members[1] = "synflow" }, `Members[1] "synflow" is listed twice`},
		{"published", func(e *NamedEnsemble) { e.Published = []Published{{Statistic: Spearman, Value: 0.5}} }, "Published[0].Target"},
	} {
		e := NamedEnsemble{Name: "test_refused", Doc: "test", Method: RankAverage, Members: []string{"synflow", "params"}}
		tc.edit(&e)
		err := RegisterEnsemble(e)
		if err == nil {
			registry.Lock()
			delete(namedEnsembles, e.Name)
			registry.Unlock()
			t.Errorf("%s: registered, want an error with %q", tc.name, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestBuiltinPublished: the published correlations travel with the
// registrations, and a lookup hands out a copy.
func TestBuiltinPublished(t *testing.T) {
	if p := PublishedCorrelations("synflow"); len(p) != 1 || p[0].Value != 0.737 || p[0].Source != zeroCostPaper {
		t.Errorf("synflow's published correlations %+v", p)
	}
	if p := PublishedCorrelations("az_nas"); len(p) != 1 || p[0].Target != "cifar10_test" {
		t.Errorf("az_nas's published correlations %+v", p)
	}
	if p := PublishedCorrelations("params"); p != nil {
		t.Errorf("params' published correlations %+v, want none", p)
	}
	c, err := LookupCriterion("synflow")
	if err != nil {
		t.Fatal(err)
	}
	c.Published[0].Value = 0
	if p := PublishedCorrelations("synflow"); p[0].Value != 0.737 {
		t.Error("a looked-up criterion's Published shares the registry's")
	}
}
