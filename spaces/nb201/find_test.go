package nb201

import (
	"path/filepath"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/shareddata"
)

// TestFindBench: an empty path is the repository's table, found from this
// package's directory as from a notebook's; a path is kept as it is.
func TestFindBench(t *testing.T) {
	path, err := FindBench("")
	if err != nil {
		t.Fatal(err)
	}
	if want := shareddata.Path(t, "nb201/"+BenchFile); filepath.Clean(path) != filepath.Clean(want) {
		t.Errorf("FindBench(\"\") = %s, want %s", path, want)
	}
	if b, err := LoadBench(path); err != nil || b.Len() != 15625 {
		t.Errorf("LoadBench(FindBench(\"\")): %v", err)
	}
	if got, err := FindBench("my.csv"); got != "my.csv" || err != nil {
		t.Errorf("FindBench(my.csv) = %q, %v", got, err)
	}
}
