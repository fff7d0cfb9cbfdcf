//go:build cgo && !noxla

package backend

import (
	"fmt"
	"strings"
	"testing"
)

// TestAutoInstallFailure: with FREEDARTS_XLA_AUTO_INSTALL=1 and no network,
// a missing plugin is two lines that say the download failed, why (the
// innermost cause, not the installer's stack traces) and how to install it
// by hand; not GoMLX's 34-line log and advice to set the variable set.
func TestAutoInstallFailure(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir()) // no plugin there
	t.Setenv(AutoInstallEnv, "1")
	defer func(f func(string) error) { installPlugin = f }(installPlugin)
	cause := fmt.Errorf("dial tcp: lookup api.github.com: no such host")
	installPlugin = func(name string) error {
		return fmt.Errorf("failed to auto-install %q: %w", name, fmt.Errorf("failed to fetch release data: %w", cause))
	}
	err := checkXLA("xla:cpu")
	if err == nil {
		t.Skip("an XLA CPU plugin is installed here")
	}
	msg := err.Error()
	for _, want := range []string{`"xla:cpu"`, "could not be downloaded", "no network?", "no such host", "cmd/pjrtinstall", "README.md, Backends"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q, want it to contain %q", msg, want)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n > 2 || strings.Contains(msg, "failed to fetch") || strings.Contains(msg, "set "+AutoInstallEnv) {
		t.Errorf("a %d-line error with the installer's layers or the advice to set the variable set:\n%s", n, msg)
	}
}

func TestHasPlugin(t *testing.T) {
	for _, tc := range []struct {
		available []string
		plugin    string
		want      bool
	}{
		{[]string{"cpu"}, "cpu", true},
		{[]string{"cuda_13"}, "cuda", true},
		{[]string{"cpuish"}, "cpu", false},
		{nil, "cpu", false},
	} {
		if got := hasPlugin(tc.available, tc.plugin); got != tc.want {
			t.Errorf("hasPlugin(%q, %q) = %v", tc.available, tc.plugin, got)
		}
	}
}
