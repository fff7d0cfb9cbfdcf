package spaces

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// EdgeLabels labels every edge "To<-From" ("2<-0"), the row labels of an
// alpha with one row per edge (Space.Labels).
func EdgeLabels(edges []Edge) []string {
	rows := make([]string, len(edges))
	for e, ed := range edges {
		rows[e] = fmt.Sprintf("%d<-%d", ed.To, ed.From)
	}
	return rows
}

// OpEdges gives every edge its chosen op: edge e gets ops[choice[e]], the
// cell of a one-op-per-edge architecture (Cell.Edges). An edge without a
// choice, or a choice outside ops, gets the op "op<index>" or "?", so that
// a String built on it still says which entry is wrong.
func OpEdges(edges []Edge, ops []string, choice []int) []Edge {
	out := make([]Edge, len(edges))
	for e, ed := range edges {
		ed.Op = "?"
		if e < len(choice) {
			ed.Op = fmt.Sprintf("op%d", choice[e])
			if c := choice[e]; c >= 0 && c < len(ops) {
				ed.Op = ops[c]
			}
		}
		out[e] = ed
	}
	return out
}

// EdgesString writes edges as "To<-From:Op", space-separated ("1<-0:skip_connect
// 2<-0:conv_3x3"): the String of a one-op-per-edge architecture (with OpEdges).
func EdgesString(edges []Edge) string {
	labels := EdgeLabels(edges)
	for e, ed := range edges {
		labels[e] += ":" + ed.Op
	}
	return strings.Join(labels, " ")
}

// SumEdges builds the nodes of a cell whose node 0 is x: node j > 0 is the
// sum of edge(e, node From) over the edges e into j (nn.ReduceSumNodes);
// it returns the last node. edge builds edge e on its input (a mixed edge,
// nn.Net.Mixed). Like the graph functions it runs in, it panics (with
// exceptions.Panicf, which a search's trace turns into an error) on an
// edge whose From is not before its To, or a node with no edge into it.
func SumEdges(x *Node, edges []Edge, edge func(e int, in *Node) *Node) *Node {
	last := 0
	for e, ed := range edges {
		if ed.From < 0 || ed.From >= ed.To {
			exceptions.Panicf("spaces: edge %d is %d<-%d, want 0 <= From < To", e, ed.To, ed.From)
		}
		last = max(last, ed.To)
	}
	nodes := []*Node{x}
	for to := 1; to <= last; to++ {
		var in []*Node
		for e, ed := range edges {
			if ed.To == to {
				in = append(in, edge(e, nodes[ed.From]))
			}
		}
		if len(in) == 0 {
			exceptions.Panicf("spaces: node %d of the cell has no edge into it", to)
		}
		nodes = append(nodes, nn.ReduceSumNodes(in))
	}
	return nodes[last]
}
