package freedarts

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

func tensorOf(a any) *tensors.Tensor { return a.(*tensors.Tensor) }

func TestScoresDeterministic(t *testing.T) {
	for _, name := range []string{"synflow", "snip"} {
		crit, _ := LookupCriterion(name)
		s, err := newScorer(nntest.Backend(t), tinyNB201(t), []Criterion{crit}, 8, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		batch := randomBatch(8, 8, 2)
		a, err := s.scoreOne(5, batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.scoreOne(5, batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.scoreOne(6, batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if !reflect.DeepEqual(a.Matrices, b.Matrices) {
			t.Errorf("%s: same seed gave different scores:\n%v\n%v", name, a.Matrices, b.Matrices)
		}
		if reflect.DeepEqual(a.Matrices, c.Matrices) {
			t.Errorf("%s: seeds 5 and 6 gave the same scores", name)
		}
	}
}

// TestSynFlowFiniteAtAnyAlphaScale runs the full-depth NB201 supernet (15
// cells) at alpha scales from 1e-3 to 10: float64 keeps every score finite
// and non-zero (float32 underflows to all zeros at 1e-3 and the reference
// run produced NaNs at 1).
func TestSynFlowFiniteAtAnyAlphaScale(t *testing.T) {
	net, err := nb201.NewSpace(nb201.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"synflow", "synflow-bn"} {
		crit, _ := LookupCriterion(name)
		s, err := newScorer(nntest.Backend(t), net, []Criterion{crit}, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, std := range []float64{1e-3, 1, 10} {
			s.alphaStd = std
			sc, err := s.scoreOne(0, nil, nil)
			if err != nil {
				t.Errorf("%s, alpha std %g: %v", name, std, err)
				continue
			}
			for _, row := range sc.Matrices[0].Values {
				for op, v := range row[1:] {
					if !(v > 0) || math.IsInf(v, 0) {
						t.Errorf("%s, alpha std %g: score of %s is %g", name, std, nb201.Ops[op+1], v)
					}
				}
			}
		}
		s.Close()
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		values [][]float64
		want   string
	}{
		{[][]float64{{0, math.NaN()}}, "NaN"},
		{[][]float64{{0, math.Inf(1)}}, "+Inf"},
		{[][]float64{{0, 0}, {0, 0}}, "every score"},
	} {
		s := &passScores{Proxy: "p", Matrices: []ScoreMatrix{{Name: "alpha", Values: tc.values}}}
		if err := s.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want an error mentioning %q", tc.values, err, tc.want)
		}
	}
}

func TestScorerInputErrors(t *testing.T) {
	crit, _ := LookupCriterion("snip")
	s, err := newScorer(nntest.Backend(t), tinyNB201(t), []Criterion{crit}, 8, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.scoreOne(0, nil, nil); err == nil || !strings.Contains(err.Error(), "needs a labelled batch") {
		t.Errorf("snip without data: %v", err)
	}
	if _, err := s.scoreOne(0, randomBatch(2, 16, 0), nil); err == nil || !strings.Contains(err.Error(), "does not match input size 8") {
		t.Errorf("wrong image size: %v", err)
	}
	bad := randomBatch(2, 8, 0)
	bad.Labels[1] = -1
	if _, err := s.scoreOne(0, bad, nil); err == nil || !strings.Contains(err.Error(), "label 1") {
		t.Errorf("negative label: %v", err)
	}
}

// TestResultCarriesItsMeaning: a result labels its matrices, marks the
// entries its typed architecture keeps, and reads back from JSON with the
// architecture typed again.
func TestResultCarriesItsMeaning(t *testing.T) {
	space := tinySpace(t)
	res, err := Run(space, Options{Proxy: "snip", Data: func(seed uint64) (*Batch, error) { return randomBatch(4, 8, seed), nil }}, 2)
	if err != nil {
		t.Fatal(err)
	}
	arch, ok := res.Arch.(nb201.Arch)
	if !ok {
		t.Fatalf("arch %T, want nb201.Arch", res.Arch)
	}
	m, err := res.Matrix(nb201.AlphaName)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Rows, nb201.Rows()) || !reflect.DeepEqual(m.Cols, nb201.Ops[:]) {
		t.Errorf("labels %v x %v", m.Rows, m.Cols)
	}
	for e, row := range m.Kept {
		for o, kept := range row {
			if kept != (o == arch[e]) {
				t.Errorf("edge %d op %d: kept %v, arch %s", e, o, kept, arch)
			}
		}
	}
	if res.Space != "nb201" || res.Proxy != "snip" || res.Seed != 2 || res.Compute == "" || res.AlphaStd != 1e-3 ||
		res.DType != "float32" || res.BN != "batch" || res.Input != "4 labelled images" {
		t.Errorf("result %+v", res)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"arch":"`+arch.String()+`"`) {
		t.Errorf("JSON has no arch string: %s", data)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Arch != arch || !reflect.DeepEqual(back.Scores, res.Scores) {
		t.Errorf("round trip: arch %v (%T), want %v", back.Arch, back.Arch, arch)
	}
	if _, err := res.Matrix("normal"); err == nil {
		t.Error("Matrix of a missing alpha: no error")
	}
	// A space nobody registered keeps the text and the kept entries.
	other := strings.Replace(string(data), `"space":"nb201"`, `"space":"mine"`, 1)
	if err := json.Unmarshal([]byte(other), &back); err != nil {
		t.Fatal(err)
	}
	if back.Arch.String() != arch.String() || !reflect.DeepEqual(back.Arch.Kept()[nb201.AlphaName], m.Kept) {
		t.Errorf("unregistered space: arch %v", back.Arch)
	}
}

func TestScoreMatrixRange(t *testing.T) {
	for _, tc := range []struct {
		values [][]float64
		lo, hi float64
	}{
		{[][]float64{{0, 2e-3, -5}, {Pruned, 1e-9, 0}}, 1e-9, 5},
		{[][]float64{{0, Pruned}}, 0, 0},
	} {
		m := ScoreMatrix{Values: tc.values}
		if lo, hi := m.Range(); lo != tc.lo || hi != tc.hi {
			t.Errorf("%v: range %g..%g, want %g..%g", tc.values, lo, hi, tc.lo, tc.hi)
		}
	}
}

// scoreOne is score for a scorer of one criterion.
func (s *scorer) scoreOne(seed uint64, batch *Batch, mask Mask) (*passScores, error) {
	res, err := s.score(seed, batch, mask)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// TestSharedAblationPasses: the Ablate criteria of one passKey share one
// scorer, whose one set of ablation passes gives each exactly the scores
// of a scorer of its own; Saliency criteria stay alone.
func TestSharedAblationPasses(t *testing.T) {
	names := []string{"synflow", "naswot", "snip", "jacob_cov", "az_nas_expressivity", "epe_nas", "az_nas_progressivity"}
	crits := make([]Criterion, len(names))
	for i, n := range names {
		crits[i], _ = LookupCriterion(n)
	}
	if got, want := alphaPasses(crits), [][]int{{0}, {1, 3, 5}, {2}, {4, 6}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alphaPasses(%v) = %v, want %v", names, got, want)
	}
	b := nntest.Backend(t)
	if _, err := newScorer(b, tinyNB201(t), []Criterion{crits[1], crits[4]}, 8, 1e-3); err == nil || !strings.Contains(err.Error(), "cannot share a pass") {
		t.Errorf("naswot with az_nas_expressivity in one scorer: %v", err)
	}
	batch := randomBatch(8, 8, 1)
	for _, group := range [][]Criterion{{crits[1], crits[3], crits[5]}, {crits[4], crits[6]}} {
		checkSharedPass(t, group, batch)
	}
}

// checkSharedPass checks that group's scores from one scorer are those of
// one scorer each.
func checkSharedPass(t *testing.T, group []Criterion, batch *Batch) {
	t.Helper()
	b := nntest.Backend(t)
	shared, err := newScorer(b, tinyNB201(t), group, 8, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	together, err := shared.score(2, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range group {
		alone, err := newScorer(b, tinyNB201(t), []Criterion{c}, 8, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		want, err := alone.scoreOne(2, batch, nil)
		alone.Close()
		if err != nil {
			t.Fatal(err)
		}
		if together[i].Proxy != c.Name || !reflect.DeepEqual(together[i].Matrices, want.Matrices) {
			t.Errorf("%s in a shared pass:\n%v\nalone:\n%v", c.Name, together[i].Matrices, want.Matrices)
		}
	}
}
