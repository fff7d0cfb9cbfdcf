//go:build !goexperiment.simd

package backend

import "github.com/gomlx/compute"

// simdBuild is true in GOEXPERIMENT=simd builds, where GoMLX's go backend
// runs its AVX2/AVX-512 kernels.
const simdBuild = false

// simdSlack is the storage past their end that the go backend's buffers
// need (simd_on.go): none in a build without SIMD kernels.
const simdSlack = 0

// prepareGo readies a go backend: nothing to do in this build.
func prepareGo(compute.Backend) error { return nil }
