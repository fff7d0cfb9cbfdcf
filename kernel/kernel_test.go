package kernel

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// element is one parsed XML start element.
type element struct {
	name  string
	attrs map[string]string
	text  string // direct character data
}

// parseXML checks that doc is well-formed XML and returns its elements in order.
func parseXML(t *testing.T, doc string) []element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	var elems []element
	var stack []int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			elems = append(elems, e)
			stack = append(stack, len(elems)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				elems[stack[len(stack)-1]].text += string(tok)
			}
		}
	}
	if len(elems) == 0 {
		t.Fatalf("no XML element in %q", doc)
	}
	return elems
}

// hasClass reports whether e's class attribute holds class.
func (e element) hasClass(class string) bool {
	for _, c := range strings.Fields(e.attrs["class"]) {
		if c == class {
			return true
		}
	}
	return false
}

// find returns the elements with the given tag name ("" = any) and class ("" = any).
func find(elems []element, name, class string) []element {
	var out []element
	for _, e := range elems {
		if (name == "" || e.name == name) && (class == "" || e.hasClass(class)) {
			out = append(out, e)
		}
	}
	return out
}

func texts(elems []element) []string {
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = e.text
	}
	return out
}

var (
	nb201Ops   = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
	nb201Edges = []string{"0->1", "0->2", "1->2", "0->3", "1->3", "2->3"}
)

func nb201Cell(ops ...string) spaces.Cell {
	pairs := [][2]int{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}
	c := spaces.Cell{Title: "NB201 cell", Nodes: []string{"0", "1", "2", "3"}}
	for i, p := range pairs {
		c.Edges = append(c.Edges, spaces.Edge{From: p[0], To: p[1], Op: ops[i]})
	}
	return c
}

// dartsCell is the normal cell of DARTS-V2 plus the concat edges.
func dartsCell() spaces.Cell {
	c := spaces.Cell{
		Title: "DARTS normal cell",
		Nodes: []string{"c_{k-2}", "c_{k-1}", "0", "1", "2", "3", "c_{k}"},
		Edges: []spaces.Edge{
			{From: 0, To: 2, Op: "sep_conv_3x3"}, {From: 1, To: 2, Op: "sep_conv_3x3"},
			{From: 0, To: 3, Op: "sep_conv_3x3"}, {From: 1, To: 3, Op: "sep_conv_3x3"},
			{From: 1, To: 4, Op: "sep_conv_3x3"}, {From: 0, To: 4, Op: "skip_connect"},
			{From: 0, To: 5, Op: "skip_connect"}, {From: 2, To: 5, Op: "dil_conv_3x3"},
		},
	}
	for i := 2; i <= 5; i++ {
		c.Edges = append(c.Edges, spaces.Edge{From: i, To: 6, Op: spaces.OpConcat})
	}
	return c
}

