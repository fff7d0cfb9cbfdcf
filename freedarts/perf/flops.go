package perf

import (
	"sort"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

// OpStat aggregates the nodes of one type in a graph.
type OpStat struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
	// Elems is the number of output elements, summed over the nodes.
	Elems int64 `json:"elems"`
	FLOPs int64 `json:"flops"`
}

// GraphStats are the operation counts of a graph, from its shapes.
type GraphStats struct {
	// FLOPs counts every floating-point operation: 2 per multiply-add of
	// DotGeneral and ConvGeneral, 1 per output element of elementwise
	// arithmetic, 1 per input element of a reduction.
	FLOPs int64 `json:"flops"`
	// MatMulFLOPs is the DotGeneral and ConvGeneral part of FLOPs.
	MatMulFLOPs int64 `json:"matmul_flops"`
	// Nodes is the number of nodes reachable from the outputs.
	Nodes int `json:"nodes"`
	// ByType is sorted by FLOPs, then by output elements.
	ByType []OpStat `json:"by_type"`
}

// elementwise ops cost one FLOP per output element.
var elementwise = map[NodeType]bool{
	NodeTypeAbs: true, NodeTypeAdd: true, NodeTypeSub: true, NodeTypeMul: true, NodeTypeDiv: true,
	NodeTypeMax: true, NodeTypeMin: true, NodeTypeNeg: true, NodeTypeSqrt: true, NodeTypeRsqrt: true,
	NodeTypeExp: true, NodeTypeExpm1: true, NodeTypeLog: true, NodeTypeLog1p: true, NodeTypeSign: true,
	NodeTypePow: true, NodeTypeTanh: true, NodeTypeLogistic: true, NodeTypeClamp: true, NodeTypeRem: true,
	NodeTypeWhere: true, NodeTypeEqual: true, NodeTypeGreaterThan: true, NodeTypeGreaterOrEqual: true,
	NodeTypeLessThan: true, NodeTypeLessOrEqual: true, NodeTypeNotEqual: true, NodeTypeErf: true,
	NodeTypeFloor: true, NodeTypeCeil: true, NodeTypeRound: true, NodeTypeCos: true, NodeTypeSin: true,
}

// reductions cost one FLOP per input element.
var reductions = map[NodeType]bool{
	NodeTypeReduceSum: true, NodeTypeReduceMax: true, NodeTypeReduceMin: true, NodeTypeReduceProduct: true,
	NodeTypeReduceWindow: true, NodeTypeArgMinMax: true,
}

// CountGraph walks every node reachable from outputs and counts FLOPs from
// the shapes (see GraphStats). Nodes are counted once even when reached by
// several paths.
func CountGraph(outputs ...*Node) GraphStats {
	seen := map[NodeId]bool{}
	byType := map[NodeType]*OpStat{}
	var st GraphStats
	stack := append([]*Node(nil), outputs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || seen[n.Id()] {
			continue
		}
		seen[n.Id()] = true
		stack = append(stack, n.Inputs()...)
		st.Nodes++
		t := n.Type()
		s := byType[t]
		if s == nil {
			s = &OpStat{Type: t.String()}
			byType[t] = s
		}
		s.Count++
		var elems int64
		if n.NumOutputs() == 1 {
			elems = int64(n.Shape().Size())
		}
		s.Elems += elems
		var f int64
		switch {
		case t == NodeTypeDotGeneral:
			f = 2 * elems * dotContractingSize(n)
			st.MatMulFLOPs += f
		case t == NodeTypeConvGeneral:
			f = 2 * elems * convMACsPerOutput(n)
			st.MatMulFLOPs += f
		case elementwise[t]:
			f = elems
		case reductions[t]:
			for _, in := range n.Inputs() {
				f += int64(in.Shape().Size())
			}
		}
		s.FLOPs += f
		st.FLOPs += f
	}
	for _, s := range byType {
		st.ByType = append(st.ByType, *s)
	}
	sort.Slice(st.ByType, func(i, j int) bool {
		a, b := st.ByType[i], st.ByType[j]
		if a.FLOPs != b.FLOPs {
			return a.FLOPs > b.FLOPs
		}
		if a.Elems != b.Elems {
			return a.Elems > b.Elems
		}
		return a.Type < b.Type
	})
	return st
}

// dotContractingSize is the product of the lhs contracting dimensions. If
// the configuration cannot be read (gomlxpriv.DotContractingAxes: a GoMLX
// upgrade changed it), it is inferred from the shapes assuming no batch
// axes.
func dotContractingSize(n *Node) int64 {
	lhs := n.Inputs()[0].Shape()
	if axes, ok := gomlxpriv.DotContractingAxes(n); ok {
		k := int64(1)
		for _, a := range axes {
			k *= int64(lhs.Dimensions[a])
		}
		return k
	}
	rhs := n.Inputs()[1].Shape()
	out := int64(n.Shape().Size())
	if out == 0 {
		return 0
	}
	k2 := int64(lhs.Size()) * int64(rhs.Size()) / out
	k := int64(1)
	for (k+1)*(k+1) <= k2 {
		k++
	}
	return k
}

// convMACsPerOutput is kernel size / output channels: the multiply-adds of
// one output element (grouped convolutions included). If the kernel's
// output axis cannot be read (gomlxpriv.ConvKernelOutputAxis: a GoMLX
// upgrade changed it), it is taken to be the last.
func convMACsPerOutput(n *Node) int64 {
	kernel := n.Inputs()[1].Shape()
	outAxis, ok := gomlxpriv.ConvKernelOutputAxis(n)
	if !ok {
		outAxis = kernel.Rank() - 1
	}
	cout := int64(kernel.Dimensions[outAxis])
	if cout == 0 {
		return 0
	}
	return int64(kernel.Size()) / cout
}
