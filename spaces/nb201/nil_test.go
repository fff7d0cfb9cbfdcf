package nb201

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
		nilcase.New("Select(nil)", func() error { return err1(Select(nil)) }, "0 rows"),
		nilcase.New("Select(nil rows)", func() error { return err1(Select(make([][]float64, NumEdges))) }, "row 0 has 0 values"),
		nilcase.New("nil Space.Select(nil)", func() error { return err1(space.Select(nil)) }, `no "alpha" scores`),
		nilcase.New("NewSpace(zero Config)", func() error { return err1(NewSpace(Config{})) }, "width C=0"),
		nilcase.New("NewNetwork(zero Config)", func() error { return err1(NewNetwork(Config{}, Arch{})) }, "width C=0"),
		nilcase.New(`ParseArch("")`, func() error { return err1(ParseArch("")) }, "arch"),
		nilcase.New(`OpIndex("")`, func() error { return err1(OpIndex("")) }, "op"),
		nilcase.New("Sample(0, 0, 0)", func() error { return err1(Sample(0, 0, 0)) }, "from 0 cells"),
		nilcase.New("nil Bench.Points", func() error { return err1((*Bench)(nil).Points(nil, nil)) }, "no benchmark"),
		nilcase.New("Sample(-1, 0, 10)", func() error { return err1(Sample(-1, 0, 10)) }, "sample of -1 cells"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"nil Space accessors": func() { _, _, _ = space.Name(), space.InputSize(), space.AlphaStd(); space.Labels("") },
		"zero Arch methods":   func() { a := Arch{}; _, _, _, _, _ = a.String(), a.Ops(), a.Short(), a.Kept(), a.Cells() },
		"Rows":                func() { Rows() },
	})
}
