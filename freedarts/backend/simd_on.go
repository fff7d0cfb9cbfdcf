//go:build goexperiment.simd

package backend

import "github.com/freedarts/freedarts-gonb/internal/gomlxpriv"

// simdBuild is true in GOEXPERIMENT=simd builds, where GoMLX's go backend
// uses its AVX2/AVX-512 matmul kernels (float32, float64 and half types).
const simdBuild = true

// simdOps are the executors that a SIMD build switches off, and simdOpsErr why
// they could not be (Open then refuses the go backend): GoMLX's portable-SIMD
// element-wise kernels (execAddSIMD, execExpSIMD, execReduceSumSIMD,
// execFusedSoftmaxSIMD, ...). They load an operand's tail with simd's
// Load*Part, which in Go 1.27.4 reads a whole vector past the operand's end
// and faults when that end lies before an inaccessible page
// (guardpage_test.go reproduces it): the process dies, in a study, a training
// run or a notebook kernel alike. Without them those ops run on GoMLX's plain
// typed kernels; the matmul kernels, which read only whole vectors within
// their operands, stay, and with them most of what SIMD gains (README.md,
// Backends).
var simdOps, simdOpsErr = gomlxpriv.RemoveExecutors(gomlxpriv.IsSIMDElementwise)
