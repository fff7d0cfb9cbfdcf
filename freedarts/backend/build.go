package backend

import "runtime/debug"

// GoExperiment is the GOEXPERIMENT the binary was built with ("" for the
// default), from the build information, or from the build tags the
// experiments set.
func GoExperiment() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOEXPERIMENT" {
				return s.Value
			}
		}
	}
	if simdBuild {
		return "simd"
	}
	return ""
}

// Compute names what computes a score: the backend configuration cfg and,
// when set, the binary's GOEXPERIMENT. Same seed and same Compute give the
// same scores; the go backend's SIMD kernels (GOEXPERIMENT=simd) sum float32
// products in another order, so its scores differ from a plain build's in
// their last digits.
func Compute(cfg string) string {
	if exp := GoExperiment(); exp != "" {
		return cfg + " GOEXPERIMENT=" + exp
	}
	return cfg
}
