package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/stats"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func init() {
	register(command{Name: "correlate", Summary: "rank-correlate zero-cost proxies of whole networks with benchmark accuracy", Run: runCorrelate})
}

// correlateTargets are the benchmark columns the proxies are compared with.
// cifar10valid_test (the cifar10-valid protocol: trained on 25k images, then
// tested) is what zero-cost-nas correlates with for "CIFAR-10".
var correlateTargets = []struct {
	Name  string
	Value func(nb201.Record) float64
}{
	{"cifar10_test", func(r nb201.Record) float64 { return r.Cifar10Test }},
	{"cifar10valid_test", func(r nb201.Record) float64 { return r.Cifar10ValidTest }},
	{"cifar100_test", func(r nb201.Record) float64 { return r.Cifar100Test }},
	{"imagenet16_test", func(r nb201.Record) float64 { return r.ImageNet16Test }},
}

// correlation is one proxy's (or ensemble's) agreement with one target.
type correlation struct {
	Proxy    string  `json:"proxy"`
	Target   string  `json:"target"`
	Spearman float64 `json:"spearman"`
	Kendall  float64 `json:"kendall"`
}

type correlateReport struct {
	Space   string   `json:"space"`
	Proxies []string `json:"proxies"`
	Backend string   `json:"backend"`
	// Compute is Backend with the build's GOEXPERIMENT (backend.Compute).
	Compute string `json:"compute"`
	Seed    uint64 `json:"seed"`
	Draw    string `json:"draw"`
	// ConvBias: the cells' convolutions had a bias (nb201.Config.ConvBias).
	ConvBias bool `json:"conv_bias"`
	Batch    int  `json:"batch"`
	Cells    int  `json:"cells"`
	Resumed  int  `json:"resumed"`
	// SecondsPerCell is, per proxy, the mean wall time per newly scored
	// cell of the pass the proxy ran in (proxies of one pass share it).
	SecondsPerCell map[string]float64 `json:"seconds_per_cell,omitempty"`
	Correlations   []correlation      `json:"correlations"`
}