func TestHeatMap(t *testing.T) {
	scores := [][]float64{
		{0, 1.5e-9, 3.2e-4, 0.12, 7},
		{1e-12, 2, 3, 4, 5},
		{-1, 0.5, 0.25, 1e3, 2e-3},
	}
	hl := [][]bool{
		{false, false, false, false, true},
		{false, false, false, false, true},
		{false, false, false, true, false},
	}
	tests := []struct {
		name       string
		title      string
		rows, cols []string
		values     [][]float64
		opts       []HeatMapOptions
		wantChosen int
		wantNote   string
		wantShort  int
	}{
		{"linear", "SynFlow", nb201Edges[:3], nb201Ops, scores, nil, 0, "linear scale", 0},
		{"log with highlight", "SynFlow (log)", nb201Edges[:3], nb201Ops, scores,
			[]HeatMapOptions{{LogScale: true, Highlight: hl}}, 3, "log10 |v| scale (0 = lowest colour)", 0},
		{"single cell", "", []string{"e"}, []string{"op"}, [][]float64{{42}}, nil, 0, "linear scale", 0},
		{"shortlist", "two stages", nb201Edges[:3], nb201Ops, scores,
			[]HeatMapOptions{{Highlight: hl, Shortlist: [][]bool{
				{false, false, false, true, true},
				{false, false, true, false, true},
				{true, false, false, true, false},
			}}}, 3, "linear scale", 6},
		{"all zero log", "zeros", []string{"a", "b"}, []string{"x"}, [][]float64{{0}, {0}},
			[]HeatMapOptions{{LogScale: true}}, 0, "log10 |v| scale (0 = lowest colour)", 0},
		{"escaping", `<b>&"x'</b>`, []string{"<row>"}, []string{"a&b", `"q"`}, [][]float64{{1, 2}}, nil, 0, "linear scale", 0},
		{"long op names rotate", "", []string{"e"}, []string{"a_really_long_operation_name"}, [][]float64{{1}}, nil, 0, "linear scale", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := HeatMap(tc.title, tc.rows, tc.cols, tc.values, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			elems := parseXML(t, svg)
			if root := elems[0]; root.name != "svg" || !root.hasClass("freedarts-heatmap") {
				t.Fatalf("root element = <%s class=%q>, want <svg class=\"freedarts-heatmap\">", root.name, root.attrs["class"])
			}
			n := len(tc.rows) * len(tc.cols)
			if got := len(find(elems, "rect", "cell")); got != n {
				t.Errorf("%d cell <rect>s, want rows*cols = %d", got, n)
			}
			values := find(elems, "text", "value")
			if len(values) != n {
				t.Fatalf("%d value <text>s, want %d", len(values), n)
			}
			for i, row := range tc.values {
				for j, v := range row {
					if got, want := values[i*len(tc.cols)+j].text, fmt.Sprintf("%.3g", v); got != want {
						t.Errorf("cell (%d,%d) text = %q, want %q", i, j, got, want)
					}
				}
			}
			if got := texts(find(elems, "text", "row-label")); strings.Join(got, "|") != strings.Join(tc.rows, "|") {
				t.Errorf("row labels = %q, want %q", got, tc.rows)
			}
			if got := texts(find(elems, "text", "col-label")); strings.Join(got, "|") != strings.Join(tc.cols, "|") {
				t.Errorf("column labels = %q, want %q", got, tc.cols)
			}
			if got := len(find(elems, "rect", "chosen")); got != tc.wantChosen {
				t.Errorf("%d highlighted cells, want %d", got, tc.wantChosen)
			}
			if got := len(find(elems, "rect", "shortlisted")); got != tc.wantShort {
				t.Errorf("%d shortlisted cells, want %d", got, tc.wantShort)
			}
			titles := find(elems, "text", "title")
			if tc.title == "" && len(titles) != 0 || tc.title != "" && (len(titles) != 1 || titles[0].text != tc.title) {
				t.Errorf("title elements = %q, want %q", texts(titles), tc.title)
			}
			if !strings.Contains(strings.Join(texts(find(elems, "text", "legend")), "|"), tc.wantNote) {
				t.Errorf("legend %q does not mention %q", texts(find(elems, "text", "legend")), tc.wantNote)
			}
			for _, e := range find(elems, "rect", "cell") {
				if !strings.HasPrefix(e.attrs["fill"], "#") || len(e.attrs["fill"]) != 7 {
					t.Errorf("cell fill %q is not #rrggbb", e.attrs["fill"])
				}
			}
		})
	}
}

func TestHeatMapColours(t *testing.T) {
	// Log scale: values a decade apart get evenly spread colours, the largest the top one.
	svg, err := HeatMap("", []string{"a", "b", "c"}, []string{"x"}, [][]float64{{1e-9}, {1e-5}, {1e-1}}, HeatMapOptions{LogScale: true})
	if err != nil {
		t.Fatal(err)
	}
	cells := find(parseXML(t, svg), "rect", "cell")
	want := []string{colorScale(0).hex(), colorScale(0.5).hex(), colorScale(1).hex()}
	for i, c := range cells {
		if c.attrs["fill"] != want[i] {
			t.Errorf("log cell %d fill = %s, want %s", i, c.attrs["fill"], want[i])
		}
	}
	// Linear scale: the middle value is not at the middle colour for these values.
	svg, err = HeatMap("", []string{"a", "b", "c"}, []string{"x"}, [][]float64{{1e-9}, {1e-5}, {1e-1}})
	if err != nil {
		t.Fatal(err)
	}
	cells = find(parseXML(t, svg), "rect", "cell")
	if cells[1].attrs["fill"] != colorScale(0).hex() {
		t.Errorf("linear scale: 1e-5 should get (almost) the lowest colour, got %s", cells[1].attrs["fill"])
	}
}

