package freedarts

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/compute"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/spaces"
)

// The rank stage of a two-stage search (Options.Rank): FreeDARTS's alpha
// scores shortlist the few best ops of every row, and whole-network proxies
// rank the concrete networks those ops make. Alpha saliency is good at
// telling the useful ops of an edge from the useless ones and poor at
// choosing among the useful ones, where an op's worth depends on the rest of
// the cell; whole-network proxies see the whole cell (the pruning-then-
// ranking of TE-NAS and Zero-Cost-PT). The ranking may itself be a cascade:
// a cheap proxy keeps the best few networks, and another ranks those, as a
// size proxy and then a shape proxy (VKDNW's factoring).

// DefaultKeep is the ops per row the alpha stage shortlists when
// Options.Keep is 0: 3^6 = 729 NAS-Bench-201 cells.
const DefaultKeep = 3

// AutoWorkers is the number of networks scored side by side when a count
// of workers is 0 (Options.Workers, study.Config.Workers): one per core
// (GOMAXPROCS), each worker on a backend of its own.
func AutoWorkers() int {
	return max(runtime.GOMAXPROCS(0), 1)
}

// maxCandidates bounds the networks one rank stage scores: a shortlist
// beyond it is a mistake (Keep too large for the space), not a search.
const maxCandidates = 20_000

// Candidate is one network of a search's rank stage.
type Candidate struct {
	// Arch is the network's architecture (the space's own type).
	Arch Arch
	// Scores holds the score of every rank proxy of the cascade steps the
	// network reached, in Result.RankProxies' order (a network that a step
	// left out has no scores of the later steps).
	Scores []float64
	// Step is the last cascade step that ranked the network (0: the
	// first); Combined is that step's proxies combined over the networks
	// it ranked (Options.RankEnsemble), higher being better.
	Step     int
	Combined float64
}

// rankStep is one step of the rank cascade: its proxies, how many of its
// best networks go on to the next step (0 for the last), and its scorer on
// every worker's backend.
type rankStep struct {
	crits   []Criterion
	names   []string
	top     int
	scorers []*NetScorer
}

// rankStage is the rank stage of a Search.
type rankStage struct {
	steps    []rankStep
	keep     int
	ensemble string
	// backends are the workers' backends past the first (the search's
	// own): Options.Workers instances of its configuration, opened here.
	backends []*backend.Backend
}

// newRankStage checks the rank options of opts against space; nil when
// opts has no rank stage.
func newRankStage(space Space, opts Options) (*rankStage, error) {
	if opts.Rank == "" {
		switch {
		case opts.Keep != 0:
			return nil, fmt.Errorf("search: keep %d without Rank, want a rank proxy to rank the shortlisted networks", opts.Keep)
		case opts.RankEnsemble != "":
			return nil, fmt.Errorf("search: rank ensemble %s without Rank", quote.Max(opts.RankEnsemble, 60))
		}
		return nil, nil
	}
	if _, ok := space.(spaces.Enumerable); !ok {
		return nil, fmt.Errorf("search: space %s cannot list the networks of a shortlist (it is not a spaces.Enumerable), so Rank %s does not apply to it",
			space.Name(), quote.Max(opts.Rank, 60))
	}
	r := &rankStage{keep: opts.Keep, ensemble: opts.RankEnsemble}
	if r.keep == 0 {
		r.keep = DefaultKeep
	}
	if r.keep < 1 {
		return nil, fmt.Errorf("search: keep %d, want >= 1 ops per row (0 for %d)", opts.Keep, DefaultKeep)
	}
	if r.ensemble == "" {
		r.ensemble = LogRank
	}
	if !slices.Contains(EnsembleNames(), r.ensemble) {
		return nil, fmt.Errorf("search: unknown rank ensemble %s (want one of %s)", quote.Max(r.ensemble, 60), strings.Join(EnsembleNames(), ", "))
	}
	var err error
	if r.steps, err = parseRankSteps(opts.Rank); err != nil {
		return nil, fmt.Errorf("search: rank %s: %w", quote.Max(opts.Rank, 60), err)
	}
	return r, nil
}

// parseRankSteps reads Options.Rank: steps separated by "/", each a proxy
// or several joined by commas (a named ensemble standing for its members),
// every step but the last ending in ":N", the networks it passes on.
func parseRankSteps(text string) ([]rankStep, error) {
	parts := strings.Split(text, "/")
	steps := make([]rankStep, len(parts))
	for i, part := range parts {
		list, top, hasTop := strings.Cut(part, ":")
		last := i == len(parts)-1
		switch {
		case last && hasTop:
			return nil, fmt.Errorf("the last step %s has a count: it picks one network, want no \":N\"", quote.Max(part, 60))
		case !last && !hasTop:
			return nil, fmt.Errorf("step %s has no count, want \":N\", the networks it passes to the next step", quote.Max(part, 60))
		case !last:
			n, err := strconv.Atoi(top)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("step %s: count %s, want a whole number >= 1", quote.Max(part, 60), quote.Max(top, 20))
			}
			steps[i].top = n
		}
		expanded, _ := ExpandEnsembles(list)
		crits, err := LookupCriteria(expanded)
		if err != nil {
			return nil, err
		}
		steps[i].crits = crits
		for _, c := range crits {
			steps[i].names = append(steps[i].names, c.Name)
		}
	}
	return steps, nil
}

// crits are the criteria of every step, in order.
func (r *rankStage) crits() []Criterion {
	var out []Criterion
	for _, s := range r.steps {
		out = append(out, s.crits...)
	}
	return out
}

// names are the proxies of every step, in order (Result.RankProxies).
func (r *rankStage) names() []string {
	var out []string
	for _, s := range r.steps {
		out = append(out, s.names...)
	}
	return out
}

