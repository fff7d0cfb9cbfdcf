package kernel

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// This file shows NAS-Bench-201 searches against the benchmark table: what
// a notebook looks its picks up for.

// pct formats an accuracy in percent (or seconds) with two decimals.
func pct(v float64) string { return fmt.Sprintf("%.2f", v) }

// accuracies formats every nb201.Metrics value of values (by Metric.Name).
func accuracies(values map[string]float64) []string {
	out := make([]string, len(nb201.Metrics))
	for i, m := range nb201.Metrics {
		out[i] = pct(values[m.Name])
	}
	return out
}

// metricHeaders are the labels of nb201.Metrics, with a unit: "CIFAR-10
// (%)", "CIFAR-10 (c10-valid, %)".
func metricHeaders() []string {
	out := make([]string, len(nb201.Metrics))
	for i, m := range nb201.Metrics {
		if l, ok := strings.CutSuffix(m.Label, ")"); ok {
			out[i] = l + ", %)"
		} else {
			out[i] = m.Label + " (%)"
		}
	}
	return out
}

// ShowBench shows the benchmark at a glance: for each of nb201.Metrics,
// the mean test accuracy of all cells, and the best cell (its accuracy,
// index and ops, nb201.Arch.Short).
func ShowBench(bench *nb201.Bench) error {
	if bench == nil || bench.Len() == 0 {
		return errors.New("bench: no benchmark table (nil or empty)")
	}
	var rows [][]string
	for _, m := range nb201.Metrics {
		best := bench.Best(m.Value)
		rows = append(rows, []string{m.Label, pct(bench.Mean(m.Value)), pct(m.Value(best)), fmt.Sprint(best.Index), best.Arch.Short()})
	}
	return ShowTable([]string{"dataset", "mean test acc. of all cells (%)", "best (%)", "best cell index", "best cell ops"}, rows)
}

// ShowPicks shows the benchmark row of each search result's pick: its
// proxy and seed, benchmark index, ops (nb201.Arch.Short, edges 1<-0 …
// 3<-2), test accuracies (nb201.Metrics), CIFAR-10 rank among all cells
// and the seconds of its scoring pass; for several results of one proxy
// (seeds) a last row holds their means. Every result must hold an nb201.Arch of the table.
func ShowPicks(bench *nb201.Bench, results ...*freedarts.Result) error {
	s, err := lookUp("picks", bench, results)
	if err != nil {
		return err
	}
	headers := append([]string{"proxy", "seed", "benchmark index", "ops (1<-0 … 3<-2)"}, metricHeaders()...)
	headers = append(headers, "CIFAR-10 rank", "pass (s)")
	var rows [][]string
	for i, r := range s.Picks {
		row := append([]string{results[i].Proxy, fmt.Sprint(results[i].Seed), fmt.Sprint(r.Index), r.Arch.Short()}, accuracies(r.Accuracies())...)
		rows = append(rows, append(row, fmt.Sprint(bench.Rank(r, nb201.Metrics[0].Value)), pct(results[i].Seconds)))
	}
	if len(results) > 1 && sameProxy(results) {
		row := append([]string{fmt.Sprintf("mean of %d", len(results)), "", "", ""}, accuracies(s.Mean)...)
		rows = append(rows, append(row, "", pct(meanSeconds(results))))
	}
	return ShowTable(headers, rows)
}

// ShowComparison compares searches, a run of seeds per proxy: one row per
// run with its proxy, seeds and input (freedarts.Result.Input of the
// first), the mean test accuracies of its picks
// (nb201.Bench.Summary) and the mean seconds of a pass, then three
// reference rows: the mean of all cells (a random pick), the cell with the
// most parameters, and the best cell of each dataset.
func ShowComparison(bench *nb201.Bench, runs ...[]*freedarts.Result) error {
	if len(runs) == 0 {
		return errors.New("comparison: no runs to compare")
	}
	var rows [][]string
	for i, run := range runs {
		s, err := lookUp(fmt.Sprintf("comparison, run %d", i), bench, run)
		if err != nil {
			return err
		}
		row := append([]string{run[0].Proxy, seedsText(run), run[0].Input}, accuracies(s.Mean)...)
		rows = append(rows, append(row, pct(meanSeconds(run))))
	}
	mean, best := map[string]float64{}, map[string]float64{}
	for _, m := range nb201.Metrics {
		mean[m.Name], best[m.Name] = bench.Mean(m.Value), m.Value(bench.Best(m.Value))
	}
	params := bench.Best(func(r nb201.Record) float64 { return r.ParamsMB })
	for _, ref := range []struct {
		name   string
		values map[string]float64
	}{
		{"mean of all cells", mean},
		{fmt.Sprintf("most parameters (#%d)", params.Index), params.Accuracies()},
		{"best cell per dataset", best},
	} {
		rows = append(rows, append(append([]string{ref.name, "", ""}, accuracies(ref.values)...), ""))
	}
	headers := append(append([]string{"proxy", "seeds", "input"}, metricHeaders()...), "pass (s)")
	return ShowTable(headers, rows)
}