func TestHeatMapErrors(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols []string
		values     [][]float64
		opts       []HeatMapOptions
		wantErr    string
	}{
		{"empty", nil, nil, nil, nil, "empty matrix"},
		{"no columns", []string{"a"}, nil, [][]float64{{}}, nil, "empty matrix"},
		{"row count", []string{"a", "b"}, []string{"x"}, [][]float64{{1}}, nil, "2 row labels but 1 rows"},
		{"ragged", []string{"a", "b"}, []string{"x", "y"}, [][]float64{{1, 2}, {3}}, nil, `row 1 ("b") has 1 values, want 2`},
		{"NaN", []string{"a", "b"}, []string{"x", "y"}, [][]float64{{1, 2}, {3, math.NaN()}}, nil, `row 1 ("b"), column 1 ("y") is NaN`},
		{"+Inf", []string{"a"}, []string{"x", "y"}, [][]float64{{math.Inf(1), 2}}, nil, `row 0 ("a"), column 0 ("x") is +Inf`},
		{"-Inf", []string{"a"}, []string{"x"}, [][]float64{{math.Inf(-1)}}, nil, "is -Inf"},
		{"highlight rows", []string{"a"}, []string{"x"}, [][]float64{{1}}, []HeatMapOptions{{Highlight: [][]bool{{true}, {false}}}}, "Highlight has 2 rows"},
		{"highlight ragged", []string{"a"}, []string{"x", "y"}, [][]float64{{1, 2}}, []HeatMapOptions{{Highlight: [][]bool{{true}}}}, "Highlight row 0"},
		{"shortlist rows", []string{"a"}, []string{"x"}, [][]float64{{1}}, []HeatMapOptions{{Shortlist: [][]bool{{true}, {false}}}}, "Shortlist has 2 rows"},
		{"two options", []string{"a"}, []string{"x"}, [][]float64{{1}}, []HeatMapOptions{{}, {}}, "at most one HeatMapOptions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := HeatMap("t", tc.rows, tc.cols, tc.values, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if svg != "" {
				t.Errorf("got SVG together with an error")
			}
			if err := ShowHeatMap("t", tc.rows, tc.cols, tc.values, tc.opts...); err == nil {
				t.Errorf("ShowHeatMap: no error")
			}
		})
	}
}

