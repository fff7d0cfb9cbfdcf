package kernel

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestScatterTickLabels checks the tick labels of both axes for value ranges from
// tiny to huge, linear and log: each label parses as a number (a power of ten on a
// log axis), they are distinct and increasing, neighbours do not overlap given the
// widths textWidth estimates (x) or the font size (y), they stay inside the SVG and
// clear of the y-axis label, and there are at least 2 of them.
func TestScatterTickLabels(t *testing.T) {
	tests := []struct {
		lo, hi float64
		log    bool
	}{
		{1e-8, 1e-2, true},
		{1e-8, 1e-2, false},
		{1e20, 1e40, true}, // SynFlow scores: once labelled 1.0000000000000001e+33 and overlapping
		{1e20, 1e40, false},
		{1.3e21, 7e39, true},
		{3e29, 2e31, true},
		{3e29, 2e31, false},
		{0.5, 0.51, true},
		{0.5, 0.51, false},
		{-1e6, 1e6, false},
		{1e20, 1.00001e20, false},
		{-3e-12, -2.9e-12, false},
		{1, 1e300, true},
		{1e-300, 1e300, true},
		{5e-324, math.MaxFloat64, true},
		{1e30, 1e30, true},
		{1e30, 1e30, false},
		{0.1, 0.9, false},
		{3, 30, true},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("[%g,%g] linear", tc.lo, tc.hi)
		if tc.log {
			name = fmt.Sprintf("[%g,%g] log", tc.lo, tc.hi)
		}
		t.Run(name, func(t *testing.T) {
			vs := []float64{tc.lo, tc.hi}
			if mid := tc.lo/2 + tc.hi/2; tc.log {
				vs = append(vs, math.Sqrt(tc.lo)*math.Sqrt(tc.hi))
			} else {
				vs = append(vs, mid)
			}
			svg, err := Scatter("t", "x", "y", vs, vs, ScatterOptions{LogX: tc.log, LogY: tc.log})
			if err != nil {
				t.Fatal(err)
			}
			elems := parseXML(t, svg)
			for _, horizontal := range []bool{true, false} {
				anchor, coord, axisName := "end", "y", "y"
				if horizontal {
					anchor, coord, axisName = "middle", "x", "x"
				}
				var labels []string
				var pos []float64
				for _, e := range find(elems, "text", "tick-label") {
					if e.attrs["text-anchor"] != anchor {
						continue
					}
					p, err := strconv.ParseFloat(e.attrs[coord], 64)
					if err != nil {
						t.Fatalf("%s tick label %q: %s=%q: %v", axisName, e.text, coord, e.attrs[coord], err)
					}
					if !horizontal {
						p = -p // SVG y grows downwards: make positions increase with the value
						x, _ := strconv.ParseFloat(e.attrs["x"], 64)
						if left := x - textWidth(e.text, scTickFont); left < scYLabelClear {
							t.Errorf("y tick label %q reaches x=%.1f, over the y-axis label (< %v)", e.text, left, scYLabelClear)
						}
					} else if w := textWidth(e.text, scTickFont); p-w/2 < 0 || p+w/2 > scWidth {
						t.Errorf("x tick label %q spans [%.1f, %.1f], outside the SVG", e.text, p-w/2, p+w/2)
					}
					labels, pos = append(labels, e.text), append(pos, p)
				}
				checkTickLabels(t, axisName, labels, pos, horizontal, tc.log)
			}
		})
	}
}

