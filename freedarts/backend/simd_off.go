//go:build !goexperiment.simd

package backend

// simdBuild is true in GOEXPERIMENT=simd builds, where GoMLX's go backend
// uses its AVX2/AVX-512 matmul kernels (float32, float64 and half types).
const simdBuild = false

// simdOps are the executors that a SIMD build switches off (simd_on.go): none
// here, where GoMLX compiles none of them.
var simdOps []string

// simdOpsErr is nil: nothing to switch off.
var simdOpsErr error
