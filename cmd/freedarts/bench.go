package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/bench"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	register(command{Name: "bench", Summary: "time searches (median after warm-up, compile, memory, FLOPs, GFLOP/s)", Run: runBench})
}

// benchCase names a case and the registered space it needs.
type benchCase struct {
	Name, Desc, Space, Proxy string
	Config                   spaceConfig
	Batch                    int
}

// benchCases are the cases of GitHub issues #2 and #6, in order.
var benchCases = []benchCase{
	{"nb201-synflow", "NB201 C=16 N=5, 32x32", "nb201", "synflow", spaceConfig{}, 1},
	{"nb201-snip", "NB201 C=16 N=5, 32x32", "nb201", "snip", spaceConfig{}, 64},
	{"nb201-grasp", "NB201 C=16 N=5, 32x32", "nb201", "grasp", spaceConfig{}, 64},
	{"darts8-synflow", "DARTS 8 cells C=16, 32x32", "darts", "synflow", spaceConfig{Cells: 8, Channels: 16, Input: 32}, 1},
	{"darts20-synflow", "DARTS 20 cells C=16, 32x32", "darts", "synflow", spaceConfig{Cells: 20, Channels: 16, Input: 32}, 1},
	{"darts-imagenet-synflow", "DARTS ImageNet 14 cells C=48, 224x224", "darts-imagenet", "synflow", spaceConfig{}, 1},
}

func benchCaseNames() []string {
	names := make([]string, len(benchCases))
	for i, c := range benchCases {
		names[i] = c.Name
	}
	return names
}

func runBench(args []string, out io.Writer) error {
	fs := newFlags("bench", out)
	casesFlag := fs.String("cases", "all", "comma-separated cases, or all: "+strings.Join(benchCaseNames(), ", "))
	repeat := fs.Int("repeat", 3, "timed passes per case after one warm-up pass (which compiles)")
	dataDir := fs.String("data", "", "CIFAR-10 for the data proxies (default "+defaultDataDir+" when present, else synthetic N(0,1) images)")
	peakSize := fs.Int("peak-size", 0, "side of the square MatMul that measures the peak (0: 1024 on go, 4096 on xla; -1 skips)")
	backendName := backendFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	list := fs.Bool("list", false, "print the case names, one a line, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if *list {
		for _, c := range benchCases {
			fmt.Fprintln(out, c.Name)
		}
		return nil
	}
	selected, err := selectBenchCases(*casesFlag)
	if err != nil {
		return err
	}
	b, cfg, err := openBackend(*backendName)
	if err != nil {
		return err
	}
	opts := bench.Options{Backend: b, BackendName: cfg, Repeat: *repeat, PeakSize: *peakSize, DataNote: "synthetic N(0,1) images"}
	if needsData(selected) {
		if path, err := resolveData(*dataDir); err == nil {
			data, err := cifar10.Load(path, 0)
			if err != nil {
				return err
			}
			opts.DataNote = path
			opts.Data = func(n int, seed uint64) (*freedarts.Batch, error) {
				if data.Len() < n {
					return nil, fmt.Errorf("%s has %d images, the case needs %d", path, data.Len(), n)
				}
				return freedarts.SampleBatch(data, n, seed)
			}
		} else if *dataDir != "" {
			return err
		}
	}
	if !*asJSON {
		opts.Progress = func(c bench.Case) { fmt.Fprintf(os.Stderr, "bench: %s ...\n", c.Name) }
	}
	cases := make([]bench.Case, len(selected))
	for i, bc := range selected {
		cases[i] = bench.Case{Name: bc.Name, Desc: bc.Desc, Proxy: bc.Proxy, Batch: bc.Batch}
		def, ok := spaceDefs[bc.Space]
		if !ok {
			cases[i].Note = fmt.Sprintf("space %q is not registered in this build (have %s)", bc.Space, spaceNames())
			continue
		}
		space, err := def.New(bc.Config)
		if err != nil {
			cases[i].Note = fmt.Sprintf("space %s: %v", bc.Space, err)
			continue
		}
		cases[i].Space = space
	}
	rep, err := bench.Run(opts, cases, nn.FastPath())
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	printBench(out, rep)
	return nil
}

func selectBenchCases(flagValue string) ([]benchCase, error) {
	if flagValue == "" || flagValue == "all" {
		return benchCases, nil
	}
	var out []benchCase
	for name := range strings.SplitSeq(flagValue, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(benchCases, func(c benchCase) bool { return c.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("-cases: unknown case %q (want all or some of %s)", name, strings.Join(benchCaseNames(), ", "))
		}
		out = append(out, benchCases[i])
	}
	return out, nil
}

func needsData(cases []benchCase) bool {
	for _, c := range cases {
		if crit, err := freedarts.LookupCriterion(c.Proxy); err == nil && crit.NeedsData {
			return true
		}
	}
	return false
}

func printBench(out io.Writer, rep *bench.Report) {
	exp := rep.GOEXPERIMENT
	if exp == "" {
		exp = "(none)"
	}
	fmt.Fprintf(out, "FreeDARTS bench %s: backend %s (%s), CPU %s (%d CPUs, GOMAXPROCS %d), %s, GOEXPERIMENT %s, fast ops %v\n",
		rep.Date, rep.Backend, rep.BackendDesc, rep.CPU, rep.NumCPU, rep.GOMAXPROCS, rep.GoVersion, exp, rep.FastPath)
	if p := rep.Peak; p.Size > 0 {
		fmt.Fprintf(out, "matmul peak (%dx%d): float32 %.1f GFLOP/s, float64 %.1f GFLOP/s", p.Size, p.Size, p.F32GFLOPS, p.F64GFLOPS)
		if p.Unsupported != "" {
			fmt.Fprintf(out, " (%s)", p.Unsupported)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "times: median of %d passes after a warm-up pass; cpu = process CPU time per pass; peak = VmHWM reset before each case; data: %s\n", rep.Repeat, rep.Data)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tproxy\tdtype\tbatch\tmedian s\tmin s\tcpu s\tcompile s\tpeak MiB\tfwd GFLOP\ttotal GFLOP\tGFLOP/s\t% peak\t")
	var notes []string
	for _, r := range rep.Results {
		if r.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Name, r.Proxy)
			notes = append(notes, fmt.Sprintf("%s skipped: %s", r.Name, r.Note))
			continue
		}
		scope := ""
		if r.PeakRSSScope != "case" {
			scope = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.2f\t%.0f%s\t%.3f\t%.3f\t%.1f\t%.1f\t\n",
			r.Name, r.Proxy, r.DType, r.Batch, r.Seconds, r.MinSeconds, r.CPUSeconds, r.CompileSeconds,
			float64(r.PeakRSS)/(1<<20), scope, float64(r.ForwardFLOPs)/1e9, float64(r.FLOPs)/1e9, r.GFLOPS, 100*r.PeakFraction)
	}
	tw.Flush()
	for _, r := range rep.Results {
		if !r.Skipped && r.PeakRSSScope != "case" {
			notes = append(notes, "* peak MiB is the process high-water mark so far (the kernel refused the per-case reset)")
			break
		}
	}
	for _, n := range notes {
		fmt.Fprintln(out, "note:", n)
	}
}
