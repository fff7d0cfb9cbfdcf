//go:build cgo && !noxla

package backend

import (
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
	xla.EnableAutoInstall(os.Getenv(AutoInstallEnv) == "1")
}

// checkXLA fails fast, with instructions, when the requested PJRT plugin is
// not on disk.
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
	available := xla.GetAvailablePlugins()
	for _, p := range available {
		if p == plugin || strings.HasPrefix(p, plugin+"_") {
			return nil
		}
	}
	return fmt.Errorf("backend %q: no PJRT plugin %q found (found: %v). Install one "+
		"(the docker/ image has the CPU plugin; for CUDA, the jax-cuda13-pjrt package ships xla_cuda_plugin.so), "+
		"then pass its absolute path as -backend xla:/path/to/plugin.so, or put its directory in "+
		"PJRT_PLUGIN_LIBRARY_PATH, or set %s=1 to let GoMLX download the default plugins",
		cfg, plugin, available, AutoInstallEnv)
}