func TestCellSVG(t *testing.T) {
	tests := []struct {
		name       string
		cell       spaces.Cell
		wantArrows int // non-none edges, concat included
		wantLabels []string
		wantDashed int
	}{
		{"nb201 all ops", nb201Cell("nor_conv_3x3", "nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"),
			6, []string{"nor_conv_3x3", "nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"}, 0},
		{"nb201 with none", nb201Cell("none", "nor_conv_3x3", "none", "skip_connect", "none", "nor_conv_1x1"),
			3, []string{"nor_conv_3x3", "skip_connect", "nor_conv_1x1"}, 0},
		{"nb201 all none", nb201Cell("none", "none", "none", "none", "none", "none"), 0, nil, 0},
		{"darts", dartsCell(), 12,
			[]string{"sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3", "skip_connect", "skip_connect", "dil_conv_3x3"}, 4},
		{"duplicate edges and unknown op", spaces.Cell{Nodes: []string{"in", "out"}, Edges: []spaces.Edge{{From: 0, To: 1, Op: "my_op"}, {From: 0, To: 1, Op: "my_op"}, {From: 0, To: 1, Op: "<other>"}}},
			3, []string{"my_op", "my_op", "<other>"}, 0},
		{"isolated node", spaces.Cell{Title: "iso", Nodes: []string{"a"}}, 0, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := CellSVG(tc.cell)
			if err != nil {
				t.Fatal(err)
			}
			elems := parseXML(t, svg)
			if root := elems[0]; root.name != "svg" || !root.hasClass("freedarts-cell") {
				t.Fatalf("root element = <%s class=%q>, want <svg class=\"freedarts-cell\">", root.name, root.attrs["class"])
			}
			if got := len(find(elems, "", "arrow")); got != tc.wantArrows {
				t.Errorf("%d arrow heads, want %d (non-none edges)", got, tc.wantArrows)
			}
			if got := len(find(elems, "path", "edge")); got != tc.wantArrows {
				t.Errorf("%d edge paths, want %d", got, tc.wantArrows)
			}
			if got := texts(find(elems, "text", "op-label")); strings.Join(got, "|") != strings.Join(tc.wantLabels, "|") {
				t.Errorf("op labels = %q, want %q (one per drawn op edge)", got, tc.wantLabels)
			}
			dashed := 0
			for _, e := range find(elems, "path", "edge") {
				if e.attrs["stroke-dasharray"] != "" {
					dashed++
				}
			}
			if dashed != tc.wantDashed {
				t.Errorf("%d dashed edges, want %d", dashed, tc.wantDashed)
			}
			nodes := find(elems, "", "node")
			labels := find(elems, "text", "node-label")
			if len(nodes) != len(tc.cell.Nodes) || len(labels) != len(tc.cell.Nodes) {
				t.Errorf("%d node shapes and %d node labels, want %d", len(nodes), len(labels), len(tc.cell.Nodes))
			}
			// Op colours: every edge of an op has that op's colour.
			for i, e := range elems {
				if e.name != "path" || !e.hasClass("edge") {
					continue
				}
				tip := elems[i+1] // <title>: "from -> to: op"
				if tip.name != "title" {
					t.Fatalf("edge without <title> tooltip")
				}
				op := tip.text[strings.LastIndex(tip.text, ": ")+2:]
				if e.attrs["stroke"] != OpColor(op) {
					t.Errorf("edge %q stroke %s, want %s", tip.text, e.attrs["stroke"], OpColor(op))
				}
			}
		})
	}
}

func TestCellSVGDarts(t *testing.T) {
	svg, err := CellSVG(dartsCell())
	if err != nil {
		t.Fatal(err)
	}
	// Subscripts: "c_{k-2}" is drawn as "c" + a <tspan> "k-2".
	if !strings.Contains(svg, `>c<tspan font-size="9" dy="4">k-2</tspan></text>`) {
		t.Errorf("node c_{k-2} not drawn with a subscript:\n%s", svg)
	}
	elems := parseXML(t, svg)
	// Inputs and output are boxes, intermediate nodes circles.
	if got := len(find(elems, "rect", "node")); got != 3 {
		t.Errorf("%d box nodes, want 3 (c_{k-2}, c_{k-1}, c_{k})", got)
	}
	if got := len(find(elems, "circle", "node")); got != 4 {
		t.Errorf("%d circle nodes, want 4", got)
	}
}

func TestCellLayoutIndependentOfNone(t *testing.T) {
	// "none" edges are not drawn but keep the layout: node positions do not move.
	pos := func(c spaces.Cell) string {
		svg, err := CellSVG(c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range find(parseXML(t, svg), "text", "node-label") {
			out = append(out, e.attrs["x"]+","+e.attrs["y"])
		}
		return strings.Join(out, " ")
	}
	a := pos(nb201Cell("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3"))
	b := pos(nb201Cell("none", "none", "none", "none", "none", "none"))
	if a != b {
		t.Errorf("node positions depend on the ops: %s vs %s", a, b)
	}
}

func TestCellSVGErrors(t *testing.T) {
	tests := []struct {
		name    string
		cell    spaces.Cell
		wantErr string
	}{
		{"no nodes", spaces.Cell{Title: "x"}, "no nodes"},
		{"to out of range", spaces.Cell{Title: "x", Nodes: []string{"0", "1"}, Edges: []spaces.Edge{{From: 0, To: 2, Op: "op"}}}, "names node 2, out of range [0, 2)"},
		{"negative from", spaces.Cell{Nodes: []string{"0", "1"}, Edges: []spaces.Edge{{From: -1, To: 1, Op: "op"}}}, "names node -1, out of range"},
		{"none edge out of range", spaces.Cell{Nodes: []string{"0", "1"}, Edges: []spaces.Edge{{From: 0, To: 7, Op: spaces.OpNone}}}, "out of range"},
		{"self loop", spaces.Cell{Nodes: []string{"0", "1"}, Edges: []spaces.Edge{{From: 1, To: 1, Op: "op"}}}, "self-loop"},
		{"empty op", spaces.Cell{Nodes: []string{"0", "1"}, Edges: []spaces.Edge{{From: 0, To: 1, Op: " "}}}, "empty op name"},
		{"cycle", spaces.Cell{Nodes: []string{"0", "1", "2"}, Edges: []spaces.Edge{{From: 0, To: 1, Op: "a"}, {From: 1, To: 2, Op: "b"}, {From: 2, To: 1, Op: "c"}}}, "cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CellSVG(tc.cell); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if _, err := CellsHTML(nb201Cell("none", "none", "none", "none", "none", "none"), tc.cell); err == nil {
				t.Errorf("CellsHTML: no error")
			}
			if err := ShowCells(tc.cell); err == nil {
				t.Errorf("ShowCells: no error")
			}
		})
	}
}

