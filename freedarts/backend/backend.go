// Package backend opens the GoMLX compute backend that a search runs on.
//
// The embedded pure-Go backend is the default everywhere, so a search needs no
// native library. It runs as "go:ops_parallel": GoMLX's parallel op
// executor, which on compute v0.1.14 runs independent ops on all cores and
// gives the same scores, bit for bit, as "go:ops_sequential": 1.3-1.8x
// faster on 2 cores, and no hang in a stress run (docs/benchmarks.md; on
// compute v0.1.3 it could deadlock, so it was off then). Open gives it one
// op executor per core (goConfig), and zero fills at memory speed
// (gomlxpriv.FastZeroFill).
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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers "go"

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

// Default is the backend configuration used when neither a flag nor
// GOMLX_BACKEND names one.
const Default = "go:ops_parallel"

// AutoInstallEnv, when set to 1, lets Open download a missing PJRT plugin
// with GoMLX's installer (xla.go); a failed download is a two-line error
// that says how to install the plugin by hand. Off by default: see the
// package doc.
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

// Backend is an open compute backend with the configuration it was opened
// with, so that results can record what computed them.
type Backend struct {
	// Backend is the GoMLX backend. It is a field, not embedded, so that
	// the wrapper cannot be handed to GoMLX by mistake: GoMLX ties every
	// tensor to the backend value it was made with, and a wrapper and its
	// inner backend are two values.
	Backend compute.Backend
	// Config is the resolved configuration ("go:ops_parallel", "xla:cpu").
	Config string
}

// Compute is Compute(b.Config): what computes b's scores.
func (b *Backend) Compute() string { return Compute(b.Config) }

// Compute names what computes a score on the backend of configuration cfg
// (resolved, see Config): cfg and, when set, the binary's GOEXPERIMENT. Same
// seed and same Compute give the same scores; the go backend's SIMD kernels
// (GOEXPERIMENT=simd) sum float32 products in another order, so its scores
// differ from a plain build's in their last digits. (Builds of 2026-12-06
// ran the element-wise kernels without SIMD, and said " simd=matmul"; their
// scores too differ from these in the last digits.)
func Compute(cfg string) string {
	exp := GoExperiment()
	if exp == "" {
		return cfg
	}
	return cfg + " GOEXPERIMENT=" + exp
}

// Open returns the backend that explicit names, resolved by Config ("" is
// $GOMLX_BACKEND, else Default). Errors name the configuration and list what
// is available instead of panicking as compute.NewWithConfig does for
// unknown names.
func Open(explicit string) (*Backend, error) {
	cfg := Config(explicit)
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
	gomlxCfg := cfg
	if name == "go" {
		gomlxCfg = goConfig(cfg)
	}
	b, err := newWithConfig(gomlxCfg)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", cfg, err)
	}
	if name == "go" {
		if err := prepareGo(b); err != nil {
			b.Finalize()
			return nil, fmt.Errorf("backend %q: this GOEXPERIMENT=simd build could not give the buffers the room past their end "+
				"that GoMLX's SIMD kernels read, without which they can crash it (README.md, Backends): %w; build without GOEXPERIMENT=simd", cfg, err)
		}
		// Zero fills through the runtime's memory clear: a fifth of the CPU
		// time of a SNIP pass was Pad zero-filling its outputs element by
		// element. Only a
		// speed-up: where a GoMLX release changed the table, the backend
		// keeps its own fill (internal/gomlxpriv's tests say so loudly).
		_ = gomlxpriv.FastZeroFill(b)
	}
	return &Backend{Backend: b, Config: cfg}, nil
}

// executorsOption is the go backend's option for the number of ops its
// parallel executor runs at once.
const executorsOption = "num_executors"

// goConfig is the configuration GoMLX is given for the go backend that cfg
// names: cfg with one op executor per core (GOMAXPROCS), unless cfg sets
// the number itself. GoMLX's own default, 8 capped at the size of the
// backend's worker pool (2 x GOMAXPROCS), had every executor hold a slot of
// that pool, which is also the one the matrix products split their work
// over: on 2 cores, with 4 executors, a 1024³ product ran at half the speed
// it runs at with 2, and a SNIP pass took 1.4x as long (docs/benchmarks.md,
// 2026-12-07). The number of executors changes only which op runs when, not
// what any op computes: the scores are the same, so it is not part of
// Backend.Config (nor of Compute, which studies record).
func goConfig(cfg string) string {
	name, opts, _ := strings.Cut(cfg, ":")
	for o := range strings.SplitSeq(opts, ",") {
		if strings.HasPrefix(o, executorsOption+"=") {
			return cfg
		}
	}
	if opts != "" {
		opts += ","
	}
	return name + ":" + opts + executorsOption + "=" + strconv.Itoa(runtime.GOMAXPROCS(0))
}

var shared struct {
	sync.Mutex
	open map[string]*Backend
}

// Shared returns the process's one Backend of the configuration explicit
// names (see Open), opened at its first use: a search that is given no
// backend runs on it, so that notebooks and tests do not open one per
// search.
func Shared(explicit string) (*Backend, error) {
	cfg := Config(explicit)
	shared.Lock()
	defer shared.Unlock()
	if b, ok := shared.open[cfg]; ok {
		return b, nil
	}
	b, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	if shared.open == nil {
		shared.open = map[string]*Backend{}
	}
	shared.open[cfg] = b
	return b, nil
}

// newWithConfig is compute.NewWithConfig with its panics turned into errors,
// and with what it prints sent to stderr: the go backend reports some options
// with fmt.Printf ("Go backend: parallelism set to 2"), which would otherwise
// land in a command's output (a JSON report, a table). Opening a backend is
// not expected to race with other output of the program.
func newWithConfig(cfg string) (b compute.Backend, err error) {
	stdout := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = stdout }()
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(cfg)
}
