package perf

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

func statOf(s GraphStats, typ string) OpStat {
	for _, o := range s.ByType {
		if o.Type == typ {
			return o
		}
	}
	return OpStat{}
}

// TestCountGraph checks the FLOP rules on a graph whose count is known:
// y = sum((a·b) + c) with a [3,4], b [4,5], c [3,5].
func TestCountGraph(t *testing.T) {
	g := NewGraph(nntest.Backend(t), "count")
	defer g.Finalize()
	a := Parameter(g, "a", shapes.Make(dtypes.Float32, 3, 4))
	b := Parameter(g, "b", shapes.Make(dtypes.Float32, 4, 5))
	c := Parameter(g, "c", shapes.Make(dtypes.Float32, 3, 5))
	prod := MatMul(a, b)
	y := ReduceAllSum(Add(prod, c))
	st := CountGraph(y, prod) // prod reached twice: counted once
	wantMatMul := int64(2 * 3 * 5 * 4)
	if st.MatMulFLOPs != wantMatMul {
		t.Errorf("matmul FLOPs %d, want %d", st.MatMulFLOPs, wantMatMul)
	}
	if want := wantMatMul + 15 + 15; st.FLOPs != want {
		t.Errorf("FLOPs %d, want %d (matmul, add, reduce)", st.FLOPs, want)
	}
	if d := statOf(st, "DotGeneral"); d.Count != 1 || d.Elems != 15 {
		t.Errorf("DotGeneral stat %+v, want 1 node of 15 elements", d)
	}
	if p := statOf(st, "Parameter"); p.Count != 3 {
		t.Errorf("%d parameters counted, want 3", p.Count)
	}
}

// TestCountConv checks the convolution rule: 2 * outputs * kh*kw*cin.
func TestCountConv(t *testing.T) {
	g := NewGraph(nntest.Backend(t), "conv")
	defer g.Finalize()
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 6, 6, 3))
	k := Parameter(g, "k", shapes.Make(dtypes.Float32, 3, 3, 3, 4))
	y := Convolve(x, k).PadSame().Done()
	st := CountGraph(y)
	if want := int64(2 * (2 * 6 * 6 * 4) * (3 * 3 * 3)); st.MatMulFLOPs != want {
		t.Errorf("conv FLOPs %d, want %d", st.MatMulFLOPs, want)
	}
}

