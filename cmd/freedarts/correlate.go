package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func init() {
	register(command{Name: "correlate", Summary: "rank-correlate zero-cost proxies of whole networks with benchmark accuracy", Run: runCorrelate})
}

type correlateReport struct {
	Space   string   `json:"space"`
	Proxies []string `json:"proxies"`
	Backend string   `json:"backend"`
	// Compute is Backend with the build's GOEXPERIMENT (backend.Compute)
	// and, with -supernet, " scoring=supernet" (study.Settings.Compute).
	Compute string `json:"compute"`
	Seed    uint64 `json:"seed"`
	Draw    string `json:"draw"`
	// ConvBias: the cells' convolutions had a bias (nb201.Config.ConvBias).
	ConvBias bool `json:"conv_bias"`
	Batch    int  `json:"batch"`
	// Shard is the part of the cells scored ("I/N", see study.Shard).
	Shard   string `json:"shard,omitempty"`
	Cells   int    `json:"cells"`
	Resumed int    `json:"resumed"`
	// Workers is the number of cells scored at once (-workers, or what 0
	// picked: study.AutoWorkers).
	Workers int `json:"workers"`
	// SecondsPerCell is, per proxy, the mean wall time per newly scored
	// cell of the pass the proxy ran in (proxies of one pass share it).
	SecondsPerCell map[string]float64  `json:"seconds_per_cell,omitempty"`
	Correlations   []study.Correlation `json:"correlations"`
}

// correlateFlags names the flag of each study.Config field, for errors.
var correlateFlags = map[string]string{"Workers": "-workers", "Batch": "-batch", "Draw": "-draw", "Proxies": "-proxy", "Shard": "-shard"}