func TestCellsHTML(t *testing.T) {
	h, err := CellsHTML(nb201Cell("nor_conv_3x3", "none", "skip_connect", "none", "none", "avg_pool_3x3"), dartsCell())
	if err != nil {
		t.Fatal(err)
	}
	elems := parseXML(t, h)
	if !elems[0].hasClass("freedarts-cells") {
		t.Errorf("root class %q, want freedarts-cells", elems[0].attrs["class"])
	}
	if got := len(find(elems, "svg", "freedarts-cell")); got != 2 {
		t.Errorf("%d cell SVGs, want 2", got)
	}
}

func TestOpColor(t *testing.T) {
	if OpColor("nor_conv_3x3") == OpColor("skip_connect") {
		t.Error("NB201 ops share a colour")
	}
	if OpColor("some_new_op") != OpColor("some_new_op") || !strings.HasPrefix(OpColor("some_new_op"), "#") {
		t.Error("fallback colour is not stable")
	}
}

func TestScatter(t *testing.T) {
	tests := []struct {
		name   string
		x, y   []float64
		opt    []ScatterOptions
		ticksX []string // expected x tick labels (nil: do not check)
	}{
		{"linear", []float64{0.1, 0.5, 0.9, 0.3}, []float64{70, 85.5, 93.4, 80}, nil, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{"log x", []float64{1e-9, 1e-3, 2.5, 1e4}, []float64{10, 60, 88, 94}, []ScatterOptions{{LogX: true}}, nil},
		{"log both, labels", []float64{3, 30}, []float64{0.5, 5}, []ScatterOptions{{LogX: true, LogY: true, Labels: []string{"<a>", "b&c"}}}, []string{"1", "10", "100"}},
		{"single point", []float64{2}, []float64{3}, nil, nil},
		{"constant zero", []float64{0, 0}, []float64{0, 0}, nil, nil},
		{"negative", []float64{-5, -1}, []float64{-300, 20}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := Scatter("Spearman ρ = 0.81 <test>", "score", "accuracy", tc.x, tc.y, tc.opt...)
			if err != nil {
				t.Fatal(err)
			}
			elems := parseXML(t, svg)
			if root := elems[0]; root.name != "svg" || !root.hasClass("freedarts-scatter") {
				t.Fatalf("root = <%s class=%q>", root.name, root.attrs["class"])
			}
			points := find(elems, "circle", "point")
			if len(points) != len(tc.x) {
				t.Fatalf("%d points, want %d", len(points), len(tc.x))
			}
			// Every point inside the plot area.
			area := find(elems, "rect", "plot-area")[0]
			var ax, ay, aw, ah float64
			fmt.Sscan(area.attrs["x"], &ax)
			fmt.Sscan(area.attrs["y"], &ay)
			fmt.Sscan(area.attrs["width"], &aw)
			fmt.Sscan(area.attrs["height"], &ah)
			for _, p := range points {
				var cx, cy float64
				fmt.Sscan(p.attrs["cx"], &cx)
				fmt.Sscan(p.attrs["cy"], &cy)
				if cx < ax-0.01 || cx > ax+aw+0.01 || cy < ay-0.01 || cy > ay+ah+0.01 {
					t.Errorf("point (%v,%v) outside the plot area", cx, cy)
				}
			}
			if got := len(find(elems, "line", "axis")); got != 2 {
				t.Errorf("%d axes, want 2", got)
			}
			ticks := find(elems, "line", "tick")
			tickLabels := find(elems, "text", "tick-label")
			if len(ticks) < 4 || len(ticks) != len(tickLabels) {
				t.Errorf("%d ticks and %d tick labels", len(ticks), len(tickLabels))
			}
			if len(find(elems, "text", "axis-label")) != 2 {
				t.Errorf("want 2 axis labels")
			}
			if got := find(elems, "text", "title"); len(got) != 1 || got[0].text != "Spearman ρ = 0.81 <test>" {
				t.Errorf("title = %q", texts(got))
			}
			if tc.ticksX != nil {
				var xs []string
				for _, e := range tickLabels {
					if e.attrs["text-anchor"] == "middle" {
						xs = append(xs, e.text)
					}
				}
				if strings.Join(xs, " ") != strings.Join(tc.ticksX, " ") {
					t.Errorf("x ticks = %q, want %q", xs, tc.ticksX)
				}
			}
		})
	}
}