func runCorrelate(args []string, out io.Writer) error {
	fs := newFlags("correlate", out)
	spaceName := fs.String("space", "nb201", "search space (only nb201 has a benchmark table)")
	proxiesFlag := fs.String("proxies", "synflow,snip,grasp,fisher,grad_norm,jacob_cov,naswot,params,flops", "comma-separated proxies: "+strings.Join(freedarts.CriterionNames(), ", "))
	sample := fs.Int("sample", 100, "cells drawn at random (ignored with -indices)")
	sampleSeed := fs.Uint64("sample-seed", 0, "seed of the cell sample")
	indicesFile := fs.String("indices", "", "file of NAS-Bench-201 indices, one a line, to score instead of a sample")
	seed := fs.Uint64("seed", 0, "seed of the network weights and of the data batch")
	draw := fs.String("draw", drawShared, "weights and batch per cell: "+drawShared+" (the same seed and plain batch for every cell) or "+drawPerCell+
		" (seeded by -seed and the cell index, and an augmented batch: the zero-cost-nas protocol)")
	dataDir := fs.String("data", "", "CIFAR-10 binary file or directory (default "+defaultDataDir+" when present)")
	benchFile := fs.String("bench", defaultBench, "NAS-Bench-201 accuracy CSV")
	outFile := fs.String("out", "", "CSV of per-cell scores (index, arch, one column per proxy); an existing file is resumed")
	batchSize := fs.Int("batch", 64, "images in the data batch")
	convBias := fs.Bool("conv-bias", false, "give the cell convolutions a bias, as zero-cost-nas's NB201 model does (batch norm cancels it; Fisher and the BN-free SynFlow see it, and Fisher's published correlation needs it)")
	workers := fs.Int("workers", 1, "cells scored at once (each on its own backend instance; the go backend already runs independent ops of one cell on all cores)")
	ensembles := fs.String("ensembles", "", "proxy sets to combine, e.g. synflow+jacob_cov+naswot,snip+synflow: rank-average and majority-vote rows")
	backendName := backendFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("correlate: unexpected arguments %q", fs.Args())
	}
	if *spaceName != "nb201" {
		return fmt.Errorf("correlate: -space %q: only nb201 has a benchmark table", *spaceName)
	}
	if *workers < 1 {
		return fmt.Errorf("correlate: -workers %d, want >= 1", *workers)
	}
	crits, err := freedarts.LookupCriteria(*proxiesFlag)
	if err != nil {
		return err
	}
	names := make([]string, len(crits))
	for i, c := range crits {
		names[i] = c.Name
	}
	sets, err := parseEnsembles(*ensembles, names)
	if err != nil {
		return err
	}
	bench, err := nb201.LoadBench(*benchFile)
	if err != nil {
		return err
	}
	var indices []int
	if *indicesFile != "" {
		indices, err = readIndices(*indicesFile, bench.Len())
	} else {
		indices, err = nb201.Sample(*sample, *sampleSeed, bench.Len())
	}
	if err != nil {
		return err
	}
	cfg := nb201.DefaultConfig()
	cfg.ConvBias = *convBias
	var data *cifar10.Dataset
	var dataPath string
	if freedarts.NeedData(crits...) {
		if dataPath, err = resolveData(*dataDir); err != nil {
			return err
		}
		if data, err = cifar10.Load(dataPath, 0); err != nil {
			return err
		}
		if *batchSize < 1 || data.Len() < *batchSize {
			return fmt.Errorf("-batch %d: %s has %d images", *batchSize, dataPath, data.Len())
		}
	}
	drawCell, err := cellDraw(*draw, *seed, data, *batchSize)
	if err != nil {
		return err
	}

	done := map[int][]float64{}
	var sink *study.Writer
	if *outFile != "" {
		var prev *study.Table
		if sink, prev, err = study.Open(*outFile, names); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		defer sink.Close()
		for _, r := range prev.Rows {
			done[r.Index] = r.Scores
		}
	}
	backendCfg := backend.Config(*backendName)
	rep := correlateReport{Space: "nb201", Proxies: names, Backend: backendCfg, Compute: backend.Compute(backendCfg),
		Seed: *seed, Draw: *draw, ConvBias: *convBias, Cells: len(indices)}
	if data != nil {
		rep.Batch = *batchSize
	}
	var todo []int
	queued := map[int]bool{}
	for _, i := range indices {
		if _, ok := done[i]; ok {
			rep.Resumed++
		} else if !queued[i] {
			todo = append(todo, i)
			queued[i] = true
		}
	}
	if sink != nil {
		settings := study.Settings{Protocol: fmt.Sprintf("seed=%d draw=%s", *seed, *draw), Compute: rep.Compute}
		if data != nil {
			settings.Protocol += fmt.Sprintf(" batch=%d data=%s", *batchSize, filepath.Base(dataPath))
		}
		if *convBias {
			settings.Protocol += " conv-bias"
		}
		if err := study.CheckSettings(*outFile, settings, len(todo) > 0); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
	}
	secs, err := scoreCells(todo, bench, cfg, crits, drawCell, backendCfg, *workers, done, sink)
	if err != nil {
		return err
	}
	if len(todo) > 0 {
		rep.SecondsPerCell = map[string]float64{}
		for i, n := range names {
			rep.SecondsPerCell[n] = secs[i] / float64(len(todo))
		}
	}
	if rep.Correlations, err = correlateAll(indices, done, bench, names, sets); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	printCorrelations(out, rep)
	return nil
}

// The ways correlate draws each cell's weights and batch.
const (
	drawShared  = "shared"
	drawPerCell = "per-cell"
)

// drawFunc gives the weight seed and the batch (nil without data) of a cell.
type drawFunc func(index int) (uint64, *freedarts.Batch, error)