// tinyNB201 is a NAS-Bench-201 supernet small enough for unit tests.
func tinyNB201(t *testing.T) freedarts.Space {
	t.Helper()
	s, err := nb201.NewSpace(nb201.Config{C: 2, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// count counts the graph of a search of the tiny space with proxy.
func count(t *testing.T, proxy string, batch int) (forward, full GraphStats) {
	t.Helper()
	data := func(seed uint64) (*freedarts.Batch, error) { return SyntheticBatch(batch, 8, 10, seed) }
	s, err := freedarts.New(tinyNB201(t), freedarts.Options{Proxy: proxy, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	forward, full, err = CountSearch(s, batch)
	if err != nil {
		t.Fatal(err)
	}
	return forward, full
}

func TestCountSearch(t *testing.T) {
	for _, proxy := range []string{"synflow", "snip", "grasp"} {
		fw, full := count(t, proxy, 4)
		if fw.FLOPs <= 0 || fw.MatMulFLOPs <= 0 || full.FLOPs <= fw.FLOPs {
			t.Errorf("%s: forward %d FLOPs (%d matmul), full graph %d: want 0 < forward < full", proxy, fw.FLOPs, fw.MatMulFLOPs, full.FLOPs)
		}
	}
	// Doubling the batch doubles the forward convolutions.
	f4, _ := count(t, "snip", 4)
	f8, _ := count(t, "snip", 8)
	if r := float64(f8.MatMulFLOPs) / float64(f4.MatMulFLOPs); math.Abs(r-2) > 0.05 {
		t.Errorf("matmul FLOPs ratio batch 8 / batch 4 = %.3f, want about 2", r)
	}
}

func TestRun(t *testing.T) {
	b, err := backend.Open("go:ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	space := tinyNB201(t)
	cases := []Case{
		{Name: "tiny-synflow", Space: space, Proxy: "synflow", Batch: 1},
		{Name: "tiny-snip", Space: space, Proxy: "snip", Batch: 4},
		{Name: "missing", Proxy: "synflow", Note: "space not registered"},
	}
	var started []string
	rep, err := Run(Options{Backend: b, Repeat: 2, PeakSize: 64,
		Progress: func(c Case) { started = append(started, c.Name) }}, cases, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 3 || len(rep.Results) != 3 {
		t.Fatalf("ran %v, %d results", started, len(rep.Results))
	}
	if rep.Peak.F32GFLOPS <= 0 || rep.Peak.F64GFLOPS <= 0 {
		t.Errorf("peak %+v", rep.Peak)
	}
	if rep.CPU == "" || rep.GoVersion != runtime.Version() || rep.Backend != "go:ops_sequential" {
		t.Errorf("header %+v", rep)
	}
	for _, r := range rep.Results[:2] {
		if r.Skipped || len(r.Runs) != 2 || r.Seconds <= 0 || r.MinSeconds > r.Seconds || r.FLOPs <= 0 || r.GFLOPS <= 0 || r.Arch == "" {
			t.Errorf("%s: %+v", r.Name, r)
		}
		if runtime.GOOS == "linux" && r.PeakRSS <= 0 {
			t.Errorf("%s: no peak RSS", r.Name)
		}
	}
	if rep.Results[0].DType != "Float64" || rep.Results[1].DType != "Float32" || rep.Results[1].Batch != 4 || rep.Results[0].Batch != 1 {
		t.Errorf("dtypes/batches: %+v / %+v", rep.Results[0], rep.Results[1])
	}
	if m := rep.Results[2]; !m.Skipped || m.Note == "" {
		t.Errorf("missing space: %+v", m)
	}
	if _, err := Run(Options{Backend: b, Repeat: 0}, cases, true); err == nil {
		t.Error("Repeat 0 accepted")
	}
}

func TestHelpers(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median %g", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median %g", m)
	}
	b, err := SyntheticBatch(3, 4, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.N != 3 || len(b.Images) != 3*4*4*3 || len(b.Labels) != 3 {
		t.Fatalf("batch %+v", b)
	}
	for _, l := range b.Labels {
		if l < 0 || l >= 10 {
			t.Errorf("label %d", l)
		}
	}
	if rss := RSS(); runtime.GOOS == "linux" && (rss <= 0 || PeakRSS() < rss) {
		t.Errorf("RSS %d, peak %d", rss, PeakRSS())
	}
}

func TestMeasure(t *testing.T) {
	res, c, err := MeasureSpace(tinyNB201(t), freedarts.Options{}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[1].Seed != 1 || c.Weights <= 0 || c.PassSeconds <= 0 || c.CompileSeconds <= 0 || c.AllocPerPass <= 0 {
		t.Errorf("results %d, cost %+v", len(res), c)
	}
	if runtime.GOOS == "linux" && c.PeakRSS <= 0 {
		t.Errorf("no peak RSS: %+v", c)
	}
	if row := c.Row(); len(row) != len(CostColumns) {
		t.Errorf("Row %q for columns %q", row, CostColumns)
	}
}

func TestCostRow(t *testing.T) {
	for _, tc := range []struct {
		c    Cost
		want []string
	}{
		{Cost{}, []string{"0.00", "0.00", "0.00", "0", "0"}},
		{Cost{Weights: 1_234_567, CompileSeconds: 1.234, PassSeconds: 0.5, PeakRSS: 300 << 20, AllocPerPass: 3 << 19},
			[]string{"1.23", "1.23", "0.50", "300", "2"}},
	} {
		if got := tc.c.Row(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v.Row() = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestCases(t *testing.T) {
	all, err := Cases("all")
	if err != nil || len(all) != len(Standard) {
		t.Fatalf("all: %d cases, %v", len(all), err)
	}
	for _, c := range all {
		if c.Space == nil {
			t.Errorf("%s: no space: %s", c.Name, c.Note)
		}
	}
	two, err := Cases("nb201-snip", " darts20-synflow")
	if err != nil || len(two) != 2 || two[0].Name != "nb201-snip" || two[1].Name != "darts20-synflow" {
		t.Fatalf("two: %+v, %v", two, err)
	}
	if !NeedsData(two) || NeedsData(two[1:]) {
		t.Error("NeedsData")
	}
	if _, err := Cases("nope"); err == nil || !strings.Contains(err.Error(), `unknown case "nope"`) {
		t.Errorf("unknown case: %v", err)
	}
	if c := Build([]CaseDef{{Name: "ghost", Space: "none"}}); c[0].Space != nil || !strings.Contains(c[0].Note, "unknown space") {
		t.Errorf("ghost: %+v", c[0])
	}
}