func TestScatterErrors(t *testing.T) {
	tests := []struct {
		name    string
		x, y    []float64
		opt     []ScatterOptions
		wantErr string
	}{
		{"empty", nil, nil, nil, "no points"},
		{"lengths", []float64{1, 2}, []float64{1}, nil, "x has 2 values but y has 1"},
		{"NaN", []float64{1, math.NaN()}, []float64{1, 2}, nil, "x[1] is NaN"},
		{"Inf", []float64{1, 2}, []float64{math.Inf(-1), 2}, nil, "y[0] is -Inf"},
		{"log x zero", []float64{0, 2}, []float64{1, 2}, []ScatterOptions{{LogX: true}}, "x[0] = 0 is not > 0"},
		{"log y negative", []float64{1, 2}, []float64{1, -2}, []ScatterOptions{{LogY: true}}, "y[1] = -2 is not > 0"},
		{"sentinel in x", []float64{-math.MaxFloat64, 700}, []float64{1, 2}, nil, "x values span -1.7976931348623157e+308 to 700, too wide to plot"},
		{"span too wide in y", []float64{1, 2}, []float64{-1e307, 1e307}, nil, "y values span"},
		{"labels", []float64{1, 2}, []float64{1, 2}, []ScatterOptions{{Labels: []string{"a"}}}, "1 labels for 2 points"},
		{"two options", []float64{1}, []float64{1}, []ScatterOptions{{}, {}}, "at most one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Scatter("", "x", "y", tc.x, tc.y, tc.opt...); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if err := ShowScatter("", "x", "y", tc.x, tc.y, tc.opt...); err == nil {
				t.Errorf("ShowScatter: no error")
			}
		})
	}
}

func TestTable(t *testing.T) {
	tests := []struct {
		name     string
		headers  []string
		rows     [][]string
		wantCols int
	}{
		{"plain", []string{"arch", "score"}, [][]string{{"a", "1"}, {"b", "2"}}, 2},
		{"escaping", []string{"<h>", "&"}, [][]string{{`"q"`, "<script>alert('x')</script>"}}, 2},
		{"ragged", []string{"a"}, [][]string{{"1", "2", "3"}, {}}, 3},
		{"no header", nil, [][]string{{"x"}}, 1},
		{"empty", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Table(tc.headers, tc.rows)
			if strings.Contains(h, "<script>") || strings.Contains(h, "<h>") {
				t.Fatalf("unescaped content in %s", h)
			}
			elems := parseXML(t, h)
			if !elems[0].hasClass("freedarts-table") {
				t.Errorf("root class %q", elems[0].attrs["class"])
			}
			ths := find(elems, "th", "")
			tds := find(elems, "td", "")
			wantTh := 0
			if len(tc.headers) > 0 {
				wantTh = tc.wantCols
			}
			if len(ths) != wantTh || len(tds) != tc.wantCols*len(tc.rows) {
				t.Errorf("%d <th> and %d <td>, want %d and %d", len(ths), len(tds), wantTh, tc.wantCols*len(tc.rows))
			}
			for j, h := range tc.headers {
				if ths[j].text != h {
					t.Errorf("header %d = %q, want %q", j, ths[j].text, h)
				}
			}
			for i, r := range tc.rows {
				for j, s := range r {
					if got := tds[i*tc.wantCols+j].text; got != s {
						t.Errorf("cell (%d,%d) = %q, want %q", i, j, got, s)
					}
				}
			}
		})
	}
}