// cellDraw returns the drawFunc of mode. Shared gives every cell the same
// weights (by parameter name) and batch, so that cells differ only by their
// ops. Per-cell gives each cell its own weights and augmented batch, seeded
// by freedarts.SubSeed(seed, index): independent draws, as
// zero-cost-nas makes them, yet reproducible and the same on resume or
// with any number of workers.
func cellDraw(mode string, seed uint64, data *cifar10.Dataset, batchSize int) (drawFunc, error) {
	switch mode {
	case drawShared:
		var batch *freedarts.Batch
		if data != nil {
			var err error
			if batch, err = freedarts.SampleBatch(data, batchSize, seed); err != nil {
				return nil, err
			}
		}
		return func(int) (uint64, *freedarts.Batch, error) { return seed, batch, nil }, nil
	case drawPerCell:
		return func(index int) (uint64, *freedarts.Batch, error) {
			s := freedarts.SubSeed(seed, uint64(index))
			if data == nil {
				return s, nil, nil
			}
			b, err := freedarts.SampleAugmentedBatch(data, batchSize, s)
			return s, b, err
		}, nil
	}
	return nil, fmt.Errorf("-draw %q: want %s or %s", mode, drawShared, drawPerCell)
}

// scoreCells scores the cells in todo on workers goroutines, each with its
// own backend, recording each result in done and sink as it arrives. It
// returns, per proxy, the seconds summed over the cells.
func scoreCells(todo []int, bench *nb201.Bench, cfg nb201.Config, crits []freedarts.Criterion, draw drawFunc,
	backendCfg string, workers int, done map[int][]float64, sink *study.Writer) ([]float64, error) {
	type result struct {
		index  int
		arch   string
		scores *freedarts.NetScore
		err    error
	}
	jobs := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	scorers := make([]*freedarts.NetScorer, workers)
	for w := range scorers {
		b, err := backend.Open(backendCfg)
		if err != nil {
			return nil, err
		}
		if scorers[w], err = freedarts.NewNetScorer(b, crits, cfg.InputSize); err != nil {
			return nil, err
		}
	}
	for _, s := range scorers {
		wg.Go(func() {
			for i := range jobs {
				r := result{index: i}
				rec, err := bench.Record(i)
				var net *nb201.Network
				if err == nil {
					r.arch = rec.Arch.String()
					net, err = nb201.NewNetwork(cfg, rec.Arch)
				}
				var seed uint64
				var batch *freedarts.Batch
				if err == nil {
					seed, batch, err = draw(i)
				}
				if err == nil {
					r.scores, err = s.Score(net, seed, batch)
				}
				if err != nil {
					r.err = fmt.Errorf("cell %d: %w", i, err)
				}
				results <- r
			}
		})
	}
	stop := make(chan struct{})
	go func() {
		defer close(jobs)
		for _, i := range todo {
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	secs := make([]float64, len(crits))
	start := time.Now()
	var firstErr error
	n := 0
	for r := range results {
		if firstErr != nil {
			continue // drain
		}
		if r.err == nil && sink != nil {
			r.err = sink.Append(study.Row{Index: r.index, Arch: r.arch, Scores: r.scores.Scores})
		}
		if r.err != nil {
			firstErr = r.err
			close(stop)
			continue
		}
		done[r.index] = r.scores.Scores
		n++
		parts := make([]string, len(crits))
		for i, c := range crits {
			secs[i] += r.scores.Seconds[i]
			parts[i] = fmt.Sprintf("%s %.1fs", c.Name, r.scores.Seconds[i])
		}
		elapsed := time.Since(start)
		eta := time.Duration(float64(elapsed) / float64(n) * float64(len(todo)-n)).Round(time.Second)
		fmt.Fprintf(os.Stderr, "correlate: %d/%d cell %d (%s) eta %s\n", n, len(todo), r.index, strings.Join(parts, ", "), eta)
	}
	return secs, firstErr
}

// parseEnsembles reads "a+b,c+d" into proxy index sets; each proxy must be
// among names.
func parseEnsembles(s string, names []string) ([][]int, error) {
	if s == "" {
		return nil, nil
	}
	var sets [][]int
	for set := range strings.SplitSeq(s, ",") {
		var idx []int
		for p := range strings.SplitSeq(set, "+") {
			i := slices.Index(names, strings.TrimSpace(p))
			if i < 0 {
				return nil, fmt.Errorf("-ensembles %q: %q is not among -proxies %s", s, p, strings.Join(names, ","))
			}
			idx = append(idx, i)
		}
		if len(idx) < 2 {
			return nil, fmt.Errorf("-ensembles %q: set %q has one proxy, want two or more joined by +", s, set)
		}
		sets = append(sets, idx)
	}
	return sets, nil
}

// correlateAll rank-correlates every proxy, and every ensemble of sets by
// both methods, with every target over the cells in indices.
func correlateAll(indices []int, done map[int][]float64, bench *nb201.Bench, names []string, sets [][]int) ([]correlation, error) {
	if len(indices) < 2 {
		return nil, fmt.Errorf("correlate: %d cells, want at least 2", len(indices))
	}
	cells := slices.Compact(slices.Sorted(slices.Values(indices)))
	scores := make([][]float64, len(names))
	for _, i := range cells {
		for p := range names {
			scores[p] = append(scores[p], done[i][p])
		}
	}
	type column struct {
		name   string
		values []float64
	}
	var cols []column
	for p, n := range names {
		cols = append(cols, column{n, scores[p]})
	}
	for _, set := range sets {
		members := make([][]float64, len(set))
		parts := make([]string, len(set))
		for k, p := range set {
			members[k], parts[k] = scores[p], names[p]
		}
		for _, method := range freedarts.EnsembleNames() {
			v, err := freedarts.Combine(method, members)
			if err != nil {
				return nil, err
			}
			cols = append(cols, column{method + "(" + strings.Join(parts, "+") + ")", v})
		}
	}
	var out []correlation
	for _, t := range correlateTargets {
		truth := make([]float64, len(cells))
		for k, i := range cells {
			rec, err := bench.Record(i)
			if err != nil {
				return nil, err
			}
			truth[k] = t.Value(rec)
		}
		for _, c := range cols {
			rho, err := stats.Spearman(c.values, truth)
			if err != nil {
				return nil, fmt.Errorf("%s vs %s: %w", c.name, t.Name, err)
			}
			tau, err := stats.KendallTau(c.values, truth)
			if err != nil {
				return nil, fmt.Errorf("%s vs %s: %w", c.name, t.Name, err)
			}
			out = append(out, correlation{Proxy: c.name, Target: t.Name, Spearman: rho, Kendall: tau})
		}
	}
	return out, nil
}

func printCorrelations(out io.Writer, rep correlateReport) {
	model := ""
	if rep.ConvBias {
		model = ", cell convolutions with bias"
	}
	fmt.Fprintf(out, "zero-cost proxies on %d NAS-Bench-201 cells (%d resumed), batch %d, seed %d, draw %s%s, backend %s\n",
		rep.Cells, rep.Resumed, rep.Batch, rep.Seed, rep.Draw, model, rep.Compute)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "proxy"
	for _, t := range correlateTargets {
		header += "\t" + t.Name + " rho\ttau"
	}
	if rep.SecondsPerCell != nil {
		header += "\ts/cell"
	}
	fmt.Fprintln(tw, header)
	byProxy := map[string][]correlation{}
	var order []string
	for _, c := range rep.Correlations {
		if _, ok := byProxy[c.Proxy]; !ok {
			order = append(order, c.Proxy)
		}
		byProxy[c.Proxy] = append(byProxy[c.Proxy], c)
	}
	for _, p := range order {
		line := p
		for _, c := range byProxy[p] {
			line += fmt.Sprintf("\t%.3f\t%.3f", c.Spearman, c.Kendall)
		}
		if s, ok := rep.SecondsPerCell[p]; ok {
			line += fmt.Sprintf("\t%.2f", s)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// readIndices reads benchmark indices, one a line (blank lines and lines
// starting with # are skipped), each in [0, total).
func readIndices(path string, total int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-indices: %w", err)
	}
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= total {
			return nil, fmt.Errorf("-indices %s line %d: %q is not an index in [0, %d)", path, line, s, total)
		}
		out = append(out, i)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-indices %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-indices %s: no indices", path)
	}
	return out, nil
}
