package freedarts

import (
	"fmt"

	"github.com/gomlx/compute"
)

// Space is a search space as the search needs it: its supernet, the shape
// of its input, and its rule for turning scores into an architecture. The
// methods use only standard and nn types, so that the spaces need not import
// this package.
type Space interface {
	Supernet
	// Name is the space's name on the command line (nb201, darts, ...).
	Name() string
	// InputSize is the height and width of the input image.
	InputSize() int
	// AlphaStd is the reference scale of alpha's initialisation.
	AlphaStd() float64
	// Labels returns the row and column labels of the named alpha.
	Labels(alpha string) (rows, cols []string)
	// Select encodes the architecture chosen from the score matrices, keyed
	// by alpha name.
	Select(scores map[string][][]float64) (string, error)
}

// Result is one search: the scores, the architecture chosen from them and
// everything needed to reproduce it.
type Result struct {
	Space   string        `json:"space"`
	Proxy   string        `json:"proxy"`
	Backend string        `json:"backend"`
	Seed    uint64        `json:"seed"`
	Arch    string        `json:"arch"`
	Scores  []ScoreMatrix `json:"scores"`
	// Seconds is the scoring pass; CompileSeconds the one-off graph
	// compilation before the first pass of a Searcher.
	Seconds        float64 `json:"seconds"`
	CompileSeconds float64 `json:"compile_seconds"`
}

// Search is a compiled searcher for one space, criterion and backend.
type Search struct {
	space    Space
	searcher *Searcher
	backend  string
}

// NewSearch prepares a search of space with crit on backend b, whose
// configuration string (for the record) is backendName. alphaStd <= 0 takes
// the space's reference scale.
func NewSearch(b compute.Backend, backendName string, space Space, crit Criterion, alphaStd float64) (*Search, error) {
	if alphaStd <= 0 {
		alphaStd = space.AlphaStd()
	}
	s, err := NewSearcher(b, space, crit, Options{InputSize: space.InputSize(), AlphaStd: alphaStd})
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", space.Name(), crit.Name, err)
	}
	return &Search{space: space, searcher: s, backend: backendName}, nil
}

// Searcher is the underlying scorer.
func (s *Search) Searcher() *Searcher { return s.searcher }

// Close releases the compiled graph.
func (s *Search) Close() { s.searcher.Close() }

// Run scores the supernet initialised from seed and selects an architecture.
func (s *Search) Run(seed uint64, batch *Batch) (*Result, error) {
	scores, err := s.searcher.Score(seed, batch)
	if err != nil {
		return nil, err
	}
	arch, err := s.space.Select(scores.ByName())
	if err != nil {
		return nil, err
	}
	return &Result{
		Space: s.space.Name(), Proxy: scores.Proxy, Backend: s.backend, Seed: seed, Arch: arch,
		Scores: scores.Matrices, Seconds: scores.Seconds, CompileSeconds: s.searcher.CompileSeconds,
	}, nil
}
