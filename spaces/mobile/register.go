package mobile

import (
	"errors"

	"github.com/freedarts/freedarts-gonb/spaces"
)

func init() {
	spaces.Register(spaces.Def{
		Name: "mobile",
		Doc: "ProxylessNAS-style mobile space: 21 MBConv layers x 6 candidates, 1000 classes; input 32 " +
			"(ImageNet: 224, slow on a CPU); its macro network is fixed, so cells and channels do not apply",
		New: func(sh spaces.Shape) (spaces.Space, error) {
			if sh.Cells != 0 || sh.Channels != 0 {
				return nil, errors.New("space mobile has a fixed macro network (21 layers, ProxylessNAS widths): cells and channels do not apply")
			}
			cfg := DefaultConfig()
			if sh.ImageNet {
				cfg = ImageNetConfig()
			}
			spaces.Set(&cfg.InputSize, sh.Input)
			spaces.Set(&cfg.Classes, sh.Classes)
			return NewSpace(cfg)
		},
		ParseArch: func(s string) (spaces.Arch, error) { return ParseArch(s, 0) },
	})
}
