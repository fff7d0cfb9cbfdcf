package spaces_test

import (
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

var tinyEdges = []spaces.Edge{{From: 0, To: 1}, {From: 0, To: 2}, {From: 1, To: 2}}

func TestEdgeText(t *testing.T) {
	if got, want := spaces.EdgeLabels(tinyEdges), []string{"1<-0", "2<-0", "2<-1"}; !slices.Equal(got, want) {
		t.Errorf("EdgeLabels = %q, want %q", got, want)
	}
	ops := []string{"none", "skip"}
	for _, tc := range []struct {
		choice []int
		want   string
	}{
		{[]int{1, 0, 1}, "1<-0:skip 2<-0:none 2<-1:skip"},
		{[]int{1, 5}, "1<-0:skip 2<-0:op5 2<-1:?"},
		{nil, "1<-0:? 2<-0:? 2<-1:?"},
	} {
		if got := spaces.EdgesString(spaces.OpEdges(tinyEdges, ops, tc.choice)); got != tc.want {
			t.Errorf("EdgesString(OpEdges(%v)) = %q, want %q", tc.choice, got, tc.want)
		}
	}
	if got := spaces.EdgesString(nil); got != "" {
		t.Errorf("EdgesString(nil) = %q", got)
	}
}

func TestSumEdges(t *testing.T) {
	b := nntest.Backend(t)
	// Edge e multiplies its input by e+2: node 1 = 2x, node 2 = 3x + 4*(2x) = 11x.
	cell := func(edges []spaces.Edge) func(in []*Node) *Node {
		return func(in []*Node) *Node {
			return spaces.SumEdges(in[0], edges, func(e int, x *Node) *Node { return MulScalar(x, float64(e+2)) })
		}
	}
	got, _, err := nntest.Run(b, cell(tinyEdges), nntest.Input{Values: []float64{1, 2}, Shape: []int{2}})
	if err != nil || !slices.Equal(got, []float64{11, 22}) {
		t.Errorf("SumEdges = %v, %v, want [11 22]", got, err)
	}
	for _, tc := range []struct {
		name  string
		edges []spaces.Edge
		want  string
	}{
		{"backward edge", []spaces.Edge{{From: 1, To: 1}}, "edge 0 is 1<-1"},
		{"node without input", []spaces.Edge{{From: 0, To: 2}}, "node 1 of the cell has no edge"},
	} {
		_, _, err := nntest.Run(b, cell(tc.edges), nntest.Input{Values: []float64{1}, Shape: []int{1}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
