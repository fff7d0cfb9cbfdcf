// Package gomlxpriv reads and writes private fields of GoMLX's graph nodes
// (github.com/gomlx/gomlx/core/graph, laid out as in v0.28.16) that GoMLX
// has no public API for. It exists so that this is done in one place: no
// other package of FreeDARTS may use reflect or unsafe on GoMLX's types.
//
// Each access is one function, which checks the layout it relies on (field
// name, kind and type) and reports false, touching nothing, when a GoMLX
// release has changed it; its caller then falls back to something slower or
// less exact (nn's plain formulations, bench's FLOP count from shapes). The
// tests of this package build small graphs and fail, naming the GoMLX field
// that moved, as soon as any access stops working, so that a fallback is
// never taken silently.
//
// When a test here fails after a GoMLX upgrade: look up the named field in
// the new release's core/graph (node.go for Node, gen_compute_ops.go for the
// nodeInputs<Op> structs), update the field names or the reading code below,
// and check that the tests pass again. If GoMLX now offers a public API for
// the access, use it and delete the function here.
package gomlxpriv

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/gomlx/gomlx/core/graph"
)

// The private fields read or written here, as named in GoMLX v0.28.16.
const (
	// nodeCustomVJP is graph.Node.customVJP, a graph.VJP.
	nodeCustomVJP = "customVJP"
	// nodeInputs is graph.Node.inputs, a graph.NodeInputs holding a pointer
	// to the op's parameter struct, graph.nodeInputs<Op>.
	nodeInputs = "inputs"
	// dotLHSContractingAxes is graph.nodeInputsDotGeneral.lhsContractingAxes, an []int.
	dotLHSContractingAxes = "lhsContractingAxes"
	// convAxes is graph.nodeInputsConvGeneral.axes, a compute.ConvolveAxesConfig.
	convAxes = "axes"
	// convKernelOutputChannels is compute.ConvolveAxesConfig.KernelOutputChannels, an int.
	convKernelOutputChannels = "KernelOutputChannels"
)

var vjpType = reflect.TypeFor[graph.VJP]()

// customVJPField is graph.Node's customVJP field, or the reason it cannot be
// used.
var customVJPField, customVJPErr = func() (reflect.StructField, error) {
	f, ok := reflect.TypeFor[graph.Node]().FieldByName(nodeCustomVJP)
	switch {
	case !ok:
		return f, fmt.Errorf("graph.Node has no field %s", nodeCustomVJP)
	case f.Type != vjpType:
		return f, fmt.Errorf("graph.Node.%s is a %s, not a graph.VJP", nodeCustomVJP, f.Type)
	}
	return f, nil
}()

// CustomVJPSupported reports whether SetVJP works on this GoMLX version.
func CustomVJPSupported() bool { return customVJPErr == nil }

// SetVJP makes vjp the gradient of n in graph.Gradient, as
// graph.IdentityWithCustomGradient does for an Identity node, and reports
// whether it did; it does nothing and returns false when the field is not
// there (see CustomVJPSupported). GoMLX's reverse autodiff calls a node's
// customVJP, when set, instead of the op's own VJP, but only Identity nodes
// can be given one through the public API: SetVJP writes the private
// Node.customVJP, whose name and type are checked once, through its
// address (reflect refuses to set unexported fields).
func SetVJP(n *graph.Node, vjp graph.VJP) bool {
	if customVJPErr != nil {
		return false
	}
	f := reflect.ValueOf(n).Elem().FieldByIndex(customVJPField.Index)
	*(*graph.VJP)(unsafe.Pointer(f.UnsafeAddr())) = vjp
	return true
}

// params is the op parameter struct behind n's private inputs field, after
// checking that n is of type want.
func params(n *graph.Node, want graph.NodeType) (reflect.Value, error) {
	if t := n.Type(); t != want {
		return reflect.Value{}, fmt.Errorf("node is a %s, not a %s", t, want)
	}
	v := reflect.ValueOf(n).Elem().FieldByName(nodeInputs)
	if !v.IsValid() || v.Kind() != reflect.Interface {
		return reflect.Value{}, fmt.Errorf("graph.Node has no interface field %s", nodeInputs)
	}
	if v.IsNil() {
		return reflect.Value{}, fmt.Errorf("graph.Node.%s of a %s node is nil", nodeInputs, want)
	}
	p := v.Elem()
	if p.Kind() != reflect.Pointer || p.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("graph.Node.%s of a %s node holds a %s, not a pointer to a struct", nodeInputs, want, p.Type())
	}
	return p.Elem(), nil
}

// DotContractingAxes returns the lhs contracting axes of a DotGeneral node,
// or false when n is not one or its private parameters cannot be read.
func DotContractingAxes(n *graph.Node) (lhs []int, ok bool) {
	lhs, err := dotContractingAxes(n)
	return lhs, err == nil
}

func dotContractingAxes(n *graph.Node) ([]int, error) {
	p, err := params(n, graph.NodeTypeDotGeneral)
	if err != nil {
		return nil, err
	}
	f := p.FieldByName(dotLHSContractingAxes)
	if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
		return nil, fmt.Errorf("graph.%s has no []int field %s", p.Type().Name(), dotLHSContractingAxes)
	}
	rank := n.Inputs()[0].Rank()
	axes := make([]int, f.Len())
	for i := range axes {
		axes[i] = int(f.Index(i).Int())
		if axes[i] < 0 || axes[i] >= rank {
			return nil, fmt.Errorf("graph.%s.%s holds axis %d, out of the lhs rank %d", p.Type().Name(), dotLHSContractingAxes, axes[i], rank)
		}
	}
	return axes, nil
}

// ConvKernelOutputAxis returns the kernel's output-channels axis of a
// ConvGeneral node, or false when n is not one or its private parameters
// cannot be read.
func ConvKernelOutputAxis(n *graph.Node) (int, bool) {
	axis, err := convKernelOutputAxis(n)
	return axis, err == nil
}

func convKernelOutputAxis(n *graph.Node) (int, error) {
	p, err := params(n, graph.NodeTypeConvGeneral)
	if err != nil {
		return 0, err
	}
	axes := p.FieldByName(convAxes)
	if !axes.IsValid() || axes.Kind() != reflect.Struct {
		return 0, fmt.Errorf("graph.%s has no struct field %s", p.Type().Name(), convAxes)
	}
	f := axes.FieldByName(convKernelOutputChannels)
	if !f.IsValid() || f.Kind() != reflect.Int {
		return 0, fmt.Errorf("graph.%s.%s (%s) has no int field %s", p.Type().Name(), convAxes, axes.Type(), convKernelOutputChannels)
	}
	axis, rank := int(f.Int()), n.Inputs()[1].Rank()
	if axis < 0 || axis >= rank {
		return 0, fmt.Errorf("graph.%s.%s.%s is %d, out of the kernel rank %d", p.Type().Name(), convAxes, convKernelOutputChannels, axis, rank)
	}
	return axis, nil
}
