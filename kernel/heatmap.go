package kernel

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// HeatMapOptions configures HeatMap and ShowHeatMap. The zero value is a linear colour
// scale without highlights.
type HeatMapOptions struct {
	// LogScale colours cells by log10(|v|) instead of v: use it for scores that span
	// many orders of magnitude (SynFlow, SNIP). Cells whose value is exactly 0 get the
	// lowest colour. The printed values are unchanged (signed, %.3g).
	LogScale bool

	// Highlight, if not nil, must have the shape of values; cells set to true get a red
	// border (e.g. the op chosen on each edge).
	Highlight [][]bool

	// Shortlist, if not nil, must have the shape of values; cells set to true get a
	// dashed dark border (the ops a two-stage search kept for its rank stage).
	Shortlist [][]bool

	// Pruned, if not nil, must have the shape of values; cells set to true (ops that
	// iterative pruning removed) are drawn grey, labelled "pruned" and left out of the
	// colour scale.
	Pruned [][]bool
}

// heatmap layout constants, in pixels.
const (
	hmMargin      = 10.0
	hmLabelFont   = 12.0
	hmValueFont   = 11.0
	hmCellH       = 26.0
	hmMinCellW    = 58.0
	hmLegendSteps = 24
)

// HeatMap returns an inline SVG (class "freedarts-heatmap") that shows values as a
// colour-scaled table: one row per rows label (e.g. an edge), one column per cols label
// (e.g. an op), each cell printing its value with %.3g. An optional HeatMapOptions
// selects a log colour scale and highlighted cells.
//
// It returns an error for empty or ragged input, a label count that does not match
// values, a Highlight of the wrong shape, more than one options value, or a NaN/Inf
// value (the error names the cell).
func HeatMap(title string, rows, cols []string, values [][]float64, opts ...HeatMapOptions) (string, error) {
	opt, err := heatMapCheck(rows, cols, values, opts)
	if err != nil {
		return "", err
	}
	scale := newHeatScale(values, opt.LogScale, opt.Pruned)

	// Geometry.
	rowLabelW := 0.0
	for _, r := range rows {
		rowLabelW = math.Max(rowLabelW, textWidth(r, hmLabelFont))
	}
	rowLabelW += 10
	cellW := hmMinCellW
	for _, row := range values {
		for _, v := range row {
			cellW = math.Max(cellW, textWidth(fmtValue(v), hmValueFont)+12)
		}
	}
	colLabelW := 0.0
	for _, c := range cols {
		colLabelW = math.Max(colLabelW, textWidth(c, hmLabelFont))
	}
	rotated := colLabelW > cellW-6
	headerH := 20.0
	extraRight := 0.0
	if rotated {
		headerH = colLabelW*math.Sqrt2/2 + 14
		extraRight = math.Max(0, colLabelW*math.Sqrt2/2-cellW/2)
	}
	titleH := 0.0
	if title != "" {
		titleH = 24
	}
	gridW, gridH := cellW*float64(len(cols)), hmCellH*float64(len(rows))
	x0 := hmMargin + rowLabelW
	y0 := hmMargin + titleH + headerH
	legendY := y0 + gridH + 14
	legendW := math.Min(math.Max(gridW, 160), 260)
	lo, hi, note := scale.legend()
	width := math.Max(x0+gridW+extraRight, x0+legendW+8+textWidth(note, 10)) + hmMargin
	width = math.Max(width, 2*hmMargin+textWidth(title, 14)*1.1) // bold title
	height := legendY + 10 + 18 + hmMargin

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-heatmap" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" role="img">`,
		num(width), num(height), num(width), num(height))
	b.WriteString("\n")
	if title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%s" y="%s" font-size="14" font-weight="bold">%s</text>`+"\n",
			num(hmMargin), num(hmMargin+15), esc(title))
	}
	// Column labels.
	for j, c := range cols {
		cx := x0 + cellW*(float64(j)+0.5)
		if rotated {
			fmt.Fprintf(&b, `<text class="col-label" x="%s" y="%s" font-size="%s" transform="rotate(-45 %s %s)">%s</text>`+"\n",
				num(cx), num(y0-6), num(hmLabelFont), num(cx), num(y0-6), esc(c))
		} else {
			fmt.Fprintf(&b, `<text class="col-label" x="%s" y="%s" font-size="%s" text-anchor="middle">%s</text>`+"\n",
				num(cx), num(y0-6), num(hmLabelFont), esc(c))
		}
	}
	// Rows: label and cells.
	for i, r := range rows {
		y := y0 + hmCellH*float64(i)
		fmt.Fprintf(&b, `<text class="row-label" x="%s" y="%s" font-size="%s" text-anchor="end" dominant-baseline="central">%s</text>`+"\n",
			num(x0-6), num(y+hmCellH/2), num(hmLabelFont), esc(r))
		for j, v := range values[i] {
			x := x0 + cellW*float64(j)
			col, label := colorScale(scale.t(v)), fmtValue(v)
			if isPruned(opt.Pruned, i, j) {
				col, label = rgb{217, 217, 217}, "pruned"
			}
			fmt.Fprintf(&b, `<rect class="cell" x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#ffffff" stroke-width="1"><title>%s</title></rect>`+"\n",
				num(x), num(y), num(cellW), num(hmCellH), col.hex(), esc(fmt.Sprintf("%s / %s: %s", r, cols[j], label)))
			textColor := "#000000"
			if col.luminance() < 0.5 {
				textColor = "#ffffff"
			}
			fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" font-size="%s" text-anchor="middle" dominant-baseline="central" fill="%s">%s</text>`+"\n",
				num(x+cellW/2), num(y+hmCellH/2), num(hmValueFont), textColor, esc(label))
		}
	}
	// Shortlist and highlights on top of the cells, so that neighbours do not
	// cover the border; a highlight covers the shortlist's (a pick is one of
	// the shortlist).
	for i := range opt.Shortlist {
		for j, h := range opt.Shortlist[i] {
			if !h {
				continue
			}
			fmt.Fprintf(&b, `<rect class="shortlisted" x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#1a1a1a" stroke-width="2" stroke-dasharray="5 3"/>`+"\n",
				num(x0+cellW*float64(j)+1), num(y0+hmCellH*float64(i)+1), num(cellW-2), num(hmCellH-2))
		}
	}
	for i := range opt.Highlight {
		for j, h := range opt.Highlight[i] {
			if !h {
				continue
			}
			fmt.Fprintf(&b, `<rect class="chosen" x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#e8112d" stroke-width="3"/>`+"\n",
				num(x0+cellW*float64(j)+1.5), num(y0+hmCellH*float64(i)+1.5), num(cellW-3), num(hmCellH-3))
		}
	}
	// Legend: a stepped colour bar with the end values.
	stepW := legendW / hmLegendSteps
	for k := 0; k < hmLegendSteps; k++ {
		t := (float64(k) + 0.5) / hmLegendSteps
		fmt.Fprintf(&b, `<rect class="legend-swatch" x="%s" y="%s" width="%s" height="10" fill="%s"/>`+"\n",
			num(x0+stepW*float64(k)), num(legendY), num(stepW+0.3), colorScale(t).hex())
	}
	fmt.Fprintf(&b, `<text class="legend" x="%s" y="%s" font-size="10" text-anchor="start">%s</text>`+"\n",
		num(x0), num(legendY+22), esc(lo))
	fmt.Fprintf(&b, `<text class="legend" x="%s" y="%s" font-size="10" text-anchor="end">%s</text>`+"\n",
		num(x0+legendW), num(legendY+22), esc(hi))
	fmt.Fprintf(&b, `<text class="legend" x="%s" y="%s" font-size="10" fill="#555555">%s</text>`+"\n",
		num(x0+legendW+8), num(legendY+9), esc(note))
	b.WriteString("</svg>")
	return b.String(), nil
}

