package perf

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Cost is what the searches of Measure cost.
type Cost struct {
	// Weights counts the scalars of the supernet's convolution and linear
	// weights.
	Weights int `json:"weights"`
	// CompileSeconds is the one-off compilation; PassSeconds the mean
	// scoring pass.
	CompileSeconds float64 `json:"compile_seconds"`
	PassSeconds    float64 `json:"pass_seconds"`
	// PeakRSS is the process's peak resident memory during the searches
	// (VmHWM, reset before them where the kernel allows; 0 where unknown),
	// AllocPerPass the Go heap allocated per seed, in bytes.
	PeakRSS      int64 `json:"peak_rss_bytes"`
	AllocPerPass int64 `json:"alloc_per_pass_bytes"`
}

// Measure runs s once per seed and measures the cost: what a notebook
// shows next to the picks of a search.
func Measure(s *freedarts.Search, seeds []uint64) ([]*freedarts.Result, Cost, error) {
	specs, err := s.Params()
	if err != nil {
		return nil, Cost{}, fmt.Errorf("measure: %w", err)
	}
	c := Cost{Weights: nn.CountParams(specs, nn.Weight)}
	runtime.GC()
	debug.FreeOSMemory()
	_ = ResetPeakRSS()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	results := make([]*freedarts.Result, 0, len(seeds))
	for _, seed := range seeds {
		res, err := s.Run(seed)
		if err != nil {
			return nil, c, err
		}
		results = append(results, res)
		c.PassSeconds += res.Seconds / float64(len(seeds))
	}
	runtime.ReadMemStats(&after)
	c.PeakRSS = PeakRSS()
	c.CompileSeconds = s.CompileSeconds()
	if len(seeds) > 0 {
		c.AllocPerPass = int64(after.TotalAlloc-before.TotalAlloc) / int64(len(seeds))
	}
	return results, c, nil
}

// MeasureSpace builds the search of space with opts, measures it over seeds
// (Measure) and closes it: one search's picks and cost in one call.
func MeasureSpace(space freedarts.Space, opts freedarts.Options, seeds ...uint64) ([]*freedarts.Result, Cost, error) {
	s, err := freedarts.New(space, opts)
	if err != nil {
		return nil, Cost{}, fmt.Errorf("measure: %w", err)
	}
	defer s.Close()
	return Measure(s, seeds)
}

// CostColumns head the columns of Cost.Row.
var CostColumns = []string{"supernet weights (M)", "compile (s)", "pass (s)", "peak RSS (MB)", "allocated per pass (MB)"}

// Row formats c for a table under CostColumns: weights in millions,
// seconds with two decimals, memory in MB.
func (c Cost) Row() []string {
	return []string{fmt.Sprintf("%.2f", float64(c.Weights)/1e6), fmt.Sprintf("%.2f", c.CompileSeconds),
		fmt.Sprintf("%.2f", c.PassSeconds), MB(c.PeakRSS), MB(c.AllocPerPass)}
}

// MB formats bytes as whole MB (2^20 bytes).
func MB(bytes int64) string { return fmt.Sprintf("%.0f", float64(bytes)/(1<<20)) }
