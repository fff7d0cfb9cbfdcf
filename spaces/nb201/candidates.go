package nb201

import (
	"errors"
	"fmt"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// Candidates lists every cell whose op on each edge is one keep marks
// ([NumEdges][NumOps] under AlphaName), edge 1<-0 varying slowest and ops
// in Ops order: the cells the rank stage of a two-stage search scores
// (spaces.Enumerable). An edge with nothing kept is an error.
func (s *Space) Candidates(keep map[string][][]bool) ([]spaces.Arch, error) {
	rows, ok := keep[AlphaName]
	if !ok {
		return nil, fmt.Errorf("nb201: no %q entries to list candidates from", AlphaName)
	}
	if len(rows) != NumEdges {
		return nil, fmt.Errorf("nb201: %d rows of kept ops, want %d (one per edge)", len(rows), NumEdges)
	}
	var options [NumEdges][]int
	for e, row := range rows {
		if len(row) != NumOps {
			return nil, fmt.Errorf("nb201: edge %s has %d kept flags, want %d (one per op)", Rows()[e], len(row), NumOps)
		}
		for op, k := range row {
			if k {
				options[e] = append(options[e], op)
			}
		}
		if len(options[e]) == 0 {
			return nil, fmt.Errorf("nb201: edge %s keeps no op, want at least one", Rows()[e])
		}
	}
	var out []spaces.Arch
	var walk func(e int, a Arch)
	walk = func(e int, a Arch) {
		if e == NumEdges {
			out = append(out, a)
			return
		}
		for _, op := range options[e] {
			a[e] = op
			walk(e+1, a)
		}
	}
	walk(0, Arch{})
	return out, nil
}

// Network builds the concrete network of arch (an Arch) with the space's
// configuration (spaces.Enumerable).
func (s *Space) Network(arch spaces.Arch) (spaces.Supernet, error) {
	if s == nil {
		return nil, errors.New("nb201: Network of a nil *Space, want one from nb201.NewSpace")
	}
	a, ok := arch.(Arch)
	if !ok {
		return nil, fmt.Errorf("nb201: network of a %T, want an nb201.Arch", arch)
	}
	return NewNetwork(s.Config, a)
}