// ShowHeatMap displays HeatMap(title, rows, cols, values, opts...) in the notebook, or
// writes a text table to TextOutput outside GoNB (highlighted cells marked with '*').
func ShowHeatMap(title string, rows, cols []string, values [][]float64, opts ...HeatMapOptions) error {
	svg, err := HeatMap(title, rows, cols, values, opts...)
	if err != nil {
		return err
	}
	var opt HeatMapOptions
	if len(opts) == 1 {
		opt = opts[0]
	}
	return show(svg, heatMapText(title, rows, cols, values, opt))
}

// heatMapCheck validates the inputs of HeatMap and returns the options to use.
func heatMapCheck(rows, cols []string, values [][]float64, opts []HeatMapOptions) (HeatMapOptions, error) {
	var opt HeatMapOptions
	switch len(opts) {
	case 0:
	case 1:
		opt = opts[0]
	default:
		return opt, fmt.Errorf("heatmap: at most one HeatMapOptions, got %d", len(opts))
	}
	if len(rows) == 0 || len(cols) == 0 {
		return opt, errors.New("heatmap: empty matrix: need at least one row and one column label")
	}
	if len(values) != len(rows) {
		return opt, fmt.Errorf("heatmap: %d row labels but %d rows of values", len(rows), len(values))
	}
	for i, row := range values {
		if len(row) != len(cols) {
			return opt, fmt.Errorf("heatmap: ragged input: row %d (%q) has %d values, want %d (one per column label)",
				i, rows[i], len(row), len(cols))
		}
		for j, v := range row {
			if err := checkFinite(v, fmt.Sprintf("heatmap: value at row %d (%q), column %d (%q)", i, rows[i], j, cols[j])); err != nil {
				return opt, err
			}
		}
	}
	for _, mask := range []struct {
		name string
		m    [][]bool
	}{{"Highlight", opt.Highlight}, {"Shortlist", opt.Shortlist}, {"Pruned", opt.Pruned}} {
		if mask.m == nil {
			continue
		}
		if len(mask.m) != len(rows) {
			return opt, fmt.Errorf("heatmap: %s has %d rows, want %d", mask.name, len(mask.m), len(rows))
		}
		for i, row := range mask.m {
			if len(row) != len(cols) {
				return opt, fmt.Errorf("heatmap: %s row %d (%q) has %d entries, want %d", mask.name, i, rows[i], len(row), len(cols))
			}
		}
	}
	return opt, nil
}

