package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// Default data locations: the repository's sample data, when run from the
// repository root. Users point -data and -bench at their own copies.
const (
	defaultDataDir = "../shared/data/cifar10"
	defaultBench   = "../shared/data/nb201/nb201_accuracy.csv"
)

// spaceConfig are the shape flags of search; 0 means the space's default.
type spaceConfig struct {
	Cells, Channels, Input, Classes int
}

// spaceDef builds a space from the shape flags; each space registers one.
type spaceDef struct {
	Name, Doc string
	New       func(c spaceConfig) (freedarts.Space, error)
}

var spaceDefs = map[string]spaceDef{}

func registerSpace(d spaceDef) { spaceDefs[d.Name] = d }

func spaceNames() []string {
	names := make([]string, 0, len(spaceDefs))
	for n := range spaceDefs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// spaceHelp is the -space flag's usage: every space with its doc line.
func spaceHelp() string {
	var b strings.Builder
	b.WriteString("search space:")
	for _, n := range spaceNames() {
		fmt.Fprintf(&b, "\n    %s: %s", n, spaceDefs[n].Doc)
	}
	return b.String()
}

func init() {
	register(command{Name: "search", Summary: "score a supernet without training and select an architecture", Run: runSearch})
	registerSpace(spaceDef{
		Name: "nb201",
		Doc:  "NAS-Bench-201: -cells is cells per stage (5), -channels the first width (16)",
		New: func(c spaceConfig) (freedarts.Space, error) {
			cfg := nb201.DefaultConfig()
			for _, o := range []struct {
				dst *int
				v   int
			}{{&cfg.N, c.Cells}, {&cfg.C, c.Channels}, {&cfg.InputSize, c.Input}, {&cfg.Classes, c.Classes}} {
				if o.v != 0 {
					*o.dst = o.v
				}
			}
			return nb201.NewSpace(cfg)
		},
	})
}

// searchRun is one seed's line of output; Accuracy only with a bench file.
type searchRun struct {
	Seed     uint64                 `json:"seed"`
	Arch     string                 `json:"arch"`
	Scores   map[string][][]float64 `json:"scores"`
	Seconds  float64                `json:"seconds"`
	Accuracy *map[string]float64    `json:"accuracy,omitempty"`
}

type searchReport struct {
	Space   string `json:"space"`
	Proxy   string `json:"proxy"`
	Backend string `json:"backend"`
	// Compute is Backend with the build's GOEXPERIMENT (backend.Compute):
	// what the same seed needs to give the same scores.
	Compute        string      `json:"compute"`
	AlphaStd       float64     `json:"alpha_std"`
	CompileSeconds float64     `json:"compile_seconds"`
	Data           string      `json:"data,omitempty"`
	Bench          string      `json:"bench,omitempty"`
	PeakRSSMB      float64     `json:"peak_rss_mb,omitempty"`
	Runs           []searchRun `json:"runs"`
}

func runSearch(args []string, out io.Writer) error {
	fs := newFlags("search", out)
	spaceName := fs.String("space", "nb201", spaceHelp())
	proxy := fs.String("proxy", "synflow", "criterion, or several joined by commas for an ensemble: "+strings.Join(freedarts.AlphaCriterionNames(), ", "))
	ensemble := fs.String("ensemble", freedarts.RankAverage, "how several proxies combine: "+strings.Join(freedarts.EnsembleNames(), ", "))
	prune := fs.Int("prune", 0, "iterative pruning: ops masked per edge per round before rescoring (0: one-shot)")
	draws := fs.Int("draws", 1, "alpha and weight draws per seed and proxy, combined by -ensemble (see freedarts.DrawSeed)")
	seedsFlag := fs.String("seeds", "0", "seeds, like 0,1,2 or 0-4; each seeds alpha, the weights and the data batch")
	dataDir := fs.String("data", "", "CIFAR-10 binary file or directory (default "+defaultDataDir+" when present)")
	benchFile := fs.String("bench", "", "NAS-Bench-201 accuracy CSV (default "+defaultBench+" when present)")
	batchSize := fs.Int("batch", 64, "images in the batch of data proxies")
	alphaStd := fs.Float64("alpha-std", 0, "std of alpha's N(0,1) initialisation (default: the space's reference, 1e-3 for CIFAR)")
	var sc spaceConfig
	fs.IntVar(&sc.Cells, "cells", 0, "depth: cells per stage (nb201) or total cells (darts); 0 = space default")
	fs.IntVar(&sc.Channels, "channels", 0, "initial width C; 0 = space default")
	fs.IntVar(&sc.Input, "input", 0, "input height and width; 0 = space default")
	fs.IntVar(&sc.Classes, "classes", 0, "classifier outputs; 0 = space default")
	backendName := backendFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("search: unexpected arguments %q", fs.Args())
	}
	def, ok := spaceDefs[*spaceName]
	if !ok {
		return fmt.Errorf("unknown space %q (want one of %s)", *spaceName, strings.Join(spaceNames(), ", "))
	}
	crits, err := freedarts.LookupCriteria(*proxy)
	if err != nil {
		return err
	}
	seeds, err := parseSeeds(*seedsFlag)
	if err != nil {
		return err
	}
	space, err := def.New(sc)
	if err != nil {
		return err
	}
	b, cfg, err := openBackend(*backendName)
	if err != nil {
		return err
	}
	search, err := freedarts.NewMultiSearch(b, cfg, space, crits, *alphaStd, freedarts.SearchPlan{Ensemble: *ensemble, PruneStep: *prune, Draws: *draws})
	if err != nil {
		return err
	}
	defer search.Close()
	var notes []string
	var data *cifar10.Dataset
	dataPath := ""
	if search.NeedsData() {
		if space.InputSize() != cifar10.Height {
			return fmt.Errorf("-proxy %s needs labelled images at the supernet's input size %dx%d, and the only data this tool reads "+
				"is CIFAR-10 (%dx%d): use a data-free proxy (synflow, synflow-bn) or -input %d",
				*proxy, space.InputSize(), space.InputSize(), cifar10.Height, cifar10.Width, cifar10.Height)
		}
		if dataPath, err = resolveData(*dataDir); err != nil {
			return err
		}
		if data, err = cifar10.Load(dataPath, 0); err != nil {
			return err
		}
		if data.Len() < *batchSize || *batchSize < 1 {
			return fmt.Errorf("-batch %d: %s has %d images", *batchSize, dataPath, data.Len())
		}
	}
	var bench *nb201.Bench
	benchPath := *benchFile
	if space.Name() == "nb201" {
		if benchPath == "" {
			benchPath = existing(defaultBench)
			if benchPath == "" {
				notes = append(notes, "no benchmark table (-bench): accuracies not looked up")
			}
		}
		if benchPath != "" {
			if bench, err = nb201.LoadBench(benchPath); err != nil {
				return err
			}
		}
	} else if benchPath != "" {
		return fmt.Errorf("-bench: only the nb201 space has a benchmark table, not %s", space.Name())
	}

	rep := searchReport{Space: space.Name(), Proxy: search.Name(), Backend: cfg, Compute: backend.Compute(cfg), AlphaStd: *alphaStd, Data: dataPath, Bench: benchPath}
	if rep.AlphaStd <= 0 {
		rep.AlphaStd = space.AlphaStd()
	}
	for _, seed := range seeds {
		var batch *freedarts.Batch
		if data != nil {
			if batch, err = freedarts.SampleBatch(data, *batchSize, seed); err != nil {
				return err
			}
		}
		res, err := search.Run(seed, batch)
		if err != nil {
			return err
		}
		run := searchRun{Seed: seed, Arch: res.Arch, Scores: map[string][][]float64{}, Seconds: res.Seconds}
		for _, m := range res.Scores {
			run.Scores[m.Name] = m.Values
		}
		if bench != nil {
			a, err := nb201.ParseArch(res.Arch)
			if err != nil {
				return err
			}
			r, err := bench.Lookup(a)
			if err != nil {
				return err
			}
			acc := map[string]float64{"cifar10_test": r.Cifar10Test, "cifar100_test": r.Cifar100Test, "imagenet16_test": r.ImageNet16Test}
			run.Accuracy = &acc
		}
		rep.Runs = append(rep.Runs, run)
	}
	rep.CompileSeconds = search.CompileSeconds()
	rep.PeakRSSMB, _ = peakRSSMB()
	if *asJSON {
		enc := json.NewEncoder(out)
		return enc.Encode(rep)
	}
	printSearch(out, rep, notes)
	return nil
}

