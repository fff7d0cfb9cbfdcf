package gomlxpriv

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
)

// layoutChanged fails t with err, which names the GoMLX field that moved.
func layoutChanged(t *testing.T, access string, err error) {
	t.Helper()
	t.Fatalf("%s: %v: a GoMLX upgrade changed a private layout that gomlxpriv relies on; see the package doc", access, err)
}

// testSlack is the storage past their end that the tests' backends give
// every buffer: GoMLX's SIMD element-wise kernels read up to 60 bytes past
// an operand (freedarts/backend/simd_on.go).
const testSlack = 64

func newBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	if err := PadBufferPools(b, testSlack); err != nil {
		layoutChanged(t, "PadBufferPools", err)
	}
	return b
}

func newGraph(t *testing.T, name string) *Graph {
	t.Helper()
	g := NewGraph(newBackend(t), name)
	t.Cleanup(g.Finalize)
	return g
}

func param(g *Graph, name string, dims ...int) *Node {
	return Parameter(g, name, shapes.Make(dtypes.Float32, dims...))
}

// TestSetVJP checks that a gradient attached by SetVJP is the one
// graph.Gradient uses: y = -x with the custom gradient 7·v, so the gradient
// of sum(y) is 7 everywhere (GoMLX's own would be -1).
func TestSetVJP(t *testing.T) {
	if customVJPErr != nil {
		layoutChanged(t, "SetVJP", customVJPErr)
	}
	if !CustomVJPSupported() {
		t.Fatal("CustomVJPSupported is false although graph.Node.customVJP checks out")
	}
	b := newBackend(t)
	out, err := ExecOnce(b, func(x *Node) *Node {
		y := Neg(x)
		if !SetVJP(y, func(_ *Node, v []*Node, _ shapes.Shape) []*Node {
			return []*Node{MulScalar(v[0], 7)}
		}) {
			t.Error("SetVJP returned false")
		}
		if y.CustomGradient() == nil {
			t.Error("SetVJP returned true, but the node has no custom gradient")
		}
		return Gradient(ReduceAllSum(y), x)[0]
	}, []float32{1, -2, 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{7, 7, 7}; !slices.Equal(got, want) {
		t.Fatalf("gradient through the custom VJP %v, want %v: graph.Gradient ignores graph.Node.%s", got, want, nodeCustomVJP)
	}
}

func TestDotContractingAxes(t *testing.T) {
	g := newGraph(t, "dot")
	for _, tc := range []struct {
		name           string
		lhs, rhs       []int
		lhsC, lhsB     []int
		rhsC, rhsB     []int
		wantContracted []int
	}{
		{"[2,3]x[3,4]", []int{2, 3}, []int{3, 4}, []int{1}, nil, []int{0}, nil, []int{1}},
		{"[3,2]x[3,4] on the first axis", []int{3, 2}, []int{3, 4}, []int{0}, nil, []int{0}, nil, []int{0}},
		{"[5,2,3]x[5,3,4] batched", []int{5, 2, 3}, []int{5, 3, 4}, []int{2}, []int{0}, []int{1}, []int{0}, []int{2}},
	} {
		y := DotGeneral(param(g, tc.name+" lhs", tc.lhs...), tc.lhsC, tc.lhsB, param(g, tc.name+" rhs", tc.rhs...), tc.rhsC, tc.rhsB)
		if y.Type() != NodeTypeDotGeneral {
			t.Fatalf("%s: DotGeneral built a %s node", tc.name, y.Type())
		}
		got, err := dotContractingAxes(y)
		if err != nil {
			layoutChanged(t, "DotContractingAxes", err)
		}
		if !slices.Equal(got, tc.wantContracted) {
			t.Errorf("%s: lhs contracting axes %v, want %v: graph.nodeInputsDotGeneral.%s holds something else", tc.name, got, tc.wantContracted, dotLHSContractingAxes)
		}
		if got2, ok := DotContractingAxes(y); !ok || !slices.Equal(got2, got) {
			t.Errorf("%s: DotContractingAxes = %v, %t, want %v, true", tc.name, got2, ok, got)
		}
	}
	if _, ok := DotContractingAxes(Neg(param(g, "x", 2))); ok {
		t.Error("DotContractingAxes of a Neg node returned ok")
	}
}

func TestConvKernelOutputAxis(t *testing.T) {
	g := newGraph(t, "conv")
	x := param(g, "x", 2, 6, 6, 3)
	// The default layout: kernel [kh, kw, Cin, Cout].
	hwio := Convolve(x, param(g, "hwio", 3, 3, 3, 4)).PadSame().Done()
	// The output channels first: kernel [Cout, kh, kw, Cin].
	ohwi := ConvGeneral(x, param(g, "ohwi", 4, 3, 3, 3), ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelOutputChannels: 0, KernelInputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, []int{1, 1}, []int{1, 1}, 1, 1)
	for _, tc := range []struct {
		name string
		y    *Node
		want int
	}{{"Convolve", hwio, 3}, {"ConvGeneral OHWI", ohwi, 0}} {
		if tc.y.Type() != NodeTypeConvGeneral {
			t.Fatalf("%s built a %s node", tc.name, tc.y.Type())
		}
		got, err := convKernelOutputAxis(tc.y)
		if err != nil {
			layoutChanged(t, "ConvKernelOutputAxis", err)
		}
		if got != tc.want {
			t.Errorf("%s: kernel output axis %d, want %d: graph.nodeInputsConvGeneral.%s.%s holds something else", tc.name, got, tc.want, convAxes, convKernelOutputChannels)
		}
		if got2, ok := ConvKernelOutputAxis(tc.y); !ok || got2 != got {
			t.Errorf("%s: ConvKernelOutputAxis = %d, %t, want %d, true", tc.name, got2, ok, got)
		}
	}
	if _, ok := ConvKernelOutputAxis(Neg(x)); ok {
		t.Error("ConvKernelOutputAxis of a Neg node returned ok")
	}
}

// TestSetBufferStorage: a go backend buffer computes from the storage
// SetBufferStorage gives it, and gets its own back from restore.
func TestSetBufferStorage(t *testing.T) {
	b := newBackend(t)
	buf, err := b.BufferFromFlatData(0, []float32{1, 2, 3}, shapes.Make(dtypes.Float32, 3))
	if err != nil {
		t.Fatal(err)
	}
	mine := []float32{10, 20, 30}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&mine[0])), 4*len(mine))
	restore, err := SetBufferStorage(buf, raw)
	if err != nil {
		layoutChanged(t, "SetBufferStorage", err)
	}
	x, err := tensors.FromBuffer(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := MustExecOnce(b, func(x *Node) *Node { return AddScalar(x, 1) }, x)
	if v := got.Value().([]float32); !slices.Equal(v, []float32{11, 21, 31}) {
		t.Errorf("computed from the new storage: %v, want [11 21 31]", v)
	}
	restore()
	if flat, err := buf.Data(); err != nil || !slices.Equal(flat.([]float32), []float32{1, 2, 3}) {
		t.Errorf("after restore: %v %v, want [1 2 3]", flat, err)
	}
	if _, err := SetBufferStorage(buf, raw[:8]); err == nil {
		t.Error("storage of the wrong size accepted")
	}
	if _, err := SetBufferStorage(nil, raw); err == nil {
		t.Error("a nil buffer accepted")
	}
}

