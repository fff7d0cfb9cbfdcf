package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/perf"
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
	// Candidates are a two-stage search's ranked networks, best first.
	Candidates []freedarts.Candidate `json:"candidates,omitempty"`
}

type searchReport struct {
	Space   string `json:"space"`
	Proxy   string `json:"proxy"`
	Backend string `json:"backend"`
	// Compute is Backend with the build's GOEXPERIMENT: what the same seed
	// needs to give the same scores.
	Compute        string  `json:"compute"`
	AlphaStd       float64 `json:"alpha_std"`
	CompileSeconds float64 `json:"compile_seconds"`
	Data           string  `json:"data,omitempty"`
	Bench          string  `json:"bench,omitempty"`
	PeakRSSMB      float64 `json:"peak_rss_mb,omitempty"`
	// Interrupted: a signal stopped the search before its last seed; Runs
	// are the seeds done.
	Interrupted bool        `json:"interrupted,omitempty"`
	Runs        []searchRun `json:"runs"`
}

// Limits of search's counts: far beyond any use, small enough to bound the
// work of one command line.
const (
	maxDraws = 10_000
	maxPrune = 1_000
)

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
	rank := fs.String("rank", "", "whole-network proxies that rank every network of the alpha scores' shortlist (a two-stage search; nb201): "+
		"one or several joined by commas, or a named ensemble ("+strings.Join(freedarts.NamedEnsembleNames(), ", ")+"); "+
		"a cascade of steps joined by /, each but the last ending in :N, the networks it passes on (synflow:16/zen); empty: one stage")
	workers := fs.Int("workers", 0, "networks the rank stage (-rank) scores at once, each on a backend of its own; 0: one per core")
	keep := fs.Int("keep", 0, fmt.Sprintf("ops per edge the alpha scores shortlist for -rank (0: %d)", freedarts.DefaultKeep))
	rankEnsemble := fs.String("rank-ensemble", "", "how several -rank proxies combine: "+strings.Join(freedarts.EnsembleNames(), ", ")+" (empty: "+freedarts.LogRank+")")
	preset := fs.String("preset", "", "a named configuration ("+strings.Join(freedarts.PresetNames(), ", ")+
		"): it sets -proxy, -ensemble, -draws, -prune, -rank, -keep and -rank-ensemble, except those given")
	backendName := backendFlag(fs)
	progress := progressFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := applyPreset(fs, *preset); err != nil {
		return err
	}
	seeds, err := parseSeeds(*seedsFlag)
	if err != nil {
		return err
	}
	switch {
	case *batchSize < 1:
		return usageErrorf("-batch %d, want >= 1", *batchSize)
	case *draws < 0 || *draws > maxDraws:
		return usageErrorf("-draws %d, want 1 to %d", *draws, maxDraws)
	case *prune < 0 || *prune > maxPrune:
		return usageErrorf("-prune %d, want 0 to %d", *prune, maxPrune)
	case *workers < 0:
		return usageErrorf("-workers %d, want >= 1 (or 0 for one per core)", *workers)
	case *keep < 0:
		return usageErrorf("-keep %d, want >= 1 (or 0 for %d)", *keep, freedarts.DefaultKeep)
	case *rank == "" && (*keep != 0 || *rankEnsemble != ""):
		return usageErrorf("-keep and -rank-ensemble shape the rank stage: give -rank too")
	case math.IsNaN(*alphaStd) || math.IsInf(*alphaStd, 0) || *alphaStd < 0:
		return usageErrorf("-alpha-std %g, want a finite value > 0 (or 0 for the space's reference)", *alphaStd)
	case len(seeds)*max(*draws, 1) > maxSeeds:
		return usageErrorf("-seed and -draws: %d seeds x %d draws, want at most %d scoring passes", len(seeds), *draws, maxSeeds)
	}
	space, err := newSpace(*spaceName, *shape)
	if err != nil {
		return err
	}
	crits, err := freedarts.LookupCriteria(*proxy)
	if err != nil {
		return usageError{fmt.Errorf("-proxy: %w", boundErr(err))}
	}
	opts := freedarts.Options{Criteria: crits, Ensemble: *ensemble, Prune: *prune, Draws: *draws, AlphaStd: *alphaStd,
		Rank: *rank, Keep: *keep, RankEnsemble: *rankEnsemble, Workers: *workers}
	rep := searchReport{Space: space.Name()}
	if opts.NeedsData() {
		if space.InputSize() != cifar10.Height {
			who := "-proxy " + boundWords(*proxy)
			if !freedarts.NeedData(crits...) {
				who = "-rank " + boundWords(*rank)
			}
			return usageErrorf("%s needs labelled images at the supernet's input size %dx%d, and the only data this tool reads "+
				"is CIFAR-10 (%dx%d): use data-free proxies (synflow, synflow-bn, zen, ...) or -input %d",
				who, space.InputSize(), space.InputSize(), cifar10.Height, cifar10.Width, cifar10.Height)
		}
		data, path, err := loadData(*dataPath, 0)
		if err != nil {
			return err
		}
		if data.Len() < *batchSize {
			return usageErrorf("-batch %d: %s has %d images", *batchSize, quote(path), data.Len())
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
	// Each seed is printed as it finishes (the table) or kept for the JSON
	// object; Ctrl-C or SIGTERM stops after the seed in progress, and what is
	// done is still printed. A second signal ends the process at once
	// (stopOnSignal). The handler is in place before the supernet is built
	// and compiled (seconds, minutes on XLA), so that a signal then is not
	// lost: the search stops before its first seed.
	ctx, stop := stopOnSignal(progressOut(out))
	defer stop()
	if opts.Backend, err = backend.Open(*backendName); err != nil {
		return err
	}
	search, err := freedarts.New(space, opts)
	if err != nil {
		return usageError{boundErr(err)}
	}
	defer search.Close()
	rep.Proxy, rep.Backend, rep.Compute, rep.AlphaStd = search.Name(), opts.Backend.Config, opts.Backend.Compute(), search.AlphaStd()
	for _, n := range notes {
		fmt.Fprintln(progressOut(out), "note:", n)
	}
	if !*asJSON {
		fmt.Fprintf(out, "FreeDARTS search: space %s, proxy %s, backend %s, alpha std %g\n", rep.Space, rep.Proxy, rep.Compute, rep.AlphaStd)
		printRow(out, table != nil, "seed", "seconds", []string{"cifar10", "cifar100", "imagenet16"}, "arch")
	}
	start := time.Now()
	for i, seed := range seeds {
		if ctx.Err() != nil {
			break
		}
		res, err := search.Run(seed)
		if err != nil {
			return err
		}
		run := searchRun{Seed: seed, Arch: res.Arch.String(), Scores: res.Scores, Seconds: res.Seconds, Candidates: res.Candidates}
		if table != nil {
			r, err := table.Lookup(res.Arch)
			if err != nil {
				return err
			}
			run.Accuracy = r.Accuracies()
		}
		rep.Runs = append(rep.Runs, run)
		if !*asJSON {
			printRow(out, table != nil, fmt.Sprint(seed), fmt.Sprintf("%.3f", run.Seconds), accuracies(run.Accuracy), run.Arch)
		}
		if *progress && len(seeds) > 1 {
			eta := time.Duration(float64(time.Since(start)) / float64(i+1) * float64(len(seeds)-i-1)).Round(time.Second)
			fmt.Fprintf(progressOut(out), "search: %d/%d seeds, eta %s\n", i+1, len(seeds), eta)
		}
	}
	rep.CompileSeconds = search.CompileSeconds()
	rep.PeakRSSMB = float64(perf.PeakRSS()) / (1 << 20)
	rep.Interrupted = len(rep.Runs) < len(seeds)
	if *asJSON {
		if err := json.NewEncoder(out).Encode(rep); err != nil {
			return err
		}
	} else if len(rep.Runs) > 0 {
		printMean(out, rep)
	}
	if rep.Interrupted {
		return fmt.Errorf("search: interrupted after %d of %d seeds (the finished ones are printed)", len(rep.Runs), len(seeds))
	}
	return nil
}

// presetFlags are the flags of search that a preset's options set, in
// the order of -h, as name and value: what -preset NAME applies and what
// docs/best-search.txt holds for the best one.
func presetFlags(o freedarts.Options) [][2]string {
	f := [][2]string{{"proxy", o.Proxy}}
	if o.Ensemble != "" {
		f = append(f, [2]string{"ensemble", o.Ensemble})
	}
	if o.Draws > 1 {
		f = append(f, [2]string{"draws", fmt.Sprint(o.Draws)})
	}
	if o.Prune > 0 {
		f = append(f, [2]string{"prune", fmt.Sprint(o.Prune)})
	}
	if o.Rank != "" {
		f = append(f, [2]string{"rank", o.Rank})
	}
	if o.Keep > 0 {
		f = append(f, [2]string{"keep", fmt.Sprint(o.Keep)})
	}
	if o.RankEnsemble != "" {
		f = append(f, [2]string{"rank-ensemble", o.RankEnsemble})
	}
	return f
}

// presetLine is presetFlags as one command line: "-proxy synflow -draws 10 ...".
func presetLine(o freedarts.Options) string {
	var parts []string
	for _, f := range presetFlags(o) {
		parts = append(parts, "-"+f[0], f[1])
	}
	return strings.Join(parts, " ")
}

// applyPreset sets the flags of the named preset (none for "") that the
// command line did not give.
func applyPreset(fs *flag.FlagSet, name string) error {
	if name == "" {
		return nil
	}
	o, err := freedarts.PresetOptions(name)
	if err != nil {
		return usageError{fmt.Errorf("-preset: %w", err)}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, f := range presetFlags(o) {
		if !given[f[0]] {
			if err := fs.Set(f[0], f[1]); err != nil {
				return fmt.Errorf("-preset %s: -%s %s: %w", name, f[0], f[1], err)
			}
		}
	}
	return nil
}

// printRow writes one line of the search table: fixed-width columns, so that
// every seed is printed as soon as it is done.
func printRow(out io.Writer, withAcc bool, seed, seconds string, acc []string, arch string) {
	line := fmt.Sprintf("%-6s %-8s ", seed, seconds)
	if withAcc {
		line += fmt.Sprintf("%-8s %-9s %-11s ", acc[0], acc[1], acc[2])
	}
	fmt.Fprintln(out, strings.TrimRight(line+arch, " "))
}

// accuracyColumns are the benchmark accuracies of the search table.
var accuracyColumns = []string{"cifar10_test", "cifar100_test", "imagenet16_test"}

// accuracies formats a run's accuracies in table order (nil: none).
func accuracies(acc map[string]float64) []string {
	out := make([]string, len(accuracyColumns))
	for i, c := range accuracyColumns {
		out[i] = fmt.Sprintf("%.2f", acc[c])
	}
	return out
}

// printMean writes the mean row, the compilation and the peak memory.
func printMean(out io.Writer, rep searchReport) {
	n := float64(len(rep.Runs))
	secs, accs := 0.0, make([]map[string]float64, len(rep.Runs))
	for i, r := range rep.Runs {
		secs += r.Seconds / n
		accs[i] = r.Accuracy
	}
	printRow(out, rep.Runs[0].Accuracy != nil, "mean", fmt.Sprintf("%.3f", secs), accuracies(nb201.MeanAccuracies(accs...)), "")
	fmt.Fprintf(out, "compile %.2fs", rep.CompileSeconds)
	if rep.PeakRSSMB > 0 {
		fmt.Fprintf(out, ", peak RSS %.0f MiB", rep.PeakRSSMB)
	}
	fmt.Fprintln(out)
}
