package kernel

import (
	"math"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// TestBenchDisplays: the tables and cells that show searches against the
// benchmark, as text, on a hand-made benchmark whose accuracies rise with
// the index (40, 41, ...).
func TestBenchDisplays(t *testing.T) {
	archs := []nb201.Arch{{0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}, {3, 3, 3, 3, 3, 3}}
	bench := varyingBench(t, archs...)
	res := func(proxy string, seed uint64, a nb201.Arch, secs float64) *freedarts.Result {
		return &freedarts.Result{Proxy: proxy, Seed: seed, Arch: a, Seconds: secs}
	}
	synflow := []*freedarts.Result{res("synflow", 0, archs[3], 1), res("synflow", 1, archs[2], 2), res("synflow", 2, archs[3], 3)}
	snip := []*freedarts.Result{res("snip", 0, archs[1], 4), res("snip", 2, archs[1], 4)}
	snip[0].Input = "16 labelled images"
	outside := res("synflow", 0, nb201.Arch{4, 4, 4, 4, 4, 4}, 1)
	ranked := res("synflow>keep2>logrank(params,zico)", 4, archs[2], 5)
	ranked.RankProxies = []string{"params", "zico"}
	ranked.Candidates = []freedarts.Candidate{
		{Arch: archs[2], Scores: []float64{1.5e6, 42}, Combined: -0.1},
		{Arch: archs[3], Scores: []float64{1.2e6, 41.25}, Combined: -0.7},
		{Arch: archs[0], Scores: []float64{1e3}, Combined: -1.4},
	}
	lost := res("synflow", 0, archs[0], 1)
	lost.Candidates = []freedarts.Candidate{{Arch: outside.Arch, Scores: []float64{1}}}
	matrix := &freedarts.ScoreMatrix{Rows: []string{"1<-0", "2<-0", "2<-1"}, Cols: []string{"none", "skip", "conv"},
		Values: [][]float64{{0, 2, 1}, {0, 0, 0}, {0, freedarts.Pruned, 3}}}
	saved := TextOutput
	defer func() { TextOutput = saved }()
	for _, tc := range []struct {
		name string
		show func() error
		want []string // lines (or parts of lines) of the text
	}{
		{"bench", func() error { return ShowBench(bench) }, []string{"CIFAR-10 41.50 43.00 3 3x3 3x3 3x3 3x3 3x3 3x3"}},
		{"picks", func() error { return ShowPicks(bench, synflow...) }, []string{
			"synflow 0 3 3x3 3x3 3x3 3x3 3x3 3x3 43.00 43.00 43.00 43.00 1 1.00",
			"mean of 3 42.67 42.67 42.67 42.67 2.00"}},
		{"one pick: no mean", func() error { return ShowPicks(bench, snip[0]) }, []string{"snip 0 1 skip skip skip skip skip skip 41.00"}},
		{"picks of two proxies: no mean", func() error { return ShowPicks(bench, synflow[0], snip[0]) }, []string{"3x3 43.00 43.00 43.00 43.00 1 1.00 snip 0"}},
		{"comparison", func() error { return ShowComparison(bench, synflow, snip) }, []string{
			"synflow 0-2 42.67 42.67 42.67 42.67 2.00",
			"snip 0, 2 16 labelled images 41.00 41.00 41.00 41.00 4.00",
			"mean of all cells 41.50",
			"most parameters (#0) 40.00", // every cell has 1.5 MB: the first wins
			"best cell per dataset 43.00"}},
		{"pick cells", func() error { return ShowPickCells(bench, synflow[0], snip[0]) }, []string{
			"synflow seed 0: 43.00%: 4 nodes", "snip seed 0: 41.00%: 4 nodes", "best on CIFAR-10 (#3): 43.00%: 4 nodes"}},
		{"margins", func() error { return ShowMargins(matrix) }, []string{
			"1<-0 skip 2 conv 1 2.0x",
			"2<-0 none 0 skip 0", // 0/0: no ratio
			"2<-1 conv 3 none 0 ∞"}},
		{"candidates", func() error { return ShowCandidates(bench, ranked, 2) }, []string{
			"rank ops (1<-0 … 3<-2) params zico combined CIFAR-10 (%)",
			"1 of 3 1x1 1x1 1x1 1x1 1x1 1x1 1.5e+06 42 -0.100 42.00 42.00 42.00 42.00 2",
			"2 of 3 3x3 3x3 3x3 3x3 3x3 3x3 1.2e+06 41.25 -0.700 43.00"}},
		{"candidates without a table", func() error { return ShowCandidates(nil, ranked, 0) }, []string{
			"params zico combined", "3 of 3 none none none none none none 1000 -1.400"}},
		{"study seconds", func() error {
			return ShowStudySeconds(&study.Result{Table: &study.Table{Proxies: []string{"synflow", "snip"}}, SecondsPerCell: []float64{0.5, 1.25}})
		}, []string{"synflow 0.50", "snip 1.25"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			TextOutput = &out
			if err := tc.show(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(out.String()), " ") // columns are padded to their width
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q not in\n%s", w, out.String())
				}
			}
		})
	}
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("picks: none", func() error { return ShowPicks(bench) }, "picks: no search results"),
		nilcase.New("picks: a nil result", func() error { return ShowPicks(bench, synflow[0], nil) }, "result 1 is nil"),
		nilcase.New("picks: not in the table", func() error { return ShowPicks(bench, outside) }, "not in the benchmark"),
		nilcase.New("picks: nil bench", func() error { return ShowPicks(nil, synflow...) }, "no benchmark"),
		nilcase.New("comparison: no runs", func() error { return ShowComparison(bench) }, "no runs"),
		nilcase.New("comparison: an empty run", func() error { return ShowComparison(bench, synflow, nil) }, "run 1: no search results"),
		nilcase.New("pick cells: nil", func() error { return ShowPickCells(bench, nil) }, "result 0 is nil"),
		nilcase.New("candidates: nil", func() error { return ShowCandidates(bench, nil, 3) }, "no result"),
		nilcase.New("candidates: one stage", func() error { return ShowCandidates(bench, synflow[0], 3) }, "had no rank stage"),
		nilcase.New("candidates: not in the table", func() error { return ShowCandidates(bench, lost, 3) }, "not in the benchmark"),
		nilcase.New("study seconds: no cell scored", func() error {
			return ShowStudySeconds(&study.Result{Table: &study.Table{Proxies: []string{"synflow"}}})
		}, "0 times for 1 proxies"),
	})
	if !math.IsNaN(matrix.Margins()[1].Ratio) {
		t.Errorf("the all-zero row's ratio is %v, the test expects NaN", matrix.Margins()[1].Ratio)
	}
}
