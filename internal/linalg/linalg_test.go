package linalg

import (
	"math"
	"slices"
	"testing"
)

// rotated is Q diag(d) Q^T for a rotation Q of the first two axes: a
// symmetric matrix with eigenvalues d.
func rotated(d []float64) []float64 {
	c, s := math.Cos(0.3), math.Sin(0.3)
	q := []float64{c, -s, 0, s, c, 0, 0, 0, 1}
	m := make([]float64, 9)
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				m[i*3+j] += q[i*3+k] * d[k] * q[j*3+k]
			}
		}
	}
	return m
}

func TestSymmetricEigenvalues(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    []float64
		n    int
		want []float64
	}{
		{"rotated diag(1,2,4)", rotated([]float64{1, 2, 4}), 3, []float64{1, 2, 4}},
		{"diagonal", []float64{3, 0, 0, -1}, 2, []float64{-1, 3}},
		{"1x1", []float64{5}, 1, []float64{5}},
	} {
		m := slices.Clone(tc.m)
		ev := SymmetricEigenvalues(m, tc.n)
		slices.Sort(ev)
		for i := range tc.want {
			if math.Abs(ev[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s: eigenvalues %v, want %v", tc.name, ev, tc.want)
				break
			}
		}
		if !slices.Equal(m, tc.m) {
			t.Errorf("%s: the input was modified", tc.name)
		}
	}
}

func TestLogAbsDet(t *testing.T) {
	for _, tc := range []struct {
		name   string
		k      []float64
		n      int
		want   float64
		wantOK bool
	}{
		{"rotated diag(1,2,4)", rotated([]float64{1, 2, 4}), 3, math.Log(8), true},
		{"needs pivoting", []float64{0, 2, 3, 0}, 2, math.Log(6), true},
		{"negative determinant", []float64{-2}, 1, math.Log(2), true},
		{"singular", []float64{1, 1, 1, 1}, 2, 0, false},
	} {
		got, ok := LogAbsDet(tc.k, tc.n)
		if ok != tc.wantOK || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: LogAbsDet = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestSquareSide(t *testing.T) {
	for _, tc := range []struct {
		len, want int
		err       bool
	}{{9, 3, false}, {1, 1, false}, {3, 0, true}, {0, 0, true}} {
		n, err := SquareSide(make([]float64, tc.len))
		if n != tc.want || (err != nil) != tc.err {
			t.Errorf("SquareSide of %d values = %d, %v; want %d, error %v", tc.len, n, err, tc.want, tc.err)
		}
	}
}
