// Package linalg is the host-side linear algebra of the proxies' Finish
// steps: the eigenvalues and log-determinants of the small, batch-sized
// matrices (Gram matrices, correlations) that a pass hands back. Its
// matrices are row-major []float64, n x n; it needs no LAPACK because they
// have at most a few hundred rows.
package linalg

import (
	"fmt"
	"math"
)

// SquareSide returns n for a row-major n x n matrix of len(m) values, or
// an error when len(m) is not a positive square.
func SquareSide(m []float64) (int, error) {
	n := int(math.Round(math.Sqrt(float64(len(m)))))
	if n*n != len(m) || n == 0 {
		return 0, fmt.Errorf("statistic of %d values is not a square matrix", len(m))
	}
	return n, nil
}

// LogAbsDet is log|det K| (numpy's slogdet) of the n x n matrix k, by LU
// decomposition with partial pivoting in float64. ok is false when K is
// singular (a zero pivot), so that the caller picks the score of a
// degenerate matrix; k is not modified.
func LogAbsDet(k []float64, n int) (logDet float64, ok bool) {
	a := append([]float64(nil), k...)
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r*n+col]) > math.Abs(a[piv*n+col]) {
				piv = r
			}
		}
		if a[piv*n+col] == 0 {
			return 0, false
		}
		if piv != col {
			for c := range n {
				a[col*n+c], a[piv*n+c] = a[piv*n+c], a[col*n+c]
			}
		}
		d := a[col*n+col]
		logDet += math.Log(math.Abs(d))
		for r := col + 1; r < n; r++ {
			f := a[r*n+col] / d
			if f == 0 {
				continue
			}
			for c := col; c < n; c++ {
				a[r*n+c] -= f * a[col*n+c]
			}
		}
	}
	return logDet, true
}

// SymmetricEigenvalues returns the eigenvalues of the symmetric n x n
// matrix m (row-major), unsorted, by cyclic Jacobi rotations: accurate to
// rounding for the small matrices the proxies produce, where an O(n^3)
// sweep is cheap. m is not modified.
func SymmetricEigenvalues(m []float64, n int) []float64 {
	a := append([]float64(nil), m...)
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := range n {
			for j := i + 1; j < n; j++ {
				off += a[i*n+j] * a[i*n+j]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p], a[k*n+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range n {
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k], a[q*n+k] = c*apk-s*aqk, s*apk+c*aqk
				}
			}
		}
	}
	ev := make([]float64, n)
	for i := range n {
		ev[i] = a[i*n+i]
	}
	return ev
}
