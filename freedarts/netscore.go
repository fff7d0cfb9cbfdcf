package freedarts

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// NetScorer scores whole networks (no alpha) with whole-network
// (zero-cost) proxies. Criteria that run the same pass (dtype, BN mode,
// |theta| or not, data or all-ones input) share one graph: one forward pass,
// and one backward pass for all the loss-gradient criteria, which is most of
// the cost on a CPU.
//
// A network is given one of two ways. Score takes a concrete network and
// builds and compiles its graphs for it: cheap on the go backend, seconds
// per network under XLA. A scorer made by NewSupernetScorer also scores the
// cells of one supernet (ScoreArch): each cell is the supernet with a
// one-hot alpha, fed as an input like the weights, so that the graphs are
// compiled once (per batch shape) and every cell is one execution of them.
// The two give the same scores (see ScoreArch) for a space whose concrete
// network is its supernet without the ops a cell drops, as NAS-Bench-201's
// is.
type NetScorer struct {
	backend   compute.Backend
	crits     []Criterion
	inputSize int
	groups    []passGroup
	// super is the supernet of ScoreArch (nil: Score only), cells its
	// passes, one per group, prepared by NewSupernetScorer and used one at
	// a time (mu).
	super Supernet
	mu    sync.Mutex
	cells []*cellPass
	// builds counts the graphs built for execution, each then compiled.
	builds atomic.Int64
}

// passKey is what decides a criterion's pass: criteria with equal keys
// run on one graph of one initialisation and input (NetScorer's groups,
// a search's shared ablation passes).
type passKey struct {
	dtype   dtypes.DType
	bn      nn.BNMode
	weights WeightInit
	input   InputKind
	images  int
}

func (c Criterion) passKey() passKey {
	return passKey{c.DType, c.BN, c.Weights, c.Input, c.Images}
}

// passGroup is the criteria (indices into NetScorer.crits) of one graph.
type passGroup struct {
	key     passKey
	observe nn.ActKind
	crits   []int
	static  bool
}

// cellPass is one pass group of a supernet scorer, prepared once for all
// its cells: the compiled graph and its argument tensors, refilled in place
// for every cell; for a static group, the supernet's traced parameters and
// activations, which a cell's count filters.
type cellPass struct {
	graph *scoringGraph
	exec  *Exec
	args  argTensors
	specs []nn.ParamSpec
	acts  []nn.Activation
}

// NetScore is the outcome for one network.
type NetScore struct {
	// Scores has one value per criterion, in the scorer's order.
	Scores []float64
	// Seconds is, per criterion, the wall time of the pass it ran in
	// (shared by the criteria of a pass): tracing, compiling and running
	// for Score; running (and compiling, for the first cell of a batch
	// shape) for ScoreArch.
	Seconds []float64
}

// NewNetScorer prepares scoring with crits on inputs of inputSize².
func NewNetScorer(b compute.Backend, crits []Criterion, inputSize int) (*NetScorer, error) {
	if spaces.IsNil(b) {
		// Refused here, not at the first Score deep inside GoMLX.
		return nil, errors.New("network scorer: backend is nil, want a compute.Backend (backend.Shared(\"\") has one)")
	}
	if len(crits) == 0 {
		return nil, fmt.Errorf("no proxies to score networks with")
	}
	if inputSize < 1 {
		return nil, fmt.Errorf("input size %d, want >= 1", inputSize)
	}
	s := &NetScorer{backend: b, crits: crits, inputSize: inputSize}
	for i, c := range crits {
		if c.Network == nil && c.Static == nil {
			return nil, fmt.Errorf("proxy %s has no whole-network definition", c.Name)
		}
		key := c.passKey()
		static := c.Static != nil
		g := -1
		for j := range s.groups {
			if s.groups[j].key == key && s.groups[j].static == static {
				g = j
			}
		}
		if g < 0 {
			s.groups = append(s.groups, passGroup{key: key, static: static})
			g = len(s.groups) - 1
		}
		s.groups[g].crits = append(s.groups[g].crits, i)
		s.groups[g].observe |= c.NetworkObserve
		if static {
			s.groups[g].observe |= nn.LayerOutput
		}
	}
	return s, nil
}