func checkTickLabels(t *testing.T, axis string, labels []string, pos []float64, horizontal, log bool) {
	t.Helper()
	if len(labels) < 2 {
		t.Fatalf("%s axis: %d tick labels %q, want at least 2", axis, len(labels), labels)
	}
	vals := make([]float64, len(labels))
	for i, l := range labels {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil && !(log && errors.Is(err, strconv.ErrRange)) { // 1e+309 tops an axis up to math.MaxFloat64
			t.Fatalf("%s axis: tick label %q is not a number (labels %q)", axis, l, labels)
		}
		vals[i] = v
		if log && v != 0 && !math.IsInf(v, 0) {
			// A power of ten: its shortest form is 1 followed or preceded by zeros.
			if e := strconv.FormatFloat(v, 'e', -1, 64); !strings.HasPrefix(e, "1e") {
				t.Errorf("%s axis: log tick label %q is not a power of ten", axis, l)
			}
		}
		if !log && (strings.Contains(l, "0000000") || len(l) > 12) {
			t.Errorf("%s axis: tick label %q carries float noise", axis, l)
		}
	}
	for i := 1; i < len(labels); i++ {
		if !(vals[i] > vals[i-1]) && !(log && labelExp(labels[i]) > labelExp(labels[i-1])) {
			t.Errorf("%s axis: tick labels %q not distinct and increasing", axis, labels)
		}
		if !(pos[i] > pos[i-1]) {
			t.Errorf("%s axis: tick positions %v not increasing", axis, pos)
		}
		gap := pos[i] - pos[i-1]
		need := scTickFont
		if horizontal {
			need = (textWidth(labels[i-1], scTickFont) + textWidth(labels[i], scTickFont)) / 2
		}
		if gap < need {
			t.Errorf("%s axis: tick labels %q and %q overlap: %.1f px apart, need %.1f (labels %q)",
				axis, labels[i-1], labels[i], gap, need, labels)
		}
	}
}

// labelExp is the exponent of a log tick label beyond float64 (1e+309, 1e-324).
func labelExp(l string) int {
	if i := strings.IndexByte(l, 'e'); i >= 0 {
		k, _ := strconv.Atoi(l[i+1:])
		return k
	}
	return 0
}

// TestAxisLabel pins the label formats.
func TestAxisLabel(t *testing.T) {
	tests := []struct {
		vs   []float64
		log  bool
		want string
	}{
		{[]float64{0.1, 0.9}, false, "0 0.2 0.4 0.6 0.8 1"},
		{[]float64{70, 93.4}, false, "70 75 80 85 90 95"},
		{[]float64{0.5, 0.51}, false, "0.5 0.502 0.504 0.506 0.508 0.51"},
		{[]float64{-1e6, 1e6}, false, "-1e+06 -5e+05 0 5e+05 1e+06"},
		{[]float64{1e-8, 2e-8}, false, "1e-08 1.2e-08 1.4e-08 1.6e-08 1.8e-08 2e-08"},
		{[]float64{3, 30}, true, "1 10 100"},
		{[]float64{1e-4, 0.01}, true, "1e-04 0.001 0.01"},
		{[]float64{1e20, 1e40}, true, "1e+20 1e+25 1e+30 1e+35 1e+40"},
		{[]float64{3e29, 2e31}, true, "1e+29 1e+30 1e+31 1e+32"},
	}
	for _, tc := range tests {
		a := newAxis(tc.vs, tc.log, 0, true)
		var got []string
		for _, tk := range a.ticks {
			got = append(got, tk.label)
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("newAxis(%v, log=%v) labels %q, want %q", tc.vs, tc.log, s, tc.want)
		}
	}
}

// TestAxisThinning: a narrow axis keeps fewer, non-overlapping ticks.
func TestAxisThinning(t *testing.T) {
	wide := newAxis([]float64{1e-100, 1e100}, true, 1000, true)
	narrow := newAxis([]float64{1e-100, 1e100}, true, 150, true)
	if len(narrow.ticks) >= len(wide.ticks) || len(narrow.ticks) < 2 {
		t.Errorf("%d ticks at 150 px, %d at 1000 px", len(narrow.ticks), len(wide.ticks))
	}
	if !narrow.labelsFit(150, true) {
		t.Errorf("labels overlap at 150 px: %v", narrow.ticks)
	}
}

