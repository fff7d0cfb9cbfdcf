// Package stats holds the rank statistics that measure how well a zero-cost proxy's scores order
// architectures the way benchmark accuracy does: Spearman's rho, Kendall's tau-b and Pearson's r.
package stats

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Ranks returns the 1-based rank of each value, tied values sharing the mean of their ranks
// (so [10, 20, 20, 5] gives [2, 3.5, 3.5, 1]). NaNs rank below every number and tie with each
// other.
func Ranks(x []float64) []float64 {
	r := make([]float64, len(x))
	order := sortedBy(len(x), func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	eachRun(order, func(a, b int) bool { return cmp.Compare(x[a], x[b]) == 0 }, func(lo, hi int) {
		mean := float64(lo+1+hi) / 2 // of the ranks lo+1 .. hi
		for _, i := range order[lo:hi] {
			r[i] = mean
		}
	})
	return r
}

// Pearson returns the linear correlation coefficient of x and y.
func Pearson(x, y []float64) (float64, error) {
	if err := checkPairs("Pearson", x, y); err != nil {
		return 0, err
	}
	return pearson(x, y), nil
}

// Spearman returns Spearman's rho: Pearson's r of the average ranks, so ties are handled as
// scipy.stats.spearmanr does.
func Spearman(x, y []float64) (float64, error) {
	if err := checkPairs("Spearman", x, y); err != nil {
		return 0, err
	}
	return pearson(Ranks(x), Ranks(y)), nil
}

// KendallTau returns Kendall's tau-b, which corrects for ties in either variable (as
// scipy.stats.kendalltau does by default). It runs in O(n log n).
func KendallTau(x, y []float64) (float64, error) {
	if err := checkPairs("KendallTau", x, y); err != nil {
		return 0, err
	}
	n := len(x)
	sameX := func(a, b int) bool { return x[a] == x[b] }
	sameY := func(a, b int) bool { return y[a] == y[b] }

	// Dense ranks of y, 1-based, index a Fenwick tree below.
	byY := sortedBy(n, func(a, b int) int { return cmp.Compare(y[a], y[b]) })
	yRank := make([]int, n)
	ranks := 0
	eachRun(byY, sameY, func(lo, hi int) {
		ranks++
		for _, i := range byY[lo:hi] {
			yRank[i] = ranks
		}
	})
	yTies := tiedPairs(byY, sameY)

	// Knight's algorithm: in (x, y) order, the discordant pairs are exactly the pairs whose y
	// ranks are inverted; pairs tied in x come in ascending y and so never count.
	byXY := sortedBy(n, func(a, b int) int {
		return cmp.Or(cmp.Compare(x[a], x[b]), cmp.Compare(y[a], y[b]))
	})
	xTies := tiedPairs(byXY, sameX)
	xyTies := tiedPairs(byXY, func(a, b int) bool { return sameX(a, b) && sameY(a, b) })
	var discordant int64
	seen := make(fenwick, ranks+1)
	for k, i := range byXY {
		discordant += int64(k) - seen.countUpTo(yRank[i])
		seen.add(yRank[i])
	}

	// All pairs = concordant + discordant + tied in x only + tied in y only + tied in both.
	total := int64(n) * int64(n-1) / 2
	concordantMinusDiscordant := total - xTies - yTies + xyTies - 2*discordant
	tau := float64(concordantMinusDiscordant) / math.Sqrt(float64(total-xTies)) / math.Sqrt(float64(total-yTies))
	return clamp(tau), nil
}

// ErrConstant is wrapped by the error of a correlation of a constant x or
// y, for which no correlation is defined: a caller that tabulates many
// proxies can report such a one as undefined instead of failing.
var ErrConstant = errors.New("want at least two distinct values")

// Constant says whether x holds at most one distinct value: the samples no
// correlation is defined for (ErrConstant).
func Constant(x []float64) bool {
	return !slices.ContainsFunc(x, func(f float64) bool { return f != x[0] })
}

// checkPairs rejects the inputs for which a correlation is undefined, naming the function fn.
func checkPairs(fn string, x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("stats: %s: len(x) = %d, len(y) = %d, want equal lengths", fn, len(x), len(y))
	}
	if len(x) < 2 {
		return fmt.Errorf("stats: %s: %d pairs, want at least 2", fn, len(x))
	}
	for _, v := range []struct {
		name string
		s    []float64
	}{{"x", x}, {"y", y}} {
		for i, f := range v.s {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("stats: %s: %s[%d] = %v, want a finite number", fn, v.name, i, f)
			}
		}
		if Constant(v.s) {
			return fmt.Errorf("stats: %s: %s is constant (all %v), %w", fn, v.name, v.s[0], ErrConstant)
		}
	}
	return nil
}

// pearson needs finite, non-constant x and y of equal length at least 2.
func pearson(x, y []float64) float64 {
	// Dividing by the largest magnitude first keeps sums of squares finite for any finite input;
	// r does not change under scaling.
	sx, sy := maxAbs(x), maxAbs(y)
	var mx, my float64
	for i := range x {
		mx += x[i] / sx
		my += y[i] / sy
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]/sx-mx, y[i]/sy-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return clamp(sxy / math.Sqrt(sxx) / math.Sqrt(syy))
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// clamp removes rounding excursions past ±1.
func clamp(r float64) float64 { return max(-1, min(1, r)) }

// sortedBy returns the indices 0..n-1 stably sorted by compare.
func sortedBy(n int, compare func(a, b int) int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, compare)
	return order
}

// eachRun calls visit(lo, hi) for every maximal run order[lo:hi] of elements equal under same.
func eachRun(order []int, same func(a, b int) bool, visit func(lo, hi int)) {
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && same(order[lo], order[hi]) {
			hi++
		}
		visit(lo, hi)
		lo = hi
	}
}

// tiedPairs counts the pairs of elements equal under same; order must sort them into runs.
func tiedPairs(order []int, same func(a, b int) bool) int64 {
	var pairs int64
	eachRun(order, same, func(lo, hi int) {
		c := int64(hi - lo)
		pairs += c * (c - 1) / 2
	})
	return pairs
}

// fenwick counts how many of the values added so far are <= a given value, both in 1..len-1.
type fenwick []int64

func (f fenwick) add(v int) {
	for ; v < len(f); v += v & -v {
		f[v]++
	}
}

func (f fenwick) countUpTo(v int) int64 {
	var c int64
	for ; v > 0; v -= v & -v {
		c += f[v]
	}
	return c
}
