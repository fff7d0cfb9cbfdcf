package freedarts

import "math"

// Margin is how clearly one row of a ScoreMatrix picks its op: the best
// and the runner-up op and their scores.
type Margin struct {
	// Row labels the row (ScoreMatrix.Rows; "" without labels).
	Row string
	// Best and RunnerUp are column indices; RunnerUp is -1 when the row has
	// no second op (one op, or every other one Pruned), Best -1 for a row
	// without any op left.
	Best, RunnerUp int
	// BestOp and RunnerUpOp label them (ScoreMatrix.Cols; "" without).
	BestOp, RunnerUpOp string
	// BestScore and RunnerUpScore are their scores (0 for a missing op).
	BestScore, RunnerUpScore float64
	// Ratio is BestScore / RunnerUpScore (Inf over a runner-up of 0, NaN
	// without a runner-up).
	Ratio float64
}

// Margins returns each row's best and runner-up op, the largest score
// winning and ties going to the first op, as nb201.Select picks; Pruned
// entries are left out. A nil matrix has none.
func (m *ScoreMatrix) Margins() []Margin {
	if m == nil {
		return nil
	}
	out := make([]Margin, len(m.Values))
	for r, row := range m.Values {
		g := Margin{Best: -1, RunnerUp: -1}
		for o, v := range row {
			switch {
			case v == Pruned:
			case g.Best < 0 || v > row[g.Best]:
				g.Best, g.RunnerUp = o, g.Best
			case g.RunnerUp < 0 || v > row[g.RunnerUp]:
				g.RunnerUp = o
			}
		}
		if r < len(m.Rows) {
			g.Row = m.Rows[r]
		}
		g.BestOp, g.BestScore = m.col(row, g.Best)
		g.RunnerUpOp, g.RunnerUpScore = m.col(row, g.RunnerUp)
		g.Ratio = math.NaN()
		if g.RunnerUp >= 0 {
			g.Ratio = g.BestScore / g.RunnerUpScore
		}
		out[r] = g
	}
	return out
}

// col is the label and the score of column o of row (o < 0: none).
func (m *ScoreMatrix) col(row []float64, o int) (string, float64) {
	if o < 0 {
		return "", 0
	}
	label := ""
	if o < len(m.Cols) {
		label = m.Cols[o]
	}
	return label, row[o]
}
