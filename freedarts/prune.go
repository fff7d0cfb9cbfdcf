package freedarts

import (
	"math"
	"slices"
)

// Pruned is the score of an op that iterative pruning has removed: below
// every real score, and finite, so that results still encode as JSON.
const Pruned = -math.MaxFloat64

// markPruned sets to Pruned every entry of values (row-major) that keep
// drops; a nil keep drops nothing.
func markPruned(values [][]float64, keep []bool) {
	if keep == nil {
		return
	}
	for r, row := range values {
		for c := range row {
			if !keep[r*len(row)+c] {
				row[c] = Pruned
			}
		}
	}
}

func fullMask(mats []ScoreMatrix) Mask {
	mask := Mask{}
	for _, m := range mats {
		n := 0
		for _, row := range m.Values {
			n += len(row)
		}
		keep := make([]bool, n)
		for i := range keep {
			keep[i] = true
		}
		mask[m.Name] = keep
	}
	return mask
}

// pruneRows drops, in every row with more than one surviving op, the step
// weakest survivors (never the last one). Ties drop the later op first, as
// selection prefers the earlier one. It reports whether anything was
// dropped.
func pruneRows(mats []ScoreMatrix, mask Mask, step int) bool {
	changed := false
	for _, m := range mats {
		keep := mask[m.Name]
		for r, row := range m.Values {
			off := r * len(row)
			var alive []int
			for c := range row {
				if keep[off+c] {
					alive = append(alive, c)
				}
			}
			slices.SortStableFunc(alive, func(a, b int) int {
				if row[a] != row[b] {
					if row[a] < row[b] {
						return -1
					}
					return 1
				}
				return b - a
			})
			for _, c := range alive[:min(step, len(alive)-1)] {
				keep[off+c] = false
				row[c] = Pruned
				changed = true
			}
		}
	}
	return changed
}
