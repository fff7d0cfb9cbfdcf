package datadir

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mod, []byte("module github.com/freedarts/freedarts-gonb\n")) {
		t.Errorf("%s/go.mod is not this module's", root)
	}
	wd, _ := os.Getwd()
	if want, _ := filepath.Abs("../.."); root != want || !strings.HasPrefix(wd, root) {
		t.Errorf("module root %s, want %s (above %s)", root, want, wd)
	}
	shared, err := Shared()
	if err != nil || shared != filepath.Join(filepath.Dir(root), "shared", "data") {
		t.Errorf("Shared() = %q, %v", shared, err)
	}
	// From a temporary directory: an error, unless some directory above it
	// holds a go.mod.
	tmp := t.TempDir()
	t.Chdir(tmp)
	if r, err := ModuleRoot(); err == nil {
		if _, statErr := os.Stat(filepath.Join(r, "go.mod")); statErr != nil || !strings.HasPrefix(tmp, r) {
			t.Errorf("ModuleRoot() from %s = %s, which holds no go.mod or is not above it", tmp, r)
		}
	} else if !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("ModuleRoot() from %s: %v, want no go.mod", tmp, err)
	}
}