// TestPadBufferPools: every buffer of a padded backend, uploaded or
// computed, of any size, holds the slack past its end, and computes as
// before; a backend that is not the go backend is refused.
func TestPadBufferPools(t *testing.T) {
	b := newBackend(t) // padded
	for _, n := range []int{1, 3, 33, 1000, 1 << 16, 3<<16 + 5} {
		values := make([]float32, n)
		for i := range values {
			values[i] = float32(i % 7)
		}
		buf, err := b.BufferFromFlatData(0, values, shapes.Make(dtypes.Float32, n))
		if err != nil {
			t.Fatal(err)
		}
		x, err := tensors.FromBuffer(buf)
		if err != nil {
			t.Fatal(err)
		}
		y := MustExecOnce(b, func(x *Node) *Node { return AddScalar(MulScalar(x, 2), 1) }, x)
		out, err := y.Buffer(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		for what, bb := range map[string]compute.Buffer{"uploaded": buf, "computed": out} {
			slack, err := BufferSlack(bb)
			if err != nil {
				layoutChanged(t, "BufferSlack", err)
			}
			if slack < testSlack {
				t.Errorf("%d elements, %s: %d bytes past the end, want >= %d", n, what, slack, testSlack)
			}
		}
		if v := y.Value().([]float32); v[n-1] != 2*values[n-1]+1 {
			t.Errorf("%d elements: last %v, want %v", n, v[n-1], 2*values[n-1]+1)
		}
	}
	if err := PadBufferPools(nil, 8); err == nil {
		t.Error("a nil backend accepted")
	}
	if err := PadBufferPools(b, -1); err == nil {
		t.Error("a negative slack accepted")
	}
	if _, err := BufferSlack(nil); err == nil {
		t.Error("BufferSlack of nil accepted")
	}
}

func TestBucketSizes(t *testing.T) {
	sizes := bucketSizes()
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 100, 4097, 1 << 20, 1<<20 + 1, 3 << 30} {
		if want := support.TwoBitBucketLen(n); !slices.Contains(sizes, want) {
			t.Errorf("bucket of %d bytes, %d, has no pool", n, want)
		}
	}
}
