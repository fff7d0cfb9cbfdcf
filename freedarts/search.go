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

// Supernet is what a search space supplies: a network whose mixed edges are
// weighted by architecture parameters, declared as nn.Alpha parameters.
type Supernet interface {
	// Forward returns the logits [batch, classes] of x [batch, H, W, 3].
	Forward(n *nn.Net, x *Node) *Node
}

// Batch is one labelled batch of NHWC images, already normalised.
type Batch struct {
	Images  []float32 // N*H*W*3 values
	Labels  []int32   // N class indices
	N, H, W int
}

// Options configure a Searcher.
type Options struct {
	// InputSize is the height and width of the input (SynFlow's all-ones
	// image; a data batch must match it).
	InputSize int
	// AlphaStd scales the N(0,1) initialisation of alpha (reference: 1e-3).
	AlphaStd float64
}

// ScoreMatrix is the score of every (row, op) of one architecture parameter.
type ScoreMatrix struct {
	Name   string      `json:"name"`
	Values [][]float64 `json:"values"`
}

// Scores is the outcome of one scoring pass.
type Scores struct {
	Proxy    string        `json:"proxy"`
	Seed     uint64        `json:"seed"`
	Matrices []ScoreMatrix `json:"matrices"`
	// Seconds is the wall time of the pass (graph execution and transfers;
	// compilation is in Searcher.CompileSeconds).
	Seconds float64 `json:"seconds"`
}

// ByName returns the score matrices keyed by alpha name.
func (s *Scores) ByName() map[string][][]float64 {
	m := make(map[string][][]float64, len(s.Matrices))
	for _, sm := range s.Matrices {
		m[sm.Name] = sm.Values
	}
	return m
}

// Matrix returns the named score matrix.
func (s *Scores) Matrix(name string) ([][]float64, error) {
	for _, m := range s.Matrices {
		if m.Name == name {
			return m.Values, nil
		}
	}
	return nil, fmt.Errorf("scores of %s have no matrix %q", s.Proxy, name)
}

// Searcher scores one supernet with one criterion on one backend; the graph
// is compiled on the first call and reused for every seed, and so are the
// tensors of its arguments (see argTensors), so that a search of many seeds
// needs about the memory of one. Passes of one Searcher run one at a time.
type Searcher struct {
	mu       sync.Mutex
	args     argTensors
	net      Supernet
	crit     Criterion
	opts     Options
	backend  compute.Backend
	specs    []nn.ParamSpec
	alphaIdx []int
	exec     *Exec
	// CompileSeconds is the time the first Score spent building and
	// compiling the graph (not counted in its Seconds).
	CompileSeconds float64
	compiled       bool
}

