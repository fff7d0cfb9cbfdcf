package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestRanks(t *testing.T) {
	nan := math.NaN()
	cases := []struct{ x, want []float64 }{
		{nil, []float64{}},
		{[]float64{7}, []float64{1}},
		{[]float64{10, 20, 20, 5}, []float64{2, 3.5, 3.5, 1}},
		{[]float64{3, 1, 2}, []float64{3, 1, 2}},
		{[]float64{1, 1, 1}, []float64{2, 2, 2}},
		{[]float64{0, math.Copysign(0, -1), -1}, []float64{2.5, 2.5, 1}},
		{[]float64{2, nan, 1, nan}, []float64{4, 1.5, 3, 1.5}},
	}
	for _, c := range cases {
		if got := Ranks(c.x); !slices.Equal(got, c.want) {
			t.Errorf("Ranks(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// The expected values are worked out by hand in the comments and agree with scipy.stats.
func TestCorrelations(t *testing.T) {
	cases := []struct {
		name                   string
		x, y                   []float64
		pearson, spearman, tau float64
	}{
		// x deviations -2, -1, 0, 1, 2 (sxx 10); y deviations -2, 0, 1, 0, 1 (syy 6); sxy 6.
		// y ranks 1, 2.5, 4.5, 2.5, 4.5, deviations -2, -0.5, 1.5, -0.5, 1.5: sxy 7, syy 9.
		// Pairs: 7 concordant, 1 discordant (3,4), 2 tied in y only: tau_b = 6/sqrt(10*8).
		{"ties in y", []float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5},
			6 / math.Sqrt(10*6), 7 / math.Sqrt(10*9), 6 / math.Sqrt(10*8)},
		// scipy.stats.spearmanr's doc example, rho 0.8207826816681233.
		// y deviations -1.6, -0.6, 0.4, 1.4, 0.4: sxy 6, syy 5.2.
		// y ranks 1, 2, 3.5, 5, 3.5, deviations -2, -1, 0.5, 2, 0.5: sxy 8, syy 9.5.
		// Pairs: 8 concordant, 1 discordant (4,5), 1 tied in y only: tau_b = 7/sqrt(10*9).
		{"spearmanr doc", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7},
			6 / math.Sqrt(10*5.2), 8 / math.Sqrt(10*9.5), 7 / math.Sqrt(10*9)},
		// scipy.stats.kendalltau's doc example, tau -0.47140452079103173.
		// x deviations 6.2, -3.8, -4.8, 6.2, -3.8 (sxx 128.8); y -1.6, 1.4, 4.4, -1.6, -2.6
		// (syy 33.2); sxy -36.4.
		// x ranks 4.5, 2.5, 1, 4.5, 2.5, deviations 1.5, -0.5, -2, 1.5, -0.5 (sxx 9); y ranks
		// 2.5, 4, 5, 2.5, 1, deviations -0.5, 1, 2, -0.5, -2 (syy 9.5); sxy -5.
		// Pairs: 2 concordant, 6 discordant, (0,3) tied in both, (1,4) tied in x only:
		// tau_b = -4/sqrt((10-2)*(10-1)).
		{"kendalltau doc", []float64{12, 2, 1, 12, 2}, []float64{1, 4, 7, 1, 0},
			-36.4 / math.Sqrt(128.8*33.2), -5 / math.Sqrt(9*9.5), -4 / math.Sqrt(8*9)},
		{"perfect +1", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1, 1, 1},
		{"perfect -1", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1, -1, -1},
		// Monotone but not linear: only the rank statistics are 1.
		{"monotone", []float64{1, 2, 3, 4}, []float64{1, 10, 100, 1000},
			// x deviations -1.5, -0.5, 0.5, 1.5 (sxx 5); y deviations -276.75, -267.75, -177.75,
			// 722.25 (syy 701520.75); sxy 1543.5.
			1543.5 / math.Sqrt(5*701520.75), 1, 1},
		{"two points", []float64{0, 1}, []float64{1, 0}, -1, -1, -1},
		{"huge values", []float64{-1e308, 0, 1e308}, []float64{1e308, 0, -1e308}, -1, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []struct {
				name string
				fn   func(x, y []float64) (float64, error)
				want float64
			}{{"Pearson", Pearson, c.pearson}, {"Spearman", Spearman, c.spearman}, {"KendallTau", KendallTau, c.tau}} {
				got, err := f.fn(c.x, c.y)
				if err != nil || math.Abs(got-f.want) > 1e-12 {
					t.Errorf("%s(%v, %v) = %v, %v; want %v", f.name, c.x, c.y, got, err, f.want)
				}
				// Every statistic here is symmetric in its arguments.
				if got2, _ := f.fn(c.y, c.x); math.Abs(got2-got) > 1e-12 {
					t.Errorf("%s(y, x) = %v, %s(x, y) = %v", f.name, got2, f.name, got)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name, wantErr string
		x, y          []float64
	}{
		{"length mismatch", "len(x) = 3, len(y) = 2, want equal lengths", []float64{1, 2, 3}, []float64{1, 2}},
		{"empty", "0 pairs, want at least 2", nil, nil},
		{"one pair", "1 pairs, want at least 2", []float64{1}, []float64{2}},
		{"NaN in x", "x[1] = NaN, want a finite number", []float64{1, nan, 3}, []float64{1, 2, 3}},
		{"Inf in y", "y[2] = +Inf, want a finite number", []float64{1, 2, 3}, []float64{1, 2, inf}},
		{"-Inf in y", "y[0] = -Inf", []float64{1, 2, 3}, []float64{-inf, 2, 3}},
		{"constant x", "x is constant (all 4), want at least two distinct values", []float64{4, 4, 4}, []float64{1, 2, 3}},
		{"constant y", "y is constant (all 0)", []float64{1, 2, 3}, []float64{0, math.Copysign(0, -1), 0}},
	}
	for _, c := range cases {
		for _, f := range []struct {
			name string
			fn   func(x, y []float64) (float64, error)
		}{{"Pearson", Pearson}, {"Spearman", Spearman}, {"KendallTau", KendallTau}} {
			got, err := f.fn(c.x, c.y)
			want := "stats: " + f.name + ": " + c.wantErr
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: %s = %v, %v; want error %s", c.name, f.name, got, err, want)
			}
			if constant := strings.Contains(c.name, "constant"); errors.Is(err, ErrConstant) != constant {
				t.Errorf("%s: %s error %v: errors.Is(err, ErrConstant) = %v, want %v", c.name, f.name, err, !constant, constant)
			}
		}
	}
}

// kendallTauPairs is the O(n^2) definition of tau-b, to check the O(n log n) algorithm against.
func kendallTauPairs(x, y []float64) float64 {
	var con, dis, xOnly, yOnly float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				xOnly++
			case dy == 0:
				yOnly++
			case (dx > 0) == (dy > 0):
				con++
			default:
				dis++
			}
		}
	}
	return (con - dis) / math.Sqrt((con+dis+yOnly)*(con+dis+xOnly))
}

func TestKendallTauMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 2 + rng.IntN(60)
		levels := 1 + rng.IntN(8) // few levels: many ties
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
			y[i] = float64(rng.IntN(levels)) + 0.3*x[i]
		}
		got, err := KendallTau(x, y)
		if err != nil {
			continue // a constant draw
		}
		if want := kendallTauPairs(x, y); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: KendallTau(%v, %v) = %v, want %v", trial, x, y, got, want)
		}
	}
}

