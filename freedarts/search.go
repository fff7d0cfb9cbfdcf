package freedarts

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Options configure a Search. The zero value searches with SynFlow, one
// draw, in one shot, at the space's reference alpha scale, on the default
// backend. A value out of range is an error, never a silent default.
type Options struct {
	// Proxy names the criteria: one ("synflow", the default when empty), or
	// several joined by commas, combined by Ensemble. A proxy is what users
	// name (-proxy), a Criterion is its definition: Proxy names registered
	// criteria, Criteria gives them as values.
	Proxy string
	// Criteria, when set, replace Proxy: the criteria as values rather
	// than registered names, built in code (a variant is a copy of
	// LookupCriterion's with a field changed). Setting both is an error.
	Criteria []Criterion
	// Ensemble combines several criteria, or several draws: RankAverage
	// (the default when empty) or MajorityVote.
	Ensemble string
	// Prune > 0 selects iteratively: every round masks the Prune weakest
	// surviving ops of every row (edge) to alpha = 0 exactly and rescores
	// the smaller supernet, until one op per row is left. 0 selects in one
	// shot, as the released FreeDARTS code does.
	Prune int
	// Draws > 1 scores every criterion that many times per seed, each with
	// its own alpha and weights (DrawSeed), and combines all the matrices
	// with Ensemble: the saliency carries the random |alpha| of each entry,
	// so one draw is noisy. 0 means 1. The batch of data criteria is the
	// seed's for every draw.
	Draws int
	// AlphaStd scales alpha's N(0,1) initialisation; 0 takes the space's
	// reference (1e-3 on CIFAR-sized spaces).
	AlphaStd float64
	// Backend computes the scores; nil opens backend.Shared("").
	Backend *backend.Backend
	// Data draws the labelled batch of a seed for the data criteria (SNIP,
	// GraSP, ...): for CIFAR-10, Sample(dataset, 64). Data-free criteria
	// ignore it.
	Data Batches
	// Rank, when set, makes the search two-stage (rank.go): the alpha scores
	// above shortlist the Keep best ops of every row, and these
	// whole-network proxies (one, or several joined by commas; a named
	// ensemble such as az_nas stands for its members) rank every concrete
	// network the shortlist makes; the best is the pick. The ranking may be
	// a cascade of steps separated by "/", each but the last ending in
	// ":N", the number of its best networks the next step ranks:
	// "synflow:16/zen" ranks every network by SynFlow and the best 16 by
	// Zen. The space must be a spaces.Enumerable (NAS-Bench-201 is). Empty:
	// one stage, the op of largest score on every row.
	Rank string
	// Keep is the ops per row the alpha stage shortlists for Rank; 0 means
	// DefaultKeep (3).
	Keep int
	// RankEnsemble combines the proxies of a Rank step over the networks it
	// ranks: LogRank (the default when empty, AZ-NAS's), RankAverage or
	// MajorityVote.
	RankEnsemble string
	// Workers is how many networks the rank stage scores at once, each
	// worker on a backend of its own with Backend's configuration (the
	// first on Backend itself); 0 means AutoWorkers (one per core). Building
	// and compiling a small network's graph leaves the other cores idle:
	// two workers on two cores halve the rank stage of the best preset. The
	// scores do not depend on it.
	Workers int
}

// Search scores a space's supernet with one or more criteria and selects an
// architecture per seed. The graph of every criterion is compiled at the
// first Run and reused for every later seed. Runs of one Search are
// serialised.
type Search struct {
	space   Space
	opts    Options
	crits   []Criterion
	scorers []*scorer
	// passes are the indices into crits that each scorer scores
	// (alphaPasses).
	passes   [][]int
	alphaStd float64
	// ranker is the rank stage (nil: one stage).
	ranker *rankStage
	// closed: Close has run, so the scorers are gone (a Search not made by
	// New has none either, and says so differently).
	closed bool
}