// withText runs f outside a notebook, capturing the text output.
func withText(t *testing.T, f func()) string {
	t.Helper()
	var buf bytes.Buffer
	old := TextOutput
	TextOutput = &buf
	defer func() { TextOutput = old }()
	f()
	return buf.String()
}

// withNotebook runs f as inside GoNB, returning the displayed HTML blocks.
func withNotebook(t *testing.T, f func()) (displayed []string, updates map[string][]string) {
	t.Helper()
	oldIn, oldDisplay, oldUpdate, oldID, oldSync := inNotebook, displayHTML, updateHTML, uniqueID, syncDisplay
	defer func() {
		inNotebook, displayHTML, updateHTML, uniqueID, syncDisplay = oldIn, oldDisplay, oldUpdate, oldID, oldSync
	}()
	var mu sync.Mutex
	updates = map[string][]string{}
	syncs := 0
	syncDisplay = func() { mu.Lock(); syncs++; mu.Unlock() }
	defer func() {
		if syncs == 0 {
			t.Errorf("nothing synchronised with GoNB: displayed content may be lost at exit")
		}
	}()
	inNotebook = func() bool { return true }
	displayHTML = func(h string) { mu.Lock(); displayed = append(displayed, h); mu.Unlock() }
	updateHTML = func(id, h string) { mu.Lock(); updates[id] = append(updates[id], h); mu.Unlock() }
	uniqueID = func() string { return "test" }
	var buf bytes.Buffer
	oldOut := TextOutput
	TextOutput = &buf
	defer func() { TextOutput = oldOut }()
	f()
	if buf.Len() != 0 {
		t.Errorf("text output inside the notebook: %q", buf.String())
	}
	return displayed, updates
}

func TestShowOutsideNotebook(t *testing.T) {
	hl := [][]bool{{false, true}, {true, false}}
	tests := []struct {
		name string
		show func() error
		want []string
	}{
		{"heatmap", func() error {
			return ShowHeatMap("scores", []string{"0->1", "1->2"}, []string{"conv", "skip"}, [][]float64{{1e-5, 2}, {3, 4}}, HeatMapOptions{Highlight: hl})
		}, []string{"scores\n", "0->1  1e-05    2*", "(* = highlighted)"}},
		{"heatmap with a shortlist", func() error {
			return ShowHeatMap("scores", []string{"0->1", "1->2"}, []string{"conv", "skip"}, [][]float64{{1e-5, 2}, {3, 4}},
				HeatMapOptions{Highlight: hl, Shortlist: [][]bool{{true, true}, {true, false}}})
		}, []string{"0->1  1e-05+   2+*", "(+ = shortlisted)", "(* = highlighted)"}},
		{"cells", func() error {
			return ShowCells(nb201Cell("none", "nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1"))
		}, []string{"NB201 cell: 4 nodes", "0 -> 2", "nor_conv_3x3", "(none: 0 -> 1, 0 -> 3)"}},
		{"scatter", func() error {
			return ShowScatter("rho = 0.5", "score", "acc", []float64{1, 2, 3}, []float64{3, 1, 2})
		}, []string{"rho = 0.5\n", "3 points; y: acc", "x: score"}},
		{"table", func() error { return ShowTable([]string{"arch", "acc"}, [][]string{{"a", "93.1"}}) }, []string{"arch  acc\n", "a     93.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			out := withText(t, func() { err = tc.show() })
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("text output does not contain %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "<") {
				t.Errorf("HTML in the text output:\n%s", out)
			}
		})
	}
}