// NewSupernetScorer is NewNetScorer that also scores the cells of super
// (ScoreArch), with one graph per pass for all of them: super is traced
// and its graphs prepared here, and compiled at the first ScoreArch of
// each batch shape. Close releases them.
func NewSupernetScorer(b compute.Backend, crits []Criterion, super Supernet, inputSize int) (*NetScorer, error) {
	if spaces.IsNil(super) {
		return nil, errors.New("supernet scorer: supernet is nil, want a built supernet (e.g. nb201.NewSpace(cfg))")
	}
	s, err := NewNetScorer(b, crits, inputSize)
	if err != nil {
		return nil, err
	}
	s.super = super
	for _, g := range s.groups {
		c, err := s.prepareCells(g)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.cells = append(s.cells, c)
	}
	return s, nil
}

// prepareCells traces the supernet for group g and, unless g is static,
// prepares its graph with the alphas as a one-hot input.
func (s *NetScorer) prepareCells(g passGroup) (*cellPass, error) {
	opts := netOptions(g)
	if g.static {
		obs := &nn.Observer{Kinds: g.observe}
		specs, err := traceParams(s.backend, s.super, opts, s.inputSize, obs)
		if err != nil {
			return nil, err
		}
		if len(nn.FindParams(specs, nn.Alpha)) == 0 {
			return nil, errors.New("the supernet declares no architecture parameters")
		}
		return &cellPass{specs: specs, acts: obs.Acts}, nil
	}
	sg, err := newScoringGraph(s.backend, s.super, opts, s.inputSize, nn.Weight, g.observe, g.key.input == InputData, s.outputs(g))
	if err != nil {
		return nil, err
	}
	if len(nn.FindParams(sg.specs, nn.Alpha)) == 0 {
		return nil, errors.New("the supernet declares no architecture parameters")
	}
	sg.oneHot = true
	exec, err := sg.compile(s.backend)
	if err != nil {
		return nil, err
	}
	return &cellPass{graph: sg, exec: exec, args: argTensors{backend: s.backend}, specs: sg.specs}, nil
}

// ready says why s cannot score: nil, or not made by NewNetScorer.
func (s *NetScorer) ready(op string) error {
	switch {
	case s == nil:
		return fmt.Errorf("network scorer: %s on a nil *NetScorer, want one from NewNetScorer or NewSupernetScorer", op)
	case s.backend == nil:
		return fmt.Errorf("network scorer: %s on a NetScorer not made by NewNetScorer or NewSupernetScorer", op)
	}
	return nil
}

// Close releases the graphs and tensors of ScoreArch; Score needs none.
// Closing twice, or a nil scorer, does nothing.
func (s *NetScorer) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cells {
		if c.exec != nil {
			c.exec.Finalize()
		}
		c.args.release()
	}
	s.cells = nil
}

// Criteria are the scorer's criteria, in the order of NetScore.Scores
// (none for a nil scorer).
func (s *NetScorer) Criteria() []Criterion {
	if s == nil {
		return nil
	}
	return s.crits
}

// NeedsData says whether any criterion needs a labelled batch.
func (s *NetScorer) NeedsData() bool { return s != nil && NeedData(s.crits...) }

// netOptions are the build options of group g's pass. Concrete networks
// are the trained ones: affine BN, as the benchmark.
func netOptions(g passGroup) nn.Options {
	return nn.Options{DType: g.key.dtype, BN: g.key.bn, Affine: true}
}

// Score initialises net from seed and computes every criterion. batch is
// required when a criterion needs data.
func (s *NetScorer) Score(net Supernet, seed uint64, batch *Batch) (*NetScore, error) {
	if err := s.ready("Score"); err != nil {
		return nil, err
	}
	if spaces.IsNil(net) {
		return nil, errors.New("network scorer: network is nil, want a built network (e.g. nb201.NewNetwork(cfg, arch))")
	}
	return s.scoreGroups(seed, func(i int) ([]float64, error) { return s.scoreGroup(net, s.groups[i], seed, batch) })
}

