package darts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const (
	// NumOps is the number of candidate operations on a mixed edge.
	NumOps = 8
	// Steps is the number of intermediate nodes of a supernet cell.
	Steps = 4
	// NumEdges is the number of mixed edges of a supernet cell: node i
	// (0..Steps-1) has an edge from each cell input and each earlier node.
	NumEdges = 2*Steps + Steps*(Steps-1)/2
)

// Ops in the DARTS order, which is also the order of alpha's columns.
var Ops = [NumOps]string{
	"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
}

// None is the index of the "none" op, which selection never keeps.
const None = 0

// OpIndex returns the position of the named op in Ops.
func OpIndex(name string) (int, error) {
	for i, op := range Ops {
		if op == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("darts: unknown op %q (want one of %s)", name, strings.Join(Ops[:], ", "))
}

// Edge is a mixed edge of the supernet cell: it carries state From into
// intermediate node Node. States 0 and 1 are the cell inputs c_{k-2} and
// c_{k-1}; state 2+i is intermediate node i.
type Edge struct{ From, Node int }

// Edges in the order of alpha's rows and of the DARTS code: node 0 from
// states 0, 1; node 1 from 0, 1, 2; node 2 from 0..3; node 3 from 0..4.
var Edges = func() [NumEdges]Edge {
	var e [NumEdges]Edge
	k := 0
	for node := range Steps {
		for from := range node + 2 {
			e[k] = Edge{from, node}
			k++
		}
	}
	return e
}()

// EdgeLabels labels alpha's rows as "to<-from" in state numbering (the
// numbering of genotypes): "2<-0", "2<-1", "3<-0", ...
func EdgeLabels() []string {
	rows := make([]string, NumEdges)
	for e, ed := range Edges {
		rows[e] = fmt.Sprintf("%d<-%d", ed.Node+2, ed.From)
	}
	return rows
}

// Pair is one (op, input) entry of a genotype: the op applied to state
// Input (0 and 1 are the cell inputs, 2.. the intermediate nodes).
type Pair struct {
	Op    string
	Input int
}

// Genotype is a DARTS cell pair in the form of the DARTS code's namedtuple:
// two pairs per intermediate node, and the states concatenated into the
// cell's output.
type Genotype struct {
	Normal       []Pair
	NormalConcat []int
	Reduce       []Pair
	ReduceConcat []int
}

// DefaultConcat is [2, 3, 4, 5]: every intermediate node of a 4-step cell.
func DefaultConcat() []int { return []int{2, 3, 4, 5} }

// DARTSV2 is the genotype published with DARTS (second order), the
// reference for parameter counts.
const DARTSV2 = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), " +
	"('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], " +
	"reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), " +
	"('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"

// DARTSV1 is the genotype published with DARTS (first order).
const DARTSV1 = "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), " +
	"('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], " +
	"reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), " +
	"('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])"

// Known maps the names accepted in place of a genotype string (see
// LookupGenotype) to their genotypes.
var Known = map[string]string{"DARTS_V1": DARTSV1, "DARTS_V2": DARTSV2, "DARTS": DARTSV2}

// LookupGenotype parses s, or returns the Known genotype it names.
func LookupGenotype(s string) (Genotype, error) {
	if k, ok := Known[strings.TrimSpace(s)]; ok {
		s = k
	}
	return ParseGenotype(s)
}

// Equal reports whether g and h are the same genotype.
func (g Genotype) Equal(h Genotype) bool {
	return slices.Equal(g.Normal, h.Normal) && slices.Equal(g.Reduce, h.Reduce) &&
		slices.Equal(g.NormalConcat, h.NormalConcat) && slices.Equal(g.ReduceConcat, h.ReduceConcat)
}

// Validate checks that g describes a buildable network: an even, non-zero
// number of pairs per cell, known ops, every input an earlier state, and a
// non-empty concat of distinct existing states (intermediate nodes only in
// the reduction cell, whose inputs keep their resolution).
func (g Genotype) Validate() error {
	for _, c := range []struct {
		name   string
		pairs  []Pair
		concat []int
	}{{"normal", g.Normal, g.NormalConcat}, {"reduce", g.Reduce, g.ReduceConcat}} {
		if err := validateCell(c.pairs, c.concat, c.name == "reduce"); err != nil {
			return fmt.Errorf("darts: genotype %s cell: %w", c.name, err)
		}
	}
	return nil
}

func validateCell(pairs []Pair, concat []int, reduction bool) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return fmt.Errorf("%d (op, input) pairs, want a positive even number (two per node)", len(pairs))
	}
	for k, p := range pairs {
		if _, err := OpIndex(p.Op); err != nil {
			return fmt.Errorf("pair %d: %w", k, err)
		}
		if p.Input < 0 || p.Input >= 2+k/2 {
			return fmt.Errorf("pair %d (%s, %d): input %d, want 0..%d (the cell inputs and earlier nodes)", k, p.Op, p.Input, p.Input, 1+k/2)
		}
	}
	states := 2 + len(pairs)/2
	if len(concat) == 0 {
		return fmt.Errorf("empty concat")
	}
	seen := map[int]bool{}
	for _, s := range concat {
		if s < 0 || s >= states {
			return fmt.Errorf("concat state %d, want 0..%d", s, states-1)
		}
		if reduction && s < 2 {
			return fmt.Errorf("concat state %d is a cell input, which a reduction cell does not downsample: want 2..%d", s, states-1)
		}
		if seen[s] {
			return fmt.Errorf("concat state %d listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// String formats g as the DARTS code prints a Genotype (with concat lists
// written out), the form ParseGenotype reads.
func (g Genotype) String() string {
	var b strings.Builder
	b.WriteString("Genotype(normal=")
	writePairs(&b, g.Normal)
	b.WriteString(", normal_concat=")
	writeInts(&b, g.NormalConcat)
	b.WriteString(", reduce=")
	writePairs(&b, g.Reduce)
	b.WriteString(", reduce_concat=")
	writeInts(&b, g.ReduceConcat)
	b.WriteByte(')')
	return b.String()
}

func writePairs(b *strings.Builder, pairs []Pair) {
	b.WriteByte('[')
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		b.WriteString(quote(p.Op))
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(p.Input))
		b.WriteByte(')')
	}
	b.WriteByte(']')
}

// quote writes a Python single-quoted string (op names need no escapes).
func quote(s string) string { return "'" + s + "'" }

func writeInts(b *strings.Builder, v []int) {
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}
