//go:build goexperiment.simd

package backend

import (
	"github.com/gomlx/compute"

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

// simdBuild is true in GOEXPERIMENT=simd builds, where GoMLX's go backend
// runs its AVX2/AVX-512 kernels: the matmul kernels and the portable-SIMD
// element-wise ones (execAddSIMD, execExpSIMD, execReduceSumSIMD,
// execFusedSoftmaxSIMD, ...).
const simdBuild = true

// simdSlack is the storage every buffer of a go backend holds past its end
// in this build. GoMLX's portable-SIMD element-wise kernels load an
// operand's tail with simd's Load*Part, which in Go 1.27.4 loads a whole
// vector (64 bytes with AVX-512) from the tail's start, up to 60 bytes past
// the operand's end, and masks it afterwards. Where that end lay just before
// an inaccessible page (the end of the Go heap's mapped part, where the
// newest large buffers lie) the read faulted and killed the process, in a
// study, a training run or a notebook kernel alike (guardpage_test.go
// reproduces it). With the slack, those reads stay in the buffer's own
// storage.
const simdSlack = 64

// prepareGo readies a go backend before it runs anything: every buffer it
// allocates gets simdSlack bytes past its end (gomlxpriv.PadBufferPools).
func prepareGo(b compute.Backend) error { return gomlxpriv.PadBufferPools(b, simdSlack) }
