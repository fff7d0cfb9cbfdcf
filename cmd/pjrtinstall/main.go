// Command pjrtinstall installs the XLA CPU PJRT plugin that GoMLX's "xla" backend loads,
// at the plugin version pinned by this module's github.com/gomlx/go-xla requirement
// (go.mod is the single source of truth). It downloads the plugin from GitHub once;
// if the plugin is already installed it does nothing.
//
//	go run ./cmd/pjrtinstall            # into ~/.local/lib/go-xla
//	go run ./cmd/pjrtinstall -lib /usr/local/lib
//
// scripts/setup/setup.sh --with-pjrt and docker/Dockerfile run it. GoMLX would also download
// the plugin on first use; installing it ahead of time keeps notebooks offline.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	lib := flag.String("lib", "", `"lib" directory under which "go-xla/" is created (default: ~/.local/lib)`)
	flag.Parse()
	if err := run(*lib); err != nil {
		fmt.Fprintf(os.Stderr, "pjrtinstall: %v\n", err)
		os.Exit(1)
	}
}

func run(lib string) error {
	if lib == "" {
		var err error
		if lib, err = installer.DefaultHomeLibPath(); err != nil {
			return err
		}
	}
	dir := filepath.Join(lib, "go-xla")
	if err := installer.CPUAutoInstall(dir, true, installer.Normal); err != nil {
		return fmt.Errorf("installing the XLA CPU PJRT plugin into %s: %w", dir, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "pjrt_c_api_cpu_*_plugin.*"))
	if len(matches) == 0 {
		return fmt.Errorf("no CPU PJRT plugin found in %s after installation", dir)
	}
	for _, m := range matches {
		fmt.Println("PJRT CPU plugin:", m)
	}
	return nil
}
