package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// golden is a search's output recorded by an earlier build (testdata/golden),
// whose runs kept the scores by alpha name.
type golden struct {
	About   string   `json:"about"`
	Args    []string `json:"args"`
	Compute string   `json:"compute"`
	Runs    []struct {
		Seed   uint64                 `json:"seed"`
		Arch   string                 `json:"arch"`
		Scores map[string][][]float64 `json:"scores"`
	} `json:"runs"`
}

// TestScoresMatchGolden reruns the searches of testdata/golden, recorded
// before the GoMLX v0.28.16 upgrade and the Pad-based windows, and checks
// that the scores are the same numbers and the picks the same cells. SynFlow
// runs in float64 and keeps the products and sums of the old formulation, so
// every entry must agree to 1e-12 relative. The float32 proxies move with
// the summation order of the matmul kernels and of the gradients'
// formulation: measured 4e-5 (SNIP) and 8e-5 (GraSP) of the matrix's
// largest score on the machine that recorded the golden, but 5e-3 to 7e-3
// (SNIP) and 9e-3 (GraSP) on an AVX-512 Xeon with the same compute string
// (2026-12-02): the SIMD kernels sum in the CPU's vector width, which the
// compute string does not record. So their largest difference must stay
// within 1e-2 (SNIP) or 5e-2 (GraSP, a second derivative) of it on any
// build (docs/benchmarks.md); the picks must not change.
func TestScoresMatchGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want golden
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			tol, perEntry := 1e-12, true
			switch {
			case strings.Contains(name, "snip"):
				tol, perEntry = 1e-2, false
			case strings.Contains(name, "grasp"):
				tol, perEntry = 5e-2, false
			case strings.Contains(name, "synflow-bn"):
				// Batch norm's backward pass now takes its channel means
				// with ReduceMean instead of a product with ones: another
				// summation order, seen on entries that are near
				// cancellations (up to 4e-9 of the entry, 1e-12 of the
				// matrix's largest score).
				tol, perEntry = 1e-11, false
			}
			if !perEntry {
				needFile(t, testData)
			}
			if testing.Short() && !perEntry {
				t.Skip("data proxies take 10-30 s; -short")
			}
			args := append([]string{"-backend", "go"}, want.Args...)
			if !perEntry {
				args = append(args, "-data", testData)
			}
			got := searchJSON(t, args...)
			if len(got.Runs) != len(want.Runs) {
				t.Fatalf("%d runs, golden has %d", len(got.Runs), len(want.Runs))
			}
			for i, w := range want.Runs {
				g := got.Runs[i]
				if g.Seed != w.Seed || g.Arch != w.Arch {
					t.Errorf("seed %d: picked %s, golden (seed %d) %s", g.Seed, g.Arch, w.Seed, w.Arch)
				}
				for alpha, wm := range w.Scores {
					d := scoreDiff(matrix(t, g, alpha), wm, perEntry)
					if !(d <= tol) {
						t.Errorf("seed %d %s: difference %.3g, tolerance %g (%s)", w.Seed, alpha, d, tol, want.About)
					}
					t.Logf("seed %d %s: difference %.3g (tolerance %g)", w.Seed, alpha, d, tol)
				}
			}
		})
	}
}

// scoreDiff is the largest relative difference of an entry (perEntry), or
// the largest difference over the largest |want| of the matrix; a shape
// mismatch is +Inf.
func scoreDiff(got, want [][]float64, perEntry bool) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	scale := 0.0
	for _, row := range want {
		for _, v := range row {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	worst := 0.0
	for r := range want {
		if len(got[r]) != len(want[r]) {
			return math.Inf(1)
		}
		for c, w := range want[r] {
			d := math.Abs(got[r][c] - w)
			switch {
			case !perEntry:
				d /= scale
			case w != 0:
				d /= math.Abs(w)
			case d != 0:
				d = math.Inf(1)
			}
			worst = math.Max(worst, d)
		}
	}
	return worst
}
