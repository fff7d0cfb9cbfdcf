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
