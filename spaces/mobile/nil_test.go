package mobile

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
)

// TestNilInputs calls the space's entry points with nil or zero inputs:
// each returns an error, or for the accessors of a nil *Space a zero value,
// never a panic.
func TestNilInputs(t *testing.T) {
	var space *Space
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("Select(nil)", func() error { return err1(Select(nil)) }, "no score rows"),
		nilcase.New("Select(nil rows)", func() error { return err1(Select(make([][]float64, 2))) }, "row 0 has 0 values"),
		nilcase.New("nil Space.Select", func() error { return err1(space.Select(map[string][][]float64{AlphaName: {{1}}})) }, "nil *Space"),
		nilcase.New("Space.Select(nil)", func() error { s, _ := NewSpace(DefaultConfig()); return err1(s.Select(nil)) }, `no "alpha" scores`),
		nilcase.New("NewSpace(zero Config)", func() error { return err1(NewSpace(Config{})) }, "input size 0"),
		nilcase.New("NewNetwork(zero Config)", func() error { return err1(NewNetwork(Config{}, nil)) }, "input size 0"),
		nilcase.New("NewNetwork(nil arch)", func() error { return err1(NewNetwork(DefaultConfig(), nil)) }, "arch of 0 layers"),
		nilcase.New(`ParseArch("", 0)`, func() error { return err1(ParseArch("", 0)) }, "unknown op"),
		nilcase.New(`ParseArch("", -1)`, func() error { return err1(ParseArch("", -1)) }, "unknown op"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"nil Space accessors": func() { _, _, _ = space.Name(), space.InputSize(), space.AlphaStd(); space.Labels("") },
		"nil Arch methods":    func() { _, _ = Arch(nil).String(), Arch(nil).Kept() },
		"zero Config":         func() { _, _ = Config{}.Layers(), Config{}.LayerLabels() },
	})
}