func TestShowInNotebook(t *testing.T) {
	displayed, _ := withNotebook(t, func() {
		if err := ShowHeatMap("h", []string{"a"}, []string{"x"}, [][]float64{{1}}); err != nil {
			t.Error(err)
		}
		if err := ShowCells(nb201Cell("none", "none", "none", "none", "none", "skip_connect")); err != nil {
			t.Error(err)
		}
		if err := ShowScatter("s", "x", "y", []float64{1}, []float64{2}); err != nil {
			t.Error(err)
		}
		if err := ShowTable([]string{"a"}, nil); err != nil {
			t.Error(err)
		}
	})
	wantClass := []string{"freedarts-heatmap", "freedarts-cells", "freedarts-scatter", "freedarts-table"}
	if len(displayed) != len(wantClass) {
		t.Fatalf("%d blocks displayed, want %d", len(displayed), len(wantClass))
	}
	for i, h := range displayed {
		if e := parseXML(t, h)[0]; !e.hasClass(wantClass[i]) {
			t.Errorf("block %d has class %q, want %q", i, e.attrs["class"], wantClass[i])
		}
	}
}

func TestShowNilTextOutput(t *testing.T) {
	old := TextOutput
	TextOutput = nil
	defer func() { TextOutput = old }()
	if err := ShowTable([]string{"a"}, [][]string{{"b"}}); err != nil {
		t.Fatal(err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestShowWriteError(t *testing.T) {
	old := TextOutput
	TextOutput = failingWriter{}
	defer func() { TextOutput = old }()
	if err := ShowTable([]string{"a"}, nil); err == nil {
		t.Fatal("write error not returned")
	}
}

// fakeClock is a manually advanced clock for Progress.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

func TestProgressText(t *testing.T) {
	var buf syncBuffer
	p := NewProgressWriter(&buf, 100, "scoring")
	clock := &fakeClock{t: p.start}
	p.now = clock.now
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p.Add(1)
				if i%5 == 0 {
					clock.advance(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if got := p.Count(); got != workers*each {
		t.Fatalf("Count() = %d after concurrent Adds, want %d", got, workers*each)
	}
	p.Done()
	p.Done() // idempotent
	p.Add(5) // ignored after Done
	out := buf.String()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("want a single line ending in one newline, got %q", out)
	}
	frames := strings.Split(strings.TrimSuffix(out, "\n"), "\r")
	last := frames[len(frames)-1]
	if !strings.HasPrefix(last, "scoring [########################] 200/100  100%  done in ") {
		t.Errorf("last frame = %q", last)
	}
	if len(frames) > 2+workers*each/5 {
		t.Errorf("%d frames: renderings are not throttled", len(frames))
	}
	if p.Count() != workers*each {
		t.Errorf("Add after Done changed the count")
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgressWriter(&buf, 0, "")
	p.Add(3)
	if s := p.String(); !strings.HasPrefix(s, "3  ") || strings.Contains(s, "[") {
		t.Errorf("String() = %q", s)
	}
	parseXML(t, p.HTML())
	p.Done()
	if !strings.Contains(buf.String(), "done in") {
		t.Errorf("output %q", buf.String())
	}
	NewProgressWriter(nil, 1, "nil writer").Done() // must not panic
	// An optional bar left out: a nil *Progress ignores Add and Done.
	var none *Progress
	none.Add(1)
	none.Done()
}

func TestProgressNotebook(t *testing.T) {
	_, updates := withNotebook(t, func() {
		p := NewProgress(10, "<scoring>")
		for i := 0; i < 10; i++ {
			p.Add(1)
		}
		p.Done()
	})
	if len(updates) != 1 {
		t.Fatalf("updates went to %d display ids, want 1: %v", len(updates), updates)
	}
	for id, hs := range updates {
		if !strings.HasPrefix(id, "freedarts_progress_") {
			t.Errorf("display id %q", id)
		}
		last := hs[len(hs)-1]
		elems := parseXML(t, last)
		if !elems[0].hasClass("freedarts-progress") {
			t.Errorf("root class %q", elems[0].attrs["class"])
		}
		if !strings.Contains(last, "&lt;scoring&gt;") || !strings.Contains(last, "10/10") || !strings.Contains(last, "width:100.0%") {
			t.Errorf("final HTML = %s", last)
		}
	}
}