// ScoreArch scores the cell arch of the scorer's supernet (NewSupernetScorer)
// as Score scores the concrete network of arch: the weights drawn from seed
// by parameter name (the cell's ops have the names of the concrete
// network's, so they get the same values), alpha the one-hot of the
// entries arch.Kept marks (1 kept, 0 dropped). A dropped op is still
// computed, but its output is multiplied by 0 and its weights get zero
// gradients; the criteria that read activations leave its activations out
// (Pass.Weigh), and parameter and FLOP counts its parameters and layers.
// The scores are then the concrete network's, up to the rounding of sums
// whose terms the backend may order otherwise (see the tests). Each call
// is one execution of the graphs compiled for the first cell of its batch
// shape.
func (s *NetScorer) ScoreArch(arch Arch, seed uint64, batch *Batch) (*NetScore, error) {
	if err := s.ready("ScoreArch"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.super == nil {
		return nil, errors.New("scorer of concrete networks: score cells with one of NewSupernetScorer")
	}
	if s.cells == nil {
		return nil, errors.New("ScoreArch after Close")
	}
	kept, err := oneHotMask(s.cells[0].specs, arch)
	if err != nil {
		return nil, err
	}
	return s.scoreGroups(seed, func(i int) ([]float64, error) { return s.scoreCell(s.groups[i], s.cells[i], kept, seed, batch) })
}

// scoreGroups runs every pass group (scoreGroup of its index) and gathers
// the scores and times of the criteria, refusing a non-finite score.
func (s *NetScorer) scoreGroups(seed uint64, scoreGroup func(i int) ([]float64, error)) (*NetScore, error) {
	defer collectNetGarbage() // after the passes, whose buffers are back in the pools
	res := &NetScore{Scores: make([]float64, len(s.crits)), Seconds: make([]float64, len(s.crits))}
	for gi, g := range s.groups {
		start := time.Now()
		vals, err := scoreGroup(gi)
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		for k, i := range g.crits {
			if math.IsNaN(vals[k]) || math.IsInf(vals[k], 0) {
				return nil, fmt.Errorf("%s seed %d: network score is %v", s.crits[i].Name, seed, vals[k])
			}
			res.Scores[i], res.Seconds[i] = vals[k], secs
		}
	}
	return res, nil
}

// outputs is the graph part of group g's criteria; it counts the graphs
// built (NewExec builds one per compilation).
func (s *NetScorer) outputs(g passGroup) func(p *Pass) []*Node {
	return func(p *Pass) []*Node {
		s.builds.Add(1)
		outs := make([]*Node, len(g.crits))
		for k, i := range g.crits {
			outs[k] = s.crits[i].Network(p)
		}
		return outs
	}
}

// static computes the criteria of the static group g from the network's
// parameters and activations.
func (s *NetScorer) static(g passGroup, specs []nn.ParamSpec, acts []nn.Activation) []float64 {
	out := make([]float64, len(g.crits))
	for k, i := range g.crits {
		out[k] = s.crits[i].Static(specs, acts)
	}
	return out
}

func (s *NetScorer) scoreGroup(net Supernet, g passGroup, seed uint64, batch *Batch) ([]float64, error) {
	opts := netOptions(g)
	if g.static {
		obs := &nn.Observer{Kinds: g.observe}
		specs, err := traceParams(s.backend, net, opts, s.inputSize, obs)
		if err != nil {
			return nil, err
		}
		return s.static(g, specs, obs.Acts), nil
	}
	sg, err := newScoringGraph(s.backend, net, opts, s.inputSize, nn.Weight, g.observe, g.key.input == InputData, s.outputs(g))
	if err != nil {
		return nil, err
	}
	exec, err := sg.compile(s.backend)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	// Tensors on the backend: with shared buffers (the Go backend) the
	// graph reads the draws where they are written, without a host copy.
	in := argTensors{backend: s.backend}
	defer in.release()
	args, err := in.fill(sg.specs, s.crits[g.crits[0]], nn.InitOptions{Seed: seed}, s.inputSize, batch, nil)
	if err != nil {
		return nil, err
	}
	return s.execute(g, exec, args)
}

// scoreCell scores group g on the cell whose alpha entries kept marks
// (oneHotMask), with the group's prepared pass c.
func (s *NetScorer) scoreCell(g passGroup, c *cellPass, kept map[string][]bool, seed uint64, batch *Batch) ([]float64, error) {
	if g.static {
		specs, acts, err := cellParts(c.specs, c.acts, kept)
		if err != nil {
			return nil, err
		}
		return s.static(g, specs, acts), nil
	}
	first := s.crits[g.crits[0]]
	args, err := c.args.fill(c.specs, first, nn.InitOptions{Seed: seed}, s.inputSize, batch, nil)
	if err != nil {
		return nil, err
	}
	if err := c.args.setOneHot(c.specs, first.DType, kept); err != nil {
		return nil, err
	}
	return s.execute(g, c.exec, args)
}

// execute runs group g's graph on args and turns its outputs into the
// criteria's scores.
func (s *NetScorer) execute(g passGroup, exec *Exec, args []any) ([]float64, error) {
	outs, err := exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.crits[g.crits[0]].Name, err)
	}
	out := make([]float64, len(g.crits))
	for k, i := range g.crits {
		if out[k], err = s.crits[i].score(outs[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// oneHotMask is the one-hot alpha of arch among the supernet's parameters
// specs: per alpha, one flag per entry (row-major), from arch.Kept. arch
// must mark every alpha of the supernet, in its shape, and no other.
func oneHotMask(specs []nn.ParamSpec, arch Arch) (map[string][]bool, error) {
	if spaces.IsNil(arch) {
		return nil, errors.New("supernet scorer: no architecture to score (nil), want one of the supernet's space (e.g. an nb201.Arch)")
	}
	kept := arch.Kept()
	mask := map[string][]bool{}
	for _, i := range nn.FindParams(specs, nn.Alpha) {
		spec := specs[i]
		if len(spec.Shape) != 2 {
			return nil, fmt.Errorf("alpha %s has shape %v, want [rows, ops]", spec.Name, spec.Shape)
		}
		rows, ok := kept[spec.Name]
		if !ok {
			return nil, fmt.Errorf("arch %s marks no entries of alpha %s", arch, spec.Name)
		}
		if len(rows) != spec.Shape[0] {
			return nil, fmt.Errorf("arch %s marks %d rows of alpha %s, want %d", arch, len(rows), spec.Name, spec.Shape[0])
		}
		flat := make([]bool, 0, spec.Size())
		for r, row := range rows {
			if len(row) != spec.Shape[1] {
				return nil, fmt.Errorf("arch %s marks %d ops in row %d of alpha %s, want %d", arch, len(row), r, spec.Name, spec.Shape[1])
			}
			flat = append(flat, row...)
		}
		mask[spec.Name] = flat
	}
	for _, name := range slices.Sorted(maps.Keys(kept)) {
		if _, ok := mask[name]; !ok {
			return nil, fmt.Errorf("arch %s marks entries of alpha %s, which the supernet does not declare", arch, name)
		}
	}
	return mask, nil
}

// cellParts are the parameters and activations of a supernet's trace that
// the cell of mask (oneHotMask) has: those outside every mixed-edge op,
// and those of the ops it keeps; alpha itself is not a parameter of the
// cell's network.
func cellParts(specs []nn.ParamSpec, acts []nn.Activation, mask map[string][]bool) ([]nn.ParamSpec, []nn.Activation, error) {
	in := func(g nn.OpGate) (bool, error) {
		if !g.Gated() {
			return true, nil
		}
		keep, ok := mask[g.Alpha]
		if !ok || g.Index >= len(keep) {
			return false, fmt.Errorf("an op is gated by entry %d of alpha %q, which the supernet does not declare", g.Index, g.Alpha)
		}
		return keep[g.Index], nil
	}
	var cellSpecs []nn.ParamSpec
	for _, p := range specs {
		ok, err := in(p.GatedBy)
		if err != nil {
			return nil, nil, err
		}
		if ok && p.Kind != nn.Alpha {
			cellSpecs = append(cellSpecs, p)
		}
	}
	var cellActs []nn.Activation
	for _, a := range acts {
		ok, err := in(a.GatedBy)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			cellActs = append(cellActs, a)
		}
	}
	return cellSpecs, cellActs, nil
}
