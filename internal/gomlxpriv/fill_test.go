package gomlxpriv

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
)

// TestFastZeroFill: the table checks out and takes the fast fill, and every
// fill through it is still right: the zero border of Pads whose output
// buffers come back from the pool dirty, a Pad with a fill value that is
// not zero (the backend's own function), in float32 and float64.
func TestFastZeroFill(t *testing.T) {
	b := newBackend(t)
	if err := FastZeroFill(b); err != nil {
		layoutChanged(t, "FastZeroFill", err)
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		if name := runtime.FuncForPC(reflect.ValueOf(fillBufferDTypeMap.Map[dt]).Pointer()).Name(); strings.Contains(name, "fillBufferGeneric") {
			t.Errorf("%s: the go backend still fills with its own function, %s", dt, name)
		}
	}
	checkFill[float32](t, b)
	checkFill[float64](t, b)
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, fill := range []float64{0, 7} {
			for round := range 3 {
				// A buffer of the padded shape, full of 5s, goes back to the
				// pool, for the Pad's output to reuse.
				dirty := MustExecOnce(b, func(g *Graph) *Node { return Add(Ones(g, shapes.Make(dt, 6, 7)), Scalar(g, dt, 4)) })
				dirty.FinalizeAll()
				x := tensors.FromShape(shapes.Make(dt, 4, 5))
				y := MustExecOnce(b, func(x *Node) *Node {
					return Pad(AddScalar(x, 1), Scalar(x.Graph(), dt, fill), PadAxis{Start: 1, End: 1}, PadAxis{Start: 2})
				}, x)
				got := y.Value()
				rows := reflect.ValueOf(got)
				for i := range rows.Len() {
					for j := range rows.Index(i).Len() {
						want := fill
						if i >= 1 && i <= 4 && j >= 2 {
							want = 1
						}
						if v := rows.Index(i).Index(j).Convert(reflect.TypeFor[float64]()).Float(); v != want {
							t.Fatalf("%s, fill %g, round %d: padded[%d][%d] = %g, want %g", dt, fill, round, i, j, v, want)
						}
					}
				}
			}
		}
	}
	if err := fillMapLayout(reflect.TypeFor[*int]()); err == nil {
		t.Error("fillMapLayout accepted *int as the Buffer type")
	}
}

// checkFill calls the table's fill function for T on a buffer of 5s, with
// no value (Buffer.Zeros) and with 7.
func checkFill[T float32 | float64](t *testing.T, b compute.Backend) {
	t.Helper()
	dt := dtypes.FromGenericsType[T]()
	for _, value := range []any{nil, T(7)} {
		buf, flat, err := b.NewSharedBuffer(0, shapes.Make(dt, 5))
		if err != nil {
			t.Fatal(err)
		}
		values := flat.([]T)
		for i := range values {
			values[i] = 5
		}
		arg := reflect.New(reflect.TypeFor[any]()).Elem() // an any holding value
		if value != nil {
			arg.Set(reflect.ValueOf(value))
		}
		reflect.ValueOf(fillBufferDTypeMap.Map[dt]).Call([]reflect.Value{reflect.ValueOf(buf), arg})
		want := T(0)
		if value != nil {
			want = value.(T)
		}
		for i, v := range values {
			if v != want {
				t.Errorf("%s, fill %v: element %d is %v, want %v", dt, value, i, v, want)
			}
		}
		_ = buf.Finalize()
	}
}
