package nb201

import "github.com/freedarts/freedarts-gonb/spaces"

func init() {
	spaces.Register(spaces.Def{
		Name: "nb201",
		Doc:  "NAS-Bench-201: cells per stage (5), first width (16), input 32, 10 classes; ImageNet: ImageNet16-120's 16x16 input, 120 classes",
		New: func(sh spaces.Shape) (spaces.Space, error) {
			cfg := DefaultConfig()
			if sh.ImageNet {
				cfg.InputSize, cfg.Classes = 16, 120
			}
			spaces.Set(&cfg.N, sh.Cells)
			spaces.Set(&cfg.C, sh.Channels)
			spaces.Set(&cfg.InputSize, sh.Input)
			spaces.Set(&cfg.Classes, sh.Classes)
			return NewSpace(cfg)
		},
		ParseArch: func(s string) (spaces.Arch, error) { return ParseArch(s) },
	})
}
