package nb201

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/freedarts/freedarts-gonb/spaces"
)

const (
	// NumNodes counts the cell's nodes: node 0 is the cell input, node NumNodes-1 its output.
	NumNodes = 4
	// NumEdges is one edge from every node to every later node.
	NumEdges = NumNodes * (NumNodes - 1) / 2
	// NumOps is the number of candidate operations on an edge.
	NumOps = 5
)

// Ops in the benchmark's order, which is also the order of alpha's columns.
var Ops = [NumOps]string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}

// Edge carries op(node From) into node To; node To sums its incoming edges.
type Edge struct{ From, To int }

// Edges in the order of the arch string and of alpha's rows: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
var Edges = [NumEdges]Edge{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}

// OpIndex returns the position of the named op in Ops.
func OpIndex(name string) (int, error) {
	i, err := opIndex(name)
	if err != nil {
		return -1, fmt.Errorf("nb201: %w", err)
	}
	return i, nil
}

// opIndex leaves the "nb201:" prefix to its callers, so that ParseArch can put the arch and
// token in front of the reason.
func opIndex(name string) (int, error) {
	for i, op := range Ops {
		if op == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("unknown op %q (want one of %s)", name, strings.Join(Ops[:], ", "))
}

// Arch is one cell of the search space: the op index (into Ops) of each edge, in Edges order.
type Arch [NumEdges]int

// ParseArch parses a NAS-Bench-201 arch string such as
//
//	|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|
//
// Only the form String writes is accepted, so that every Arch has exactly one spelling and arch
// strings can serve as keys.
func ParseArch(s string) (Arch, error) {
	a, err := parseArch(s)
	if err != nil {
		return Arch{}, fmt.Errorf("nb201: %w", err)
	}
	return a, nil
}

// parseArch leaves the "nb201:" prefix to its callers, so that LoadBench can put the file and
// line in front of the reason.
func parseArch(s string) (Arch, error) {
	var a Arch
	nodes := strings.Split(s, "+")
	if len(nodes) != NumNodes-1 {
		return Arch{}, fmt.Errorf("arch %q: %d '+'-separated nodes, want %d", s, len(nodes), NumNodes-1)
	}
	e := 0
	for i, node := range nodes {
		to := i + 1
		if len(node) < 2 || node[0] != '|' || node[len(node)-1] != '|' {
			return Arch{}, fmt.Errorf("arch %q: node %d, %q: want it written |op~j| for j = 0..%d", s, to, node, to-1)
		}
		tokens := strings.Split(node[1:len(node)-1], "|")
		if len(tokens) != to {
			return Arch{}, fmt.Errorf("arch %q: node %d, %q: %d tokens, want %d (one per earlier node)", s, to, node, len(tokens), to)
		}
		for from, tok := range tokens {
			op, err := parseToken(tok, from)
			if err != nil {
				return Arch{}, fmt.Errorf("arch %q: node %d, token %q: %w", s, to, tok, err)
			}
			a[e] = op
			e++
		}
	}
	return a, nil
}

// parseToken parses "op~j", the edge from node from; j must be written as String writes it.
func parseToken(tok string, from int) (int, error) {
	name, src, ok := strings.Cut(tok, "~")
	if !ok {
		return -1, fmt.Errorf("want op~%d", from)
	}
	op, err := opIndex(name)
	if err != nil {
		return -1, err
	}
	if src != strconv.Itoa(from) {
		return -1, fmt.Errorf("input node %q, want %d", src, from)
	}
	return op, nil
}

// String writes the arch string that ParseArch reads. An op index outside Ops is written as
// %!op(N), which ParseArch rejects, rather than panicking.
func (a Arch) String() string {
	var b strings.Builder
	ops := a.Ops()
	for e, edge := range Edges {
		if edge.From == 0 && e > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "|%s~%d", ops[e], edge.From)
		if edge.From == edge.To-1 {
			b.WriteByte('|')
		}
	}
	return b.String()
}

// Ops returns the op name of each edge, in Edges order; an index outside Ops gives %!op(N).
func (a Arch) Ops() [NumEdges]string {
	var names [NumEdges]string
	for e, op := range a {
		if op >= 0 && op < NumOps {
			names[e] = Ops[op]
		} else {
			names[e] = fmt.Sprintf("%%!op(%d)", op)
		}
	}
	return names
}

// shortOps are the abbreviations Short writes.
var shortOps = map[string]string{"skip_connect": "skip", "nor_conv_1x1": "1x1", "nor_conv_3x3": "3x3", "avg_pool_3x3": "pool"}

// Short writes the ops of every edge compactly, in Edges order (1<-0 …
// 3<-2): "3x3 3x3 skip 1x1 3x3 pool".
func (a Arch) Short() string {
	ops := a.Ops()
	for e, op := range ops {
		ops[e] = cmp.Or(shortOps[op], op)
	}
	return strings.Join(ops[:], " ")
}

// Kept marks the op of every edge in the [NumEdges][NumOps] alpha.
func (a Arch) Kept() map[string][][]bool {
	return map[string][][]bool{AlphaName: spaces.KeptRows(a[:], NumOps)}
}

// Cells is the cell, nodes "0".."3", one edge per Edges entry.
func (a Arch) Cells() []spaces.Cell {
	c := spaces.Cell{Title: "NAS-Bench-201 cell", Nodes: []string{"0", "1", "2", "3"}}
	for e, op := range a.Ops() {
		c.Edges = append(c.Edges, spaces.Edge{From: Edges[e].From, To: Edges[e].To, Op: op})
	}
	return []spaces.Cell{c}
}
