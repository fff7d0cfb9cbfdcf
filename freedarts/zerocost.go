package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// This file holds the criteria that look inside the network (Fisher,
// Jacobian covariance, NASWOT, FLOPs) and their host-side finishing steps.

// Degenerate is the score of a network that the spectral proxies (jacob_cov,
// naswot) cannot tell anything about: its output ignores its input, or two
// samples are indistinguishable. It is below every real score and finite,
// so that rank statistics still apply; plots should leave it out.
const Degenerate = -math.MaxFloat64

// perSample sums x [N, ...] over every axis but the batch axis.
func perSample(x *Node) *Node {
	axes := make([]int, 0, x.Rank()-1)
	for a := 1; a < x.Rank(); a++ {
		axes = append(axes, a)
	}
	return ReduceSum(x, axes...)
}

// fisherSaliency scores alpha entry j by 0.5*mean_n(s_n)^2 with s_n =
// alpha_j * g_n, g_n the per-sample gradient of alpha_j. An alpha entry
// gates its op's output y in every cell, so s_n is the sum over those
// outputs of <y_n, dL/dy_n>: zero-cost-nas's per-channel Fisher with the
// gate as the channel, summed over the cells that share it before squaring
// (they share one parameter). Entries that gate nothing (none) score 0.
func fisherSaliency(p *Pass) []*Node {
	_, actGrads := p.LossGrads()
	out := make([]*Node, len(p.Targets))
	for i, spec := range p.Specs {
		perEntry := make([]*Node, spec.Size())
		for j, a := range p.ActsOf(nn.LayerOutput | nn.GateOutput) {
			if a.Kind != nn.GateOutput || a.Name != spec.Name {
				continue
			}
			s := perSample(Mul(a.Node, actGrads[j]))
			if perEntry[a.Index] != nil {
				s = Add(perEntry[a.Index], s)
			}
			perEntry[a.Index] = s
		}
		t := p.Targets[i]
		vals := make([]*Node, spec.Size())
		for k, s := range perEntry {
			if s == nil {
				vals[k] = ScalarZero(t.Graph(), t.DType())
			} else {
				vals[k] = MulScalar(ReduceAllMean(Square(s)), 0.5)
			}
		}
		out[i] = Reshape(Stack(vals, 0), spec.Shape...)
	}
	return out
}

// fisherNetwork is zero-cost-nas's Fisher: for the output act of every
// convolution and linear layer, per output channel k, del_k =
// 0.5*mean_n(sum_spatial act*dL/dact)^2. It broadcasts |del_k| to every
// weight of channel k before summing, so each channel counts fan-in times.
func fisherNetwork(p *Pass) *Node {
	_, actGrads := p.LossGrads()
	fanIn := make(map[string]int, len(p.Specs))
	for _, s := range p.Specs {
		fanIn[s.Name] = s.FanIn
	}
	var terms []*Node
	for j, a := range p.ActsOf(nn.LayerOutput | nn.GateOutput) {
		if a.Kind != nn.LayerOutput {
			continue
		}
		g := Mul(a.Node, actGrads[j])
		if g.Rank() == 4 {
			g = ReduceSum(g, 1, 2) // [N, C]
		}
		del := MulScalar(ReduceMean(Square(g), 0), 0.5)
		terms = append(terms, p.Weigh(a, MulScalar(ReduceAllSum(Abs(del)), float64(fanIn[a.Name]))))
	}
	return nn.ReduceSumNodes(terms)
}

// jacobianCovariance returns the covariance [N, N] of the per-sample input
// Jacobians of sum(logits) (zero-cost-nas backpropagates ones from the
// logits); jacobCovScore normalises it on the host.
func jacobianCovariance(p *Pass) *Node {
	j := p.InputJacobian()
	n := j.Shape().Dimensions[0]
	j = Reshape(j, n, j.Shape().Size()/n)
	c := Sub(j, ReduceAndKeep(j, ReduceMean, 1))
	return MatMul(c, Transpose(c, 0, 1))
}

