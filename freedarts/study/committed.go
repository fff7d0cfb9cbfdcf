package study

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/freedarts/freedarts-gonb/internal/datadir"
)

// CommittedDir is where the repository keeps its studies, relative to the
// module root (docs/study/README.md describes each).
const CommittedDir = "docs/study"

// LoadCommitted reads one of the studies committed in the repository's
// CommittedDir, named by its file name without ".csv"
// ("nb201_per_cell_500"), found from the working directory upwards (so a
// notebook, a test and the repository root all reach it). An unknown name
// is an error that lists the committed ones.
func LoadCommitted(name string) (*Table, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasSuffix(name, ".csv") {
		return nil, fmt.Errorf("study: committed study %s: want a file name of %s without .csv (e.g. nb201_per_cell_500)", quote(name), CommittedDir)
	}
	root, err := datadir.ModuleRoot()
	if err != nil {
		return nil, fmt.Errorf("study: committed study %s: %w", name, err)
	}
	dir := filepath.Join(root, filepath.FromSlash(CommittedDir))
	path := filepath.Join(dir, name+".csv")
	if _, err := os.Stat(path); err != nil {
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = strings.TrimSuffix(filepath.Base(f), ".csv")
		}
		slices.Sort(names)
		return nil, fmt.Errorf("study: no committed study %s in %s (have %s)", quote(name), dir, strings.Join(names, ", "))
	}
	return LoadTable(path)
}
