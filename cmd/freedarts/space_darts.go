package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

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
	wrapSearch()
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

// wrapSearch adds two things to the search command for the spaces of this
// package, which search.go hands no hook for:
//
//   - it fails early, with a clear message, when a data proxy is asked for
//     on an ImageNet-shaped DARTS supernet: the only data the tool loads is
//     CIFAR-10 (32x32), and spaces are not told the proxy;
//   - after a search of the darts or mobile space printed as a table, it
//     adds the peak resident memory (not with -json, whose output is one
//     JSON object).
//
// It runs after search.go's init (files initialise in name order), and does
// nothing if search is not registered.
func wrapSearch() {
	c, ok := commands["search"]
	if !ok {
		return
	}
	inner := c.Run
	c.Run = func(args []string, out io.Writer) error {
		flags := scanSearchFlags(args)
		if err := checkImageNetProxy(flags); err != nil {
			return err
		}
		if err := inner(args, out); err != nil {
			return err
		}
		if sp := flags["space"]; (sp == "darts" || sp == "darts-imagenet" || sp == "mobile") && !isTrue(flags["json"]) {
			fmt.Fprintln(out, peakRSSLine())
		}
		return nil
	}
	register(c)
}

func isTrue(v string) bool { b, err := strconv.ParseBool(v); return err == nil && b }

// scanSearchFlags reads -space, -proxy, -input and -json from the search
// arguments (a flag parse would reject the flags this file does not know),
// with search's defaults.
func scanSearchFlags(args []string) map[string]string {
	vals := map[string]string{"space": "nb201", "proxy": "synflow", "input": "0", "json": "false"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue // the value of a flag this scan does not track
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if _, known := vals[name]; !known {
			continue
		}
		if name == "json" { // boolean: -json or -json=false
			if !hasValue {
				value = "true"
			}
		} else if !hasValue && i+1 < len(args) {
			value = args[i+1]
			i++
		}
		vals[name] = value
	}
	return vals
}

// checkImageNetProxy rejects an ImageNet-shaped DARTS space with a proxy
// that needs data.
func checkImageNetProxy(vals map[string]string) error {
	input, _ := strconv.Atoi(vals["input"])
	imagenet := vals["space"] == "darts-imagenet" || (vals["space"] == "darts" && input >= imageNetMinInput)
	if !imagenet {
		return nil
	}
	crit, err := freedarts.LookupCriterion(vals["proxy"])
	if err != nil || !crit.NeedsData {
		return nil // search reports a bad proxy itself
	}
	return fmt.Errorf("-proxy %s needs labelled ImageNet images at the supernet's input size, which this tool does not load "+
		"(it reads CIFAR-10, 32x32): use a data-free proxy (synflow, synflow-bn) on the ImageNet-shaped DARTS supernet, "+
		"or -input 32 for the CIFAR one", crit.Name)
}
