package kernel

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ScatterOptions configures Scatter and ShowScatter. The zero value gives linear axes.
type ScatterOptions struct {
	// LogX and LogY use a log10 axis; all values on that axis must then be > 0.
	LogX, LogY bool

	// Labels, if not nil, must have one entry per point; it is shown as the point's
	// tooltip (e.g. the architecture string).
	Labels []string
}

// scatter layout constants, in pixels.
const (
	scWidth   = 540.0
	scHeight  = 380.0
	scLeft    = 72.0
	scRight   = 22.0
	scTop     = 40.0
	scBottom  = 56.0
	scTickLen = 5.0
)

// Scatter returns an inline SVG (class "freedarts-scatter") plotting y against x with
// axes, ticks, grid lines and axis labels. It computes no statistic: put the rank
// correlation (e.g. "Spearman ρ = 0.78") in the title.
//
// It returns an error for empty input, x and y (or Labels) of different lengths, NaN or
// Inf values, a value <= 0 on a log axis, or more than one options value.
func Scatter(title, xLabel, yLabel string, x, y []float64, opts ...ScatterOptions) (string, error) {
	var opt ScatterOptions
	switch len(opts) {
	case 0:
	case 1:
		opt = opts[0]
	default:
		return "", fmt.Errorf("scatter: at most one ScatterOptions, got %d", len(opts))
	}
	if err := scatterCheck(x, y, opt); err != nil {
		return "", err
	}
	xa := newAxis(x, opt.LogX)
	ya := newAxis(y, opt.LogY)
	plotW, plotH := scWidth-scLeft-scRight, scHeight-scTop-scBottom
	px := func(v float64) float64 { return scLeft + xa.frac(v)*plotW }
	py := func(v float64) float64 { return scTop + (1-ya.frac(v))*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-scatter" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" role="img">`+"\n",
		num(scWidth), num(scHeight), num(scWidth), num(scHeight))
	if title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%s" y="22" font-size="14" font-weight="bold" text-anchor="middle">%s</text>`+"\n",
			num(scLeft+plotW/2), esc(title))
	}
	fmt.Fprintf(&b, `<rect class="plot-area" x="%s" y="%s" width="%s" height="%s" fill="#fafafa" stroke="none"/>`+"\n",
		num(scLeft), num(scTop), num(plotW), num(plotH))
	// Grid, ticks and tick labels.
	for _, t := range xa.ticks {
		X := px(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3" stroke-width="1"/>`+"\n",
			num(X), num(scTop), num(X), num(scTop+plotH))
		fmt.Fprintf(&b, `<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1"/>`+"\n",
			num(X), num(scTop+plotH), num(X), num(scTop+plotH+scTickLen))
		fmt.Fprintf(&b, `<text class="tick-label" x="%s" y="%s" font-size="11" text-anchor="middle">%s</text>`+"\n",
			num(X), num(scTop+plotH+scTickLen+12), esc(xa.format(t)))
	}
	for _, t := range ya.ticks {
		Y := py(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3" stroke-width="1"/>`+"\n",
			num(scLeft), num(Y), num(scLeft+plotW), num(Y))
		fmt.Fprintf(&b, `<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1"/>`+"\n",
			num(scLeft-scTickLen), num(Y), num(scLeft), num(Y))
		fmt.Fprintf(&b, `<text class="tick-label" x="%s" y="%s" font-size="11" text-anchor="end" dominant-baseline="central">%s</text>`+"\n",
			num(scLeft-scTickLen-3), num(Y), esc(ya.format(t)))
	}
	// Axes.
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1.2"/>`+"\n",
		num(scLeft), num(scTop+plotH), num(scLeft+plotW), num(scTop+plotH))
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1.2"/>`+"\n",
		num(scLeft), num(scTop), num(scLeft), num(scTop+plotH))
	xl, yl := xLabel, yLabel
	if opt.LogX {
		xl += " (log scale)"
	}
	if opt.LogY {
		yl += " (log scale)"
	}
	fmt.Fprintf(&b, `<text class="axis-label" x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`+"\n",
		num(scLeft+plotW/2), num(scHeight-12), esc(strings.TrimSpace(xl)))
	fmt.Fprintf(&b, `<text class="axis-label" x="16" y="%s" font-size="12" text-anchor="middle" transform="rotate(-90 16 %s)">%s</text>`+"\n",
		num(scTop+plotH/2), num(scTop+plotH/2), esc(strings.TrimSpace(yl)))
	// Points.
	for i := range x {
		tip := fmt.Sprintf("(%g, %g)", x[i], y[i])
		if opt.Labels != nil {
			tip = opt.Labels[i] + " " + tip
		}
		fmt.Fprintf(&b, `<circle class="point" cx="%s" cy="%s" r="3.5" fill="#1f77b4" fill-opacity="0.65" stroke="#0b3d66" stroke-width="0.6"><title>%s</title></circle>`+"\n",
			num(px(x[i])), num(py(y[i])), esc(tip))
	}
	b.WriteString("</svg>")
	return b.String(), nil
}