// jacobCovScore is -sum(log(l+k) + 1/(l+k)), k = 1e-5, over the eigenvalues
// l of the correlation matrix of the per-sample Jacobians, from their
// covariance cov [N, N] (row-major).
func jacobCovScore(cov []float64) (float64, error) {
	n, err := squareSide(cov)
	if err != nil {
		return 0, err
	}
	corr := make([]float64, len(cov))
	for i := range n {
		for j := range n {
			d := math.Sqrt(cov[i*n+i] * cov[j*n+j])
			if !(d > 0) {
				return Degenerate, nil // the logits ignore sample i's (or j's) input
			}
			corr[i*n+j] = cov[i*n+j] / d
		}
	}
	const k = 1e-5
	score := 0.0
	for _, l := range symmetricEigenvalues(corr, n) {
		score -= math.Log(l+k) + 1/(l+k)
	}
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return Degenerate, nil
	}
	return score, nil
}

// naswotKernel is K = sum over ReLUs of c c^T + (1-c)(1-c)^T for the binary
// codes c [N, D] (input > 0) of each sample: the number of units on which
// two samples agree. It is computed as 2cc^T - r_i - r_j + D with r the row
// sums of c, one matrix product per ReLU instead of two.
func naswotKernel(p *Pass) *Node {
	var k *Node
	for _, a := range p.ActsOf(nn.ReLUInput) {
		x := a.Node
		n := x.Shape().Dimensions[0]
		d := x.Shape().Size() / n
		c := Reshape(ConvertDType(GreaterThan(x, ZerosLike(x)), x.DType()), n, d)
		r := ReduceSum(c, 1)
		term := MulScalar(MatMul(c, Transpose(c, 0, 1)), 2)
		term = Sub(term, Add(Reshape(r, n, 1), Reshape(r, 1, n)))
		term = p.Weigh(a, AddScalar(term, float64(d)))
		if k == nil {
			k = term
		} else {
			k = Add(k, term)
		}
	}
	if k == nil { // no ReLU at all: every pair of samples agrees on nothing
		n := p.Input.Shape().Dimensions[0]
		return Zeros(p.Input.Graph(), shapes.Make(p.Logits.DType(), n, n))
	}
	return k
}

// countMACs is the multiply-accumulates per image of every convolution and
// linear layer: output elements times the weight's fan-in.
func countMACs(specs []nn.ParamSpec, acts []nn.Activation) float64 {
	fanIn := make(map[string]int, len(specs))
	for _, s := range specs {
		fanIn[s.Name] = s.FanIn
	}
	total := 0.0
	for _, a := range acts {
		if a.Kind != nn.LayerOutput {
			continue
		}
		dims := a.Node.Shape().Dimensions
		perImage := a.Node.Shape().Size() / dims[0]
		total += float64(perImage) * float64(fanIn[a.Name])
	}
	return total
}

func squareSide(m []float64) (int, error) {
	n := int(math.Round(math.Sqrt(float64(len(m)))))
	if n*n != len(m) || n == 0 {
		return 0, fmt.Errorf("statistic of %d values is not a square matrix", len(m))
	}
	return n, nil
}

// logAbsDet is log|det K| (numpy's slogdet) of a square matrix, by LU
// decomposition with partial pivoting in float64. A singular K is
// Degenerate.
func logAbsDet(k []float64) (float64, error) {
	n, err := squareSide(k)
	if err != nil {
		return 0, err
	}
	a := append([]float64(nil), k...)
	logDet := 0.0
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r*n+col]) > math.Abs(a[piv*n+col]) {
				piv = r
			}
		}
		if a[piv*n+col] == 0 {
			return Degenerate, nil
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
	return logDet, nil
}

// symmetricEigenvalues returns the eigenvalues of the symmetric n x n
// matrix m (row-major) by cyclic Jacobi rotations, accurate to rounding for
// the small (batch-sized) matrices the proxies produce.
func symmetricEigenvalues(m []float64, n int) []float64 {
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
