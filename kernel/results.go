package kernel

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
)

// ResultColumns head the columns of ResultsTable.
var ResultColumns = []string{"proxy", "seed", "input", "dtype", "batch norm", "alpha std", "scores",
	"pass (s)", "compile (s)", "selected ops"}

// ResultsTable is one row per search result, under ResultColumns: the proxy
// and seed, the pass each criterion ran (Result's Input, DType and BN),
// the alpha scale, the range of |score| ("smallest – largest", two digits), the cost and
// the architecture, in its Short form when it has one (nb201.Arch:
// "3x3 3x3 skip 1x1 3x3 pool"), else its String. A nil result, or one
// without an architecture, is an error naming its index.
func ResultsTable(results ...*freedarts.Result) ([][]string, error) {
	rows := make([][]string, 0, len(results))
	for i, res := range results {
		if res == nil || spaces.IsNil(res.Arch) {
			return nil, fmt.Errorf("results: result %d is nil or has no architecture", i)
		}
		lo, hi := res.Range()
		arch := shortArch(res.Arch)
		rows = append(rows, []string{res.Proxy, fmt.Sprint(res.Seed), res.Input, res.DType, res.BN,
			fmt.Sprintf("%g", res.AlphaStd), fmt.Sprintf("%.2g – %.2g", lo, hi),
			fmt.Sprintf("%.2f", res.Seconds), fmt.Sprintf("%.2f", res.CompileSeconds), arch})
	}
	return rows, nil
}

// shortArch is a's Short form when it has one (nb201.Arch: "3x3 3x3 skip
// 1x1 3x3 pool"), else its String.
func shortArch(a spaces.Arch) string {
	if s, ok := a.(interface{ Short() string }); ok {
		return s.Short()
	}
	return a.String()
}

// ShowResults displays ResultsTable as a table (ShowTable): several searches
// side by side, their proxies, passes, costs and picks.
func ShowResults(results ...*freedarts.Result) error {
	if len(results) == 0 {
		return errors.New("results: no result to show")
	}
	rows, err := ResultsTable(results...)
	if err != nil {
		return err
	}
	return ShowTable(ResultColumns, rows)
}

// ShowResult shows one search: its score matrices (ShowScores), then two
// lines with what it picked and what it cost, written to the cell's output
// (TextOutput outside GoNB):
//
//	synflow picks |nor_conv_3x3~0|+...
//	scoring pass 0.31 s, graph compilation 1.20 s
func ShowResult(res *freedarts.Result) error {
	if err := ShowScores(res); err != nil {
		return err
	}
	if spaces.IsNil(res.Arch) {
		return errors.New("result: a result without an architecture")
	}
	var w io.Writer = os.Stdout
	if !inNotebook() {
		if w = TextOutput; w == nil {
			w = io.Discard
		}
	}
	_, err := fmt.Fprintf(w, "%s picks %s\nscoring pass %.2f s, graph compilation %.2f s\n",
		res.Proxy, res.Arch, res.Seconds, res.CompileSeconds)
	return err
}

// RecallRuns reads back what earlier cells kept (Keep) under each name as
// a run of search results, one []*freedarts.Result per name, in order:
// the seeds of a proxy, or of one depth, to compare across cells. The first
// name that was not kept, or does not hold results, is the error.
func RecallRuns(names ...string) ([][]*freedarts.Result, error) {
	runs := make([][]*freedarts.Result, len(names))
	for i, name := range names {
		if err := Recall(name, &runs[i]); err != nil {
			return nil, err
		}
	}
	return runs, nil
}
