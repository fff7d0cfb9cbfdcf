package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/perf"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	register(command{Name: "bench", Summary: "time searches (median after warm-up, compile, memory, FLOPs, GFLOP/s)", Run: runBench})
}

func runBench(args []string, out io.Writer) error {
	fs := newFlags("bench", out)
	casesFlag := fs.String("cases", "all", "comma-separated cases, or all: "+strings.Join(perf.StandardNames(), ", "))
	repeat := fs.Int("repeat", 3, "timed passes per case after one warm-up pass (which compiles)")
	dataPath := fs.String("data", "", "CIFAR-10 for the data proxies: a file or directory (default "+defaultDataDir+" when present), or \"synthetic\" for N(0,1) images")
	peakSize := fs.Int("peak-size", 0, "side of the square MatMul that measures the peak (0: 1024 on go, 4096 on xla; -1 skips)")
	ops := fs.Bool("ops", false, "also print each case's scoring graph by op type (count, output elements, FLOPs)")
	backendName := backendFlag(fs)
	progress := progressFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	list := fs.Bool("list", false, "print the case names, one a line, and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *list {
		fmt.Fprintln(out, strings.Join(perf.StandardNames(), "\n"))
		return nil
	}
	switch {
	case *repeat < 1 || *repeat > 1000:
		return usageErrorf("-repeat %d, want 1 to 1000", *repeat)
	case *peakSize < -1 || *peakSize > 8192:
		return usageErrorf("-peak-size %d, want -1 (skip), 0 (the backend's default) or up to 8192", *peakSize)
	}
	cases, err := perf.Cases(strings.Split(*casesFlag, ",")...)
	if err != nil {
		return usageError{fmt.Errorf("-cases: %w", boundErr(err))}
	}
	b, err := backend.Open(*backendName)
	if err != nil {
		return err
	}
	opts := perf.Options{Backend: b, Repeat: *repeat, PeakSize: *peakSize, DataNote: "synthetic N(0,1) images"}
	if perf.NeedsData(cases) && *dataPath != "synthetic" {
		data, path, err := loadData(*dataPath, 0)
		if err != nil {
			return fmt.Errorf("%w (or -data synthetic)", err)
		}
		opts.DataNote = path
		opts.Data = func(n int, seed uint64) (*freedarts.Batch, error) { return freedarts.SampleBatch(data, n, seed) }
	}
	if *progress {
		opts.Progress = func(c perf.Case) { fmt.Fprintf(progressOut(out), "bench: %s ...\n", c.Name) }
	}
	rep, err := perf.Run(opts, cases, nn.FastPath())
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	return rep.WriteTable(out, *ops)
}
