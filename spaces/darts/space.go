package darts

import (
	"fmt"
	"math"
	"slices"
)

// SelectCell applies the DARTS rule to one cell's scores [NumEdges][NumOps]:
// for each intermediate node, rank its incoming edges by their best
// non-none score, keep the top 2 (ties: the lower input first, as Python's
// stable sort), and on each take its best non-none op (ties: the first).
// The pairs come out best edge first, as the DARTS code writes them.
func SelectCell(scores [][]float64) ([]Pair, error) {
	if len(scores) != NumEdges {
		return nil, fmt.Errorf("darts: score matrix has %d rows, want %d (one per edge)", len(scores), NumEdges)
	}
	for e, row := range scores {
		if len(row) != NumOps {
			return nil, fmt.Errorf("darts: score row %d has %d values, want %d (one per op)", e, len(row), NumOps)
		}
		for o, v := range row {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("darts: score [%d][%d] is NaN", e, o)
			}
		}
	}
	bestOp := func(row []float64) int {
		best := -1
		for o, v := range row {
			if o != None && (best < 0 || v > row[best]) {
				best = o
			}
		}
		return best
	}
	var pairs []Pair
	start := 0
	for node := range Steps {
		n := node + 2
		rows := scores[start : start+n]
		inputs := make([]int, n)
		for j := range inputs {
			inputs[j] = j
		}
		slices.SortStableFunc(inputs, func(a, b int) int {
			va, vb := rows[a][bestOp(rows[a])], rows[b][bestOp(rows[b])]
			switch {
			case va > vb:
				return -1
			case va < vb:
				return 1
			}
			return 0
		})
		for _, j := range inputs[:2] {
			pairs = append(pairs, Pair{Ops[bestOp(rows[j])], j})
		}
		start += n
	}
	return pairs, nil
}

// Select turns the "normal" and "reduce" score matrices into a genotype
// (SelectCell on each; concat = all intermediate nodes).
func Select(normal, reduce [][]float64) (Genotype, error) {
	n, err := SelectCell(normal)
	if err != nil {
		return Genotype{}, fmt.Errorf("normal cell: %w", err)
	}
	r, err := SelectCell(reduce)
	if err != nil {
		return Genotype{}, fmt.Errorf("reduce cell: %w", err)
	}
	return Genotype{Normal: n, NormalConcat: DefaultConcat(), Reduce: r, ReduceConcat: DefaultConcat()}, nil
}

// Space is the DARTS CNN space as a FreeDARTS search space
// (freedarts.Space): the supernet plus the selection rule.
type Space struct{ *Supernet }

// NewSpace returns the space over the supernet of cfg.
func NewSpace(cfg Config) (*Space, error) {
	net, err := NewSupernet(cfg)
	if err != nil {
		return nil, err
	}
	return &Space{net}, nil
}

// Name is the space's command-line name.
func (s *Space) Name() string { return "darts" }

// InputSize is the input's height and width.
func (s *Space) InputSize() int { return s.Config.InputSize }

// AlphaStd is the reference scale: 5e-4 for the ImageNet-shaped supernet,
// 1e-3 otherwise.
func (s *Space) AlphaStd() float64 {
	if s.ImageNet {
		return 5e-4
	}
	return 1e-3
}

// Labels labels both alphas' rows "to<-from" (state numbering) and columns
// by op.
func (s *Space) Labels(string) (rows, cols []string) { return EdgeLabels(), Ops[:] }

// Select applies the DARTS rule to the "normal" and "reduce" scores and
// returns the genotype string.
func (s *Space) Select(scores map[string][][]float64) (string, error) {
	n, ok := scores[NormalAlpha]
	if !ok {
		return "", fmt.Errorf("darts: no %q scores to select from", NormalAlpha)
	}
	r, ok := scores[ReduceAlpha]
	if !ok {
		return "", fmt.Errorf("darts: no %q scores to select from", ReduceAlpha)
	}
	g, err := Select(n, r)
	if err != nil {
		return "", err
	}
	return g.String(), nil
}
