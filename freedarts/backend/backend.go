// Package backend opens the GoMLX compute backend that a search runs on.
//
// The embedded pure-Go backend is the default everywhere, so a search needs no
// native library. It runs as "go:ops_parallel": GoMLX's parallel op
// executor, which on compute v0.1.14 runs independent ops on all cores and
// gives the same scores, bit for bit, as "go:ops_sequential": 1.3-1.8x
// faster on 2 cores, and no hang in a stress run (docs/benchmarks.md; on
// compute v0.1.3 it could deadlock, so it was off then).
//
// XLA ("xla:cpu", "xla:cuda" or "xla:/abs/path/to/plugin.so") is compiled in
// only in cgo builds (see xla.go). Its plugins are loaded at run time and are
// never downloaded implicitly: a missing plugin is an error that says how to
// install one, because an automatic download would hang or fail on machines
// without network access.
package backend

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers "go"
)

// Default is the backend configuration used when neither a flag nor
// GOMLX_BACKEND names one.
const Default = "go:ops_parallel"

// AutoInstallEnv, when set to 1, lets GoMLX download the default PJRT plugins
// on first use. Off by default: see the package doc.
const AutoInstallEnv = "FREEDARTS_XLA_AUTO_INSTALL"

// EnvVar is the environment variable GoMLX itself reads for the backend.
const EnvVar = compute.ConfigEnvVar

// Config resolves the configuration to use: an explicit choice (a command-line
// flag) wins over $GOMLX_BACKEND, which wins over Default. A bare "go" gets
// the ops_parallel option (see the package doc).
func Config(explicit string) string {
	cfg := explicit
	if cfg == "" {
		cfg = os.Getenv(EnvVar)
	}
	if cfg == "" || cfg == "go" {
		return Default
	}
	return cfg
}

// Available lists the backends compiled into this binary.
func Available() []string {
	names := compute.List()
	slices.Sort(names)
	return names
}

// Open returns the backend for cfg (see Config). Errors name the
// configuration and list what is available instead of panicking as
// compute.NewWithConfig does for unknown names.
func Open(cfg string) (b compute.Backend, err error) {
	name, _, _ := strings.Cut(cfg, ":")
	if !slices.Contains(compute.List(), name) {
		hint := ""
		if name == "xla" {
			hint = " (this binary was built without cgo: rebuild with CGO_ENABLED=1 for XLA)"
		}
		return nil, fmt.Errorf("backend %q: unknown backend %q%s; compiled in: %s",
			cfg, name, hint, strings.Join(Available(), ", "))
	}
	if name == "xla" {
		if err := checkXLA(cfg); err != nil {
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", cfg, r)
		}
	}()
	b, err = compute.NewWithConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", cfg, err)
	}
	return b, nil
}
