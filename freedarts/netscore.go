package freedarts

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// NetScorer scores concrete networks (no alpha) with whole-network
// (zero-cost) proxies. Criteria that run the same pass (dtype, BN mode,
// |theta| or not, data or all-ones input) share one graph: one forward pass,
// and one backward pass for all the loss-gradient criteria, which is most of
// the cost on a CPU.
type NetScorer struct {
	backend   compute.Backend
	crits     []Criterion
	inputSize int
	groups    []passGroup
}

type passKey struct {
	dtype     dtypes.DType
	bn        nn.BNMode
	abs, data bool
}

// passGroup is the criteria (indices into NetScorer.crits) of one graph.
type passGroup struct {
	key     passKey
	observe nn.ActKind
	crits   []int
	static  bool
}

// NetScore is the outcome for one network.
type NetScore struct {
	// Scores has one value per criterion, in the scorer's order.
	Scores []float64
	// Seconds is, per criterion, the wall time of the pass it ran in
	// (tracing, compiling and running; shared by the criteria of a pass).
	Seconds []float64
}

// NewNetScorer prepares scoring with crits on inputs of inputSize².
func NewNetScorer(b compute.Backend, crits []Criterion, inputSize int) (*NetScorer, error) {
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
		key := passKey{c.DType, c.BN, c.AbsParams, c.NeedsData}
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

// Criteria are the scorer's criteria, in the order of NetScore.Scores.
func (s *NetScorer) Criteria() []Criterion { return s.crits }

// NeedsData says whether any criterion needs a labelled batch.
func (s *NetScorer) NeedsData() bool { return NeedData(s.crits...) }

// Score initialises net from seed and computes every criterion. batch is
// required when a criterion needs data.
func (s *NetScorer) Score(net Supernet, seed uint64, batch *Batch) (*NetScore, error) {
	res := &NetScore{Scores: make([]float64, len(s.crits)), Seconds: make([]float64, len(s.crits))}
	for _, g := range s.groups {
		start := time.Now()
		vals, err := s.scoreGroup(net, g, seed, batch)
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

func (s *NetScorer) scoreGroup(net Supernet, g passGroup, seed uint64, batch *Batch) ([]float64, error) {
	first := s.crits[g.crits[0]]
	// Concrete networks are the trained ones: affine BN, as the benchmark.
	opts := nn.Options{DType: g.key.dtype, BN: g.key.bn, Affine: true}
	out := make([]float64, len(g.crits))
	if g.static {
		obs := &nn.Observer{Kinds: g.observe}
		specs, err := traceParams(s.backend, net, opts, s.inputSize, obs)
		if err != nil {
			return nil, err
		}
		for k, i := range g.crits {
			out[k] = s.crits[i].Static(specs, obs.Acts)
		}
		return out, nil
	}
	sg, err := newScoringGraph(s.backend, net, opts, s.inputSize, nn.Weight, g.observe, g.key.data, func(p *Pass) []*Node {
		outs := make([]*Node, len(g.crits))
		for k, i := range g.crits {
			outs[k] = s.crits[i].Network(p)
		}
		return outs
	})
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
	args, err := in.fill(sg.specs, first, nn.InitOptions{Seed: seed}, s.inputSize, batch, nil)
	if err != nil {
		return nil, err
	}
	outs, err := exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", first.Name, err)
	}
	for k, i := range g.crits {
		if out[k], err = s.crits[i].score(outs[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
