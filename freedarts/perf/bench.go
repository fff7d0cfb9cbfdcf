// Package perf times FreeDARTS searches: for each case (a space, a proxy
// and a batch size) the median wall time of a scoring pass after a warm-up,
// the one-off compilation, the peak memory, the FLOPs of the graph counted
// from its shapes, and the achieved rate against this machine's measured
// matrix-multiplication peak on the same backend.
//
// The freedarts bench command (cmd/freedarts/bench.go) builds the cases from
// the registered spaces and prints the report.
//
// The bench command is this package's; "bench" elsewhere (the -bench flag
// of the other commands, nb201.Bench) is NAS-Bench-201's accuracy table,
// which scores what a search selects, not how fast it runs.
package perf

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
)

// Case is one benchmarked search.
type Case struct {
	// Name identifies the case on the command line (-cases) and in reports.
	Name string `json:"name"`
	// Desc says what the case is, for the table.
	Desc string `json:"desc"`
	// Space is the search space; nil when it could not be built, with Note
	// saying why (the case is then reported as skipped).
	Space freedarts.Space `json:"-"`
	Proxy string          `json:"proxy"`
	// Batch is the number of images for data proxies (SynFlow uses one
	// all-ones image whatever it says).
	Batch int    `json:"batch"`
	Note  string `json:"note,omitempty"`
}

// Options configure Run.
type Options struct {
	Backend *backend.Backend
	// Repeat is the number of timed passes after the warm-up (>= 1).
	Repeat int
	// Data returns the labelled batch of n images for data proxies (seeded);
	// nil uses SyntheticBatch.
	Data func(n int, seed uint64) (*freedarts.Batch, error)
	// DataNote says where Data's images come from, for the report.
	DataNote string
	// PeakSize is the side of the square matrices of the peak measurement
	// (0: 1024 on CPU backends, 4096 otherwise); negative skips it.
	PeakSize int
	// Progress, when set, is told when each case starts.
	Progress func(c Case)
}

// Result is the outcome of one case.
type Result struct {
	Case
	Skipped bool   `json:"skipped"`
	DType   string `json:"dtype,omitempty"`
	// Seconds is the median wall time of the timed passes; MinSeconds the
	// fastest; CPUSeconds the median process CPU time of a pass (above
	// Seconds when the backend runs on several threads; a better measure
	// than wall time on a busy machine for a single-threaded backend).
	Seconds    float64   `json:"seconds"`
	MinSeconds float64   `json:"min_seconds"`
	CPUSeconds float64   `json:"cpu_seconds"`
	Runs       []float64 `json:"runs"`
	// CompileSeconds is the graph building and compilation of the first pass.
	CompileSeconds float64 `json:"compile_seconds"`
	// PeakRSS is the process's peak resident memory (VmHWM) during the case,
	// in bytes; PeakRSSScope says whether it was reset before the case
	// ("case") or is the high-water mark of the whole process so far
	// ("process", when the kernel refuses the reset).
	PeakRSS      int64  `json:"peak_rss_bytes"`
	PeakRSSScope string `json:"peak_rss_scope"`
	// ForwardFLOPs are those of one forward pass (input to logits);
	// FLOPs those of the whole scoring graph, which the rate is computed from.
	ForwardFLOPs int64   `json:"forward_flops"`
	FLOPs        int64   `json:"flops"`
	MatMulFLOPs  int64   `json:"matmul_flops"`
	GFLOPS       float64 `json:"gflops"`
	// PeakFraction is GFLOPS over the measured matmul peak of DType.
	PeakFraction float64 `json:"peak_fraction"`
	// Arch is the architecture the last timed pass selected.
	Arch string `json:"arch,omitempty"`
	// Ops are the scoring graph's operations by type (GraphStats.ByType).
	Ops []OpStat `json:"ops,omitempty"`
}

// Peak is the measured rate of a large square MatMul on the backend.
type Peak struct {
	Size        int     `json:"size"`
	F32GFLOPS   float64 `json:"f32_gflops"`
	F64GFLOPS   float64 `json:"f64_gflops"`
	F32Seconds  float64 `json:"f32_seconds"`
	F64Seconds  float64 `json:"f64_seconds"`
	Unsupported string  `json:"unsupported,omitempty"`
}

// Report is a whole benchmark run.
type Report struct {
	Date         string   `json:"date"`
	Backend      string   `json:"backend"`
	BackendDesc  string   `json:"backend_desc"`
	CPU          string   `json:"cpu"`
	NumCPU       int      `json:"num_cpu"`
	GOMAXPROCS   int      `json:"gomaxprocs"`
	GoVersion    string   `json:"go_version"`
	GOEXPERIMENT string   `json:"goexperiment"`
	FastPath     bool     `json:"fast_path"`
	Repeat       int      `json:"repeat"`
	Data         string   `json:"data,omitempty"`
	Peak         Peak     `json:"peak"`
	Results      []Result `json:"results"`
}

