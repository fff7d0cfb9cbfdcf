package nb201

import (
	"fmt"
	"path/filepath"

	"github.com/freedarts/freedarts-gonb/internal/datadir"
)

// BenchFile is the file name of the NAS-Bench-201 accuracy table in the
// repository's sample data (shared/data/README.md).
const BenchFile = "nb201_accuracy.csv"

// FindBench returns path, or for an empty path the repository's table,
// ../shared/data/nb201/nb201_accuracy.csv beside the module root, found
// from the working directory upwards (so a notebook, a test and the
// repository root all reach it), without checking that it exists: LoadBench
// says so.
func FindBench(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	shared, err := datadir.Shared()
	if err != nil {
		return "", fmt.Errorf("nb201: no path given, and no sample data: %w", err)
	}
	return filepath.Join(shared, "nb201", BenchFile), nil
}
