// Package spaces is the contract between FreeDARTS and a search space, and
// the registry of the spaces built into this module.
//
// A search space (nb201, darts, mobile, or one of your own) implements
// Space: a supernet whose mixed edges are weighted by architecture
// parameters (nn.Alpha), the shape of its input, and the rule that turns
// the score of every (row, op) entry of alpha into an Arch. The types here
// use only standard and nn types, so that a space depends on this small
// package and not on the algorithm (freedarts re-exports them as
// freedarts.Space, freedarts.Arch and freedarts.Supernet).
//
// The built-in spaces Register themselves when their package is imported,
// as database/sql drivers do: New("darts", Shape{Cells: 20}) builds a space
// by name from the shape options the command line and the notebooks share,
// and ParseArch reads back an architecture a result recorded.
package spaces

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Node is a node of the graph a network builds (graph.Node), so that a
// space written in a notebook needs no import of GoMLX itself.
type Node = graph.Node

// Supernet is a network whose mixed edges are weighted by architecture
// parameters, declared as nn.Alpha parameters. A concrete network (one op
// per edge, no alpha) has the same method and is scored the same way by the
// whole-network proxies.
type Supernet interface {
	// Forward returns the logits [batch, classes] of x [batch, H, W, 3].
	Forward(n *nn.Net, x *Node) *Node
}

// Space is a search space as the search needs it: its supernet, the shape
// of its input, and its rule for turning scores into an architecture.
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
	// Select chooses the architecture from the score matrices, keyed by
	// alpha name, each [rows][ops] as Labels labels it.
	Select(scores map[string][][]float64) (Arch, error)
}

// Enumerable is a Space whose architectures can be listed and built one by
// one, which the two-stage search needs (freedarts.Options.Rank): the
// alpha scores keep a few ops per row, and whole-network proxies then rank
// the concrete networks those ops make. NAS-Bench-201 is one; a space whose
// rule couples its rows (a DARTS node keeps its two best inputs) is not,
// until it says how its candidates are listed.
type Enumerable interface {
	Space
	// Candidates lists, in a fixed order, every architecture made only of
	// entries that keep marks (per alpha name, [row][op], as Labels labels
	// it), one op per row.
	Candidates(keep map[string][][]bool) ([]Arch, error)
	// Network builds arch's concrete network: the supernet with only
	// arch's ops, its parameters named as the supernet's.
	Network(arch Arch) (Supernet, error)
}

// Arch is an architecture a space's rule selected.
type Arch interface {
	// String is the space's encoding (NAS-Bench-201's arch string, a DARTS
	// genotype, ...), which ParseArch reads back.
	String() string
	// Kept marks, per alpha name, the [row][op] entries the architecture
	// keeps: the ops a heat map of the scores outlines.
	Kept() map[string][][]bool
}

// CellArch is an Arch made of cells, which the notebook helpers draw.
type CellArch interface {
	Arch
	Cells() []Cell
}

// Cell is one cell of an architecture: node labels and op-labelled edges.
//
// An edge whose Op is OpNone is not drawn, but still counts for the layout,
// so that a cell keeps its shape whatever ops it holds; an edge whose Op is
// OpConcat is the concatenation of an intermediate node into a DARTS cell's
// output. Node labels may use a TeX-like subscript: "c_{k-1}".
type Cell struct {
	Title string
	Nodes []string
	Edges []Edge
}

// Edge carries the output of node From, transformed by Op, into node To
// (indices into Cell.Nodes).
type Edge struct {
	From, To int
	Op       string
}

// Op names with a fixed meaning in a Cell.
const (
	OpNone   = "none"
	OpConcat = "concat"
)

// Shape holds the shape options shared by every space; 0 keeps the space's
// default. What each means (or that it does not apply) is the space's Doc.
type Shape struct {
	// Cells is the depth: cells per stage (nb201) or total cells (darts).
	Cells int `json:"cells,omitempty"`
	// Channels is the initial width.
	Channels int `json:"channels,omitempty"`
	// Input is the input's height and width.
	Input int `json:"input,omitempty"`
	// Classes is the number of classifier outputs.
	Classes int `json:"classes,omitempty"`
	// ImageNet starts from the space's ImageNet-sized network (the DARTS
	// ImageNet stem at 224x224, NB201's ImageNet16-120, ...) instead of its
	// CIFAR one; the numbers above still override its defaults.
	ImageNet bool `json:"imagenet,omitempty"`
}

// Upper limits of the shape options, checked by New and by the built-in
// spaces' Config.Validate before anything is built. No real network comes
// near them (the largest published ones: 20 cells, C=48, 224x224 input,
// 1000 classes); they exist so that every size a network derives from its
// shape (widths up to 16C, parameter counts, activation sizes) is a product
// that fits an int64 many times over, and so that a mistyped size is an
// error naming it instead of an allocation that runs the machine out of
// memory. With them, the widest tensor of a built-in space has under 2^40
// entries and a whole supernet under 2^60 parameters.
const (
	// MaxCells bounds Cells (cells per stage, or cells in all); tracing a
	// supernet takes about 30 ms per DARTS cell, before its compilation.
	MaxCells = 100
	// MaxChannels bounds Channels, the initial width.
	MaxChannels = 1 << 14
	// MaxInput bounds Input, the image's height and width: twice
	// ImageNet's 224 and more. A pass keeps many activations of the input's
	// size, which the memory check of freedarts.New does not count (it
	// counts the weights and the largest activation), so a larger image
	// could still run a CPU machine out of memory.
	MaxInput = 512
	// MaxClasses bounds Classes.
	MaxClasses = 1 << 20
)

