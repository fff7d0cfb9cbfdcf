package freedarts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/spaces"
)

// ScoreMatrix is the score of every (row, op) entry of one architecture
// parameter, labelled, with the entries the selected architecture keeps.
type ScoreMatrix struct {
	// Name is the alpha's name ("alpha"; DARTS: "normal", "reduce").
	Name string `json:"name"`
	// Rows and Cols label Values (edges or layers, and ops).
	Rows []string `json:"rows,omitempty"`
	Cols []string `json:"cols,omitempty"`
	// Values[row][op] is the score; Pruned for an op iterative pruning
	// removed.
	Values [][]float64 `json:"values"`
	// Kept[row][op] marks the entries of the selected architecture.
	Kept [][]bool `json:"kept,omitempty"`
}

// Range returns the smallest non-zero and the largest |score| of the
// matrix, pruned entries left out (0, 0 when no score is non-zero, or m is
// nil).
func (m *ScoreMatrix) Range() (lo, hi float64) {
	if m == nil {
		return 0, 0
	}
	lo = math.Inf(1)
	for _, row := range m.Values {
		for _, v := range row {
			if v == Pruned || v == 0 {
				continue
			}
			v = math.Abs(v)
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == 0 {
		return 0, 0
	}
	return lo, hi
}

// Result is one search: the scores, the architecture chosen from them and
// everything needed to reproduce it.
type Result struct {
	Space string `json:"space"`
	// Proxy names the criteria and plan (Search.Name).
	Proxy string `json:"proxy"`
	// Backend is the backend's configuration; Compute adds the build's
	// GOEXPERIMENT: what the same seed needs to give the same scores.
	Backend  string  `json:"backend"`
	Compute  string  `json:"compute"`
	AlphaStd float64 `json:"alpha_std"`
	Seed     uint64  `json:"seed"`
	// Arch is the selected architecture, of the space's own type
	// (nb201.Arch, darts.Genotype, ...); in JSON, its String.
	Arch   Arch          `json:"-"`
	Scores []ScoreMatrix `json:"scores"`
	// Seconds adds up the scoring passes; CompileSeconds is the one-off
	// graph compilation before the first pass of a Search.
	Seconds        float64 `json:"seconds"`
	CompileSeconds float64 `json:"compile_seconds"`
}

// Matrix returns the scores of the named alpha.
func (r *Result) Matrix(alpha string) (*ScoreMatrix, error) {
	if r == nil {
		return nil, fmt.Errorf("no result (a nil *Result) to take alpha %s of", quote.Max(alpha, 60))
	}
	for i := range r.Scores {
		if r.Scores[i].Name == alpha {
			return &r.Scores[i], nil
		}
	}
	names := make([]string, len(r.Scores))
	for i, m := range r.Scores {
		names[i] = m.Name
	}
	return nil, fmt.Errorf("result of %s has no alpha %s (it has %q)", r.Space, quote.Max(alpha, 60), names)
}

// resultFields is Result without its methods, for the JSON codec.
type resultFields Result

type resultJSON struct {
	*resultFields
	Arch string `json:"arch"`
}

// MarshalJSON writes the architecture as its String. Its receiver is a
// value, so that a Result encodes the same inside a map or a slice of
// values as through a pointer.
func (r Result) MarshalJSON() ([]byte, error) {
	arch := ""
	if !spaces.IsNil(r.Arch) { // a nil *T too, whose String would panic
		arch = r.Arch.String()
	}
	return json.Marshal(resultJSON{resultFields: (*resultFields)(&r), Arch: arch})
}

// UnmarshalJSON reads what MarshalJSON wrote. The architecture is parsed by
// its space when that space is registered (spaces.Register; importing a
// built-in space's package registers it), so that it has its own type
// again; otherwise it keeps its encoding and the Kept entries of the scores.
func (r *Result) UnmarshalJSON(data []byte) error {
	if r == nil {
		return errors.New("decoding a result into a nil *Result, want a pointer to a Result")
	}
	j := resultJSON{resultFields: (*resultFields)(r)}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	r.Arch = nil
	if j.Arch == "" {
		return nil
	}
	if _, err := spaces.Lookup(r.Space); err != nil {
		kept := map[string][][]bool{}
		for _, m := range r.Scores {
			kept[m.Name] = m.Kept
		}
		r.Arch = recordedArch{text: j.Arch, kept: kept}
		return nil
	}
	a, err := spaces.ParseArch(r.Space, j.Arch)
	if err != nil {
		return fmt.Errorf("result of space %s: %w", r.Space, err)
	}
	r.Arch = a
	return nil
}

// recordedArch is an architecture read back from a result of a space this
// program has not registered: its encoding and the entries it kept.
type recordedArch struct {
	text string
	kept map[string][][]bool
}

func (a recordedArch) String() string            { return a.text }
func (a recordedArch) Kept() map[string][][]bool { return a.kept }

// Archs returns the architectures of results, in order: what a benchmark
// looks up for a set of searches (nb201.Bench.Summary(Archs(results)...)).
// A nil result gives a nil architecture, which the look-up refuses.
func Archs(results []*Result) []spaces.Arch {
	archs := make([]spaces.Arch, len(results))
	for i, r := range results {
		if r != nil {
			archs[i] = r.Arch
		}
	}
	return archs
}
