package freedarts

import (
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
		s, err := NewSearcher(nntest.Backend(t), tinyNB201(t), crit, Options{InputSize: 8, AlphaStd: 1e-3})
		if err != nil {
			t.Fatal(err)
		}
		batch := randomBatch(8, 8, 2)
		a, err := s.Score(5, batch)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Score(5, batch)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Score(6, batch)
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
	net, err := nb201.NewSupernet(nb201.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"synflow", "synflow-bn"} {
		crit, _ := LookupCriterion(name)
		s, err := NewSearcher(nntest.Backend(t), net, crit, Options{InputSize: 32, AlphaStd: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, std := range []float64{1e-3, 1, 10} {
			s.opts.AlphaStd = std
			sc, err := s.Score(0, nil)
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
		s := &Scores{Proxy: "p", Matrices: []ScoreMatrix{{Name: "alpha", Values: tc.values}}}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want an error mentioning %q", tc.values, err, tc.want)
		}
	}
}

func TestSearcherInputErrors(t *testing.T) {
	crit, _ := LookupCriterion("snip")
	s, err := NewSearcher(nntest.Backend(t), tinyNB201(t), crit, Options{InputSize: 8, AlphaStd: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Score(0, nil); err == nil || !strings.Contains(err.Error(), "needs a labelled batch") {
		t.Errorf("snip without data: %v", err)
	}
	if _, err := s.Score(0, randomBatch(2, 16, 0)); err == nil || !strings.Contains(err.Error(), "does not match input size 8") {
		t.Errorf("wrong image size: %v", err)
	}
	bad := randomBatch(2, 8, 0)
	bad.Labels[1] = -1
	if _, err := s.Score(0, bad); err == nil || !strings.Contains(err.Error(), "label 1") {
		t.Errorf("negative label: %v", err)
	}
	for _, std := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewSearcher(nntest.Backend(t), tinyNB201(t), crit, Options{InputSize: 8, AlphaStd: std}); err == nil {
			t.Errorf("alpha std %g accepted", std)
		}
	}
}