// Def registers a space.
type Def struct {
	// Name is the space's name (-space on the command line).
	Name string
	// Doc is one line: what the space is and what its Shape options mean.
	Doc string
	// New builds the space with the given shape.
	New func(Shape) (Space, error)
	// ParseArch reads an architecture that Arch.String wrote.
	ParseArch func(string) (Arch, error)
}

var (
	mu   sync.RWMutex
	defs = map[string]Def{}
)

// Register adds a space to the registry; the built-in spaces call it from
// their init functions. It panics on a duplicate or incomplete Def, which is
// a programming error of the registering package.
func Register(d Def) {
	mu.Lock()
	defer mu.Unlock()
	if d.Name == "" || d.New == nil || d.ParseArch == nil {
		panic(fmt.Sprintf("spaces: incomplete registration of %q", d.Name))
	}
	if _, dup := defs[d.Name]; dup {
		panic(fmt.Sprintf("spaces: %q registered twice", d.Name))
	}
	defs[d.Name] = d
}

// Names lists the registered spaces, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Sorted(maps.Keys(defs))
}

// Lookup returns the registration of the named space.
func Lookup(name string) (Def, error) {
	mu.RLock()
	d, ok := defs[name]
	mu.RUnlock()
	if !ok {
		return Def{}, fmt.Errorf("unknown space %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return d, nil
}

// New builds the named space with shape.
func New(name string, shape Shape) (Space, error) {
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	for _, v := range []struct {
		flag   string
		v, max int
	}{{"cells", shape.Cells, MaxCells}, {"channels", shape.Channels, MaxChannels}, {"input", shape.Input, MaxInput}, {"classes", shape.Classes, MaxClasses}} {
		if v.v < 0 {
			return nil, fmt.Errorf("space %s: %s %d, want > 0 (or 0 for the default)", name, v.flag, v.v)
		}
		if v.v > v.max {
			return nil, fmt.Errorf("space %s: %s %d, want at most %d (the limit of every space)", name, v.flag, v.v, v.max)
		}
	}
	s, err := d.New(shape)
	if err == nil && IsNil(s) {
		// A registration's bug, reported rather than handed on as a nil
		// Space that panics at its first method.
		err = fmt.Errorf("space %s: its New returned no space and no error", name)
	}
	return s, err
}

// ParseArch reads an architecture of the named space.
func ParseArch(space, s string) (Arch, error) {
	d, err := Lookup(space)
	if err != nil {
		return nil, err
	}
	a, err := d.ParseArch(s)
	if err == nil && IsNil(a) {
		err = fmt.Errorf("space %s: its ParseArch returned no architecture and no error", space)
	}
	return a, err
}

// Set overrides *dst with v where v is not 0: how a space applies Shape to
// the fields of its config.
func Set(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

// IsNil reports whether v (a Space, Supernet or Arch) is nil, or holds a
// nil pointer, map, slice or func: a `var s *nb201.Space` passed before
// NewSpace filled it is not == nil as an interface, and its methods would
// panic on their first field. The entry points that take one refuse it
// with an error instead.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return r.IsNil()
	}
	return false
}

// ArgmaxRows is the one-op-per-row rule: the column of the largest score of
// every row (the first on a tie), for a matrix of rows rows of cols scores.
// A matrix of another shape, or a NaN, is an error naming the row and
// column, prefixed with what (the space's name).
func ArgmaxRows(what string, scores [][]float64, rows, cols int) ([]int, error) {
	if len(scores) != rows {
		return nil, fmt.Errorf("%s: score matrix has %d rows, want %d", what, len(scores), rows)
	}
	best := make([]int, len(scores))
	for r, row := range scores {
		if len(row) != cols {
			return nil, fmt.Errorf("%s: score row %d has %d values, want %d (one per op)", what, r, len(row), cols)
		}
		for c, v := range row {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("%s: score [%d][%d] is NaN", what, r, c)
			}
			if v > row[best[r]] {
				best[r] = c
			}
		}
	}
	return best, nil
}

// KeptRows is the Kept matrix of a one-op-per-row rule: [rows][ops] with
// choice[r] marked in row r (a choice outside [0, ops) marks nothing, and
// a negative ops is 0).
func KeptRows(choice []int, ops int) [][]bool {
	ops = max(ops, 0)
	kept := make([][]bool, len(choice))
	for r, c := range choice {
		kept[r] = make([]bool, ops)
		if c >= 0 && c < ops {
			kept[r][c] = true
		}
	}
	return kept
}