// ShowScatter displays Scatter(...) in the notebook, or writes a coarse text plot with
// the value ranges to TextOutput outside GoNB.
func ShowScatter(title, xLabel, yLabel string, x, y []float64, opts ...ScatterOptions) error {
	svg, err := Scatter(title, xLabel, yLabel, x, y, opts...)
	if err != nil {
		return err
	}
	var opt ScatterOptions
	if len(opts) == 1 {
		opt = opts[0]
	}
	return show(svg, scatterText(title, xLabel, yLabel, x, y, opt))
}

func scatterCheck(x, y []float64, opt ScatterOptions) error {
	if len(x) == 0 {
		return errors.New("scatter: no points")
	}
	if len(x) != len(y) {
		return fmt.Errorf("scatter: x has %d values but y has %d", len(x), len(y))
	}
	if opt.Labels != nil && len(opt.Labels) != len(x) {
		return fmt.Errorf("scatter: %d labels for %d points", len(opt.Labels), len(x))
	}
	for _, ax := range []struct {
		name string
		vs   []float64
		log  bool
	}{{"x", x, opt.LogX}, {"y", y, opt.LogY}} {
		for i, v := range ax.vs {
			if err := checkFinite(v, fmt.Sprintf("scatter: %s[%d]", ax.name, i)); err != nil {
				return err
			}
			if ax.log && v <= 0 {
				return fmt.Errorf("scatter: %s[%d] = %g is not > 0, required by the log %s axis", ax.name, i, v, ax.name)
			}
		}
		// Ticks are multiples of a step near a fifth of the span: a span near
		// the float64 limit (a sentinel such as -math.MaxFloat64 among the
		// values) would overflow the axis ends.
		if lo, hi := slices.Min(ax.vs), slices.Max(ax.vs); !ax.log && hi-lo > math.MaxFloat64/16 {
			return fmt.Errorf("scatter: %s values span %g to %g, too wide to plot (a sentinel value among them?)", ax.name, lo, hi)
		}
	}
	return nil
}

// axis maps data values to [0, 1] and holds its tick values.
type axis struct {
	log    bool
	lo, hi float64 // domain; log10 of it for log axes
	ticks  []float64
	step   float64 // linear tick step
}

func newAxis(vs []float64, log bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if log {
			v = math.Log10(v)
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	a := axis{log: log}
	if log {
		a.lo, a.hi = math.Floor(lo), math.Ceil(hi)
		if a.lo == a.hi {
			a.lo, a.hi = a.lo-1, a.hi+1
		}
		stride := math.Max(1, math.Ceil((a.hi-a.lo)/8))
		for e := a.lo; e <= a.hi+1e-9; e += stride {
			a.ticks = append(a.ticks, math.Pow(10, e))
		}
		return a
	}
	if lo == hi {
		pad := math.Abs(lo) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	a.step = niceStep((hi - lo) / 5)
	a.lo = math.Floor(lo/a.step) * a.step
	a.hi = math.Ceil(hi/a.step) * a.step
	for k := math.Round(a.lo / a.step); k <= math.Round(a.hi/a.step); k++ {
		a.ticks = append(a.ticks, k*a.step)
	}
	return a
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func (a axis) frac(v float64) float64 {
	if a.log {
		v = math.Log10(v)
	}
	return (v - a.lo) / (a.hi - a.lo)
}

func (a axis) format(v float64) string {
	if a.log {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	// Round away float noise (0.30000000000000004) relative to the step.
	s := strconv.FormatFloat(v, 'g', 4, 64)
	if math.Abs(v) < a.step*1e-6 {
		s = "0"
	}
	return s
}

// scatterText is the plain-text rendering of a scatter plot: a coarse character grid.
func scatterText(title, xLabel, yLabel string, x, y []float64, opt ScatterOptions) string {
	const cols, rows = 56, 14
	xa, ya := newAxis(x, opt.LogX), newAxis(y, opt.LogY)
	grid := make([][]rune, rows)
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", cols))
	}
	for i := range x {
		c := int(math.Round(xa.frac(x[i]) * float64(cols-1)))
		r := rows - 1 - int(math.Round(ya.frac(y[i])*float64(rows-1)))
		c, r = max(0, min(cols-1, c)), max(0, min(rows-1, r))
		switch grid[r][c] {
		case ' ':
			grid[r][c] = '.'
		case '.':
			grid[r][c] = 'o'
		default:
			grid[r][c] = '@'
		}
	}
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n")
	}
	fmt.Fprintf(&b, "%d points; y: %s\n", len(x), yLabel)
	for r := range grid {
		label := ""
		switch r {
		case 0:
			label = ya.format(ya.top())
		case rows - 1:
			label = ya.format(ya.bottom())
		}
		fmt.Fprintf(&b, "%10s |%s\n", label, strings.TrimRight(string(grid[r]), " "))
	}
	fmt.Fprintf(&b, "%10s +%s\n", "", strings.Repeat("-", cols))
	lo, hi := xa.format(xa.bottom()), xa.format(xa.top())
	fmt.Fprintf(&b, "%10s  %s%s\n", "", padRight(lo, cols-len(hi)), hi)
	fmt.Fprintf(&b, "%10s  x: %s\n", "", xLabel)
	return b.String()
}

// bottom and top return the domain ends in data units.
func (a axis) bottom() float64 {
	if a.log {
		return math.Pow(10, a.lo)
	}
	return a.lo
}

func (a axis) top() float64 {
	if a.log {
		return math.Pow(10, a.hi)
	}
	return a.hi
}
