package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// small is a NAS-Bench-201 network small enough to score a cell in a
// fraction of a second.
var small = nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}

var loadBench = sync.OnceValues(func() (*nb201.Bench, error) {
	path, err := nb201.FindBench("")
	if err != nil {
		return nil, err
	}
	return nb201.LoadBench(path)
})

// testBench is the NAS-Bench-201 table: the test is skipped without it, or
// fails with CI=true.
func testBench(t *testing.T) *nb201.Bench {
	t.Helper()
	shareddata.Path(t, "nb201/nb201_accuracy.csv")
	b, err := loadBench()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func criteria(t *testing.T, list string) []freedarts.Criterion {
	t.Helper()
	c, err := freedarts.LookupCriteria(list)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// smallConfig scores cells with synflow and params on the small network.
func smallConfig(t *testing.T, indices ...int) Config {
	return Config{Network: small, Proxies: criteria(t, "synflow,params"), Indices: indices, Backend: "go", Workers: 1}
}

func TestRunConfigErrors(t *testing.T) {
	bench := testBench(t)
	data := &cifar10.Dataset{Labels: make([]uint8, 4), Pixels: make([]uint8, 4*cifar10.Height*cifar10.Width*cifar10.Channels)}
	for _, tc := range []struct {
		name, field, want string
		edit              func(c *Config)
	}{
		{"negative workers", "Workers", "Config.Workers -2: want >= 1 (0 picks AutoWorkers)", func(c *Config) { c.Workers = -2 }},
		{"no proxies", "Proxies", "want at least one proxy", func(c *Config) { c.Proxies = nil }},
		{"twice", "Proxies", "[1]=synflow: want every proxy once", func(c *Config) {
			c.Proxies = append(criteria(t, "synflow"), criteria(t, "synflow")...)
		}},
		{"alpha only", "Proxies", "whole-network definition", func(c *Config) {
			c.Proxies = []freedarts.Criterion{{Name: "alpha-only", NotOnAlpha: "a test criterion"}}
		}},
		{"no indices", "Indices", "want at least one cell index", func(c *Config) { c.Indices = nil }},
		{"index out of range", "Indices", "[1]=15625: want a NAS-Bench-201 index in [0, 15625)", func(c *Config) { c.Indices = []int{0, 15625} }},
		{"negative index", "Indices", "[0]=-1", func(c *Config) { c.Indices = []int{-1} }},
		{"draw", "Draw", `"fresh": want shared or per-cell`, func(c *Config) { c.Draw = "fresh" }},
		{"network", "Network", "width C=0", func(c *Config) { c.Network = nb201.Config{N: 1, Classes: 10, InputSize: 8} }},
		{"no data", "Data", "want CIFAR-10 images: snip need a labelled batch", func(c *Config) { c.Proxies = criteria(t, "snip,params") }},
		{"data input size", "Network", "InputSize 8: want 32", func(c *Config) { c.Proxies, c.Data, c.Batch = criteria(t, "snip"), data, 2 }},
		{"batch 0", "Batch", "Config.Batch 0: want 1 to 4, the images in the dataset", func(c *Config) {
			c.Network, c.Proxies, c.Data = nb201.DefaultConfig(), criteria(t, "snip"), data
		}},
		{"batch too large", "Batch", "Batch 5", func(c *Config) {
			c.Network, c.Proxies, c.Data, c.Batch = nb201.DefaultConfig(), criteria(t, "snip"), data, 5
		}},
		{"data name", "DataName", "the settings of Out record it", func(c *Config) {
			c.Network, c.Proxies, c.Data, c.Batch, c.Out = nb201.DefaultConfig(), criteria(t, "snip"), data, 2, "x.csv"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig(t, 0, 1)
			tc.edit(&cfg)
			res, err := Run(context.Background(), cfg, bench)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.want) || res != nil {
				t.Errorf("Run = %v, %v; want a *ConfigError of %s containing %q", res, err, tc.field, tc.want)
			}
		})
	}
	if _, err := Run(context.Background(), smallConfig(t, 0), nil); err == nil || !strings.Contains(err.Error(), "no benchmark table") {
		t.Errorf("Run without a bench: %v", err)
	}
	cfg := smallConfig(t, 0)
	cfg.Backend = "nosuch"
	if _, err := Run(context.Background(), cfg, bench); err == nil || !strings.Contains(err.Error(), `unknown backend "nosuch"`) {
		t.Errorf("Run on backend nosuch: %v", err)
	}
}

// TestRunWorkers: any number of workers, and any draw, gives the same
// table, sorted by index whatever the order of Indices, and the same Out
// file.
func TestRunWorkers(t *testing.T) {
	bench := testBench(t)
	indices := []int{6111, 0, 1000, 15624, 0}
	for _, draw := range []Draw{"", DrawShared, DrawPerCell} {
		t.Run(string(draw), func(t *testing.T) {
			var first *Table
			var firstFile []byte
			for _, workers := range []int{1, 2, 3, 0} {
				cfg := smallConfig(t, indices...)
				cfg.Draw, cfg.Workers = draw, workers
				cfg.Out = filepath.Join(t.TempDir(), "scores.csv")
				res, err := Run(context.Background(), cfg, bench)
				if err != nil {
					t.Fatal(err)
				}
				// The same file whatever the workers' finishing order.
				file, err := os.ReadFile(cfg.Out)
				if err != nil {
					t.Fatal(err)
				}
				if firstFile == nil {
					firstFile = file
				} else if string(file) != string(firstFile) {
					t.Errorf("%d workers wrote\n%s\n1 worker wrote\n%s", workers, file, firstFile)
				}
				if want := cmp.Or(workers, AutoWorkers()); res.Workers != want {
					t.Errorf("Workers %d: the result says %d workers, want %d", workers, res.Workers, want)
				}
				if res.Scored != 4 || res.Resumed != 0 || len(res.SecondsPerCell) != 2 {
					t.Errorf("%d workers: %d scored, %d resumed, seconds %v", workers, res.Scored, res.Resumed, res.SecondsPerCell)
				}
				var got []int
				for _, r := range res.Table.Rows {
					got = append(got, r.Index)
				}
				if !reflect.DeepEqual(got, []int{0, 1000, 6111, 15624}) || !reflect.DeepEqual(res.Table.Proxies, []string{"synflow", "params"}) {
					t.Fatalf("%d workers: table of cells %v, proxies %v", workers, got, res.Table.Proxies)
				}
				if first == nil {
					first = res.Table
				} else if !reflect.DeepEqual(res.Table, first) {
					t.Errorf("%d workers: table %+v, 1 worker %+v", workers, res.Table, first)
				}
			}
		})
	}
	shared, perCell := smallConfig(t, 6111), smallConfig(t, 6111)
	perCell.Draw = DrawPerCell
	a, err := Run(context.Background(), shared, bench)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), perCell, bench)
	if err != nil {
		t.Fatal(err)
	}
	if a.Table.Rows[0].Scores[0] == b.Table.Rows[0].Scores[0] || a.Table.Rows[0].Scores[1] != b.Table.Rows[0].Scores[1] {
		t.Errorf("cell 6111, shared %v, per-cell %v: want other synflow weights, the same parameter count", a.Table.Rows[0].Scores, b.Table.Rows[0].Scores)
	}
}