// Run measures the peak and then every case, in order.
func Run(opts Options, cases []Case, fastPath bool) (*Report, error) {
	if opts.Backend == nil || opts.Backend.Backend == nil {
		return nil, fmt.Errorf("bench: no backend, want Options.Backend from backend.Open or backend.Shared")
	}
	if opts.Repeat < 1 {
		return nil, fmt.Errorf("bench: -repeat %d, want >= 1", opts.Repeat)
	}
	rep := &Report{
		Date:         time.Now().UTC().Format(time.RFC3339),
		Backend:      opts.Backend.Config,
		BackendDesc:  opts.Backend.Backend.Description(),
		CPU:          CPUModel(),
		NumCPU:       runtime.NumCPU(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
		GoVersion:    runtime.Version(),
		GOEXPERIMENT: backend.GoExperiment(),
		FastPath:     fastPath,
		Repeat:       opts.Repeat,
		Data:         opts.DataNote,
	}
	size := opts.PeakSize
	if size == 0 {
		size = 1024
		if !strings.HasPrefix(opts.Backend.Config, "go") {
			size = 4096
		}
	}
	if size > 0 {
		p, err := MeasurePeak(opts.Backend.Backend, size, 3)
		if err != nil {
			p.Unsupported = err.Error()
		}
		rep.Peak = p
	}
	for _, c := range cases {
		if opts.Progress != nil {
			opts.Progress(c)
		}
		r, err := runCase(opts, c, rep.Peak)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", c.Name, err)
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func runCase(opts Options, c Case, peak Peak) (Result, error) {
	r := Result{Case: c}
	if c.Space == nil {
		r.Skipped = true
		return r, nil
	}
	crit, err := freedarts.LookupCriterion(c.Proxy)
	if err != nil {
		return r, err
	}
	r.DType = crit.DType.String()
	batchSize := 1
	if crit.NeedsData() {
		batchSize = c.Batch
	}
	r.Batch = batchSize
	data := func(seed uint64) (*freedarts.Batch, error) {
		if opts.Data != nil {
			return opts.Data(batchSize, seed)
		}
		return SyntheticBatch(batchSize, c.Space.InputSize(), 10, seed)
	}
	runtime.GC()
	debug.FreeOSMemory()
	r.PeakRSSScope = "process"
	if ResetPeakRSS() == nil {
		r.PeakRSSScope = "case"
	}
	search, err := freedarts.New(c.Space, freedarts.Options{Criteria: []freedarts.Criterion{crit}, Backend: opts.Backend, Data: data})
	if err != nil {
		return r, err
	}
	defer search.Close()
	fw, full, err := CountSearch(search, batchSize)
	if err != nil {
		return r, err
	}
	r.ForwardFLOPs, r.FLOPs, r.MatMulFLOPs, r.Ops = fw.FLOPs, full.FLOPs, full.MatMulFLOPs, full.ByType
	// Warm-up: compiles the graph and runs it once.
	if _, err := search.Run(0); err != nil {
		return r, err
	}
	r.CompileSeconds = search.CompileSeconds()
	var cpus []float64
	for i := range opts.Repeat {
		seed := uint64(i + 1)
		cpu0 := cpuSeconds()
		start := time.Now()
		res, err := search.Run(seed)
		if err != nil {
			return r, err
		}
		r.Runs = append(r.Runs, time.Since(start).Seconds())
		cpus = append(cpus, cpuSeconds()-cpu0)
		r.Arch = res.Arch.String()
	}
	r.PeakRSS = PeakRSS()
	r.Seconds, r.MinSeconds, r.CPUSeconds = median(r.Runs), slices.Min(r.Runs), median(cpus)
	if r.Seconds > 0 {
		r.GFLOPS = float64(r.FLOPs) / r.Seconds / 1e9
	}
	ref := peak.F32GFLOPS
	if crit.DType == dtypes.Float64 {
		ref = peak.F64GFLOPS
	}
	if ref > 0 {
		r.PeakFraction = r.GFLOPS / ref
	}
	return r, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuSeconds is the user plus system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// SyntheticBatch is n images of size² with N(0,1) pixels (what normalised
// CIFAR images look like to a timing) and uniform labels, from seed.
func SyntheticBatch(n, size, classes int, seed uint64) (*freedarts.Batch, error) {
	if n < 1 || size < 1 || classes < 1 {
		return nil, fmt.Errorf("bench: synthetic batch of %d images of %dx%d, %d classes: want each >= 1", n, size, size, classes)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	b := &freedarts.Batch{N: n, H: size, W: size, Images: make([]float32, n*size*size*3), Labels: make([]int32, n)}
	for i := range b.Images {
		b.Images[i] = float32(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = int32(rng.IntN(classes))
	}
	return b, nil
}

// procStatus reads one "Key:  value kB" line of /proc/self/status, in bytes.
func procStatus(key string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		v, _ := strconv.ParseInt(f[0], 10, 64)
		if len(f) > 1 && f[1] == "kB" {
			v *= 1024
		}
		return v
	}
	return 0
}

// PeakRSS is the process's VmHWM (peak resident set) in bytes, 0 when
// unknown (not Linux).
func PeakRSS() int64 { return procStatus("VmHWM") }

// RSS is the process's current VmRSS in bytes.
func RSS() int64 { return procStatus("VmRSS") }

// ResetPeakRSS resets VmHWM to the current RSS (Linux >= 4.0: "5" to
// /proc/self/clear_refs).
func ResetPeakRSS() error { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// CPUModel is the "model name" of /proc/cpuinfo, or GOARCH.
func CPUModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
