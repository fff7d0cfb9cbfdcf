// Package shareddata is the rule for tests that need the repository's shared
// sample data (the CIFAR-10 sample and the NAS-Bench-201 table under
// ../shared/data beside the module root, found by internal/datadir).
//
// A test that needs a file of it calls Path (or Need, for a path it already
// holds). When the file is absent the test is skipped with a message, except
// when the environment variable CI is true (CI=true, as CI services set it):
// there the data must be present, and the test fails naming the file, so that
// a CI run cannot pass by skipping the tests that use real data.
package shareddata

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/datadir"
)

// EnvCI is the environment variable that makes absent data a failure when it
// holds a true value (true, 1; see strconv.ParseBool).
const EnvCI = "CI"

// Path returns the path of rel (slash-separated, e.g.
// "cifar10/test_first1000.bin") under the shared data directory
// <module root>/../shared/data, the module root being found by walking up
// from the working directory to the directory holding go.mod. If that file
// or directory is absent, Path skips t, or fails it when CI is true (see
// Need).
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir, err := datadir.Shared()
	if err != nil {
		t.Fatalf("shareddata: %v", err)
		return ""
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	Need(t, p)
	return p
}

// Need skips t when path is absent, or fails it (t.Fatalf, naming path) when
// CI is true. Any other error reading path fails t.
func Need(t testing.TB, path string) {
	t.Helper()
	_, err := os.Stat(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && InCI():
		t.Fatalf("shared test data %s is absent: %s=true requires it (put the repository's ../shared/data beside the module root)", path, EnvCI)
	case errors.Is(err, fs.ErrNotExist):
		t.Skipf("shared test data %s is absent: skipped (with %s=true this is a failure)", path, EnvCI)
	default:
		t.Fatalf("shared test data %s: %v", path, err)
	}
}

// InCI reports whether the environment variable CI holds a true value.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvCI))
	return err == nil && v
}