// TestScatterTitleFits: a title of any length is drawn whole, on as many
// lines as it needs, each inside the drawing; the plot moves down and the
// drawing grows by the extra lines, so nothing overlaps the title.
func TestScatterTitleFits(t *testing.T) {
	for _, title := range []string{
		"",
		"synflow, 500 cells: ρ = 0.74",
		"az_nas_trainability, 500 cells (CIFAR-10 test accuracy, per-cell draws): ρ = 0.47 (27 not shown)",
		strings.Repeat("word ", 60) + strings.Repeat("x", 90),
	} {
		svg, err := Scatter(title, "x", "y", []float64{1, 2, 3}, []float64{3, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		elems := parseXML(t, svg)
		width, _ := strconv.ParseFloat(elems[0].attrs["width"], 64)
		height, _ := strconv.ParseFloat(elems[0].attrs["height"], 64)
		var lines []string
		plotTop := 0.0
		for _, e := range elems {
			switch e.attrs["class"] {
			case "title":
				lines = append(lines, e.text)
				x, _ := strconv.ParseFloat(e.attrs["x"], 64)
				if half := textWidth(e.text, scTitleFont) / 2; (x-half < 0 || x+half > width) && strings.Contains(e.text, " ") {
					t.Errorf("title line %q spans [%g, %g], outside the drawing's width %g", e.text, x-half, x+half, width)
				}
			case "plot-area":
				plotTop, _ = strconv.ParseFloat(e.attrs["y"], 64)
			}
		}
		if got := strings.Join(lines, " "); got != strings.Join(strings.Fields(title), " ") {
			t.Errorf("title lines %q, want the whole title %q", lines, title)
		}
		if extra := scTitleLine * float64(max(len(lines)-1, 0)); plotTop != scTop+extra || height != scHeight+extra {
			t.Errorf("%d title lines: plot top %g, height %g; want %g and %g", len(lines), plotTop, height, scTop+extra, scHeight+extra)
		}
	}
}

// TestScatterSample: Sample plots that many points plus Keep, with their
// labels; bad sample options are errors that name them.
func TestScatterSample(t *testing.T) {
	n := 50
	x, y, labels := make([]float64, n), make([]float64, n), make([]string, n)
	for i := range n {
		x[i], y[i], labels[i] = float64(i), float64(2*i), fmt.Sprintf("cell%d", i)
	}
	for _, tc := range []struct {
		name   string
		opt    ScatterOptions
		points int
		kept   []string // tooltips that must be there
		err    string
	}{
		{"no sample", ScatterOptions{}, n, nil, ""},
		{"a sample", ScatterOptions{Sample: 10, Labels: labels}, 10, nil, ""},
		{"a sample keeping one", ScatterOptions{Sample: 10, SampleSeed: 3, Keep: []int{49, 49}, Labels: labels}, 0, []string{"cell49 (49, 98)"}, ""},
		{"a sample larger than the points", ScatterOptions{Sample: 60}, n, nil, ""},
		{"negative sample", ScatterOptions{Sample: -1}, 0, nil, "Sample = -1"},
		{"keep out of range", ScatterOptions{Sample: 5, Keep: []int{50}}, 0, nil, "Keep index 50 out of range [0, 50)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := Scatter("t", "x", "y", x, y, tc.opt)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if err := ShowScatter("t", "x", "y", x, y, tc.opt); err == nil {
					t.Errorf("ShowScatter: no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			points := find(parseXML(t, svg), "circle", "point")
			if tc.points > 0 && len(points) != tc.points {
				t.Errorf("%d points, want %d", len(points), tc.points)
			}
			if len(tc.opt.Keep) > 0 && len(points) != tc.opt.Sample && len(points) != tc.opt.Sample+1 {
				t.Errorf("%d points, want the sample of %d and the kept point", len(points), tc.opt.Sample)
			}
			tips := texts(find(parseXML(t, svg), "title", ""))
			for _, k := range tc.kept {
				if !slices.Contains(tips, k) {
					t.Errorf("tooltip %q not among %q", k, tips)
				}
			}
			if tc.opt.Labels != nil {
				for _, tip := range tips {
					var i int
					var px, py float64
					if _, err := fmt.Sscanf(tip, "cell%d (%g, %g)", &i, &px, &py); err != nil || px != float64(i) || py != float64(2*i) {
						t.Errorf("tooltip %q does not match its point", tip)
					}
				}
			}
			// The same sample twice.
			again, _ := Scatter("t", "x", "y", x, y, tc.opt)
			if again != svg {
				t.Errorf("a second draw with the same seed differs")
			}
		})
	}
}
