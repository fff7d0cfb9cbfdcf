package freedarts

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestCombine(t *testing.T) {
	// Three proxies on four items; item 2 is best for two of them.
	scores := [][]float64{
		{1, 5, 9, 0},
		{10, 30, 20, 0},
		{3, 1, 4, 1},
	}
	for _, tc := range []struct {
		method string
		want   []float64
	}{
		// Ranks: {2,3,4,1}, {2,4,3,1}, {3,1.5,4,1.5}.
		{RankAverage, []float64{7.0 / 3, 8.5 / 3, 11.0 / 3, 3.5 / 3}},
		// Pairwise majorities: 2 beats 0, 1, 3; 1 beats 0 (2 of 3) and 3;
		// 0 beats 3.
		{MajorityVote, []float64{1, 2, 3, 0}},
		// The mean of log(rank/4) over the ranks above.
		{LogRank, []float64{
			(math.Log(2.0/4) + math.Log(2.0/4) + math.Log(3.0/4)) / 3,
			(math.Log(3.0/4) + math.Log(4.0/4) + math.Log(1.5/4)) / 3,
			(math.Log(4.0/4) + math.Log(3.0/4) + math.Log(4.0/4)) / 3,
			(math.Log(1.0/4) + math.Log(1.0/4) + math.Log(1.5/4)) / 3,
		}},
	} {
		got, err := Combine(tc.method, scores)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if d := got[i] - tc.want[i]; d > 1e-12 || d < -1e-12 {
				t.Errorf("%s: %v, want %v", tc.method, got, tc.want)
				break
			}
		}
	}
	// A tie in the vote (one proxy each way, one indifferent) gives half a
	// point to each.
	got, _ := Combine(MajorityVote, [][]float64{{1, 2}, {2, 1}, {0, 0}})
	if !reflect.DeepEqual(got, []float64{0.5, 0.5}) {
		t.Errorf("tied vote: %v", got)
	}
}

func TestCombineErrors(t *testing.T) {
	for _, tc := range []struct {
		method string
		scores [][]float64
		want   string
	}{
		{"median", [][]float64{{1, 2}}, `unknown ensemble "median"`},
		{RankAverage, nil, "no proxies"},
		{RankAverage, [][]float64{{1, 2}, {1}}, "proxy 1 scores 1 items"},
		{MajorityVote, [][]float64{{1, nan()}}, "item 1 NaN"},
	} {
		if _, err := Combine(tc.method, tc.scores); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Combine(%s, %v): %v, want %q", tc.method, tc.scores, err, tc.want)
		}
	}
	if _, err := CombineMatrices(RankAverage, [][][]float64{{{1, 2}}, {{1, 2}, {3, 4}}}); err == nil {
		t.Error("matrices of different shapes accepted")
	}
}

func nan() float64 { var z float64; return z / z }

// TestCombineMatrices ranks across the whole matrix: the combined matrix
// keeps each proxy's order both within and across rows when they agree.
func TestCombineMatrices(t *testing.T) {
	a := [][]float64{{0, 1, 2}, {0, 5, 4}}
	b := [][]float64{{0, 10, 20}, {0, 50, 40}}
	for _, method := range EnsembleNames() {
		got, err := CombineMatrices(method, [][][]float64{a, b})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || len(got[1]) != 3 {
			t.Fatalf("%s: shape of %v", method, got)
		}
		order := func(m [][]float64) []float64 { return append(append([]float64(nil), m[0]...), m[1]...) }
		want, _ := Combine(method, [][]float64{order(a)})
		if !reflect.DeepEqual(order(got), want) {
			t.Errorf("%s: %v, want the single-proxy ranking %v", method, got, want)
		}
	}
}

// TestNamedEnsembles: every named ensemble combines registered criteria
// with a whole-network score by a known method; ExpandEnsembles replaces
// it by its members, each proxy once; a criterion look-up of one says what
// it is.
func TestNamedEnsembles(t *testing.T) {
	names := NamedEnsembleNames()
	for _, want := range []string{"az_nas", "te_nas"} {
		if _, ok := LookupEnsemble(want); !ok {
			t.Errorf("named ensemble %s not registered (have %v)", want, names)
		}
	}
	for _, name := range names {
		e, _ := LookupEnsemble(name)
		if e.Name != name || e.Doc == "" || len(e.Members) < 2 || !slices.Contains(EnsembleNames(), e.Method) {
			t.Errorf("%s: %+v", name, e)
		}
		for _, m := range e.Members {
			c, err := LookupCriterion(m)
			if err != nil || (c.Network == nil && c.Static == nil) {
				t.Errorf("%s member %s: %v", name, m, err)
			}
		}
		if _, err := LookupCriterion(name); err == nil || !strings.Contains(err.Error(), "is an ensemble of") {
			t.Errorf("LookupCriterion(%s): %v", name, err)
		}
	}
	got, named := ExpandEnsembles(" synflow, az_nas ,az_nas_complexity,az_nas")
	if got != "synflow,az_nas_expressivity,az_nas_progressivity,az_nas_trainability,az_nas_complexity" || !slices.Equal(named, []string{"az_nas"}) {
		t.Errorf("ExpandEnsembles: %q, %v", got, named)
	}
	if _, err := LookupCriteria(got); err != nil {
		t.Error(err)
	}
}
