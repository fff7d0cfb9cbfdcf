package freedarts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

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
	// Shortlist[row][op] marks the entries a two-stage search kept for
	// its rank stage (Options.Keep per row); nil without one.
	Shortlist [][]bool `json:"shortlist,omitempty"`
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
	// DType, BN and Input describe the pass of every criterion, in the
	// order of Proxy and joined by ", ": its dtype ("float64"), its batch
	// norm (nn.BNMode: "none", "batch") and what it feeds the network
	// ("all-ones image", "16 labelled images").
	DType string `json:"dtype,omitempty"`
	BN    string `json:"bn,omitempty"`
	Input string `json:"input,omitempty"`
	// RankProxies, Candidates and RankSeconds are a two-stage search's
	// rank stage (Options.Rank; empty without one): its whole-network
	// proxies, every network of the alpha stage's shortlist, best first
	// (Candidates[0].Arch is Arch), and the seconds it took, which Seconds
	// includes.
	RankProxies []string    `json:"rank_proxies,omitempty"`
	Candidates  []Candidate `json:"candidates,omitempty"`
	RankSeconds float64     `json:"rank_seconds,omitempty"`
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

// candidateJSON is a Candidate with its architecture's String.
type candidateJSON struct {
	Arch     string    `json:"arch"`
	Scores   []float64 `json:"scores"`
	Step     int       `json:"step,omitempty"`
	Combined float64   `json:"combined"`
}

// MarshalJSON writes the architecture as its String.
func (c Candidate) MarshalJSON() ([]byte, error) {
	return json.Marshal(candidateJSON{Arch: archString(c.Arch), Scores: c.Scores, Step: c.Step, Combined: c.Combined})
}

// UnmarshalJSON reads what MarshalJSON wrote, the architecture as its
// encoding only (no Kept entries): Result.UnmarshalJSON parses it with its
// space.
func (c *Candidate) UnmarshalJSON(data []byte) error {
	if c == nil {
		return errors.New("decoding a candidate into a nil *Candidate")
	}
	var j candidateJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*c = Candidate{Scores: j.Scores, Step: j.Step, Combined: j.Combined}
	if j.Arch != "" {
		c.Arch = recordedArch{text: j.Arch}
	}
	return nil
}

// MarshalJSON writes the architecture as its String. Its receiver is a
// value, so that a Result encodes the same inside a map or a slice of
// values as through a pointer.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{resultFields: (*resultFields)(&r), Arch: archString(r.Arch)})
}

// archString is a's String, "" for a nil one (a nil *T too, whose String
// would panic).
func archString(a Arch) string {
	if spaces.IsNil(a) {
		return ""
	}
	return a.String()
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
		// The candidates keep their encodings alone (Candidate.UnmarshalJSON).
		kept := map[string][][]bool{}
		for _, m := range r.Scores {
			kept[m.Name] = m.Kept
		}
		r.Arch = recordedArch{text: j.Arch, kept: kept}
		return nil
	}
	var err error
	if r.Arch, err = spaces.ParseArch(r.Space, j.Arch); err != nil {
		return fmt.Errorf("result of space %s: %w", r.Space, err)
	}
	for i := range r.Candidates {
		c := &r.Candidates[i]
		if c.Arch == nil {
			continue
		}
		if c.Arch, err = spaces.ParseArch(r.Space, c.Arch.String()); err != nil {
			return fmt.Errorf("result of space %s: candidate %d: %w", r.Space, i, err)
		}
	}
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

// Negatives counts the scores below zero, pruned entries left out: the ops
// a signed criterion (GraSP) finds hindering (0 when m is nil).
func (m *ScoreMatrix) Negatives() int {
	if m == nil {
		return 0
	}
	return countIf(m.Values, func(v float64) bool { return v < 0 && v != Pruned })
}

// KeptCount counts the entries the selected architecture keeps (the
// outlined ones of a heat map; 0 when m is nil).
func (m *ScoreMatrix) KeptCount() int {
	if m == nil {
		return 0
	}
	return countIf(m.Kept, func(k bool) bool { return k })
}

// countIf counts the entries of a matrix for which keep is true.
func countIf[T any](matrix [][]T, keep func(T) bool) int {
	n := 0
	for _, row := range matrix {
		for _, v := range row {
			if keep(v) {
				n++
			}
		}
	}
	return n
}

// RowNormalizedDiff is the largest difference between the scores of a and
// b once every row is divided by its largest score: 0 when the two rank and
// space every edge's ops alike, whatever scale each matrix has. The
// matrices must have the same shape, and every row a positive largest
// score.
func RowNormalizedDiff(a, b *ScoreMatrix) (float64, error) {
	if a == nil || b == nil {
		return 0, errors.New("row-normalised difference of a nil *ScoreMatrix, want two score matrices")
	}
	if len(a.Values) != len(b.Values) {
		return 0, fmt.Errorf("row-normalised difference of %s with %d rows and %s with %d, want the same shape",
			a.Name, len(a.Values), b.Name, len(b.Values))
	}
	diff := 0.0
	for r, ra := range a.Values {
		rb := b.Values[r]
		if len(ra) != len(rb) || len(ra) == 0 {
			return 0, fmt.Errorf("row-normalised difference: row %d has %d and %d scores, want the same, at least one", r, len(ra), len(rb))
		}
		ma, mb := slices.Max(ra), slices.Max(rb)
		if !(ma > 0 && mb > 0) {
			return 0, fmt.Errorf("row-normalised difference: row %d's largest scores are %g and %g, want both > 0", r, ma, mb)
		}
		for o := range ra {
			diff = max(diff, math.Abs(ra[o]/ma-rb[o]/mb))
		}
	}
	return diff, nil
}

// Range is ScoreMatrix.Range over every matrix of r: the smallest non-zero
// and the largest |score|, pruned entries left out (0, 0 when r is nil or
// scores nothing).
func (r *Result) Range() (lo, hi float64) {
	if r == nil {
		return 0, 0
	}
	for i := range r.Scores {
		l, h := r.Scores[i].Range()
		if h > 0 && (lo == 0 || l < lo) {
			lo = l
		}
		hi = max(hi, h)
	}
	return lo, hi
}

// MaxScore is the largest |score| over every matrix of r (Range): what
// tells a real signal from rounding noise.
func (r *Result) MaxScore() float64 {
	_, hi := r.Range()
	return hi
}

// SameArchs counts the positions at which every run of results picked the
// same architecture (by its String): the seeds whose pick did not change
// between runs of the same seeds (at several depths, say). The runs must
// have the same length and hold no nil result or architecture.
func SameArchs(runs ...[]*Result) (int, error) {
	if len(runs) == 0 {
		return 0, nil
	}
	archs := make([][]string, len(runs))
	for i, run := range runs {
		if len(run) != len(runs[0]) {
			return 0, fmt.Errorf("same archs: run %d has %d results, run 0 has %d, want the same seeds", i, len(run), len(runs[0]))
		}
		for j, res := range run {
			if res == nil || spaces.IsNil(res.Arch) {
				return 0, fmt.Errorf("same archs: result %d of run %d has no architecture", j, i)
			}
			archs[i] = append(archs[i], res.Arch.String())
		}
	}
	same := 0
	for j := range archs[0] {
		if !slices.ContainsFunc(archs[1:], func(a []string) bool { return a[j] != archs[0][j] }) {
			same++
		}
	}
	return same, nil
}