// TestRunResume: the cells in Out are read back, not scored again (a score
// edited in the file comes back as edited), and a resumed run with other
// settings is refused.
func TestRunResume(t *testing.T) {
	bench := testBench(t)
	out := filepath.Join(t.TempDir(), "scores.csv")
	cfg := smallConfig(t, 6111, 0)
	cfg.Out = out
	res, err := Run(context.Background(), cfg, bench)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scored != 2 || res.Settings.Protocol != "seed=0 draw=shared nb201=C4,N1,classes10,input8" {
		t.Fatalf("first run: %d scored, settings %+v", res.Scored, res.Settings)
	}
	// Rewrite the file with cell 0's synflow score edited: a resumed run
	// must read it back, not score the cell again.
	tab, err := LoadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	w, _, err := Open(out, tab.Proxies, res.Settings)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tab.Rows {
		if r.Index == 0 {
			r.Scores = []float64{42, r.Scores[1]}
		}
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()

	cfg.Indices = []int{0, 6111, 1000}
	var progress []Progress
	cfg.Progress = func(p Progress) { progress = append(progress, p) }
	res2, err := Run(context.Background(), cfg, bench)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Resumed != 2 || res2.Scored != 1 || len(progress) != 1 || progress[0].Index != 1000 || progress[0].Done != 1 ||
		progress[0].Total != 1 || progress[0].Resumed != 2 {
		t.Fatalf("second run: %d resumed, %d scored, progress %+v", res2.Resumed, res2.Scored, progress)
	}
	if s := progress[0].String(); !strings.HasPrefix(s, "1/1 cell 1000 (synflow ") || !strings.Contains(s, ", params ") {
		t.Errorf("progress line %q", s)
	}
	if got := res2.Table.Rows[0]; got.Index != 0 || got.Scores[0] != 42 {
		t.Errorf("cell 0 = %+v, want the score 42 read back from the file", got)
	}
	if !reflect.DeepEqual(res2.Table.Rows[2], res.Table.Rows[1]) {
		t.Errorf("cell 6111 resumed as %+v, scored as %+v", res2.Table.Rows[2], res.Table.Rows[1])
	}
	if tab, err := LoadTable(out); err != nil || len(tab.Rows) != 3 {
		t.Errorf("file after the second run: %+v, %v", tab, err)
	}
	// All done: a third run only reads, and scores nothing.
	res3, err := Run(context.Background(), cfg, bench)
	if err != nil || res3.Resumed != 3 || res3.Scored != 0 || res3.SecondsPerCell != nil || len(res3.Table.Rows) != 3 {
		t.Errorf("third run: %+v, %v", res3, err)
	}
	// Other settings, other scores: refused.
	cfg.Draw = DrawPerCell
	if _, err := Run(context.Background(), cfg, bench); err == nil || !strings.Contains(err.Error(), `scored with "seed=0 draw=shared`) {
		t.Errorf("resume with -draw per-cell: %v", err)
	}
	cfg.Draw, cfg.Proxies = DrawShared, criteria(t, "params,synflow")
	if _, err := Run(context.Background(), cfg, bench); err == nil || !strings.Contains(err.Error(), "the same proxies, in order") {
		t.Errorf("resume with other proxies: %v", err)
	}
}

// TestRunCancel cancels the context at the first progress report: Run
// returns context.Canceled once the cells in flight are recorded, and the
// file holds only whole rows, the ones of the Result.
func TestRunCancel(t *testing.T) {
	bench := testBench(t)
	for _, workers := range []int{1, 2} {
		out := filepath.Join(t.TempDir(), "scores.csv")
		ctx, cancel := context.WithCancel(context.Background())
		cfg := smallConfig(t, 0, 1, 2, 3, 4, 5, 6, 7)
		cfg.Out, cfg.Workers = out, workers
		calls := 0
		cfg.Progress = func(Progress) { calls++; cancel() }
		res, err := Run(ctx, cfg, bench)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%d workers: Run = %v, want context.Canceled", workers, err)
		}
		// The cell reported, and those the workers had finished or started
		// when it was: with one worker at most the next one; with two, all
		// those the other worker finished while the first cell was being
		// scored (5 of these tiny cells in one run on a busy machine).
		most := len(cfg.Indices)
		if workers == 1 {
			most = 2
		}
		if res == nil || res.Scored < 1 || res.Scored > most || calls != res.Scored || len(res.Table.Rows) != res.Scored {
			t.Fatalf("%d workers: result %+v after %d progress calls: want 1 to %d cells, each reported", workers, res, calls, most)
		}
		tab, err := LoadTable(out)
		if err == nil { // rows in the order they were scored
			slices.SortFunc(tab.Rows, func(a, b Row) int { return a.Index - b.Index })
		}
		if err != nil || !reflect.DeepEqual(tab.Rows, res.Table.Rows) {
			t.Errorf("%d workers: file %+v (%v), result %+v", workers, tab, err, res.Table)
		}
		data, _ := os.ReadFile(out)
		if !strings.HasSuffix(string(data), "\n") {
			t.Errorf("file ends in a cut row:\n%s", data)
		}
	}
	// Cancelled before it starts: nothing scored, no backend opened.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, smallConfig(t, 0, 1), bench)
	if !errors.Is(err, context.Canceled) || res == nil || res.Scored != 0 || len(res.Table.Rows) != 0 {
		t.Errorf("Run on a cancelled context = %+v, %v", res, err)
	}
}

