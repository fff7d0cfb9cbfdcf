package freedarts

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute"
)

// Pruned is the score of an op that iterative pruning has removed: below
// every real score, and finite, so that results still encode as JSON.
const Pruned = -math.MaxFloat64

// SearchPlan says how a search turns its criteria's scores into an
// architecture.
type SearchPlan struct {
	// Ensemble combines several criteria (RankAverage or MajorityVote; ""
	// means RankAverage). Unused with one criterion.
	Ensemble string
	// PruneStep > 0 selects iteratively: every round masks the PruneStep
	// weakest surviving ops of every row (edge) to alpha = 0 exactly and
	// rescores the smaller supernet, until one op per row is left. 0 selects
	// in one shot, as the released FreeDARTS code does.
	PruneStep int
	// Draws > 1 scores every criterion that many times per seed, each with
	// its own alpha and weights (DrawSeed), and combines all the matrices
	// with Ensemble. The saliency |alpha ⊙ dR/dalpha| carries the random
	// |alpha| of each entry, so one draw is noisy; several draws average
	// that noise out. 0 and 1 mean one draw, the seed itself. The batch of
	// data criteria is the seed's for every draw.
	Draws int
}

// DrawSeed is the seed of draw d of a search with seed: the seed itself for
// d = 0, else SubSeed(seed, d).
func DrawSeed(seed uint64, d int) uint64 {
	if d == 0 {
		return seed
	}
	return SubSeed(seed, uint64(d))
}

// SubSeed derives the k-th independent seed of seed: the first output of
// PCG(seed, k). Derived seeds are reproducible from (seed, k) alone, so the
// work they seed can run in any order, be resumed or spread over workers.
func SubSeed(seed, k uint64) uint64 {
	return rand.New(rand.NewPCG(seed, k)).Uint64()
}

// MultiSearch is a search with one or more criteria and a SearchPlan. With
// one criterion and no pruning it is exactly Search.
type MultiSearch struct {
	space    Space
	searches []*Search
	plan     SearchPlan
}

// NewMultiSearch prepares a search of space with crits on backend b (see
// NewSearch for backendName and alphaStd).
func NewMultiSearch(b compute.Backend, backendName string, space Space, crits []Criterion, alphaStd float64, plan SearchPlan) (*MultiSearch, error) {
	if len(crits) == 0 {
		return nil, fmt.Errorf("no proxies to search with")
	}
	if plan.Ensemble == "" {
		plan.Ensemble = RankAverage
	}
	if !slices.Contains(EnsembleNames(), plan.Ensemble) {
		return nil, fmt.Errorf("unknown ensemble %q (want one of %s)", plan.Ensemble, strings.Join(EnsembleNames(), ", "))
	}
	if plan.PruneStep < 0 {
		return nil, fmt.Errorf("prune step %d, want >= 0 (0: one-shot selection)", plan.PruneStep)
	}
	if plan.Draws < 0 {
		return nil, fmt.Errorf("draws %d, want >= 1 (0 means 1)", plan.Draws)
	}
	plan.Draws = max(plan.Draws, 1)
	m := &MultiSearch{space: space, plan: plan}
	for _, c := range crits {
		s, err := NewSearch(b, backendName, space, c, alphaStd)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.searches = append(m.searches, s)
	}
	return m, nil
}

// Name describes the criteria and plan, e.g. "synflow",
// "rank(synflow,snip)" or "synflow+prune1".
func (m *MultiSearch) Name() string {
	names := make([]string, len(m.searches))
	for i, s := range m.searches {
		names[i] = s.searcher.crit.Name
	}
	if m.plan.Draws > 1 {
		for i := range names {
			names[i] += fmt.Sprintf("x%d", m.plan.Draws)
		}
	}
	name := names[0]
	if len(names) > 1 || m.plan.Draws > 1 {
		name = m.plan.Ensemble + "(" + strings.Join(names, ",") + ")"
	}
	if m.plan.PruneStep > 0 {
		name += fmt.Sprintf("+prune%d", m.plan.PruneStep)
	}
	return name
}

// NeedsData says whether any criterion needs a labelled batch.
func (m *MultiSearch) NeedsData() bool {
	crits := make([]Criterion, len(m.searches))
	for i, s := range m.searches {
		crits[i] = s.searcher.crit
	}
	return NeedData(crits...)
}

// CompileSeconds is the one-off compilation of every criterion's graph.
func (m *MultiSearch) CompileSeconds() float64 {
	total := 0.0
	for _, s := range m.searches {
		total += s.searcher.CompileSeconds
	}
	return total
}

