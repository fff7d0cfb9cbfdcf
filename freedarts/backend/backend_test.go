package backend

import (
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct{ explicit, env, want string }{
		{"", "", Default},
		{"go", "", Default},
		{"", "go", Default},
		{"", "xla:cpu", "xla:cpu"},
		{"xla:cuda", "xla:cpu", "xla:cuda"},
		{"go:parallelism=2", "xla:cpu", "go:parallelism=2"},
	} {
		t.Setenv(EnvVar, tc.env)
		if got := Config(tc.explicit); got != tc.want {
			t.Errorf("Config(%q) with $%s=%q: %q, want %q", tc.explicit, EnvVar, tc.env, got, tc.want)
		}
	}
}

func TestOpenGo(t *testing.T) {
	b, err := Open(Default)
	if err != nil {
		t.Fatal(err)
	}
	if b.Backend.Name() == "" {
		t.Error("backend has no name")
	}
	if b.Config != Default {
		t.Errorf("Config %q, want %q", b.Config, Default)
	}
}

// TestGoConfig: the go backend gets one op executor per core unless its
// configuration names a number, and opens with either.
func TestGoConfig(t *testing.T) {
	cores := strconv.Itoa(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ cfg, want string }{
		{"go:ops_parallel", "go:ops_parallel,num_executors=" + cores},
		{"go:", "go:num_executors=" + cores},
		{"go:ops_parallel,num_executors=3", "go:ops_parallel,num_executors=3"},
		{"go:num_executors=1,ops_sequential", "go:num_executors=1,ops_sequential"},
	} {
		if got := goConfig(tc.cfg); got != tc.want {
			t.Errorf("goConfig(%q) = %q, want %q", tc.cfg, got, tc.want)
		}
		b, err := Open(tc.cfg)
		if err != nil {
			t.Fatalf("Open(%q): %v", tc.cfg, err)
		}
		if b.Config != tc.cfg {
			t.Errorf("Open(%q).Config = %q: the executors are not part of the configuration", tc.cfg, b.Config)
		}
		b.Backend.Finalize()
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{"tpu", `unknown backend "tpu"`},
		{"go:no_such_option", "no_such_option"},
	} {
		if _, err := Open(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
}

// TestMissingXLAPluginFailsFast: with no plugin installed (as on CI), asking
// for XLA is an immediate error with instructions, never a download or a
// hang.
func TestMissingXLAPluginFailsFast(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	start := time.Now()
	_, err := Open("xla:/nonexistent/pjrt_c_api_cpu_plugin.so")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/pjrt_c_api_cpu_plugin.so") {
		t.Errorf("missing plugin file: %v", err)
	}
	if !slices.Contains(Available(), "xla") {
		t.Skip("built without cgo: no XLA backend")
	}
	_, err = Open("xla:no_such_plugin")
	if err == nil || !strings.Contains(err.Error(), `no PJRT plugin "no_such_plugin"`) || !strings.Contains(err.Error(), AutoInstallEnv) {
		t.Errorf("missing plugin: %v", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v", d)
	}
}

// TestCompute: the build's experiments are part of what computes a score,
// and a SIMD build (its kernels sum in another order) says so.
func TestCompute(t *testing.T) {
	exp := GoExperiment()
	if simdBuild && !strings.Contains(exp, "simd") {
		t.Errorf("SIMD build, GoExperiment() = %q", exp)
	}
	want := Default
	if exp != "" {
		want += " GOEXPERIMENT=" + exp
	}
	b := &Backend{Config: Default}
	if got := b.Compute(); got != want || Compute(Default) != want {
		t.Errorf("%q: Compute() %q, Compute(cfg) %q, want %q", Default, got, Compute(Default), want)
	}
}

// TestBufferSlack: every buffer of an opened go backend, uploaded or
// computed, holds simdSlack bytes past its end, where GoMLX's SIMD
// element-wise kernels may read (simd_on.go). A GoMLX upgrade that changes
// how the backend allocates fails here (or in Open), not in a crash.
func TestBufferSlack(t *testing.T) {
	b, err := Open("go")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Backend.Finalize()
	for _, n := range []int{1, 33, 4096, 3 << 14} {
		x := tensors.FromFlatDataAndDimensions(make([]float32, n), n)
		y := MustExecOnce(b.Backend, func(x *Node) *Node { return Exp(Neg(x)) }, x)
		out, err := y.Buffer(b.Backend, 0)
		if err != nil {
			t.Fatal(err)
		}
		slack, err := gomlxpriv.BufferSlack(out)
		if err != nil {
			t.Fatal(err)
		}
		if slack < simdSlack {
			t.Errorf("%d elements: the output holds %d bytes past its end, want >= %d", n, slack, simdSlack)
		}
	}
}

// TestOpenKeepsStdoutClean: the go backend's "parallelism set to" message
// goes to stderr, not to the program's output.
func TestOpenKeepsStdoutClean(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	_, err = Open("go:parallelism=2")
	os.Stdout = stdout
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	if len(out) > 0 {
		t.Errorf("Open wrote %q to stdout", out)
	}
}
