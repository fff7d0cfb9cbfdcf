//go:build linux && amd64 && goexperiment.simd

package backend

import (
	"runtime/debug"
	"simd"
	"testing"
	"unsafe"
)

// TestSIMDPartLoadFaults: the upstream cause, reproduced. simd's part load of
// a one-element tail reads a whole vector, past the slice's end, and faults on
// the guard page after it. When this test fails, a Go release has fixed the
// part loads, and the slack every buffer gets (simd_on.go) can go.
func TestSIMDPartLoadFaults(t *testing.T) {
	raw := guarded(t, make([]float32, guardN), 0)
	x := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(raw))), guardN)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() == nil {
			t.Error("simd.LoadFloat32sPart of a tail against a guard page did not fault: " +
				"the upstream part loads look fixed; the buffers' slack (simd_on.go) may no longer be needed")
		}
	}()
	v, _ := simd.LoadFloat32sPart(x[guardN-1:])
	v.StorePart(x[:1])
}