// Without ties Spearman's rho is 1 - 6 sum d^2 / (n (n^2 - 1)).
func TestSpearmanNoTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1000
	x, y := rng.Perm(n), rng.Perm(n)
	xf, yf := make([]float64, n), make([]float64, n)
	var d2 float64
	for i := range x {
		xf[i], yf[i] = float64(x[i]), float64(y[i])
		d := float64(x[i] - y[i])
		d2 += d * d
	}
	want := 1 - 6*d2/(float64(n)*(float64(n)*float64(n)-1))
	if got, err := Spearman(xf, yf); err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("Spearman = %v, %v; want %v", got, err, want)
	}
}

// TestKendallTauLarge runs the benchmark's size: 15,625 cells, scores with heavy ties.
func TestKendallTauLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 15625
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64(rng.IntN(100))
		y[i] = x[i] + float64(rng.IntN(50))
	}
	got, err := KendallTau(x, y)
	if err != nil || got <= 0.5 || got >= 1 {
		t.Errorf("KendallTau = %v, %v; want a clear positive correlation below 1", got, err)
	}
}

func TestConstant(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want bool
	}{
		{nil, true},
		{[]float64{3}, true},
		{[]float64{2, 2, 2}, true},
		{[]float64{2, 2, 2.5}, false},
		{[]float64{-1, 1}, false},
	} {
		if got := Constant(tc.x); got != tc.want {
			t.Errorf("Constant(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}
