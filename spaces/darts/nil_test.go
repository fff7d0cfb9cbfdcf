package darts

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestNilInputs calls the space's entry points with nil or zero inputs:
// each returns an error, or for the accessors of a nil *Space or
// *Network a zero value, never a panic.
func TestNilInputs(t *testing.T) {
	var space *Space
	b := nntest.Backend(t)
	g, err := ParseGenotype(DARTSV2)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(Config{C: 4, Layers: 2, Classes: 10, InputSize: 32}, g, false)
	if err != nil {
		t.Fatal(err)
	}
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("SelectCell(nil)", func() error { return err1(SelectCell(nil)) }, "0 rows"),
		nilcase.New("Select(nil, nil)", func() error { return err1(Select(nil, nil)) }, "normal cell"),
		nilcase.New("nil Space.Select(nil)", func() error { return err1(space.Select(nil)) }, `no "normal" scores`),
		nilcase.New("NewSpace(zero Config)", func() error { return err1(NewSpace(Config{})) }, "supernet of 0 cells"),
		nilcase.New("NewNetwork(zero Genotype)", func() error { return err1(NewNetwork(DefaultConfig(), Genotype{}, false)) }, "genotype normal cell"),
		nilcase.New("NewNetwork(zero Config)", func() error { return err1(NewNetwork(Config{}, g, false)) }, "darts"),
		nilcase.New("ParamCount(zero values)", func() error { return err1(ParamCount(Config{}, Genotype{}, false)) }, "genotype normal cell"),
		nilcase.New(`LookupGenotype("")`, func() error { return err1(LookupGenotype("")) }, "genotype"),
		nilcase.New(`OpIndex("")`, func() error { return err1(OpIndex("")) }, "op"),
		nilcase.New("zero TrainConfig.Validate", func() error { return TrainConfig{}.Validate() }, "training LR 0"),
		nilcase.New("Train(nil backend)", func() error { return err1(Train(nil, net, &cifar10.Dataset{}, nil, DefaultTrainConfig())) }, "nil backend"),
		nilcase.New("Train(nil network)", func() error { return err1(Train(b, nil, &cifar10.Dataset{}, nil, DefaultTrainConfig())) }, "nil *Network"),
		nilcase.New("Train(zero Network)", func() error { return err1(Train(b, &Network{}, &cifar10.Dataset{}, nil, DefaultTrainConfig())) }, "not made by NewNetwork"),
		nilcase.New("Train(nil data)", func() error { return err1(Train(b, net, nil, nil, DefaultTrainConfig())) }, "nil *cifar10.Dataset"),
		nilcase.New("Train(zero TrainConfig)", func() error { return err1(Train(b, net, &cifar10.Dataset{}, nil, TrainConfig{})) }, "training LR 0"),
		nilcase.New("Train(empty data)", func() error { return err1(Train(b, net, &cifar10.Dataset{}, nil, DefaultTrainConfig())) }, "0 training images"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"nil Space accessors":   func() { _, _, _ = space.Name(), space.InputSize(), space.AlphaStd(); space.Labels("") },
		"nil Network.DropSites": func() { (*Network)(nil).DropSites() },
		"zero Genotype methods": func() { z := Genotype{}; _, _, _, _ = z.String(), z.Kept(), z.Cells(), z.Equal(z) },
		"zero Config methods":   func() { _, _ = Config{}.IsReduction(0), Config{}.AuxCell() },
	})
}
