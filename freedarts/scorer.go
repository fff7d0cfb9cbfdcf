package freedarts

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// passScores is the outcome of one scoring pass of one criterion: the score
// matrices (Name and Values) in the supernet's alpha order.
type passScores struct {
	Proxy    string
	Seed     uint64
	Matrices []ScoreMatrix
	// Seconds is the wall time of the pass (graph execution and transfers;
	// compilation is in scorer.compileSeconds).
	Seconds float64
}

// scorer scores the alphas of one supernet on one backend with the
// criteria of one pass: one with a Saliency, or several Ablate criteria
// with the same passKey, whose graph outputs every one's score R so that one
// set of ablation passes serves them all (alphaPasses). The graph is
// compiled on the first call and reused for every seed, and so are the
// tensors of its arguments (see argTensors), so that a search of many seeds
// needs about the memory of one. Passes of one scorer run one at a time.
type scorer struct {
	mu   sync.Mutex
	args argTensors
	// crits share one passKey: crits[0] stands for all in what the key
	// decides (dtype, initialisation, input).
	crits     []Criterion
	inputSize int
	alphaStd  float64
	graph     *scoringGraph
	exec      *Exec
	// compileSeconds is the time the first pass spent building and
	// compiling the graph (not counted in its Seconds).
	compileSeconds float64
	compiled       bool
}

// alphaPasses groups crits into the passes of a search on alpha: each
// Saliency criterion alone (its outputs are the score matrices), the Ablate
// criteria by passKey. It returns indices into crits, in the order of their
// first members.
func alphaPasses(crits []Criterion) [][]int {
	var groups [][]int
	for i, c := range crits {
		g := -1
		for j, group := range groups {
			if first := crits[group[0]]; c.Saliency == nil && first.Saliency == nil && c.passKey() == first.passKey() {
				g = j
			}
		}
		if g < 0 {
			groups = append(groups, nil)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// newScorer traces net and prepares its scoring graph for crits (one
// Saliency criterion, or Ablate criteria of one passKey: see alphaPasses) on
// inputs of inputSize², alpha drawn at alphaStd.
func newScorer(b compute.Backend, net Supernet, crits []Criterion, inputSize int, alphaStd float64) (*scorer, error) {
	if len(crits) == 0 {
		return nil, errors.New("no proxies to score alpha with")
	}
	crit := crits[0]
	for _, c := range crits {
		if err := c.checkAlpha(); err != nil {
			return nil, err
		}
		if len(crits) > 1 && (c.Saliency != nil || c.passKey() != crit.passKey()) {
			return nil, fmt.Errorf("proxies %s cannot share a pass: want Ablate criteria of one dtype, batch norm, initialisation and input", criteriaName(crits))
		}
	}
	outputs, observe := crit.Saliency, crit.SaliencyObserve
	if outputs == nil { // Ablate: every criterion's score R of the supernet
		observe = 0
		for _, c := range crits {
			observe |= c.NetworkObserve
		}
		outputs = func(p *Pass) []*Node {
			nodes := make([]*Node, len(crits))
			for i, c := range crits {
				nodes[i] = c.Network(p)
			}
			return nodes
		}
	}
	g, err := newScoringGraph(b, net, nn.Options{DType: crit.DType, BN: crit.BN}, inputSize, nn.Alpha, observe, crit.NeedsData(), outputs)
	if err != nil {
		return nil, err
	}
	if len(g.targets) == 0 {
		return nil, errors.New("the supernet declares no architecture parameters")
	}
	exec, err := g.compile(b)
	if err != nil {
		return nil, err
	}
	return &scorer{crits: crits, inputSize: inputSize, alphaStd: alphaStd, graph: g, exec: exec, args: argTensors{backend: b}}, nil
}

// Close releases the compiled graph and the tensors of its arguments.
func (s *scorer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exec.Finalize()
	s.args.release()
}

// score initialises the supernet from seed and scores every alpha entry
// that mask keeps (nil: all), with each criterion (one result each, in the
// order of s.crits); the entries it drops are exactly 0, which removes their
// ops from the supernet (iterative pruning). batch is required by data
// criteria and ignored otherwise.
func (s *scorer) score(seed uint64, batch *Batch, mask Mask) ([]*passScores, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer collectGarbage() // after the outputs are released (deferred below)
	args, err := s.inputs(seed, batch, mask)
	if err != nil {
		return nil, err
	}
	if !s.compiled {
		argShapes := make([]shapes.Shape, len(args))
		for i, a := range args {
			argShapes[i] = a.(*tensors.Tensor).Shape()
		}
		start := time.Now()
		if _, err := s.exec.Compile(argShapes...); err != nil {
			return nil, fmt.Errorf("%s: compiling: %w", criteriaName(s.crits), err)
		}
		s.compileSeconds, s.compiled = time.Since(start).Seconds(), true
	}
	start := time.Now()
	if s.crits[0].Saliency == nil {
		return s.ablate(seed, args, mask, start)
	}
	outs, err := s.exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.crits[0].Name, err)
	}
	res := &passScores{Proxy: s.crits[0].Name, Seed: seed}
	for i, j := range s.graph.targets {
		spec := s.graph.specs[j]
		flat, err := nn.FromTensor(outs[i])
		if err != nil {
			return nil, err
		}
		rows, cols := spec.Shape[0], spec.Shape[1]
		m := ScoreMatrix{Name: spec.Name, Values: make([][]float64, rows)}
		for r := range rows {
			m.Values[r] = flat[r*cols : (r+1)*cols]
		}
		res.Matrices = append(res.Matrices, m)
	}
	res.Seconds = time.Since(start).Seconds()
	return []*passScores{res}, res.validate()
}

// validate rejects scores that cannot rank anything: NaN or Inf anywhere,
// or a matrix that is zero everywhere.
func (s *passScores) validate() error {
	for _, m := range s.Matrices {
		nonzero := false
		for r, row := range m.Values {
			for c, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%s seed %d: score %s[%d][%d] is %v", s.Proxy, s.Seed, m.Name, r, c, v)
				}
				nonzero = nonzero || v != 0
			}
		}
		if !nonzero {
			return fmt.Errorf("%s seed %d: every score of %s is zero (try another alpha scale)", s.Proxy, s.Seed, m.Name)
		}
	}
	return nil
}