// name is the stage in Search.Name: "keep3>logrank(zico,meco)",
// "keep4>synflow:16/zen" (the steps as Options.Rank writes them).
func (r *rankStage) name() string {
	var steps []string
	for _, s := range r.steps {
		p := s.names[0]
		if len(s.names) > 1 {
			p = r.ensemble + "(" + strings.Join(s.names, ",") + ")"
		}
		if s.top > 0 {
			p += fmt.Sprintf(":%d", s.top)
		}
		steps = append(steps, p)
	}
	return fmt.Sprintf("keep%d>%s", r.keep, strings.Join(steps, "/"))
}

// newScorers prepares every step's scorer for each of workers workers:
// the first on b, the others each on a backend of b's configuration of
// its own, so that networks are built, compiled and scored side by side.
func (r *rankStage) newScorers(b *backend.Backend, workers, inputSize int) error {
	engines := []compute.Backend{b.Backend}
	for range workers - 1 {
		o, err := backend.Open(b.Config)
		if err != nil {
			r.close()
			return fmt.Errorf("search: rank worker: %w", err)
		}
		r.backends = append(r.backends, o)
		engines = append(engines, o.Backend)
	}
	for i := range r.steps {
		for _, e := range engines {
			sc, err := NewNetScorer(e, r.steps[i].crits, inputSize)
			if err != nil {
				r.close()
				return fmt.Errorf("search: rank: %w", err)
			}
			r.steps[i].scorers = append(r.steps[i].scorers, sc)
		}
	}
	return nil
}

// close releases the steps' scorers and the workers' backends.
func (r *rankStage) close() {
	for _, s := range r.steps {
		for _, sc := range s.scorers {
			sc.Close()
		}
	}
	for _, b := range r.backends {
		b.Backend.Finalize()
	}
	r.backends = nil
}

// scoreAll scores every network of live with step st, its workers taking
// the networks in turn; the scores do not depend on which worker scored a
// network (the same seed, the same configuration).
func (r *rankStage) scoreAll(st rankStep, space spaces.Enumerable, live []Candidate, seed uint64, batch *Batch) ([]*NetScore, error) {
	out := make([]*NetScore, len(live))
	errs := make([]error, len(st.scorers))
	var next atomic.Int64
	var failed atomic.Bool // the first error stops every worker
	var wg sync.WaitGroup
	for w, sc := range st.scorers {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(live) {
					return
				}
				net, err := space.Network(live[i].Arch)
				if err == nil {
					out[i], err = sc.Score(net, seed, batch)
				}
				if err != nil {
					errs[w] = fmt.Errorf("search: rank %s: %w", live[i].Arch, err)
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// shortlist marks the keep best ops of every row of every matrix, pruned
// ones never (ties go to the first op, as the one-op rule's).
func shortlist(mats []ScoreMatrix, keep int) map[string][][]bool {
	out := make(map[string][][]bool, len(mats))
	for _, m := range mats {
		rows := make([][]bool, len(m.Values))
		for r, row := range m.Values {
			order := make([]int, len(row))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
			rows[r] = make([]bool, len(row))
			for _, op := range order[:min(keep, len(order))] {
				if row[op] != Pruned {
					rows[r][op] = true
				}
			}
		}
		out[m.Name] = rows
	}
	return out
}

// rank scores the networks of the shortlist of mats, step by step, each
// network initialised from seed (one draw for all, so that the ops they
// share start alike), and returns them best first (the last step's
// networks, then those each earlier step left out), the shortlist and the
// seconds spent.
func (s *Search) rank(seed uint64, batch *Batch, mats []ScoreMatrix) ([]Candidate, map[string][][]bool, float64, error) {
	r := s.ranker
	keep := shortlist(mats, r.keep)
	space := s.space.(spaces.Enumerable)
	archs, err := space.Candidates(keep)
	if err != nil {
		return nil, nil, 0, err
	}
	switch {
	case len(archs) == 0:
		return nil, nil, 0, fmt.Errorf("search: space %s lists no network for the shortlist of %d ops per row", s.space.Name(), r.keep)
	case len(archs) > maxCandidates:
		return nil, nil, 0, fmt.Errorf("search: the shortlist of %d ops per row makes %d networks of space %s, want at most %d (a smaller Keep)",
			r.keep, len(archs), s.space.Name(), maxCandidates)
	}
	start := time.Now()
	cands := make([]Candidate, len(archs))
	for i, a := range archs {
		cands[i].Arch = a
	}
	// live are the networks the step ranks, done those an earlier step
	// left out, best first.
	live, done := cands, []Candidate(nil)
	for step, st := range r.steps {
		perProxy := make([][]float64, len(st.crits))
		scores, err := r.scoreAll(st, space, live, seed, batch)
		if err != nil {
			return nil, nil, 0, err
		}
		for i, sc := range scores {
			live[i].Scores = append(live[i].Scores, sc.Scores...)
			for p, v := range sc.Scores {
				perProxy[p] = append(perProxy[p], v)
			}
		}
		combined, err := Combine(r.ensemble, perProxy)
		if err != nil {
			return nil, nil, 0, err
		}
		for i := range live {
			live[i].Step, live[i].Combined = step, combined[i]
		}
		// Best first; a tie keeps the space's listing order.
		slices.SortStableFunc(live, func(a, b Candidate) int { return cmp.Compare(b.Combined, a.Combined) })
		if st.top > 0 && st.top < len(live) {
			done = append(slices.Clone(live[st.top:]), done...)
			live = live[:st.top]
		}
	}
	return append(slices.Clone(live), done...), keep, time.Since(start).Seconds(), nil
}
