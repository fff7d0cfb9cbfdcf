package spaces_test

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// TestNilInputs: the registry's entry points refuse empty names and a
// registration's nil results with an error, never a panic.
func TestNilInputs(t *testing.T) {
	// A registration whose functions return nothing, and no error.
	spaces.Register(spaces.Def{Name: "empty-test", New: func(spaces.Shape) (spaces.Space, error) { return (*nb201.Space)(nil), nil },
		ParseArch: func(string) (spaces.Arch, error) { return nil, nil }})
	t.Cleanup(func() { spaces.Unregister("empty-test") })
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New(`Lookup("")`, func() error { return err1(spaces.Lookup("")) }, "unknown space"),
		nilcase.New(`New("")`, func() error { return err1(spaces.New("", spaces.Shape{})) }, "unknown space"),
		nilcase.New(`ParseArch("", "")`, func() error { return err1(spaces.ParseArch("", "")) }, "unknown space"),
		nilcase.New("New(a space whose New returns nil)", func() error { return err1(spaces.New("empty-test", spaces.Shape{})) }, "returned no space"),
		nilcase.New("ParseArch(a space whose ParseArch returns nil)", func() error { return err1(spaces.ParseArch("empty-test", "x")) }, "returned no architecture"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"KeptRows(nil, 0)":     func() { spaces.KeptRows(nil, 0) },
		"KeptRows([0], -1)":    func() { spaces.KeptRows([]int{0}, -1) },
		"IsNil(nil interface)": func() { spaces.IsNil(nil) },
		"EdgeLabels(nil)":      func() { spaces.EdgeLabels(nil) },
		"OpEdges(nil)":         func() { spaces.OpEdges(nil, nil, nil) },
		"OpEdges(no choice)":   func() { spaces.OpEdges([]spaces.Edge{{To: 1}}, nil, nil) },
	})
	var space *nb201.Space
	for _, tc := range []struct {
		v    any
		want bool
	}{{nil, true}, {space, true}, {spaces.Space(space), true}, {nb201.Arch{}, false}, {&nb201.Space{}, false}, {map[string]int(nil), true}, {0, false}} {
		if got := spaces.IsNil(tc.v); got != tc.want {
			t.Errorf("IsNil(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