// ablate scores every alpha entry that mask keeps by R(args) minus R with
// that entry set to 0 (Criterion.Ablate), for every criterion of s from the
// same passes; dropped entries score 0. Each result's Seconds is the time
// of the passes they share.
func (s *scorer) ablate(seed uint64, args []any, mask Mask, start time.Time) ([]*passScores, error) {
	base, err := s.objectives(args)
	if err != nil {
		return nil, err
	}
	res := make([]*passScores, len(s.crits))
	for i, c := range s.crits {
		res[i] = &passScores{Proxy: c.Name, Seed: seed}
	}
	for _, j := range s.graph.targets {
		spec := s.graph.specs[j]
		alpha, err := nn.FromTensor(args[j].(*tensors.Tensor))
		if err != nil {
			return nil, err
		}
		keep := mask[spec.Name]
		rows, cols := spec.Shape[0], spec.Shape[1]
		values := make([][][]float64, len(s.crits))
		for i := range values {
			values[i] = make([][]float64, rows)
			for r := range rows {
				values[i][r] = make([]float64, cols)
			}
		}
		for r := range rows {
			for c := range cols {
				k := r*cols + c
				if keep != nil && !keep[k] {
					continue
				}
				ablated := append([]float64(nil), alpha...)
				ablated[k] = 0
				t, err := nn.ToTensor(ablated, s.crits[0].DType, spec.Shape...)
				if err != nil {
					return nil, err
				}
				one := append([]any(nil), args...)
				one[j] = t
				without, err := s.objectives(one)
				_ = t.FinalizeAll()
				if err != nil {
					return nil, err
				}
				for i := range s.crits {
					values[i][r][c] = base[i] - without[i]
				}
			}
		}
		for i := range s.crits {
			res[i].Matrices = append(res[i].Matrices, ScoreMatrix{Name: spec.Name, Values: values[i]})
		}
	}
	seconds := time.Since(start).Seconds()
	for _, r := range res {
		r.Seconds = seconds
		if err := r.validate(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// objectives runs the graph of Ablate criteria: each one's score R of the
// supernet.
func (s *scorer) objectives(args []any) ([]float64, error) {
	outs, err := s.exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", criteriaName(s.crits), err)
	}
	r := make([]float64, len(s.crits))
	for i, c := range s.crits {
		if r[i], err = c.score(outs[i]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// inputs fills the scorer's argument tensors for a pass; they stay valid
// until the next pass or Close.
func (s *scorer) inputs(seed uint64, batch *Batch, mask Mask) ([]any, error) {
	return s.args.fill(s.graph.specs, s.crits[0], nn.InitOptions{Seed: seed, AlphaStd: s.alphaStd}, s.inputSize, batch, mask)
}

// release frees a pass's output tensors once their values are copied out,
// rather than whenever the garbage collector gets to them (a scorer's
// inputs are its argTensors, kept for the next pass).
func release(outs []*tensors.Tensor) {
	for _, t := range outs {
		_ = t.FinalizeAll()
	}
}