// failing is the params proxy with a score that fails on its third call:
// NaN, or a panic.
func failing(t *testing.T, panics bool) freedarts.Criterion {
	var calls atomic.Int32
	c := criteria(t, "params")[0]
	c.Name = "failing"
	c.Static = func([]nn.ParamSpec, []nn.Activation) float64 {
		if calls.Add(1) == 3 {
			if panics {
				panic("boom")
			}
			return math.NaN()
		}
		return 1
	}
	return c
}

// TestRunFailingWorker: a failing cell stops the run with its error, the
// cells scored before it are kept, and no goroutine is left behind.
func TestRunFailingWorker(t *testing.T) {
	bench := testBench(t)
	for _, tc := range []struct {
		name    string
		panics  bool
		workers int
		want    string
	}{
		{"nan", false, 1, "network score is NaN"},
		{"nan 3 workers", false, 3, "network score is NaN"},
		{"panic", true, 1, "panic: boom"},
		{"panic 2 workers", true, 2, "panic: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			out := filepath.Join(t.TempDir(), "scores.csv")
			cfg := Config{Network: small, Proxies: append(criteria(t, "params"), failing(t, tc.panics)), Indices: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
				Backend: "go", Workers: tc.workers, Out: out}
			res, err := Run(context.Background(), cfg, bench)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "study: cell ") {
				t.Fatalf("Run = %v, want an error of a cell containing %q", err, tc.want)
			}
			// The 2 cells before the failure, and those the workers had
			// started when it came.
			if res == nil || res.Scored < 2 || res.Scored > 2+tc.workers {
				t.Errorf("result %+v: want 2 to %d cells", res, 2+tc.workers)
			}
			if tab, err := LoadTable(out); err != nil || len(tab.Rows) != res.Scored {
				t.Errorf("file %+v (%v), want the %d scored cells", tab, err, res.Scored)
			}
			// Goroutines end as Run returns; the runtime may take a moment
			// to account for them.
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before+1 {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines before Run, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestRunData scores data proxies: the per-cell draw gives other batches
// than the shared one, and the settings record batch and data.
func TestRunData(t *testing.T) {
	bench := testBench(t)
	path := shareddata.Path(t, "cifar10/train_first4000.bin")
	data, err := cifar10.Load(path, 200)
	if err != nil {
		t.Fatal(err)
	}
	net := nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 32, ConvBias: true}
	scores := func(draw Draw) *Result {
		cfg := Config{Network: net, Proxies: criteria(t, "grad_norm,params"), Indices: []int{6111, 1000}, Draw: draw, Data: data, DataName: path,
			Batch: 8, Backend: "go", Workers: 2, Out: filepath.Join(t.TempDir(), "scores.csv")}
		res, err := Run(context.Background(), cfg, bench)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	shared, perCell := scores(DrawShared), scores(DrawPerCell)
	if want := "seed=0 draw=per-cell batch=8 data=train_first4000.bin conv-bias nb201=C4,N1,classes10,input32"; perCell.Settings.Protocol != want {
		t.Errorf("protocol %q, want %q", perCell.Settings.Protocol, want)
	}
	for k := range shared.Table.Rows {
		if s, p := shared.Table.Rows[k].Scores, perCell.Table.Rows[k].Scores; s[0] == p[0] || s[1] != p[1] {
			t.Errorf("cell %d: shared %v, per-cell %v: want other grad_norm, the same params", shared.Table.Rows[k].Index, s, p)
		}
	}
}

// ExampleRun scores a sample of NAS-Bench-201 cells with two proxies and
// rank-correlates them with the benchmark's accuracies (run from the
// repository root, beside ../shared/data).
func ExampleRun() {
	bench, err := nb201.LoadBench("../shared/data/nb201/nb201_accuracy.csv")
	if err != nil {
		panic(err)
	}
	proxies, err := freedarts.LookupCriteria("synflow,params")
	if err != nil {
		panic(err)
	}
	indices, err := nb201.Sample(20, 0, bench.Len())
	if err != nil {
		panic(err)
	}
	res, err := Run(context.Background(), Config{Proxies: proxies, Indices: indices, Workers: 1,
		Progress: func(p Progress) { fmt.Fprintln(os.Stderr, p) }}, bench)
	if err != nil {
		panic(err)
	}
	cors, err := Correlate(res.Table, bench, [][]string{{"synflow", "params"}})
	if err != nil {
		panic(err)
	}
	headers, rows := CorrelationTable(cors, PublishedRhos())
	fmt.Println(strings.Join(headers, "\t"))
	for _, r := range rows {
		fmt.Println(strings.Join(r, "\t"))
	}
}