// Close releases the compiled graphs.
func (m *MultiSearch) Close() {
	for _, s := range m.searches {
		s.Close()
	}
}

// Run scores the supernet initialised from seed and selects an
// architecture. Seconds in the result add up every scoring pass.
func (m *MultiSearch) Run(seed uint64, batch *Batch) (*Result, error) {
	if len(m.searches) == 1 && m.plan.PruneStep == 0 && m.plan.Draws == 1 {
		return m.searches[0].Run(seed, batch)
	}
	var mask Mask
	seconds := 0.0
	for {
		combined, secs, err := m.score(seed, batch, mask)
		if err != nil {
			return nil, err
		}
		seconds += secs
		if mask == nil {
			mask = fullMask(combined)
		}
		if m.plan.PruneStep == 0 || !pruneRows(combined, mask, m.plan.PruneStep) {
			return m.result(seed, combined, seconds)
		}
	}
}

// score runs every criterion (every draw of it) on the masked supernet and
// combines their matrices; pruned entries score Pruned.
func (m *MultiSearch) score(seed uint64, batch *Batch, mask Mask) ([]ScoreMatrix, float64, error) {
	var per [][]ScoreMatrix
	seconds := 0.0
	for _, s := range m.searches {
		for d := range m.plan.Draws {
			sc, err := s.searcher.ScoreMasked(DrawSeed(seed, d), batch, mask)
			if err != nil {
				return nil, 0, err
			}
			seconds += sc.Seconds
			for _, mat := range sc.Matrices {
				markPruned(mat.Values, mask[mat.Name])
			}
			per = append(per, sc.Matrices)
		}
	}
	if len(per) == 1 {
		return per[0], seconds, nil
	}
	out := make([]ScoreMatrix, len(per[0]))
	for i := range out {
		mats := make([][][]float64, len(per))
		for p := range per {
			mats[p] = per[p][i].Values
		}
		v, err := CombineMatrices(m.plan.Ensemble, mats)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", per[0][i].Name, err)
		}
		// Pruned ops stay below every surviving one for every criterion,
		// so they stay at the bottom of the combined order too; mark them.
		markPruned(v, mask[per[0][i].Name])
		out[i] = ScoreMatrix{Name: per[0][i].Name, Values: v}
	}
	return out, seconds, nil
}

// markPruned sets to Pruned every entry of values (row-major) that keep
// drops; a nil keep drops nothing.
func markPruned(values [][]float64, keep []bool) {
	if keep == nil {
		return
	}
	for r, row := range values {
		for c := range row {
			if !keep[r*len(row)+c] {
				row[c] = Pruned
			}
		}
	}
}

func fullMask(mats []ScoreMatrix) Mask {
	mask := Mask{}
	for _, m := range mats {
		n := 0
		for _, row := range m.Values {
			n += len(row)
		}
		keep := make([]bool, n)
		for i := range keep {
			keep[i] = true
		}
		mask[m.Name] = keep
	}
	return mask
}

// pruneRows drops, in every row with more than one surviving op, the step
// weakest survivors (never the last one). Ties drop the later op first, as
// selection prefers the earlier one. It reports whether anything was
// dropped.
func pruneRows(mats []ScoreMatrix, mask Mask, step int) bool {
	changed := false
	for _, m := range mats {
		keep := mask[m.Name]
		for r, row := range m.Values {
			off := r * len(row)
			var alive []int
			for c := range row {
				if keep[off+c] {
					alive = append(alive, c)
				}
			}
			slices.SortStableFunc(alive, func(a, b int) int {
				if row[a] != row[b] {
					if row[a] < row[b] {
						return -1
					}
					return 1
				}
				return b - a
			})
			for _, c := range alive[:min(step, len(alive)-1)] {
				keep[off+c] = false
				row[c] = Pruned
				changed = true
			}
		}
	}
	return changed
}

func (m *MultiSearch) result(seed uint64, mats []ScoreMatrix, seconds float64) (*Result, error) {
	byName := make(map[string][][]float64, len(mats))
	for _, sm := range mats {
		byName[sm.Name] = sm.Values
	}
	arch, err := m.space.Select(byName)
	if err != nil {
		return nil, err
	}
	first := m.searches[0]
	return &Result{
		Space: m.space.Name(), Proxy: m.Name(), Backend: first.backend, Seed: seed, Arch: arch,
		Scores: mats, Seconds: seconds, CompileSeconds: m.CompileSeconds(),
	}, nil
}
