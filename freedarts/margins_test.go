package freedarts

import (
	"math"
	"testing"
)

func TestMargins(t *testing.T) {
	m := &ScoreMatrix{
		Rows: []string{"e0", "e1", "e2", "e3", "e4"},
		Cols: []string{"a", "b", "c"},
		Values: [][]float64{
			{0, 4, 2},                // best b, runner-up c
			{3, 3, 1},                // tie: first op wins, the other is the runner-up
			{0, -1, -2},              // signed: a (0) wins
			{Pruned, 5, Pruned},      // no runner-up
			{Pruned, Pruned, Pruned}, // nothing left
		},
	}
	for i, want := range []Margin{
		{Row: "e0", Best: 1, RunnerUp: 2, BestOp: "b", RunnerUpOp: "c", BestScore: 4, RunnerUpScore: 2, Ratio: 2},
		{Row: "e1", Best: 0, RunnerUp: 1, BestOp: "a", RunnerUpOp: "b", BestScore: 3, RunnerUpScore: 3, Ratio: 1},
		{Row: "e2", Best: 0, RunnerUp: 1, BestOp: "a", RunnerUpOp: "b", BestScore: 0, RunnerUpScore: -1, Ratio: 0},
		{Row: "e3", Best: 1, RunnerUp: -1, BestOp: "b", BestScore: 5, Ratio: math.NaN()},
		{Row: "e4", Best: -1, RunnerUp: -1, Ratio: math.NaN()},
	} {
		got := m.Margins()[i]
		if math.IsNaN(want.Ratio) != math.IsNaN(got.Ratio) || (!math.IsNaN(want.Ratio) && math.Abs(got.Ratio) != math.Abs(want.Ratio)) {
			t.Errorf("row %d: ratio %v, want %v", i, got.Ratio, want.Ratio)
		}
		got.Ratio, want.Ratio = 0, 0
		if got != want {
			t.Errorf("row %d: %+v, want %+v", i, got, want)
		}
	}
	// Unlabelled rows; a nil matrix.
	if g := (&ScoreMatrix{Values: [][]float64{{1, 2}}}).Margins(); g[0].Row != "" || g[0].BestOp != "" || g[0].Best != 1 || g[0].Ratio != 2 {
		t.Errorf("unlabelled: %+v", g[0])
	}
	if g := (*ScoreMatrix)(nil).Margins(); g != nil {
		t.Errorf("nil matrix: %v", g)
	}
}
