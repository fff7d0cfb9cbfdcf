package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/bench"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func init() {
	register(command{Name: "search", Summary: "score a supernet without training and select an architecture", Run: runSearch})
}

// searchRun is one seed's line of output; Accuracy only with a bench file.
type searchRun struct {
	Seed     uint64                  `json:"seed"`
	Arch     string                  `json:"arch"`
	Scores   []freedarts.ScoreMatrix `json:"scores"`
	Seconds  float64                 `json:"seconds"`
	Accuracy map[string]float64      `json:"accuracy,omitempty"`
}

type searchReport struct {
	Space   string `json:"space"`
	Proxy   string `json:"proxy"`
	Backend string `json:"backend"`
	// Compute is Backend with the build's GOEXPERIMENT: what the same seed
	// needs to give the same scores.
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
	spaceName, shape := shapeFlags(fs)
	proxy := fs.String("proxy", "synflow", "criterion, or several joined by commas for an ensemble: "+strings.Join(freedarts.AlphaCriterionNames(), ", "))
	ensemble := fs.String("ensemble", freedarts.RankAverage, "how several proxies (or draws) combine: "+strings.Join(freedarts.EnsembleNames(), ", "))
	prune := fs.Int("prune", 0, "iterative pruning: ops masked per edge per round before rescoring (0: one-shot)")
	draws := fs.Int("draws", 1, "alpha and weight draws per seed and proxy, combined by -ensemble (see freedarts.DrawSeed)")
	seedsFlag := fs.String("seed", "0", "seeds, like 0,1,2 or 0-4; each seeds alpha, the weights and the data batch")
	dataPath := dataFlag(fs)
	benchPath := benchFlag(fs)
	batchSize := fs.Int("batch", 64, "images in the batch of data proxies")
	alphaStd := fs.Float64("alpha-std", 0, "std of alpha's N(0,1) initialisation (0: the space's reference, 1e-3 for CIFAR)")
	backendName := backendFlag(fs)
	progress := progressFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
	if err := parse(fs, args); err != nil {
		return err
	}
	seeds, err := parseSeeds(*seedsFlag)
	if err != nil {
		return err
	}
	if *batchSize < 1 {
		return usageErrorf("-batch %d, want >= 1", *batchSize)
	}
	space, err := newSpace(*spaceName, *shape)
	if err != nil {
		return err
	}
	crits, err := freedarts.LookupCriteria(*proxy)
	if err != nil {
		return usageError{fmt.Errorf("-proxy: %w", err)}
	}
	opts := freedarts.Options{Criteria: crits, Ensemble: *ensemble, Prune: *prune, Draws: *draws, AlphaStd: *alphaStd}
	rep := searchReport{Space: space.Name()}
	if freedarts.NeedData(crits...) {
		if space.InputSize() != cifar10.Height {
			return usageErrorf("-proxy %s needs labelled images at the supernet's input size %dx%d, and the only data this tool reads "+
				"is CIFAR-10 (%dx%d): use a data-free proxy (synflow, synflow-bn) or -input %d",
				*proxy, space.InputSize(), space.InputSize(), cifar10.Height, cifar10.Width, cifar10.Height)
		}
		data, path, err := loadData(*dataPath)
		if err != nil {
			return err
		}
		if data.Len() < *batchSize {
			return usageErrorf("-batch %d: %s has %d images", *batchSize, path, data.Len())
		}
		opts.Data, rep.Data = freedarts.Sample(data, *batchSize), path
	}
	var notes []string
	var table *nb201.Bench
	if space.Name() == "nb201" {
		var note string
		if table, rep.Bench, note, err = loadBench(*benchPath); err != nil {
			return err
		}
		if note != "" {
			notes = append(notes, note)
		}
	} else if *benchPath != "" && *benchPath != "none" {
		return usageErrorf("-bench: only the nb201 space has a benchmark table, not %s", space.Name())
	}
	if opts.Backend, err = backend.Open(*backendName); err != nil {
		return err
	}
	search, err := freedarts.New(space, opts)
	if err != nil {
		return usageError{err}
	}
	defer search.Close()
	rep.Proxy, rep.Backend, rep.Compute, rep.AlphaStd = search.Name(), opts.Backend.Config, opts.Backend.Compute(), search.AlphaStd()
	for i, seed := range seeds {
		res, err := search.Run(seed)
		if err != nil {
			return err
		}
		if *progress {
			fmt.Fprintf(os.Stderr, "search: %d/%d seed %d: %s (%.2fs)\n", i+1, len(seeds), seed, res.Arch, res.Seconds)
		}
		run := searchRun{Seed: seed, Arch: res.Arch.String(), Scores: res.Scores, Seconds: res.Seconds}
		if table != nil {
			r, err := table.Lookup(res.Arch)
			if err != nil {
				return err
			}
			run.Accuracy = r.Accuracies()
		}
		rep.Runs = append(rep.Runs, run)
	}
	rep.CompileSeconds = search.CompileSeconds()
	rep.PeakRSSMB = float64(bench.PeakRSS()) / (1 << 20)
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	printSearch(out, rep, notes)
	return nil
}

func printSearch(out io.Writer, rep searchReport, notes []string) {
	fmt.Fprintf(out, "FreeDARTS search: space %s, proxy %s, backend %s, alpha std %g, compile %.2fs\n",
		rep.Space, rep.Proxy, rep.Compute, rep.AlphaStd, rep.CompileSeconds)
	for _, n := range notes {
		fmt.Fprintln(os.Stderr, "note:", n)
	}
	cols := []string{"cifar10_test", "cifar100_test", "imagenet16_test"}
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
		fmt.Fprintf(tw, "%d\t%.3f\t", r.Seed, r.Seconds)
		if hasAcc {
			for i, c := range cols {
				sums[i+1] += r.Accuracy[c]
				fmt.Fprintf(tw, "%.2f\t", r.Accuracy[c])
			}
		}
		fmt.Fprintf(tw, "%s\n", r.Arch)
	}
	n := float64(len(rep.Runs))
	fmt.Fprintf(tw, "mean\t%.3f\t", sums[0]/n)
	if hasAcc {
		fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t", sums[1]/n, sums[2]/n, sums[3]/n)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	if rep.PeakRSSMB > 0 {
		fmt.Fprintf(out, "peak RSS %.0f MiB\n", rep.PeakRSSMB)
	}
}
