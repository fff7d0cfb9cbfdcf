package study

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
)

// TestLoadCommitted: committed studies by name, and names that are not one.
func TestLoadCommitted(t *testing.T) {
	for name, cells := range map[string]int{"nb201_per_cell_500": 500, "nb201_shared_514": 514} {
		tab, err := LoadCommitted(name)
		if err != nil {
			t.Fatalf("LoadCommitted(%q): %v", name, err)
		}
		if len(tab.Rows) != cells {
			t.Errorf("LoadCommitted(%q): %d cells, want %d", name, len(tab.Rows), cells)
		}
	}
	load := func(name string) func() error {
		return func() error { _, err := LoadCommitted(name); return err }
	}
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("unknown", load("nope"), `no committed study "nope" in `),
		nilcase.New("unknown: the error lists the studies", load("nope"), "nb201_per_cell_500, "),
		nilcase.New("empty", load(""), "want a file name of docs/study"),
		nilcase.New("with .csv", load("nb201_per_cell_500.csv"), "without .csv"),
		nilcase.New("a path", load("../go"), "want a file name"),
	})
}
