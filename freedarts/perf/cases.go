package perf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
	_ "github.com/freedarts/freedarts-gonb/spaces/darts" // the standard cases' spaces
	_ "github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// CaseDef defines a case by the name and shape of a registered space.
type CaseDef struct {
	Name, Desc, Space, Proxy string
	Shape                    spaces.Shape
	Batch                    int
}

// Standard are the cases `freedarts bench` times (GitHub issues #2 and #6),
// in order.
var Standard = []CaseDef{
	{"nb201-synflow", "NB201 C=16 N=5, 32x32", "nb201", "synflow", spaces.Shape{}, 1},
	{"nb201-snip", "NB201 C=16 N=5, 32x32", "nb201", "snip", spaces.Shape{}, 64},
	{"nb201-grasp", "NB201 C=16 N=5, 32x32", "nb201", "grasp", spaces.Shape{}, 64},
	{"darts8-synflow", "DARTS 8 cells C=16, 32x32", "darts", "synflow", spaces.Shape{Cells: 8, Channels: 16, Input: 32}, 1},
	{"darts20-synflow", "DARTS 20 cells C=16, 32x32", "darts", "synflow", spaces.Shape{Cells: 20, Channels: 16, Input: 32}, 1},
	{"darts-imagenet-synflow", "DARTS ImageNet 14 cells C=48, 224x224", "darts", "synflow", spaces.Shape{ImageNet: true}, 1},
}

// StandardNames are the names of the Standard cases.
func StandardNames() []string {
	names := make([]string, len(Standard))
	for i, c := range Standard {
		names[i] = c.Name
	}
	return names
}

// Cases returns the named Standard cases ("all" or none: every one), each
// with its space built; a space that cannot be built gives a case that Run
// skips, its Note saying why.
func Cases(names ...string) ([]Case, error) {
	defs := Standard
	if len(names) > 0 && !(len(names) == 1 && (names[0] == "all" || names[0] == "")) {
		defs = nil
		for _, name := range names {
			name = strings.TrimSpace(name)
			i := slices.IndexFunc(Standard, func(c CaseDef) bool { return c.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("unknown case %q (want all or some of %s)", name, strings.Join(StandardNames(), ", "))
			}
			defs = append(defs, Standard[i])
		}
	}
	return Build(defs), nil
}

// Build makes the cases of defs, building their spaces from the registry.
func Build(defs []CaseDef) []Case {
	cases := make([]Case, len(defs))
	for i, d := range defs {
		cases[i] = Case{Name: d.Name, Desc: d.Desc, Proxy: d.Proxy, Batch: d.Batch}
		space, err := spaces.New(d.Space, d.Shape)
		if err != nil {
			cases[i].Note = err.Error()
			continue
		}
		cases[i].Space = space
	}
	return cases
}

// NeedsData says whether a case's proxy needs labelled images.
func NeedsData(cases []Case) bool {
	for _, c := range cases {
		if crit, err := freedarts.LookupCriterion(c.Proxy); err == nil && crit.NeedsData() {
			return true
		}
	}
	return false
}
