package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
)

func init() {
	register(command{Name: "params", Summary: "count the parameters of a DARTS genotype's evaluation network", Run: runParams})
}

// paramsReport is the -json output of params.
type paramsReport struct {
	Genotype  string `json:"genotype"`
	Cells     int    `json:"cells"`
	Channels  int    `json:"channels"`
	Classes   int    `json:"classes"`
	Input     int    `json:"input"`
	ImageNet  bool   `json:"imagenet"`
	Auxiliary bool   `json:"auxiliary"`
	Params    int    `json:"params"`
	// ParamsNoAux is the count without the auxiliary head, DARTS's
	// count_parameters_in_MB.
	ParamsNoAux int `json:"params_no_aux"`
}

// genotypeFlagDoc is the help text of -genotype (params and train).
const genotypeFlagDoc = "DARTS genotype, as the DARTS code prints it (Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])), or DARTS_V1, DARTS_V2"

func runParams(args []string, out io.Writer) error {
	fs := newFlags("params", out)
	genotype := fs.String("genotype", "DARTS_V2", genotypeFlagDoc)
	cells := fs.Int("cells", 0, "cells (default 20; 14 with -imagenet)")
	channels := fs.Int("channels", 0, "initial width C (default 36; 48 with -imagenet)")
	classes := fs.Int("classes", 0, "classes (default 10; 1000 with -imagenet)")
	input := fs.Int("input", 0, "input size (default 32; 224 with -imagenet)")
	imagenet := fs.Bool("imagenet", false, "the DARTS ImageNet network (NetworkImageNet) instead of NetworkCIFAR")
	aux := fs.Bool("auxiliary", false, "include the auxiliary head")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := darts.EvalConfig()
	if *imagenet {
		cfg = darts.Config{C: 48, Layers: 14, Classes: 1000, InputSize: 224, ImageNet: true}
	}
	if err := checkShapeFlags(cfg, *cells, *channels, *classes, *input, true); err != nil {
		return err
	}
	g, err := darts.LookupGenotype(*genotype)
	if err != nil {
		return usageError{fmt.Errorf("-genotype: %w", boundErr(err))}
	}
	spaces.Set(&cfg.Layers, *cells)
	spaces.Set(&cfg.C, *channels)
	spaces.Set(&cfg.InputSize, *input)
	spaces.Set(&cfg.Classes, *classes)
	rep := paramsReport{Genotype: g.String(), Cells: cfg.Layers, Channels: cfg.C, Classes: cfg.Classes, Input: cfg.InputSize, ImageNet: cfg.ImageNet, Auxiliary: *aux}
	if rep.ParamsNoAux, err = darts.ParamCount(cfg, g, false); err != nil {
		return usageError{err}
	}
	rep.Params = rep.ParamsNoAux
	if *aux {
		if rep.Params, err = darts.ParamCount(cfg, g, true); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	kind := "CIFAR"
	if cfg.ImageNet {
		kind = "ImageNet"
	}
	fmt.Fprintf(out, "genotype: %s\n", rep.Genotype)
	fmt.Fprintf(out, "network: %s, %d cells, C=%d, %d classes, input %d, auxiliary head: %s\n",
		kind, cfg.Layers, cfg.C, cfg.Classes, cfg.InputSize, map[bool]string{true: "yes", false: "no"}[*aux])
	fmt.Fprintf(out, "parameters: %d (%.2f M)\n", rep.Params, float64(rep.Params)/1e6)
	if *aux {
		fmt.Fprintf(out, "without the auxiliary head (DARTS's count_parameters_in_MB): %d (%.2f M)\n", rep.ParamsNoAux, float64(rep.ParamsNoAux)/1e6)
	}
	return nil
}

// checkShapeFlags rejects a DARTS network's size flags out of range
// (spaces' limits, which keep every count inside int64), naming the flag;
// with zeroDefault 0 keeps def's value.
func checkShapeFlags(def darts.Config, cells, channels, classes, input int, zeroDefault bool) error {
	for _, f := range []struct {
		flag, what  string
		v, min, max int
		def         int
	}{
		{"cells", "%d cells", cells, 1, spaces.MaxCells, def.Layers},
		{"channels", "width C=%d", channels, 1, spaces.MaxChannels, def.C},
		{"classes", "classes=%d", classes, 2, spaces.MaxClasses, def.Classes},
		{"input", "input size %d", input, 1, spaces.MaxInput, def.InputSize},
	} {
		if f.v == 0 && zeroDefault || f.v >= f.min && f.v <= f.max {
			continue
		}
		what := fmt.Sprintf(f.what, f.v)
		if zeroDefault {
			return usageErrorf("-%s %d: %s, want %d to %d (0: the default, %d)", f.flag, f.v, what, f.min, f.max, f.def)
		}
		return usageErrorf("-%s %d: %s, want %d to %d", f.flag, f.v, what, f.min, f.max)
	}
	return nil
}

// checkIntFlag rejects an integer flag below min or above max.
func checkIntFlag(flag string, v, min, max int, note string) error {
	if v < min || v > max {
		want := fmt.Sprintf(">= %d", min)
		if max < math.MaxInt {
			want = fmt.Sprintf("%d to %d", min, max)
		}
		if note != "" {
			want += " (" + note + ")"
		}
		return usageErrorf("-%s %d: want %s", flag, v, want)
	}
	return nil
}

// checkFloatFlag rejects a float flag that is NaN, infinite or not ok.
func checkFloatFlag(flag string, v float64, ok bool, want string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || !ok {
		return usageErrorf("-%s %v: want a finite value %s", flag, v, want)
	}
	return nil
}
