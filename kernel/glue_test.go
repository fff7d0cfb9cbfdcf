package kernel

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/mobile"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestKeepValue(t *testing.T) {
	inGoNB(t)
	res := &freedarts.Result{Space: "nb201", Proxy: "synflow", Arch: nb201.Arch{3, 3, 1, 2, 3, 4},
		Scores: []freedarts.ScoreMatrix{{Name: nb201.AlphaName, Values: [][]float64{{1, 2}}}}}
	if err := Keep("value", *res); err != nil {
		t.Fatal(err)
	}
	var back freedarts.Result
	if err := Recall("value", &back); err != nil {
		t.Fatal(err)
	}
	if back.Arch != res.Arch {
		t.Errorf("kept by value: arch %v (%T), want %v", back.Arch, back.Arch, res.Arch)
	}
	if err := Keep("nil", nil); err != nil {
		t.Errorf("Keep(nil): %v", err)
	}
	if err := Recall("absent", &back); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Recall of an absent name: %v, want an fs.ErrNotExist", err)
	}
}

// TestRecallRegistersSpaces: a DARTS and a mobile result come back with
// their typed Arch. (The test binary imports both spaces itself, so this
// checks the round trip, not handover.go's imports of them.)
func TestRecallRegistersSpaces(t *testing.T) {
	inGoNB(t)
	g, err := darts.LookupGenotype("DARTS_V2")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]spaces.Arch{"darts": g, "mobile": mobile.Arch{0, 1, 2}} {
		if err := Keep(name, &freedarts.Result{Space: name, Arch: a}); err != nil {
			t.Fatal(err)
		}
		var back freedarts.Result
		if err := Recall(name, &back); err != nil {
			t.Fatal(err)
		}
		if reflect.TypeOf(back.Arch) != reflect.TypeOf(a) || back.Arch.String() != a.String() {
			t.Errorf("%s: recalled %T %v, want %T %v", name, back.Arch, back.Arch, a, a)
		}
	}
}

// TestArchWithoutCells: a CellArch without cells falls back to its encoding.
func TestArchWithoutCells(t *testing.T) {
	html, err := ArchHTML(noCells{})
	if err != nil || !strings.Contains(html, "freedarts-arch") || strings.Contains(html, "freedarts-cell") {
		t.Errorf("no cells: %v\n%s", err, html)
	}
}

type noCells struct{}

func (noCells) String() string            { return "empty" }
func (noCells) Kept() map[string][][]bool { return nil }
func (noCells) Cells() []spaces.Cell      { return nil }

// fakeBench writes a benchmark table of the given archs, whose CIFAR-10
// accuracy is 90 + the index and CIFAR-100 70 - the index.
func fakeBench(t *testing.T, archs ...nb201.Arch) *nb201.Bench {
	t.Helper()
	var b strings.Builder
	b.WriteString("index,arch,cifar10_test,cifar100_test,imagenet16_test,cifar10valid_valid,cifar10valid_test," +
		"cifar100_valid,cifar100_test_v11,imagenet16_valid,imagenet16_test_v11,params_mb\n")
	for i, a := range archs {
		c10, c100 := 90+float64(i), 70-float64(i)
		b.WriteString(strings.Join([]string{itoa(i), a.String(), ftoa(c10), ftoa(c100), "40", "88", "88", "69", "69", "41", "41", "1.5"}, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "bench.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bench, err := nb201.LoadBench(path)
	if err != nil {
		t.Fatal(err)
	}
	return bench
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestStudyFakeBench: ShowStudy on a hand-made table and benchmark, no data
// files needed.
func TestStudyFakeBench(t *testing.T) {
	archs := []nb201.Arch{{0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}, {3, 3, 3, 3, 3, 3}, {4, 4, 4, 4, 4, 4}}
	bench := fakeBench(t, archs...)
	tab := &study.Table{Proxies: []string{"synflow", "grasp"}}
	for i, s := range [][2]float64{{0, -1}, {1e-6, freedarts.Degenerate}, {1e-3, 0.5}, {1, 2}, {1e4, 3}} {
		tab.Rows = append(tab.Rows, study.Row{Index: i, Arch: archs[i].String(), Scores: s[:]})
	}
	for _, tc := range []struct {
		proxy  string
		opts   []StudyOptions
		title  string
		points int
		ylabel string
		logX   bool
	}{
		// synflow rises with CIFAR-10 (rho 1); its 0 cannot sit on the log axis.
		{"synflow", nil, "synflow, 5 cells: ρ = 1.00 (1 not shown)", 4, "CIFAR-10 test accuracy (%)", true},
		// against CIFAR-100, which falls with the index: rho -1.
		{"synflow", []StudyOptions{{Target: nb201.Metrics[2], Note: "c100"}}, "synflow, 5 cells (c100): ρ = -1.00 (1 not shown)", 4, "CIFAR-100 test accuracy (%)", true},
		// signed scores: linear, only the degenerate one left out.
		{"grasp", nil, "grasp, 5 cells: ρ = ", 4, "CIFAR-10 test accuracy (%)", false},
		// a linear axis asked for: the 0 is plotted.
		{"synflow", []StudyOptions{{Scale: ScaleLinear}}, "synflow, 5 cells: ρ = 1.00", 5, "CIFAR-10 test accuracy (%)", false},
	} {
		svg, err := StudySVG(tab, bench, tc.proxy, tc.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tc.title, err)
		}
		elems := parseXML(t, svg)
		title := texts(find(elems, "text", "title"))[0]
		if !strings.HasPrefix(title, tc.title) {
			t.Errorf("title %q, want it to start %q", title, tc.title)
		}
		if n := len(find(elems, "circle", "point")); n != tc.points {
			t.Errorf("%s: %d points, want %d", tc.title, n, tc.points)
		}
		labels := texts(find(elems, "text", "axis-label"))
		if len(labels) != 2 || !strings.HasPrefix(labels[1], tc.ylabel) || strings.Contains(labels[0], "log scale") != tc.logX {
			t.Errorf("%s: axis labels %q", tc.title, labels)
		}
		// Points carry their arch.
		for _, p := range find(elems, "title", "") {
			if !strings.Contains(p.text, "|") {
				t.Errorf("point tooltip %q names no arch", p.text)
			}
		}
	}
	// A table whose archs are not the benchmark's.
	wrong := &study.Table{Proxies: []string{"synflow"}, Rows: []study.Row{
		{Index: 0, Arch: archs[1].String(), Scores: []float64{1}}, {Index: 1, Arch: archs[0].String(), Scores: []float64{2}}}}
	if _, err := StudySVG(wrong, bench, "synflow"); err == nil || !strings.Contains(err.Error(), "another benchmark") {
		t.Errorf("mismatched table: %v", err)
	}
	if err := ShowStudy(tab, bench, "synflow"); err != nil {
		t.Error(err)
	}
}
