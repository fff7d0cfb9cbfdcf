package gomlxpriv

import (
	"fmt"
	"reflect"
	"sync"
	_ "unsafe" // go:linkname

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// fillBufferDTypeMap is the go backend's table of Buffer.Fill functions by
// dtype (github.com/gomlx/compute v0.1.14, internal/gobackend/buffers.go:
// var fillBufferDTypeMap = NewDTypeMap("fillBuffer")). The backend calls
// Buffer.Zeros, through it, on every Pad output before copying the operand
// into it; its float32 function is a plain element loop (about 1 GB/s here),
// which took a fifth of a SNIP pass. There is no public way to reach it: it is
// pulled by name, and its layout is checked (fillMapLayout) before use. If a
// GoMLX release renames it, this package no longer links, which is the loud
// failure wanted: update the name here, or drop FastZeroFill.
//
//go:linkname fillBufferDTypeMap github.com/gomlx/compute/internal/gobackend.fillBufferDTypeMap
var fillBufferDTypeMap *dtypeMap

// dtypeMap mirrors gobackend.DTypeMap of compute v0.1.14:
//
//	type DTypeMap struct {
//		Name     string
//		Map      [MaxDTypes]any
//		Priority [MaxDTypes]RegisterPriority // RegisterPriority is an int
//	}
//
// with MaxDTypes = 32.
type dtypeMap struct {
	Name     string
	Map      [32]any
	Priority [32]int
}

// fillMapName is the Name the go backend gives fillBufferDTypeMap.
const fillMapName = "fillBuffer"

var fastFill struct {
	once sync.Once
	err  error
}

// FastZeroFill makes the go backend fill float32 and float64 buffers with
// zeros through the runtime's memory clear (clear on the buffer's Flat slice)
// instead of an element loop: 5 to 10 times as fast, the same zeros. Other
// fill values and dtypes go to the backend's own function. b is any go
// backend, which gives the Buffer type to check the table against. It
// changes the process-wide table once; later calls return the first result.
// An error means the table is not laid out as expected, and nothing was
// changed.
func FastZeroFill(b compute.Backend) error {
	fastFill.once.Do(func() { fastFill.err = installFastZeroFill(b) })
	return fastFill.err
}

func installFastZeroFill(b compute.Backend) error {
	probe, err := b.BufferFromFlatData(0, []float32{0}, shapes.Make(dtypes.Float32, 1))
	if err != nil {
		return fmt.Errorf("a probe buffer: %w", err)
	}
	bufType := reflect.TypeOf(probe)
	_ = probe.Finalize()
	if err := fillMapLayout(bufType); err != nil {
		return err
	}
	flat, ok := bufType.Elem().FieldByName(bufferFlat)
	if !ok || flat.Type.Kind() != reflect.Interface || !flat.IsExported() {
		return fmt.Errorf("%s has no exported interface field %s", bufType.Elem(), bufferFlat)
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		orig := reflect.ValueOf(fillBufferDTypeMap.Map[dt])
		fill := reflect.MakeFunc(orig.Type(), func(args []reflect.Value) []reflect.Value {
			if args[1].IsNil() { // Buffer.Zeros: Fill(nil)
				switch s := args[0].Elem().FieldByIndex(flat.Index).Interface().(type) {
				case []float32:
					clear(s)
					return nil
				case []float64:
					clear(s)
					return nil
				}
			}
			return orig.Call(args)
		})
		fillBufferDTypeMap.Map[dt] = fill.Interface()
	}
	return nil
}

// fillMapLayout checks that fillBufferDTypeMap is the table dtypeMap mirrors:
// its name, and float32 and float64 entries of type func(*Buffer, any), with
// bufType the go backend's *Buffer.
func fillMapLayout(bufType reflect.Type) error {
	m := fillBufferDTypeMap
	if m == nil || m.Name != fillMapName {
		return fmt.Errorf("gobackend.fillBufferDTypeMap is not the DTypeMap named %q", fillMapName)
	}
	want := reflect.FuncOf([]reflect.Type{bufType, reflect.TypeFor[any]()}, nil, false)
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		if got := reflect.TypeOf(m.Map[dt]); got != want {
			return fmt.Errorf("gobackend.fillBufferDTypeMap's %s entry is a %v, not a %v", dt, got, want)
		}
	}
	return nil
}