// ShowPickCells draws the cell each search result picked, titled with its
// proxy, seed and CIFAR-10 test accuracy, and last, for comparison, the
// benchmark's best CIFAR-10 cell (ShowCells: side by side).
func ShowPickCells(bench *nb201.Bench, results ...*freedarts.Result) error {
	s, err := lookUp("pick cells", bench, results)
	if err != nil {
		return err
	}
	var cells []spaces.Cell
	add := func(r nb201.Record, title string) {
		cell := r.Arch.Cells()[0]
		cell.Title = title
		cells = append(cells, cell)
	}
	for i, r := range s.Picks {
		add(r, fmt.Sprintf("%s seed %d: %.2f%%", results[i].Proxy, results[i].Seed, r.Cifar10Test))
	}
	best := bench.Best(nb201.Metrics[0].Value)
	add(best, fmt.Sprintf("best on CIFAR-10 (#%d): %.2f%%", best.Index, best.Cifar10Test))
	return ShowCells(cells...)
}

// ShowMargins shows how clearly each row of a score matrix picks its op
// (freedarts.ScoreMatrix.Margins): the kept op and its score, the
// runner-up and its score, and their ratio.
func ShowMargins(m *freedarts.ScoreMatrix) error {
	if m == nil || len(m.Values) == 0 {
		return errors.New("margins: no score matrix (nil or without rows)")
	}
	score := func(op int, v float64) string {
		if op < 0 {
			return ""
		}
		return fmt.Sprintf("%.3g", v)
	}
	var rows [][]string
	for _, g := range m.Margins() {
		ratio := ""
		switch {
		case math.IsInf(g.Ratio, 1):
			ratio = "∞"
		case !math.IsNaN(g.Ratio):
			ratio = fmt.Sprintf("%.1fx", g.Ratio)
		}
		rows = append(rows, []string{g.Row, g.BestOp, score(g.Best, g.BestScore), g.RunnerUpOp, score(g.RunnerUp, g.RunnerUpScore), ratio})
	}
	return ShowTable([]string{"row", "kept op", "score", "runner-up", "score", "margin"}, rows)
}

// lookUp is bench.Summary of the results' picks, with errors that say
// what (what) and which result is missing.
func lookUp(what string, bench *nb201.Bench, results []*freedarts.Result) (nb201.Summary, error) {
	if bench == nil || bench.Len() == 0 {
		return nb201.Summary{}, fmt.Errorf("%s: no benchmark table (nil or empty)", what)
	}
	if len(results) == 0 {
		return nb201.Summary{}, fmt.Errorf("%s: no search results", what)
	}
	for i, r := range results {
		if r == nil {
			return nb201.Summary{}, fmt.Errorf("%s: result %d is nil, want a search result", what, i)
		}
	}
	s, err := bench.Summary(freedarts.Archs(results)...)
	if err != nil {
		return nb201.Summary{}, fmt.Errorf("%s: %w", what, err)
	}
	return s, nil
}

// sameProxy says whether every result has the first one's proxy.
func sameProxy(results []*freedarts.Result) bool {
	for _, r := range results {
		if r.Proxy != results[0].Proxy {
			return false
		}
	}
	return true
}

// meanSeconds is the mean Seconds of results (not empty).
func meanSeconds(results []*freedarts.Result) float64 {
	s := 0.0
	for _, r := range results {
		s += r.Seconds
	}
	return s / float64(len(results))
}

// seedsText writes the seeds of results: "0-4" for a run of consecutive
// seeds, else a list, "0, 3, 7".
func seedsText(results []*freedarts.Result) string {
	seeds := make([]string, len(results))
	consecutive := true
	for i, r := range results {
		seeds[i] = fmt.Sprint(r.Seed)
		consecutive = consecutive && (i == 0 || r.Seed == results[i-1].Seed+1)
	}
	if consecutive && len(results) > 2 {
		return seeds[0] + "-" + seeds[len(seeds)-1]
	}
	return strings.Join(seeds, ", ")
}

// ShowCandidates shows the rank stage of a two-stage search
// (freedarts.Options.Rank): its n best networks (every one for n <= 0),
// best first, with their ops (1<-0 … 3<-2), the score of every rank proxy
// (blank for the steps of a cascade a network did not reach) and the
// combination of its last step's; with a benchmark table (bench not nil), also
// their test accuracies and CIFAR-10 rank, looked up here, after the
// search, which never reads them.
func ShowCandidates(bench *nb201.Bench, res *freedarts.Result, n int) error {
	switch {
	case res == nil:
		return errors.New("candidates: no result (nil)")
	case len(res.Candidates) == 0:
		return fmt.Errorf("candidates: the %s search of seed %d had no rank stage (freedarts.Options.Rank)", res.Proxy, res.Seed)
	}
	if n <= 0 || n > len(res.Candidates) {
		n = len(res.Candidates)
	}
	headers := append([]string{"rank", "ops (1<-0 … 3<-2)"}, res.RankProxies...)
	headers = append(headers, "combined")
	if bench != nil {
		headers = append(append(headers, metricHeaders()...), "CIFAR-10 rank")
	}
	var rows [][]string
	for i, c := range res.Candidates[:n] {
		row := []string{fmt.Sprintf("%d of %d", i+1, len(res.Candidates)), shortArch(c.Arch)}
		for p := range res.RankProxies {
			v := "" // a cascade step the network did not reach
			if p < len(c.Scores) {
				v = fmt.Sprintf("%.4g", c.Scores[p])
			}
			row = append(row, v)
		}
		row = append(row, fmt.Sprintf("%.3f", c.Combined))
		if bench != nil {
			r, err := bench.Lookup(c.Arch)
			if err != nil {
				return fmt.Errorf("candidates: %w", err)
			}
			row = append(append(row, accuracies(r.Accuracies())...), fmt.Sprint(bench.Rank(r, nb201.Metrics[0].Value)))
		}
		rows = append(rows, row)
	}
	return ShowTable(headers, rows)
}
