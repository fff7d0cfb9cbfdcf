// Package datadir finds the repository's sample data: the CIFAR-10 sample
// and the NAS-Bench-201 table under ../shared/data, beside the module root
// (the directory holding go.mod), from wherever the program runs inside the
// checkout (its root, a package directory under go test, notebooks/ for a
// GoNB cell). The loaders' defaults (cifar10.Find, nb201.FindBench) and the
// tests' rule for absent data (internal/shareddata) use it.
package datadir

import (
	"errors"
	"os"
	"path/filepath"
)

// Shared returns <module root>/../shared/data, cleaned, whether or not it
// exists.
func Shared() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "..", "shared", "data"), nil
}

// ModuleRoot returns the nearest directory, from the working directory
// upwards, that holds go.mod.
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in " + wd + " or any directory above it")
		}
		dir = parent
	}
}
