package main

import (
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
)

// imageNetMinInput is the input size from which -space darts builds the
// ImageNet-shaped supernet (the DARTS ImageNet stem, which shrinks the
// input 8 times) instead of the CIFAR one.
const imageNetMinInput = 128

func init() {
	registerSpace(spaceDef{
		Name: "darts",
		Doc: "DARTS CNN space: -cells total cells (8; 20 = FreeDARTS-dagger), -channels C (16), -input 32; " +
			"-input >= 128 uses the ImageNet stem (-cells 14 -channels 48 -input 224 = FreeDARTS-double-dagger, SynFlow only)",
		New: func(c spaceConfig) (freedarts.Space, error) {
			return darts.NewSpace(dartsConfig(c))
		},
	})
	registerSpace(spaceDef{
		Name: "darts-imagenet",
		Doc:  "the ImageNet-shaped DARTS supernet: 14 cells, C=48, 224x224, 1000 classes, ImageNet stem (SynFlow only)",
		New: func(c spaceConfig) (freedarts.Space, error) {
			cfg := darts.ImageNetConfig()
			setDefaults(&cfg, c)
			cfg.ImageNet = true
			return darts.NewSpace(cfg)
		},
	})
}

// dartsConfig applies the search flags to the CIFAR supernet, switching to
// the ImageNet-shaped one for large inputs.
func dartsConfig(c spaceConfig) darts.Config {
	cfg := darts.DefaultConfig()
	if c.Input >= imageNetMinInput {
		cfg = darts.ImageNetConfig()
	}
	setDefaults(&cfg, c)
	return cfg
}

func setDefaults(cfg *darts.Config, c spaceConfig) {
	for _, o := range []struct {
		dst *int
		v   int
	}{{&cfg.Layers, c.Cells}, {&cfg.C, c.Channels}, {&cfg.InputSize, c.Input}, {&cfg.Classes, c.Classes}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
}
