//go:build cgo && !noxla

package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/compute/xla" // registers "xla"
	// Links the downloader in: from go-xla v0.4.5 on, EnableAutoInstall(true)
	// does nothing without it.
	_ "github.com/gomlx/go-xla/compute/xla/autoinstall"
)

func init() {
	// GoMLX's own auto-install (GetAvailablePlugins, New) logs a failed
	// download with its whole stack trace (34 lines without network) and
	// goes on; checkXLA installs a missing plugin itself, when
	// AutoInstallEnv asks, and words a failure in two lines.
	xla.EnableAutoInstall(false)
}

// checkXLA fails fast, with instructions, when the requested PJRT plugin is
// not on disk; with AutoInstallEnv=1 it downloads a missing one first.
func checkXLA(cfg string) error {
	_, rest, _ := strings.Cut(cfg, ":")
	plugin, _, _ := strings.Cut(rest, ",")
	if filepath.IsAbs(plugin) {
		if _, err := os.Stat(plugin); err != nil {
			return fmt.Errorf("backend %q: PJRT plugin file: %w", cfg, err)
		}
		return nil
	}
	if plugin == "" {
		plugin = "cpu"
	}
	if hasPlugin(xla.GetAvailablePlugins(), plugin) {
		return nil
	}
	if os.Getenv(AutoInstallEnv) == "1" {
		if err := installPlugin(plugin); err != nil {
			return fmt.Errorf("backend %q: the PJRT plugin %q is not installed and could not be downloaded (%s=1; no network?): %v\n"+
				"install it by hand: go run ./cmd/pjrtinstall on a machine with network (it fills ~/.local/lib/go-xla; copy that "+
				"directory, or point PJRT_PLUGIN_LIBRARY_PATH at it), or see README.md, Backends", cfg, plugin, AutoInstallEnv, rootCause(err))
		}
		if hasPlugin(xla.GetAvailablePlugins(), plugin) {
			return nil
		}
	}
	available := xla.GetAvailablePlugins()
	return fmt.Errorf("backend %q: no PJRT plugin %q found (found: %v). Install one "+
		"(the docker/ image has the CPU plugin; for CUDA, the jax-cuda13-pjrt package ships xla_cuda_plugin.so), "+
		"then pass its absolute path as -backend xla:/path/to/plugin.so, or put its directory in "+
		"PJRT_PLUGIN_LIBRARY_PATH, or set %s=1 to let GoMLX download the default plugins",
		cfg, plugin, available, AutoInstallEnv)
}

// installPlugin downloads a PJRT plugin into ~/.local/lib/go-xla; a
// variable for the tests.
var installPlugin = xla.AutoInstallPlugin

// hasPlugin reports whether available holds plugin ("cpu", or a variant
// such as "cuda_13").
func hasPlugin(available []string, plugin string) bool {
	for _, p := range available {
		if p == plugin || strings.HasPrefix(p, plugin+"_") {
			return true
		}
	}
	return false
}

// rootCause is the innermost error of err's chain ("dial tcp: lookup
// api.github.com: no such host"): the installer wraps it in three layers of
// context, each with a stack trace, that a user does not need.
func rootCause(err error) error {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}