func runCorrelate(args []string, out io.Writer) error {
	fs := newFlags("correlate", out)
	spaceName := fs.String("space", "nb201", "search space (only nb201 has a benchmark table)")
	proxy := fs.String("proxy", "synflow,snip,grasp,fisher,grad_norm,jacob_cov,naswot,params,flops", "comma-separated proxies: "+strings.Join(freedarts.CriterionNames(), ", ")+
		"; or a named ensemble, scored as its members plus its row: "+strings.Join(freedarts.NamedEnsembleNames(), ", "))
	sample := sampleSize{n: 100}
	fs.Var(&sample, "sample", "cells drawn at random, or all (every cell of the benchmark); ignored with -indices")
	sampleSeed := fs.Uint64("sample-seed", 0, "seed of the cell sample")
	indicesFile := fs.String("indices", "", "file of NAS-Bench-201 indices, one a line, to score instead of a sample")
	seed := fs.Uint64("seed", 0, "seed of the network weights and of the data batch")
	draw := fs.String("draw", string(study.DrawShared), "weights and batch per cell: "+string(study.DrawShared)+" (the same seed and plain batch for every cell) or "+
		string(study.DrawPerCell)+" (seeded by -seed and the cell index, and an augmented batch: the zero-cost-nas protocol)")
	dataPath := dataFlag(fs)
	benchPath := benchFlag(fs)
	outFile := fs.String("out", "", "CSV of per-cell scores (index, arch, one column per proxy), its settings beside it in OUT.settings; "+
		"an existing file is resumed (one writer at a time: OUT.lock), a file that is not such a study is refused and left as it was")
	batchSize := fs.Int("batch", 64, "images in the data batch")
	convBias := fs.Bool("conv-bias", false, "give the cell convolutions a bias, as zero-cost-nas's NB201 model does (batch norm cancels it; Fisher and the BN-free SynFlow see it, and Fisher's published correlation needs it)")
	shardSpec := fs.String("shard", "", "score only part I/N of the cells (the I-th of N, from 0; round-robin over the sorted cells), "+
		"or env: the task of a SLURM job array ($SLURM_ARRAY_TASK_ID - $SLURM_ARRAY_TASK_MIN of $SLURM_ARRAY_TASK_COUNT) or of a "+
		"Kubernetes Indexed Job ($JOB_COMPLETION_INDEX of $FREEDARTS_SHARDS); each shard writes its own -out, and merge joins them")
	supernet := fs.Bool("supernet", false, "score every cell as the NB201 supernet with a one-hot alpha input: one graph per study, compiled once, "+
		"instead of one per cell (for XLA, where compiling a cell takes ~20 s; on the go backend the concrete networks are faster). "+
		"The same scores up to the last float32 digits: OUT.settings records the mode with the compute, so a file is read in either mode and added to only in its own")
	workers := fs.Int("workers", 0, "cells scored at once, each on its own backend instance; 0 picks one per core (study.AutoWorkers), or one when that many passes would not fit in memory")
	ensembles := fs.String("ensembles", "", "proxy sets to combine, e.g. synflow+jacob_cov+naswot,snip+synflow: rank-average, majority-vote and log-rank rows; or named ensembles ("+
		strings.Join(freedarts.NamedEnsembleNames(), ", ")+"), one row each")
	backendName := backendFlag(fs)
	progress := progressFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workers < 0 {
		return usageErrorf("-workers %d: want >= 1, or 0 to pick", *workers)
	}
	shard, err := study.ParseShard(*shardSpec, os.Getenv)
	if err != nil {
		return usageError{fmt.Errorf("-%w", err)} // "-shard "x": ..."
	}
	if *spaceName != "nb201" {
		return usageErrorf("correlate: -space %q: only nb201 has a benchmark table", *spaceName)
	}
	// A named ensemble among the proxies (az_nas) is its members, scored
	// per cell, and its row, combined over the cells.
	proxyList, named := freedarts.ExpandEnsembles(*proxy)
	listed := strings.Split(*ensembles, ",")
	for i := range listed {
		listed[i] = strings.TrimSpace(listed[i])
	}
	for _, e := range named {
		if !slices.Contains(listed, e) {
			*ensembles = strings.Trim(*ensembles+","+e, ",")
		}
	}
	crits, err := freedarts.LookupCriteria(proxyList)
	if err != nil {
		return usageError{fmt.Errorf("-proxy: %w", err)}
	}
	names := make([]string, len(crits))
	for i, c := range crits {
		names[i] = c.Name
	}
	sets, err := study.ParseEnsembles(*ensembles, names)
	if err != nil {
		return usageError{fmt.Errorf("-%w", err)} // "-ensembles "a+b": ..."
	}
	bench, _, _, err := loadBench(*benchPath)
	if err != nil {
		return err
	}
	if bench == nil {
		return usageErrorf("-bench %q: correlate needs the NAS-Bench-201 accuracy table (default %s, absent here)", *benchPath, defaultBench)
	}
	var indices []int
	if *indicesFile != "" {
		if indices, err = study.ReadIndices(*indicesFile, bench.Len()); err != nil {
			if errors.Is(err, study.ErrNotRegular) {
				return usageError{fmt.Errorf("-indices: %w", err)}
			}
			return fmt.Errorf("-indices: %w", err)
		}
	} else if sample.all {
		indices = make([]int, bench.Len())
		for i := range indices {
			indices[i] = i
		}
	} else if indices, err = nb201.Sample(sample.n, *sampleSeed, bench.Len()); err != nil {
		return usageError{fmt.Errorf("-sample: %w", err)}
	}
	net := nb201.DefaultConfig()
	net.ConvBias = *convBias
	cfg := study.Config{Network: net, Proxies: crits, Indices: indices, Seed: *seed, Draw: study.Draw(*draw), Batch: *batchSize,
		Shard: shard, Backend: *backendName, Supernet: *supernet, Workers: *workers, Out: *outFile}
	if freedarts.NeedData(crits...) {
		var path string
		if cfg.Data, path, err = loadData(*dataPath, 0); err != nil {
			return err
		}
		cfg.DataName = filepath.Base(path)
	}
	if *progress {
		cfg.Progress = func(p study.Progress) { fmt.Fprintf(os.Stderr, "correlate: %s\n", p) }
	}

	// Every worker holds a pass at once. -workers 0 (study.AutoWorkers)
	// falls back to one worker when that many passes do not fit.
	if cfg.Workers == 0 {
		cfg.Workers = study.AutoWorkers()
		if cfg.Workers > 1 && checkStudyMemory(net, crits, *batchSize, cfg.Workers) != nil {
			cfg.Workers = 1
		}
	}
	if err := checkStudyMemory(net, crits, *batchSize, cfg.Workers); err != nil {
		return usageError{err}
	}

	// Ctrl-C or SIGTERM stops the study once the cells in flight are
	// written; a second one ends the process at once (stopOnSignal).
	ctx, stop := stopOnSignal(progressOut(out))
	defer stop()
	res, err := study.Run(ctx, cfg, bench)
	if res != nil {
		for _, n := range res.Notes {
			fmt.Fprintf(os.Stderr, "correlate: -out: %s\n", n)
		}
	}
	if err != nil {
		return correlateError(err, res, *outFile)
	}
	rep := correlateReport{Space: "nb201", Proxies: names, Backend: backend.Config(*backendName), Compute: res.Settings.Compute,
		Seed: *seed, Draw: *draw, ConvBias: *convBias, Shard: shard.String(), Cells: len(res.Table.Rows), Resumed: res.Resumed,
		Workers: res.Workers}
	if cfg.Data != nil {
		rep.Batch = *batchSize
	}
	if res.SecondsPerCell != nil {
		rep.SecondsPerCell = map[string]float64{}
		for i, n := range names {
			rep.SecondsPerCell[n] = res.SecondsPerCell[i]
		}
	}
	if rep.Correlations, err = study.Correlate(res.Table, bench, sets); err != nil {
		return fmt.Errorf("correlate: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	printCorrelations(out, rep)
	return nil
}

// correlateError words an error of study.Run for the command line: a
// Config field by its flag, an interruption with what it kept.
func correlateError(err error, res *study.Result, outFile string) error {
	var ce *study.ConfigError
	if errors.As(err, &ce) {
		if flag, ok := correlateFlags[ce.Field]; ok {
			return usageErrorf("%s %s: %s", flag, ce.Value, ce.Want)
		}
		return usageError{err}
	}
	var oe *study.OutError
	switch {
	case errors.As(err, &oe) && errors.Is(err, study.ErrNotRegular):
		return usageError{fmt.Errorf("correlate: -out %w", oe.Err)}
	case errors.As(err, &oe):
		// The file is left as it was: say which flag names it.
		return fmt.Errorf("correlate: -out %w", oe.Err)
	}
	if errors.Is(err, context.Canceled) && res != nil {
		kept := "not kept: no -out"
		if outFile != "" {
			kept = "written to " + outFile + ": run the same command again to resume"
		}
		return fmt.Errorf("correlate: interrupted after %d new cells (%d resumed), %s", res.Scored, res.Resumed, kept)
	}
	return err
}

func printCorrelations(out io.Writer, rep correlateReport) {
	model := ""
	if rep.ConvBias {
		model = ", cell convolutions with bias"
	}
	if rep.Shard != "" {
		model += ", shard " + rep.Shard
	}
	fmt.Fprintf(out, "zero-cost proxies on %d NAS-Bench-201 cells (%d resumed), batch %d, seed %d, draw %s%s, backend %s, %d workers\n",
		rep.Cells, rep.Resumed, rep.Batch, rep.Seed, rep.Draw, model, rep.Compute, rep.Workers)
	headers, rows := study.CorrelationTable(rep.Correlations, nil)
	if rep.SecondsPerCell != nil {
		headers = append(headers, "s/cell")
		for i, r := range rows {
			if s, ok := rep.SecondsPerCell[r[0]]; ok {
				rows[i] = append(r, fmt.Sprintf("%.2f", s))
			}
		}
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range append([][]string{headers}, rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	noted := map[string]bool{}
	for _, c := range rep.Correlations {
		if c.Undefined != "" && !noted[c.Proxy] {
			noted[c.Proxy] = true
			fmt.Fprintf(out, "%s: no correlation (%s)\n", c.Proxy, c.Undefined)
		}
	}
}

// sampleSize is -sample: a number of cells, or all of them.
type sampleSize struct {
	n   int
	all bool
}

func (s *sampleSize) String() string {
	if s.all {
		return "all"
	}
	return strconv.Itoa(s.n)
}

func (s *sampleSize) Set(v string) error {
	if v == "all" {
		*s = sampleSize{all: true}
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return fmt.Errorf("want a number of cells >= 1, or all")
	}
	*s = sampleSize{n: n}
	return nil
}
