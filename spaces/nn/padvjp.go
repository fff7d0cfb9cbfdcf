package nn

import (
	"reflect"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"
)

// GoMLX v0.28 differentiates Slice into a Pad but has no gradient for Pad, so
// any second derivative through a slice (GraSP's Hessian-vector product
// through im2col) fails to build. The gradient of a non-negative, possibly
// interior, zero padding is the strided slice that picks the original
// elements back out. Pad's configuration is private to the graph package, so
// it is read with reflection; padVJPConfig fails loudly (at graph building,
// which Exec turns into an error) if a GoMLX upgrade changes that layout.
func init() {
	if _, ok := VJPRegistration[NodeTypePad]; !ok {
		VJPRegistration[NodeTypePad] = func(node *Node, vjps []*Node, _ shapes.Shape) []*Node {
			v := vjps[0]
			x := node.Inputs()[0]
			cfg := padVJPConfig(node)
			specs := make([]SliceAxisSpec, x.Rank())
			for axis, p := range cfg {
				if p.start < 0 || p.end < 0 || p.interior < 0 {
					exceptions.Panicf("nn: gradient of Pad with negative padding %+v on axis %d is not supported", p, axis)
				}
				dim := x.Shape().Dimensions[axis]
				stride := p.interior + 1
				specs[axis] = AxisRange(p.start, p.start+(dim-1)*stride+1).Stride(stride)
			}
			// The fill value gets no gradient: every use here pads with a constant zero.
			return []*Node{Slice(v, specs...), nil}
		}
	}
}

type padAxis struct{ start, end, interior int }

func padVJPConfig(node *Node) []padAxis {
	inputs := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !inputs.IsValid() || inputs.IsNil() {
		exceptions.Panicf("nn: cannot read Pad configuration of %s (GoMLX internals changed)", node)
	}
	axes := inputs.Elem().Elem().FieldByName("axesConfig")
	if !axes.IsValid() {
		exceptions.Panicf("nn: cannot read Pad configuration of %s (GoMLX internals changed)", node)
	}
	cfg := make([]padAxis, node.Inputs()[0].Rank())
	for i := 0; i < axes.Len() && i < len(cfg); i++ {
		a := axes.Index(i)
		cfg[i] = padAxis{int(a.FieldByName("Start").Int()), int(a.FieldByName("End").Int()), int(a.FieldByName("Interior").Int())}
	}
	return cfg
}
