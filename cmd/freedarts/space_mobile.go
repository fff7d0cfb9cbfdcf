package main

import (
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/mobile"
)

func init() {
	registerSpace(spaceDef{
		Name: "mobile",
		Doc: "ProxylessNAS-style mobile space: 21 MBConv layers x 6 candidates; -input 32 by default " +
			"(224 = ImageNet, slow on a CPU), -classes 1000; -cells and -channels are not used",
		New: func(c spaceConfig) (freedarts.Space, error) {
			cfg := mobile.DefaultConfig()
			if c.Input != 0 {
				cfg.InputSize = c.Input
			}
			if c.Classes != 0 {
				cfg.Classes = c.Classes
			}
			if c.Cells != 0 || c.Channels != 0 {
				return nil, errMobileShape
			}
			return mobile.NewSpace(cfg)
		},
	})
}

var errMobileShape = errorString("-space mobile has a fixed macro network (21 layers, ProxylessNAS widths): -cells and -channels do not apply")

type errorString string

func (e errorString) Error() string { return string(e) }