// New prepares a search of space with opts.
func New(space Space, opts Options) (*Search, error) {
	if spaces.IsNil(space) {
		return nil, errors.New("search: space is nil, want a built space (e.g. nb201.NewSpace(nb201.DefaultConfig()))")
	}
	crits, err := opts.criteria()
	if err != nil {
		return nil, err
	}
	if opts.Ensemble == "" {
		opts.Ensemble = RankAverage
	}
	switch {
	case !slices.Contains(EnsembleNames(), opts.Ensemble):
		return nil, fmt.Errorf("search: unknown ensemble %s (want one of %s)", quote.Max(opts.Ensemble, 60), strings.Join(EnsembleNames(), ", "))
	case opts.Prune < 0:
		return nil, fmt.Errorf("search: prune %d, want >= 0 (0: one-shot selection)", opts.Prune)
	case opts.Draws < 0:
		return nil, fmt.Errorf("search: draws %d, want >= 1 (0 means 1)", opts.Draws)
	case opts.Workers < 0:
		return nil, fmt.Errorf("search: workers %d, want >= 1 (0: one per core)", opts.Workers)
	case math.IsNaN(opts.AlphaStd) || math.IsInf(opts.AlphaStd, 0) || opts.AlphaStd < 0:
		return nil, fmt.Errorf("search: alpha std %g, want a finite value > 0 (or 0 for the space's %g)", opts.AlphaStd, space.AlphaStd())
	case NeedData(crits...) && opts.Data == nil:
		return nil, fmt.Errorf("search: proxy %s needs labelled images: set Options.Data (e.g. freedarts.Sample(dataset, 64))", criteriaName(crits))
	}
	ranker, err := newRankStage(space, opts)
	if err != nil {
		return nil, err
	}
	if ranker != nil && NeedData(ranker.crits()...) && opts.Data == nil {
		return nil, fmt.Errorf("search: rank proxy %s needs labelled images: set Options.Data (e.g. freedarts.Sample(dataset, 64))", criteriaName(ranker.crits()))
	}
	if opts.Backend != nil && opts.Backend.Backend == nil {
		return nil, errors.New("search: Options.Backend holds no compute backend, want one from backend.Open or backend.Shared (or nil for the default)")
	}
	opts.Draws = max(opts.Draws, 1)
	alphaStd := opts.AlphaStd
	if alphaStd == 0 {
		alphaStd = space.AlphaStd()
	}
	if opts.Backend == nil {
		if opts.Backend, err = backend.Shared(""); err != nil {
			return nil, err
		}
	}
	if ranker != nil {
		if err := ranker.newScorers(opts.Backend, cmp.Or(opts.Workers, AutoWorkers()), space.InputSize()); err != nil {
			return nil, err
		}
	}
	s := &Search{space: space, opts: opts, crits: crits, alphaStd: alphaStd, passes: alphaPasses(crits), ranker: ranker}
	for _, pass := range s.passes {
		members := make([]Criterion, len(pass))
		for i, c := range pass {
			members[i] = crits[c]
		}
		sc, err := newScorer(opts.Backend.Backend, space, members, space.InputSize(), alphaStd)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s/%s: %w", space.Name(), criteriaName(members), err)
		}
		s.scorers = append(s.scorers, sc)
	}
	// Refuse a supernet that cannot fit before anything of its size is
	// allocated (see memcheck.go); the traces above are symbolic.
	if avail := memAvailable(); avail > 0 {
		need, err := s.searchMemory(avail)
		if err == nil {
			err = checkMemory(space.Name(), need, avail)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Run is New, one Run and Close: one seed, one result.
func Run(space Space, opts Options, seed uint64) (*Result, error) {
	s, err := New(space, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Run(seed)
}

// criteria resolves Proxy and Criteria.
func (o Options) criteria() ([]Criterion, error) {
	switch {
	case len(o.Criteria) > 0 && o.Proxy != "":
		return nil, fmt.Errorf("search: both Proxy %s and Criteria are set, want one", quote.Max(o.Proxy, 60))
	case len(o.Criteria) > 0:
		for i, c := range o.Criteria {
			// A Criterion{} would fail later with a message about an
			// unnamed proxy; say which entry it is.
			if c.Name == "" {
				return nil, fmt.Errorf("search: Criteria[%d] has no Name, want a criterion from LookupCriterion (or a copy of one)", i)
			}
			// A variant built in code is checked as Register checks a
			// registration, so that a contradictory copy fails here.
			if err := c.validate(); err != nil {
				return nil, fmt.Errorf("search: Criteria[%d]: %w", i, err)
			}
		}
		return o.Criteria, nil
	case o.Proxy == "":
		return LookupCriteria("synflow")
	}
	return LookupCriteria(o.Proxy)
}

// NeedsData says whether the criteria that o names, of alpha or of the
// rank stage, need a labelled batch (Options.Data). A name that is not
// registered counts as none: New reports it.
func (o Options) NeedsData() bool {
	crits, _ := o.criteria()
	if NeedData(crits...) {
		return true
	}
	steps, _ := parseRankSteps(o.Rank)
	for _, s := range steps {
		if NeedData(s.crits...) {
			return true
		}
	}
	return false
}

func criteriaName(crits []Criterion) string {
	names := make([]string, len(crits))
	for i, c := range crits {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}

// ready says why s cannot run op: nil, not made by New, or closed. The
// accessors below that return no error give the zero value instead.
func (s *Search) ready(op string) error {
	switch {
	case s == nil:
		return fmt.Errorf("search: %s on a nil *Search, want one from freedarts.New", op)
	case s.closed:
		return fmt.Errorf("search: %s after Close", op)
	case len(s.scorers) == 0:
		return fmt.Errorf("search: %s on a Search not made by freedarts.New", op)
	}
	return nil
}

// Space is the space searched (nil for a nil Search).
func (s *Search) Space() Space {
	if s == nil {
		return nil
	}
	return s.space
}

// Backend is the backend the scores are computed on (nil for a nil
// Search).
func (s *Search) Backend() *backend.Backend {
	if s == nil {
		return nil
	}
	return s.opts.Backend
}

// AlphaStd is the scale alpha is drawn at (0 for a nil Search).
func (s *Search) AlphaStd() float64 {
	if s == nil {
		return 0
	}
	return s.alphaStd
}

// Criteria are the criteria, in the order of Options (none for a nil
// Search).
func (s *Search) Criteria() []Criterion {
	if s == nil {
		return nil
	}
	return s.crits
}

// Params are the parameters of the first criterion's supernet, in graph
// order (SynFlow's has no batch norm; the data criteria's has). They are
// the compiled graph's, so a closed Search has none: an error.
func (s *Search) Params() ([]nn.ParamSpec, error) {
	if err := s.ready("Params"); err != nil {
		return nil, err
	}
	return s.scorers[0].graph.specs, nil
}

// Name describes the criteria and plan, e.g. "synflow",
// "rank(synflow,snip)", "rank(synflowx5)" or "synflow+prune1" ("" for a
// Search without criteria: nil, or not made by New).
func (s *Search) Name() string {
	if s == nil || len(s.crits) == 0 {
		return ""
	}
	names := make([]string, len(s.crits))
	for i, c := range s.crits {
		names[i] = c.Name
		if s.opts.Draws > 1 {
			names[i] += fmt.Sprintf("x%d", s.opts.Draws)
		}
	}
	name := names[0]
	if len(names) > 1 || s.opts.Draws > 1 {
		name = s.opts.Ensemble + "(" + strings.Join(names, ",") + ")"
	}
	if s.opts.Prune > 0 {
		name += fmt.Sprintf("+prune%d", s.opts.Prune)
	}
	if s.ranker != nil {
		name += ">" + s.ranker.name()
	}
	return name
}

// NeedsData says whether any criterion, of alpha or of the rank stage,
// needs a labelled batch.
func (s *Search) NeedsData() bool {
	return s != nil && (NeedData(s.crits...) || s.ranker != nil && NeedData(s.ranker.crits()...))
}

// CompileSeconds is the one-off compilation of every criterion's graph
// (0 before the first Run).
func (s *Search) CompileSeconds() float64 {
	if s == nil {
		return 0
	}
	total := 0.0
	for _, sc := range s.scorers {
		total += sc.compileSeconds
	}
	return total
}

// Close releases the compiled graphs and their argument tensors. Closing
// twice, or a nil Search, does nothing.
func (s *Search) Close() {
	if s == nil {
		return
	}
	for _, sc := range s.scorers {
		sc.Close()
	}
	if s.ranker != nil {
		s.ranker.close()
	}
	s.scorers, s.closed = nil, true
}

// Trace builds, without compiling, the scoring graph of the first pass
// (the first criterion's, with the criteria that share it) for a batch of
// batchSize images (data-free criteria: one image, or their
// InputGaussian's Images) and hands its pass and outputs to visit: what the
// benchmark counts FLOPs on is what Run executes.
func (s *Search) Trace(batchSize int, visit func(p *Pass, outputs []*Node)) error {
	if err := s.ready("Trace"); err != nil {
		return err
	}
	if visit == nil {
		return errors.New("search: Trace with a nil visit function, want one that reads the pass and its outputs")
	}
	if batchSize < 1 {
		// Checked before a data-free criterion replaces it, so that a bad
		// size is an error whatever the criterion.
		return fmt.Errorf("search: Trace with a batch of %d images, want >= 1", batchSize)
	}
	sc := s.scorers[0]
	if !sc.crits[0].NeedsData() {
		batchSize = max(1, sc.crits[0].Images)
	}
	return sc.graph.trace(s.opts.Backend.Backend, batchSize, visit)
}

// Run scores the supernet initialised from seed and selects an
// architecture. The batch of data criteria comes from Options.Data.
// Seconds in the result add up every scoring pass.
func (s *Search) Run(seed uint64) (*Result, error) {
	if err := s.ready("Run"); err != nil {
		return nil, err
	}
	var batch *Batch
	if s.NeedsData() {
		var err error
		if batch, err = s.opts.Data(seed); err != nil {
			return nil, fmt.Errorf("search: batch of seed %d: %w", seed, err)
		}
	}
	var mask Mask
	seconds := 0.0
	for {
		combined, secs, err := s.score(seed, batch, mask)
		if err != nil {
			return nil, err
		}
		seconds += secs
		if mask == nil {
			mask = fullMask(combined)
		}
		if s.opts.Prune == 0 || !pruneRows(combined, mask, s.opts.Prune) {
			return s.finish(seed, batch, combined, seconds)
		}
	}
}

// score runs every criterion (every draw of it) on the masked supernet and
// combines their matrices; pruned entries score Pruned.
func (s *Search) score(seed uint64, batch *Batch, mask Mask) ([]ScoreMatrix, float64, error) {
	// per holds criterion c's draw d at c*Draws+d: the order of Options,
	// whichever pass a criterion shares.
	per := make([][]ScoreMatrix, len(s.crits)*s.opts.Draws)
	seconds := 0.0
	for p, sc := range s.scorers {
		for d := range s.opts.Draws {
			scores, err := sc.score(DrawSeed(seed, d), batch, mask)
			if err != nil {
				return nil, 0, err
			}
			seconds += scores[0].Seconds // the members' shared passes
			for i, ps := range scores {
				for _, mat := range ps.Matrices {
					markPruned(mat.Values, mask[mat.Name])
				}
				per[s.passes[p][i]*s.opts.Draws+d] = ps.Matrices
			}
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
		v, err := CombineMatrices(s.opts.Ensemble, mats)
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

// finish selects the architecture from the alpha stage's scores, or, with
// a rank stage, ranks their shortlist, and builds the result.
func (s *Search) finish(seed uint64, batch *Batch, mats []ScoreMatrix, seconds float64) (*Result, error) {
	var pick Arch
	var cands []Candidate
	var short map[string][][]bool
	rankSecs := 0.0
	if s.ranker != nil {
		var err error
		if cands, short, rankSecs, err = s.rank(seed, batch, mats); err != nil {
			return nil, err
		}
		pick = cands[0].Arch
	}
	res, err := s.result(seed, mats, seconds+rankSecs, pick)
	if err != nil {
		return nil, err
	}
	res.DType, res.BN, res.Input = s.describe(batch)
	if s.ranker != nil {
		res.RankProxies, res.Candidates, res.RankSeconds = s.ranker.names(), cands, rankSecs
		for i := range res.Scores {
			res.Scores[i].Shortlist = short[res.Scores[i].Name]
		}
	}
	return res, nil
}

// describe is the pass of every criterion, for Result's DType, BN and
// Input: batch is the labelled batch of the data criteria.
func (s *Search) describe(batch *Batch) (dtype, bn, input string) {
	var dts, bns, ins []string
	for _, c := range s.crits {
		dts = append(dts, strings.ToLower(c.DType.String()))
		bns = append(bns, c.BN.String())
		in := "all-ones image"
		switch {
		case c.NeedsData() && batch != nil:
			in = fmt.Sprintf("%d labelled images", batch.N)
		case c.Input == InputGaussian:
			in = fmt.Sprintf("%d Gaussian images", max(1, c.Images))
		}
		ins = append(ins, in)
	}
	return strings.Join(dts, ", "), strings.Join(bns, ", "), strings.Join(ins, ", ")
}

// result selects the architecture with the space's rule (pick, when not
// nil, is the architecture already chosen) and labels the matrices with
// the space's labels and the entries the architecture keeps.
func (s *Search) result(seed uint64, mats []ScoreMatrix, seconds float64, pick Arch) (*Result, error) {
	arch := pick
	if arch == nil {
		byName := make(map[string][][]float64, len(mats))
		for _, m := range mats {
			byName[m.Name] = m.Values
		}
		var err error
		if arch, err = s.space.Select(byName); err != nil {
			return nil, err
		}
	}
	if arch == nil {
		return nil, fmt.Errorf("space %s selected no architecture", s.space.Name())
	}
	kept := arch.Kept()
	for i := range mats {
		m := &mats[i]
		m.Rows, m.Cols = s.space.Labels(m.Name)
		m.Kept = kept[m.Name]
		if err := checkLabels(s.space.Name(), m); err != nil {
			return nil, err
		}
	}
	b := s.opts.Backend
	return &Result{
		Space: s.space.Name(), Proxy: s.Name(), Backend: b.Config, Compute: b.Compute(), AlphaStd: s.alphaStd,
		Seed: seed, Arch: arch, Scores: mats, Seconds: seconds, CompileSeconds: s.CompileSeconds(),
	}, nil
}

// checkLabels rejects labels or a Kept mask that do not fit the matrix
// (a space of one's own whose Labels or Kept disagree with its alpha).
func checkLabels(space string, m *ScoreMatrix) error {
	cols := 0
	if len(m.Values) > 0 {
		cols = len(m.Values[0])
	}
	if len(m.Rows) != len(m.Values) || len(m.Cols) != cols {
		return fmt.Errorf("space %s labels alpha %q %dx%d, its scores are %dx%d",
			space, m.Name, len(m.Rows), len(m.Cols), len(m.Values), cols)
	}
	if m.Kept == nil {
		return nil
	}
	if len(m.Kept) != len(m.Values) {
		return fmt.Errorf("space %s: the architecture keeps %d rows of alpha %q, it has %d", space, len(m.Kept), m.Name, len(m.Values))
	}
	for r, row := range m.Kept {
		if len(row) != len(m.Values[r]) {
			return fmt.Errorf("space %s: the architecture's row %d of alpha %q has %d ops, the scores %d", space, r, m.Name, len(row), len(m.Values[r]))
		}
	}
	return nil
}
