package kernel_test

import (
	"fmt"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/kernel"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// ResultsTable is what ShowResults draws: one row per search. A notebook
// calls must.M(kernel.ShowResults(results...)).
func ExampleResultsTable() {
	res := &freedarts.Result{Proxy: "synflow", Seed: 0, Input: "all-ones image", DType: "float64", BN: "none",
		AlphaStd: 1e-3, Seconds: 0.08, CompileSeconds: 0.9, Arch: nb201.Arch{3, 3, 1, 2, 3, 4},
		Scores: []freedarts.ScoreMatrix{{Name: "alpha", Values: [][]float64{{0, 2.6e-29, 5.4e-23}}}}}
	rows, err := kernel.ResultsTable(res)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, col := range kernel.ResultColumns {
		fmt.Printf("%s: %s\n", col, rows[0][i])
	}
	// Output:
	// proxy: synflow
	// seed: 0
	// input: all-ones image
	// dtype: float64
	// batch norm: none
	// alpha std: 0.001
	// scores: 2.6e-29 – 5.4e-23
	// pass (s): 0.08
	// compile (s): 0.90
	// selected ops: 3x3 3x3 skip 1x1 3x3 pool
}