// isPruned reports whether cell (i, j) is marked in a Pruned mask (nil: none).
func isPruned(pruned [][]bool, i, j int) bool { return pruned != nil && pruned[i][j] }

// heatScale maps values to [0, 1].
type heatScale struct {
	log      bool
	min, max float64 // of v (linear) or of log10|v| over non-zero values (log)
	anyZero  bool
}

func newHeatScale(values [][]float64, log bool, pruned [][]bool) heatScale {
	s := heatScale{log: log, min: math.Inf(1), max: math.Inf(-1)}
	for i, row := range values {
		for j, v := range row {
			if isPruned(pruned, i, j) {
				continue
			}
			if log {
				if v == 0 {
					s.anyZero = true
					continue
				}
				v = math.Log10(math.Abs(v))
			}
			s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
		}
	}
	if math.IsInf(s.min, 1) { // log scale with only zeros, or everything pruned
		s.min, s.max = 0, 0
	}
	return s
}

func (s heatScale) t(v float64) float64 {
	if s.log {
		if v == 0 {
			return 0
		}
		v = math.Log10(math.Abs(v))
	}
	if s.max == s.min {
		if s.log {
			return 1
		}
		return 0.5
	}
	return (v - s.min) / (s.max - s.min)
}

// legend returns the texts at both ends of the colour bar and a note on the scale.
func (s heatScale) legend() (lo, hi, note string) {
	if !s.log {
		return fmtValue(s.min), fmtValue(s.max), "linear scale"
	}
	lo, hi = "|v| "+fmtValue(math.Pow(10, s.min)), fmtValue(math.Pow(10, s.max))
	note = "log10 |v| scale"
	if s.anyZero {
		note += " (0 = lowest colour)"
	}
	return lo, hi, note
}

// heatMapText is the plain-text rendering of a heat map.
func heatMapText(title string, rows, cols []string, values [][]float64, opt HeatMapOptions) string {
	hl := opt.Highlight
	cells := make([][]string, len(rows))
	for i := range rows {
		cells[i] = make([]string, len(cols))
		for j, v := range values[i] {
			s := fmtValue(v)
			if isPruned(opt.Pruned, i, j) {
				s = "pruned"
			}
			if opt.Shortlist != nil && opt.Shortlist[i][j] {
				s += "+"
			}
			if hl != nil && hl[i][j] {
				s += "*"
			}
			cells[i][j] = s
		}
	}
	headers := append([]string{""}, cols...)
	body := make([][]string, len(rows))
	for i, r := range rows {
		body[i] = append([]string{r}, cells[i]...)
	}
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n")
	}
	b.WriteString(tableText(headers, body, true))
	if opt.Shortlist != nil {
		b.WriteString("(+ = shortlisted)\n")
	}
	if hl != nil {
		b.WriteString("(* = highlighted)\n")
	}
	return b.String()
}
