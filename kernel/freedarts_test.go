package kernel

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// tinyResult is a real search of a small NAS-Bench-201 supernet.
func tinyResult(t *testing.T, opts freedarts.Options) *freedarts.Result {
	t.Helper()
	space, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	res, err := freedarts.Run(space, opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAutoLog(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		skip   func(int) bool
		want   bool
	}{
		{[]float64{0, 1e-6, 3e-1, 2}, nil, true},                             // SynFlow-like: decades, a zero
		{[]float64{0, 1, 5, 50}, nil, false},                                 // less than two decades
		{[]float64{-1e-6, 3e-1, 2e3}, nil, false},                            // signed (GraSP)
		{[]float64{0, 0}, nil, false},                                        // all zero
		{[]float64{-1e300, 1, 2}, func(i int) bool { return i == 0 }, false}, // pruned left out
		{[]float64{-1e300, 1e-9, 2}, func(i int) bool { return i == 0 }, true},
	} {
		if got := autoLog(tc.values, tc.skip); got != tc.want {
			t.Errorf("autoLog(%v) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

// TestScoresHTML: one heat map per alpha, labelled as the result labels its
// matrices, the kept entries outlined exactly, the scale chosen from the
// scores.
func TestScoresHTML(t *testing.T) {
	res := tinyResult(t, freedarts.Options{})
	html, err := ScoresHTML(res)
	if err != nil {
		t.Fatal(err)
	}
	elems := parseXML(t, html)
	if n := len(find(elems, "svg", "freedarts-heatmap")); n != 1 {
		t.Fatalf("%d heat maps, want 1", n)
	}
	title := texts(find(elems, "text", "title"))[0]
	if !strings.Contains(title, "nb201 synflow, seed 0: alpha (log colour scale)") {
		t.Errorf("title %q", title)
	}
	if got := texts(find(elems, "text", "row-label")); !reflect.DeepEqual(got, nb201.Rows()) {
		t.Errorf("row labels %v", got)
	}
	// The outlines sit where Kept says: one per edge, in the column of the kept op.
	m := res.Scores[0]
	chosen := find(elems, "rect", "chosen")
	if len(chosen) != len(m.Rows) {
		t.Fatalf("%d outlines, want %d", len(chosen), len(m.Rows))
	}
	cells := find(elems, "rect", "cell")
	for _, c := range chosen {
		x, _ := strconv.ParseFloat(c.attrs["x"], 64)
		y, _ := strconv.ParseFloat(c.attrs["y"], 64)
		found := false
		for k, cell := range cells {
			cx, _ := strconv.ParseFloat(cell.attrs["x"], 64)
			cy, _ := strconv.ParseFloat(cell.attrs["y"], 64)
			if x-cx > 0 && x-cx < 3 && y-cy > 0 && y-cy < 3 {
				found = true
				if r, o := k/len(m.Cols), k%len(m.Cols); !m.Kept[r][o] {
					t.Errorf("outline on %s/%s, which the arch does not keep", m.Rows[r], m.Cols[o])
				}
			}
		}
		if !found {
			t.Errorf("outline at %g,%g on no cell", x, y)
		}
	}
	lin, err := ScoresHTML(res, ScoresOptions{Title: "mine", Scale: ScaleLinear})
	if err != nil || !strings.Contains(lin, "mine: alpha (linear colour scale)") {
		t.Errorf("options: %v\n%s", err, lin)
	}
	if _, err := ScoresHTML(nil); err == nil {
		t.Error("a nil result was drawn")
	}
}

// TestScoresPruned: pruned ops are grey and labelled, outside the scale.
func TestScoresPruned(t *testing.T) {
	res := tinyResult(t, freedarts.Options{Prune: 1})
	html, err := ScoresHTML(res)
	if err != nil {
		t.Fatal(err)
	}
	values := texts(find(parseXML(t, html), "text", "value"))
	pruned := 0
	for _, v := range values {
		if v == "pruned" {
			pruned++
		}
		if strings.Contains(v, "e+308") {
			t.Errorf("value %q: a pruned op printed as a number", v)
		}
	}
	if want := 6 * 4; pruned != want { // one op survives on each of the 6 edges
		t.Errorf("%d pruned cells, want %d", pruned, want)
	}
	if strings.Contains(html, "1.8e+308") {
		t.Error("the legend covers the pruned value")
	}
	text := withText(t, func() {
		if err := ShowScores(res); err != nil {
			t.Error(err)
		}
	})
	if !strings.Contains(text, "pruned") || !strings.Contains(text, "*") {
		t.Errorf("text rendering:\n%s", text)
	}
}

// TestScoresDARTS: one map per alpha, side by side.
func TestScoresDARTS(t *testing.T) {
	space, err := darts.NewSpace(darts.Config{C: 4, Layers: 3, Classes: 10, InputSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	res, err := freedarts.Run(space, freedarts.Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	html, err := ScoresHTML(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(html, `<div class="freedarts-scores"`) || strings.Count(html, `class="freedarts-heatmap"`) != 2 ||
		strings.Count(html, `class="chosen"`) != 16 {
		t.Errorf("DARTS scores: %d maps, %d outlines", strings.Count(html, "freedarts-heatmap"), strings.Count(html, `class="chosen"`))
	}
}

// plainArch is an architecture without cells.
type plainArch string

func (a plainArch) String() string            { return string(a) }
func (a plainArch) Kept() map[string][][]bool { return nil }

func TestArchHTML(t *testing.T) {
	g, err := darts.LookupGenotype("DARTS_V2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arch  spaces.Arch
		cells int
	}{{nb201.Arch{3, 3, 1, 2, 3, 4}, 1}, {g, 2}, {plainArch("mb3_e3,mb5_e6 <x>"), 0}} {
		html, err := ArchHTML(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(html, `class="freedarts-cell"`); n != tc.cells {
			t.Errorf("%v: %d cells drawn, want %d", tc.arch, n, tc.cells)
		}
		if tc.cells == 0 && !strings.Contains(html, "mb3_e3,mb5_e6 &lt;x&gt;") {
			t.Errorf("plain arch: %s", html)
		}
		text := withText(t, func() {
			if err := ShowArch(tc.arch); err != nil {
				t.Error(err)
			}
		})
		if text == "" {
			t.Errorf("%v: no text", tc.arch)
		}
	}
	if _, err := ArchHTML(nil); err == nil {
		t.Error("a nil arch was drawn")
	}
}

func TestKeepRecall(t *testing.T) {
	inGoNB(t)
	res := tinyResult(t, freedarts.Options{})
	if err := Keep("synflow", res); err != nil {
		t.Fatal(err)
	}
	var back freedarts.Result
	if err := Recall("synflow", &back); err != nil {
		t.Fatal(err)
	}
	if back.Arch != res.Arch || !reflect.DeepEqual(back.Scores, res.Scores) {
		t.Errorf("round trip: %v (%T), want %v", back.Arch, back.Arch, res.Arch)
	}
	if err := Keep("synflow", []int{1}); err != nil { // overwrites
		t.Fatal(err)
	}
	var ints []int
	if err := Recall("synflow", &ints); err != nil || !reflect.DeepEqual(ints, []int{1}) {
		t.Errorf("overwritten: %v, %v", ints, err)
	}
	entries, _ := os.ReadDir(os.Getenv("GONB_TMP_DIR"))
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if err := Recall("nothing", &ints); err == nil || !strings.Contains(err.Error(), `no saved "nothing": run the cell that computes it first`) {
		t.Errorf("missing: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", strings.Repeat("x", 201)} {
		if err := Keep(bad, 1); err == nil {
			t.Errorf("Keep(%q) accepted", bad)
		}
	}
	if err := Keep("f", func() {}); err == nil {
		t.Error("a func was kept")
	}
	t.Setenv("GONB_TMP_DIR", "")
	if p := handoverDir(); !strings.HasPrefix(p, os.TempDir()) {
		t.Errorf("outside GoNB: %q", p)
	}
}

func TestStudySVG(t *testing.T) {
	bench, err := nb201.LoadBench(shareddata.Path(t, filepath.Join("nb201", "nb201_accuracy.csv")))
	if err != nil {
		t.Fatal(err)
	}
	tab := &study.Table{Proxies: []string{"synflow", "naswot"}}
	for i, s := range []struct{ synflow, naswot float64 }{{0, 10}, {1e-3, freedarts.Degenerate}, {2e5, 30}, {1e20, 20}} {
		rec, _ := bench.Record(i * 100)
		tab.Rows = append(tab.Rows, study.Row{Index: i * 100, Arch: rec.Arch.String(), Scores: []float64{s.synflow, s.naswot}})
	}
	for _, tc := range []struct {
		proxy string
		opts  []StudyOptions
		title string
		log   bool
		shown int
	}{
		{"synflow", nil, "synflow, 4 cells: ρ = ", true, 3}, // a zero on the log axis
		{"naswot", nil, "naswot, 4 cells: ρ = ", false, 3},  // a degenerate score
		{"synflow", []StudyOptions{{Note: "mine", Scale: ScaleLinear, Target: nb201.Metrics[2]}}, "synflow, 4 cells (mine): ρ = ", false, 4},
	} {
		svg, err := StudySVG(tab, bench, tc.proxy, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		elems := parseXML(t, svg)
		title := texts(find(elems, "text", "title"))[0]
		if !strings.HasPrefix(title, tc.title) || strings.Contains(title, "not shown") == (tc.shown == 4) {
			t.Errorf("%s: title %q", tc.proxy, title)
		}
		if n := len(find(elems, "circle", "")); n != tc.shown {
			t.Errorf("%s: %d points, want %d", tc.proxy, n, tc.shown)
		}
		if len(tc.opts) > 0 && !strings.Contains(svg, "CIFAR-100 test accuracy") {
			t.Errorf("target label missing")
		}
	}
	if _, err := StudySVG(tab, bench, "snip"); err == nil {
		t.Error("a proxy the table lacks was plotted")
	}
}
