// Package gomlxpriv reads and writes private fields of GoMLX's graph nodes
// (github.com/gomlx/gomlx/core/graph, laid out as in v0.28.16) and of its go
// backend's buffers, buffer pools and table of fill functions
// (github.com/gomlx/compute v0.1.14) that GoMLX has no public API for. It
// exists so that this is done in one place: no other package of FreeDARTS
// may use reflect, unsafe or go:linkname on GoMLX's types. The one symbol
// pulled by name (fill.go) breaks the build, not a run, when it goes.
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

	"github.com/gomlx/compute"
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

// The go backend's buffer fields written by SetBufferStorage, as named in
// github.com/gomlx/compute v0.1.14 (internal/gobackend.Buffer). They are
// exported fields of a type in an internal package: reflect can set them,
// a Go program cannot name them.
const (
	// bufferRawBytes is gobackend.Buffer.RawBytes, the buffer's storage.
	bufferRawBytes = "RawBytes"
	// bufferFlat is gobackend.Buffer.Flat, a typed slice over RawBytes.
	bufferFlat = "Flat"
)

// SetBufferStorage makes raw the storage of buf, a buffer of GoMLX's go
// backend, so that a test can place an operand where it wants it (against an
// inaccessible page, to reproduce an out-of-bounds read of a kernel). raw must
// hold exactly the buffer's bytes. It returns a function that puts the old
// storage back, to be called before buf is finalized (the backend pools a
// finalized buffer's storage), or an error, touching nothing, when buf is not
// a go backend buffer of the expected layout.
func SetBufferStorage(buf compute.Buffer, raw []byte) (restore func(), err error) {
	v := reflect.ValueOf(buf)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("buffer is a %T, not a pointer to the go backend's Buffer struct", buf)
	}
	s := v.Elem()
	rawField, flatField := s.FieldByName(bufferRawBytes), s.FieldByName(bufferFlat)
	switch {
	case !rawField.IsValid() || rawField.Type() != reflect.TypeFor[[]byte]() || !rawField.CanSet():
		return nil, fmt.Errorf("%s has no settable []byte field %s", s.Type(), bufferRawBytes)
	case !flatField.IsValid() || flatField.Kind() != reflect.Interface || !flatField.CanSet():
		return nil, fmt.Errorf("%s has no settable interface field %s", s.Type(), bufferFlat)
	}
	flat := flatField.Elem()
	if flat.Kind() != reflect.Slice {
		return nil, fmt.Errorf("%s.%s holds a %s, not a slice", s.Type(), bufferFlat, flat.Type())
	}
	elem := flat.Type().Elem()
	if want := flat.Len() * int(elem.Size()); len(raw) != want || want == 0 {
		return nil, fmt.Errorf("storage of %d bytes for a buffer of %d %s (%d bytes)", len(raw), flat.Len(), elem, want)
	}
	oldRaw, oldFlat := rawField.Interface(), flat.Interface()
	rawField.Set(reflect.ValueOf(raw))
	flatField.Set(reflect.SliceAt(elem, unsafe.Pointer(unsafe.SliceData(raw)), flat.Len()))
	return func() {
		rawField.Set(reflect.ValueOf(oldRaw))
		flatField.Set(reflect.ValueOf(oldFlat))
	}, nil
}