// NewSearcher traces the supernet and prepares the scoring graph.
func NewSearcher(b compute.Backend, net Supernet, crit Criterion, opts Options) (*Searcher, error) {
	if opts.InputSize < 1 {
		return nil, fmt.Errorf("input size %d, want >= 1", opts.InputSize)
	}
	if !(opts.AlphaStd > 0) || math.IsInf(opts.AlphaStd, 0) {
		return nil, fmt.Errorf("alpha std %g, want a finite value > 0", opts.AlphaStd)
	}
	if err := crit.checkAlpha(); err != nil {
		return nil, err
	}
	nopts := nn.Options{DType: crit.DType, BN: crit.BN}
	specs, err := nn.Trace(b, nopts, func(n *nn.Net) {
		net.Forward(n, Zeros(n.Graph(), shapes.Make(crit.DType, 1, opts.InputSize, opts.InputSize, 3)))
	})
	if err != nil {
		return nil, err
	}
	s := &Searcher{net: net, crit: crit, opts: opts, backend: b, specs: specs, alphaIdx: nn.FindParams(specs, nn.Alpha), args: argTensors{backend: b}}
	if len(s.alphaIdx) == 0 {
		return nil, errors.New("the supernet declares no architecture parameters")
	}
	numParams := len(specs)
	s.exec, err = NewExec(b, func(in []*Node) []*Node {
		n := nn.Bind(in[0].Graph(), nopts, specs, in[:numParams])
		var labels *Node
		if crit.NeedsData {
			labels = in[numParams+1]
		}
		targets := make([]*Node, len(s.alphaIdx))
		targetSpecs := make([]nn.ParamSpec, len(s.alphaIdx))
		for i, j := range s.alphaIdx {
			targets[i], targetSpecs[i] = in[j], specs[j]
		}
		if crit.Saliency == nil { // Ablate: the supernet's score R
			return []*Node{crit.Network(NewPass(n, net.Forward, crit.NetworkObserve, in[numParams], labels, targets, targetSpecs))}
		}
		return crit.Saliency(NewPass(n, net.Forward, crit.SaliencyObserve, in[numParams], labels, targets, targetSpecs))
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Specs are the parameters of the supernet, in graph-input order.
func (s *Searcher) Specs() []nn.ParamSpec { return s.specs }

// Close releases the compiled graph and the tensors of its arguments.
func (s *Searcher) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exec.Finalize()
	s.args.release()
}

// Score initialises the supernet from seed and scores every alpha entry.
// batch is required by data criteria and ignored otherwise.
func (s *Searcher) Score(seed uint64, batch *Batch) (*Scores, error) {
	return s.ScoreMasked(seed, batch, nil)
}

// ScoreMasked is Score with the alpha entries that mask drops set to
// exactly 0, which removes their ops from the supernet (iterative pruning).
func (s *Searcher) ScoreMasked(seed uint64, batch *Batch, mask Mask) (*Scores, error) {
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
			return nil, fmt.Errorf("%s: compiling: %w", s.crit.Name, err)
		}
		s.CompileSeconds, s.compiled = time.Since(start).Seconds(), true
	}
	start := time.Now()
	if s.crit.Saliency == nil {
		return s.ablate(seed, args, mask, start)
	}
	outs, err := s.exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.crit.Name, err)
	}
	res := &Scores{Proxy: s.crit.Name, Seed: seed}
	for i, j := range s.alphaIdx {
		spec := s.specs[j]
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
	return res, res.Validate()
}

// Validate rejects scores that cannot rank anything: NaN or Inf anywhere,
// or a matrix that is zero everywhere.
func (s *Scores) Validate() error {
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
// that entry set to 0 (Criterion.Ablate); dropped entries score 0.
func (s *Searcher) ablate(seed uint64, args []any, mask Mask, start time.Time) (*Scores, error) {
	base, err := s.objective(args)
	if err != nil {
		return nil, err
	}
	res := &Scores{Proxy: s.crit.Name, Seed: seed}
	for _, j := range s.alphaIdx {
		spec := s.specs[j]
		alpha, err := nn.FromTensor(args[j].(*tensors.Tensor))
		if err != nil {
			return nil, err
		}
		keep := mask[spec.Name]
		rows, cols := spec.Shape[0], spec.Shape[1]
		m := ScoreMatrix{Name: spec.Name, Values: make([][]float64, rows)}
		for r := range rows {
			m.Values[r] = make([]float64, cols)
			for c := range cols {
				k := r*cols + c
				if keep != nil && !keep[k] {
					continue
				}
				ablated := append([]float64(nil), alpha...)
				ablated[k] = 0
				t, err := nn.ToTensor(ablated, s.crit.DType, spec.Shape...)
				if err != nil {
					return nil, err
				}
				one := append([]any(nil), args...)
				one[j] = t
				without, err := s.objective(one)
				_ = t.FinalizeAll()
				if err != nil {
					return nil, err
				}
				m.Values[r][c] = base - without
			}
		}
		res.Matrices = append(res.Matrices, m)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, res.Validate()
}

// objective runs the graph of an Ablate criterion: its score R of the
// supernet.
func (s *Searcher) objective(args []any) (float64, error) {
	outs, err := s.exec.Exec(args...)
	defer release(outs)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.crit.Name, err)
	}
	return s.crit.score(outs[0])
}

// inputs fills the Searcher's argument tensors for a pass; they stay valid
// until the next pass or Close.
func (s *Searcher) inputs(seed uint64, batch *Batch, mask Mask) ([]any, error) {
	return s.args.fill(s.specs, s.crit, nn.InitOptions{Seed: seed, AlphaStd: s.opts.AlphaStd}, s.opts.InputSize, batch, mask)
}

// release frees a pass's output tensors once their values are copied out,
// rather than whenever the garbage collector gets to them (a Searcher's
// inputs are its argTensors, kept for the next pass).
func release(outs []*tensors.Tensor) {
	for _, t := range outs {
		_ = t.FinalizeAll()
	}
}
