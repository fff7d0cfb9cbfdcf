package darts

import "github.com/freedarts/freedarts-gonb/spaces"

func init() {
	spaces.Register(spaces.Def{
		Name: "darts",
		Doc: "DARTS CNN space: total cells (8; 20 = FreeDARTS-dagger), channels C (16), input 32; " +
			"ImageNet: the ImageNet stem, 14 cells, C=48, 224x224, 1000 classes (FreeDARTS-double-dagger; SynFlow only)",
		New: func(sh spaces.Shape) (spaces.Space, error) {
			cfg := DefaultConfig()
			if sh.ImageNet {
				cfg = ImageNetConfig()
			}
			spaces.Set(&cfg.Layers, sh.Cells)
			spaces.Set(&cfg.C, sh.Channels)
			spaces.Set(&cfg.InputSize, sh.Input)
			spaces.Set(&cfg.Classes, sh.Classes)
			return NewSpace(cfg)
		},
		ParseArch: func(s string) (spaces.Arch, error) { return LookupGenotype(s) },
	})
}
