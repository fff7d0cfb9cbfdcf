package kernel

import (
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestResultsTable(t *testing.T) {
	nb := &freedarts.Result{Proxy: "synflow", Seed: 2, Input: "all-ones image", DType: "float64", BN: "none",
		AlphaStd: 1e-3, Seconds: 0.25, CompileSeconds: 1.5, Arch: nb201.Arch{3, 3, 1, 2, 3, 4},
		Scores: []freedarts.ScoreMatrix{{Values: [][]float64{{0, 2e-3, 40}}}, {Values: [][]float64{{1e-5, 3}}}}}
	other := &freedarts.Result{Proxy: "snip", Arch: freedartsArch("1<-0:skip"), Scores: []freedarts.ScoreMatrix{{Values: [][]float64{{0}}}}}
	for _, tc := range []struct {
		name    string
		results []*freedarts.Result
		want    [][]string
		err     string
	}{
		{"nb201 short ops", []*freedarts.Result{nb}, [][]string{{"synflow", "2", "all-ones image", "float64", "none",
			"0.001", "1e-05 – 40", "0.25", "1.50", "3x3 3x3 skip 1x1 3x3 pool"}}, ""},
		{"no Short, no scores", []*freedarts.Result{other}, [][]string{{"snip", "0", "", "", "", "0", "0 – 0", "0.00", "0.00", "1<-0:skip"}}, ""},
		{"none", nil, [][]string{}, ""},
		{"nil result", []*freedarts.Result{nb, nil}, nil, "result 1 is nil"},
		{"no arch", []*freedarts.Result{{}}, nil, "result 0 is nil or has no architecture"},
	} {
		got, err := ResultsTable(tc.results...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%s: %q, %v, want %q", tc.name, got, err, tc.want)
		}
		for i := range got {
			if strings.Join(got[i], "|") != strings.Join(tc.want[i], "|") {
				t.Errorf("%s: row %d\n got %q\nwant %q", tc.name, i, got[i], tc.want[i])
			}
			if len(got[i]) != len(ResultColumns) {
				t.Errorf("%s: %d cells, %d columns", tc.name, len(got[i]), len(ResultColumns))
			}
		}
	}
}

// freedartsArch is an architecture of its text alone.
type freedartsArch string

func (a freedartsArch) String() string            { return string(a) }
func (a freedartsArch) Kept() map[string][][]bool { return nil }

func TestShowResult(t *testing.T) {
	res := tinyResult(t, freedarts.Options{Proxy: "synflow"})
	out := withText(t, func() {
		if err := ShowResult(res); err != nil {
			t.Error(err)
		}
		if err := ShowResults(res, res); err != nil {
			t.Error(err)
		}
	})
	for _, want := range []string{"synflow picks |", "\nscoring pass ", "proxy    seed  input", "all-ones image  float64  none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	displayed, _ := withNotebook(t, func() {
		if err := ShowResults(res); err != nil {
			t.Error(err)
		}
	})
	if len(displayed) != 1 || !strings.Contains(displayed[0], "freedarts-table") {
		t.Errorf("displayed %q, want one table", displayed)
	}
}

func TestRecallRuns(t *testing.T) {
	inGoNB(t)
	a := []*freedarts.Result{{Proxy: "synflow", Seed: 0}, {Proxy: "synflow", Seed: 1}}
	if err := Keep("run-a", a); err != nil {
		t.Fatal(err)
	}
	if err := Keep("not-results", 3); err != nil {
		t.Fatal(err)
	}
	runs, err := RecallRuns("run-a", "run-a")
	if err != nil || len(runs) != 2 || len(runs[1]) != 2 || runs[1][1].Seed != 1 {
		t.Fatalf("RecallRuns = %v, %v", runs, err)
	}
	for _, tc := range []struct{ name, want string }{
		{"absent", `no saved "absent"`},
		{"not-results", `saved "not-results"`},
	} {
		if _, err := RecallRuns("run-a", tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RecallRuns(%q): %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if runs, err := RecallRuns(); err != nil || len(runs) != 0 {
		t.Errorf("RecallRuns() = %v, %v", runs, err)
	}
}
