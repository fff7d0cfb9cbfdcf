package darts

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/freedarts/freedarts-gonb/spaces"
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

// Name is the space's command-line name.
func (s *Space) Name() string { return "darts" }

// InputSize is the input's height and width (0 for a nil Space, which
// the search then refuses).
func (s *Space) InputSize() int {
	if s == nil {
		return 0
	}
	return s.Config.InputSize
}

// AlphaStd is the reference scale: 5e-4 for the ImageNet-shaped supernet,
// 1e-3 otherwise (a nil Space's too).
func (s *Space) AlphaStd() float64 {
	if s != nil && s.ImageNet {
		return 5e-4
	}
	return 1e-3
}

// Labels labels both alphas' rows "to<-from" (state numbering) and columns
// by op.
func (s *Space) Labels(string) (rows, cols []string) { return EdgeLabels(), Ops[:] }

// Select applies the DARTS rule to the "normal" and "reduce" scores.
func (s *Space) Select(scores map[string][][]float64) (spaces.Arch, error) {
	n, ok := scores[NormalAlpha]
	if !ok {
		return nil, fmt.Errorf("darts: no %q scores to select from", NormalAlpha)
	}
	r, ok := scores[ReduceAlpha]
	if !ok {
		return nil, fmt.Errorf("darts: no %q scores to select from", ReduceAlpha)
	}
	return Select(n, r)
}

// Kept marks, in both alphas, the (edge, op) of every pair of the genotype.
func (g Genotype) Kept() map[string][][]bool {
	return map[string][][]bool{NormalAlpha: keptPairs(g.Normal), ReduceAlpha: keptPairs(g.Reduce)}
}

// keptPairs is the [NumEdges][NumOps] mask of one cell's pairs: pair k
// belongs to intermediate node k/2.
func keptPairs(pairs []Pair) [][]bool {
	kept := make([][]bool, NumEdges)
	for e := range kept {
		kept[e] = make([]bool, NumOps)
	}
	for k, p := range pairs {
		o, err := OpIndex(p.Op)
		if err != nil {
			continue
		}
		for e, ed := range Edges {
			if ed.Node == k/2 && ed.From == p.Input {
				kept[e][o] = true
			}
		}
	}
	return kept
}

// Cells are the normal and the reduction cell: inputs c_{k-2} and c_{k-1},
// the intermediate nodes 0..3 and the output c_{k}, which concatenates the
// Concat states.
func (g Genotype) Cells() []spaces.Cell {
	cell := func(title string, pairs []Pair, concat []int) spaces.Cell {
		c := spaces.Cell{Title: title, Nodes: []string{"c_{k-2}", "c_{k-1}"}}
		for i := range Steps {
			c.Nodes = append(c.Nodes, strconv.Itoa(i))
		}
		c.Nodes = append(c.Nodes, "c_{k}")
		for k, p := range pairs {
			c.Edges = append(c.Edges, spaces.Edge{From: p.Input, To: 2 + k/2, Op: p.Op})
		}
		for _, s := range concat {
			c.Edges = append(c.Edges, spaces.Edge{From: s, To: len(c.Nodes) - 1, Op: spaces.OpConcat})
		}
		return c
	}
	return []spaces.Cell{cell("DARTS normal cell", g.Normal, g.NormalConcat), cell("DARTS reduction cell", g.Reduce, g.ReduceConcat)}
}
