package nb201

import (
	"slices"
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	a, err := Sample(500, 7, NumCells)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 500 {
		t.Fatalf("%d indices, want 500", len(a))
	}
	seen := map[int]bool{}
	for _, i := range a {
		if i < 0 || i >= NumCells || seen[i] {
			t.Fatalf("index %d out of range or repeated", i)
		}
		seen[i] = true
	}
	b, _ := Sample(500, 7, NumCells)
	c, _ := Sample(100, 7, NumCells)
	d, _ := Sample(500, 8, NumCells)
	if !slices.Equal(a, b) {
		t.Error("same seed, different samples")
	}
	if !slices.Equal(a[:100], c) {
		t.Error("a smaller sample with the same seed is not a prefix of the larger one")
	}
	if slices.Equal(a, d) {
		t.Error("seeds 7 and 8 gave the same sample")
	}
	all, _ := Sample(NumCells, 0, NumCells)
	if s := slices.Sorted(slices.Values(all)); s[0] != 0 || s[NumCells-1] != NumCells-1 {
		t.Error("a full sample is not a permutation")
	}
	for _, tc := range []struct{ n, total int }{{0, 10}, {11, 10}, {1, 0}} {
		if _, err := Sample(tc.n, 0, tc.total); err == nil || !strings.Contains(err.Error(), "nb201: sample") {
			t.Errorf("Sample(%d, 0, %d): %v", tc.n, tc.total, err)
		}
	}
}
