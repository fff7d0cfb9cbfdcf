package freedarts

import (
	"math"
	"strings"
	"testing"
)

func TestArchs(t *testing.T) {
	a := recordedArch{text: "a"}
	got := Archs([]*Result{{Arch: a}, nil})
	if len(got) != 2 || got[0].String() != "a" || got[1] != nil {
		t.Fatalf("Archs = %v, want [a <nil>]", got)
	}
}

func TestScoreMatrixCounts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		m             *ScoreMatrix
		neg, kept     int
		maxScoreOfRes float64
	}{
		{"nil", nil, 0, 0, 0},
		{"empty", &ScoreMatrix{}, 0, 0, 0},
		{"signed", &ScoreMatrix{Values: [][]float64{{-1, 0, 2}, {-3, Pruned, 0.5}}, Kept: [][]bool{{false, false, true}, {false, false, true}}}, 2, 2, 3},
		{"positive", &ScoreMatrix{Values: [][]float64{{1, 4}}, Kept: [][]bool{{true, true}}}, 0, 2, 4},
	} {
		if got := tc.m.Negatives(); got != tc.neg {
			t.Errorf("%s: Negatives = %d, want %d", tc.name, got, tc.neg)
		}
		if got := tc.m.KeptCount(); got != tc.kept {
			t.Errorf("%s: KeptCount = %d, want %d", tc.name, got, tc.kept)
		}
		res := &Result{}
		if tc.m != nil {
			res.Scores = []ScoreMatrix{{Values: [][]float64{{0.1}}}, *tc.m}
		}
		if got := res.MaxScore(); got != max(tc.maxScoreOfRes, 0.1) && tc.m != nil {
			t.Errorf("%s: MaxScore = %g, want %g", tc.name, got, max(tc.maxScoreOfRes, 0.1))
		}
	}
	lo, hi := (&Result{Scores: []ScoreMatrix{{Values: [][]float64{{0, 2e-3}}}, {Values: [][]float64{{-40, 1e-5}}}}}).Range()
	if lo != 1e-5 || hi != 40 {
		t.Errorf("Range = %g, %g, want 1e-05, 40", lo, hi)
	}
	if got := (*Result)(nil).MaxScore(); got != 0 {
		t.Errorf("nil MaxScore = %g", got)
	}
}

func TestRowNormalizedDiff(t *testing.T) {
	a := &ScoreMatrix{Name: "a", Values: [][]float64{{1, 2}, {4, 1}}}
	for _, tc := range []struct {
		name string
		b    *ScoreMatrix
		want float64
		err  string
	}{
		{"same ranking, other scale", &ScoreMatrix{Values: [][]float64{{10, 20}, {400, 100}}}, 0, ""},
		{"different", &ScoreMatrix{Values: [][]float64{{2, 2}, {4, 1}}}, 0.5, ""},
		{"nil", nil, 0, "nil *ScoreMatrix"},
		{"rows", &ScoreMatrix{Name: "b", Values: [][]float64{{1, 2}}}, 0, "a with 2 rows and b with 1"},
		{"cols", &ScoreMatrix{Values: [][]float64{{1, 2, 3}, {1, 1}}}, 0, "row 0 has 2 and 3 scores"},
		{"zero row", &ScoreMatrix{Values: [][]float64{{0, 0}, {1, 1}}}, 0, "row 0's largest scores are 2 and 0"},
	} {
		got, err := RowNormalizedDiff(a, tc.b)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %g, %v, want %g", tc.name, got, err, tc.want)
		}
	}
}

func TestSameArchs(t *testing.T) {
	res := func(archs ...string) []*Result {
		var out []*Result
		for _, a := range archs {
			out = append(out, &Result{Arch: recordedArch{text: a}})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		runs [][]*Result
		want int
		err  string
	}{
		{"none", nil, 0, ""},
		{"one run", [][]*Result{res("a", "b")}, 2, ""},
		{"three runs", [][]*Result{res("a", "b", "c"), res("a", "x", "c"), res("a", "b", "y")}, 1, ""},
		{"lengths", [][]*Result{res("a"), res("a", "b")}, 0, "run 1 has 2 results, run 0 has 1"},
		{"nil result", [][]*Result{res("a"), {nil}}, 0, "result 0 of run 1 has no architecture"},
		{"nil arch", [][]*Result{{{}}}, 0, "result 0 of run 0 has no architecture"},
	} {
		got, err := SameArchs(tc.runs...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %d, %v, want %d", tc.name, got, err, tc.want)
		}
	}
}