// resolveData finds the CIFAR-10 file: -data may be a file or a directory
// holding the official data_batch_1.bin or the repository's sample.
func resolveData(flagValue string) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = defaultDataDir
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("-data %q: %w (this proxy needs CIFAR-10 images in the official binary format)", dir, err)
	}
	if !st.IsDir() {
		return dir, nil
	}
	candidates := []string{"data_batch_1.bin", "train_first4000.bin"}
	for _, c := range candidates {
		if p := existing(filepath.Join(dir, c)); p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf("-data %q: no %s in the directory", dir, strings.Join(candidates, " or "))
}

func printSearch(out io.Writer, rep searchReport, notes []string) {
	fmt.Fprintf(out, "FreeDARTS search: space %s, proxy %s, backend %s, alpha std %g, compile %.2fs\n",
		rep.Space, rep.Proxy, rep.Compute, rep.AlphaStd, rep.CompileSeconds)
	for _, n := range notes {
		fmt.Fprintln(out, "note:", n)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	hasAcc := len(rep.Runs) > 0 && rep.Runs[0].Accuracy != nil
	if hasAcc {
		fmt.Fprintln(tw, "seed\tseconds\tcifar10\tcifar100\timagenet16\tarch")
	} else {
		fmt.Fprintln(tw, "seed\tseconds\tarch")
	}
	var sums [4]float64
	for _, r := range rep.Runs {
		sums[0] += r.Seconds
		if hasAcc {
			a := *r.Accuracy
			sums[1] += a["cifar10_test"]
			sums[2] += a["cifar100_test"]
			sums[3] += a["imagenet16_test"]
			fmt.Fprintf(tw, "%d\t%.3f\t%.2f\t%.2f\t%.2f\t%s\n", r.Seed, r.Seconds, a["cifar10_test"], a["cifar100_test"], a["imagenet16_test"], r.Arch)
		} else {
			fmt.Fprintf(tw, "%d\t%.3f\t%s\n", r.Seed, r.Seconds, r.Arch)
		}
	}
	n := float64(len(rep.Runs))
	if hasAcc {
		fmt.Fprintf(tw, "mean\t%.3f\t%.2f\t%.2f\t%.2f\t\n", sums[0]/n, sums[1]/n, sums[2]/n, sums[3]/n)
	} else {
		fmt.Fprintf(tw, "mean\t%.3f\t\n", sums[0]/n)
	}
	tw.Flush()
	if rep.PeakRSSMB > 0 {
		fmt.Fprintf(out, "peak RSS %.0f MiB\n", rep.PeakRSSMB)
	}
}
