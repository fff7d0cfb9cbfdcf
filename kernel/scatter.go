package kernel

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

	// Sample > 0 plots a random sample of that many points (every point when
	// there are no more), drawn with SampleSeed, plus the points Keep
	// lists: a readable plot of thousands of cells. A statistic in the title
	// is the caller's, over all the points.
	Sample     int
	SampleSeed uint64
	// Keep are indices of points plotted whether sampled or not (a search's
	// pick); each must be in range.
	Keep []int
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

	scTickFont = 11.0 // tick label font size

	scTitleFont   = 14.0 // title font size (bold)
	scTitleLine   = 18.0 // the distance between two lines of a title
	scTitleMargin = 8.0  // the least space left and right of a title line
	// scYLabelClear is the x coordinate that y tick labels must stay right
	// of, to clear the rotated y-axis label at x=16.
	scYLabelClear = 24.0
	// scTickGap is the least gap between two tick labels.
	scTickGap = 6.0
)

// Scatter returns an inline SVG (class "freedarts-scatter") plotting y against x with
// axes, ticks, grid lines and axis labels. It computes no statistic: put the rank
// correlation (e.g. "Spearman ρ = 0.78") in the title.
//
// It returns an error for empty input, x and y (or Labels) of different lengths, NaN or
// Inf values, a value <= 0 on a log axis, a negative Sample, a Keep index out of range, or
// more than one options value.
func Scatter(title, xLabel, yLabel string, x, y []float64, opts ...ScatterOptions) (string, error) {
	x, y, opt, err := scatterInput(x, y, opts)
	if err != nil {
		return "", err
	}
	return scatterSVG(title, xLabel, yLabel, x, y, opt), nil
}

// scatterInput checks the points and the options and returns the points to
// plot (the sample, when opts ask for one) with the options that go with
// them (the sample's labels).
func scatterInput(x, y []float64, opts []ScatterOptions) ([]float64, []float64, ScatterOptions, error) {
	var opt ScatterOptions
	switch len(opts) {
	case 0:
	case 1:
		opt = opts[0]
	default:
		return nil, nil, opt, fmt.Errorf("scatter: at most one ScatterOptions, got %d", len(opts))
	}
	if err := scatterCheck(x, y, opt); err != nil {
		return nil, nil, opt, err
	}
	if opt.Sample < 0 {
		return nil, nil, opt, fmt.Errorf("scatter: Sample = %d, want 0 (every point) or a number of points to draw", opt.Sample)
	}
	for _, k := range opt.Keep {
		if k < 0 || k >= len(x) {
			return nil, nil, opt, fmt.Errorf("scatter: Keep index %d out of range [0, %d)", k, len(x))
		}
	}
	if opt.Sample == 0 || opt.Sample >= len(x) {
		return x, y, opt, nil
	}
	idx := rand.New(rand.NewPCG(opt.SampleSeed, opt.SampleSeed)).Perm(len(x))[:opt.Sample]
	idx = append(idx, opt.Keep...)
	slices.Sort(idx)
	idx = slices.Compact(idx)
	sx, sy := make([]float64, len(idx)), make([]float64, len(idx))
	var labels []string
	for j, i := range idx {
		sx[j], sy[j] = x[i], y[i]
		if opt.Labels != nil {
			labels = append(labels, opt.Labels[i])
		}
	}
	opt.Labels = labels
	return sx, sy, opt, nil
}

// scatterSVG draws checked points.
func scatterSVG(title, xLabel, yLabel string, x, y []float64, opt ScatterOptions) string {
	// A title wider than the drawing wraps onto more lines, which move the
	// plot down and make the drawing taller by as much, so that no word is
	// cut off; the plot keeps its size.
	lines := wrapWords(title, scTitleFont, scWidth-2*scTitleMargin)
	extra := scTitleLine * float64(max(len(lines)-1, 0))
	top, height := scTop+extra, scHeight+extra
	plotH := scHeight - scTop - scBottom
	ya := newAxis(y, opt.LogY, plotH, false)
	// Widen the left margin for long y tick labels, so that they clear the
	// rotated y-axis label, and the right one for the last x tick label.
	left := scLeft
	for _, t := range ya.ticks {
		left = math.Max(left, textWidth(t.label, scTickFont)+scTickLen+3+scYLabelClear)
	}
	right := scRight
	xa := newAxis(x, opt.LogX, scWidth-left-right, true)
	if last := xa.ticks[len(xa.ticks)-1]; textWidth(last.label, scTickFont)/2+2 > right {
		right = textWidth(last.label, scTickFont)/2 + 2
		xa = newAxis(x, opt.LogX, scWidth-left-right, true)
	}
	plotW := scWidth - left - right
	px := func(v float64) float64 { return left + xa.frac(v)*plotW }
	py := func(v float64) float64 { return top + (1-ya.frac(v))*plotH }
	tx := func(t tick) float64 { return left + xa.fracDomain(t.at)*plotW }
	ty := func(t tick) float64 { return top + (1-ya.fracDomain(t.at))*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-scatter" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" role="img">`+"\n",
		num(scWidth), num(height), num(scWidth), num(height))
	for i, line := range lines {
		// Centred over the plot, unless that would push the line off the
		// drawing.
		half := textWidth(line, scTitleFont) / 2
		cx := math.Min(math.Max(left+plotW/2, scTitleMargin+half), scWidth-scTitleMargin-half)
		fmt.Fprintf(&b, `<text class="title" x="%s" y="%s" font-size="%s" font-weight="bold" text-anchor="middle">%s</text>`+"\n",
			num(cx), num(22+scTitleLine*float64(i)), num(scTitleFont), esc(line))
	}
	fmt.Fprintf(&b, `<rect class="plot-area" x="%s" y="%s" width="%s" height="%s" fill="#fafafa" stroke="none"/>`+"\n",
		num(left), num(top), num(plotW), num(plotH))
	// Grid, ticks and tick labels.
	for _, t := range xa.ticks {
		X := tx(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3" stroke-width="1"/>`+"\n",
			num(X), num(top), num(X), num(top+plotH))
		fmt.Fprintf(&b, `<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1"/>`+"\n",
			num(X), num(top+plotH), num(X), num(top+plotH+scTickLen))
		fmt.Fprintf(&b, `<text class="tick-label" x="%s" y="%s" font-size="%s" text-anchor="middle">%s</text>`+"\n",
			num(X), num(top+plotH+scTickLen+12), num(scTickFont), esc(t.label))
	}
	for _, t := range ya.ticks {
		Y := ty(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3" stroke-width="1"/>`+"\n",
			num(left), num(Y), num(left+plotW), num(Y))
		fmt.Fprintf(&b, `<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1"/>`+"\n",
			num(left-scTickLen), num(Y), num(left), num(Y))
		fmt.Fprintf(&b, `<text class="tick-label" x="%s" y="%s" font-size="%s" text-anchor="end" dominant-baseline="central">%s</text>`+"\n",
			num(left-scTickLen-3), num(Y), num(scTickFont), esc(t.label))
	}
	// Axes.
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1.2"/>`+"\n",
		num(left), num(top+plotH), num(left+plotW), num(top+plotH))
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="1.2"/>`+"\n",
		num(left), num(top), num(left), num(top+plotH))
	xl, yl := xLabel, yLabel
	if opt.LogX {
		xl += " (log scale)"
	}
	if opt.LogY {
		yl += " (log scale)"
	}
	fmt.Fprintf(&b, `<text class="axis-label" x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`+"\n",
		num(left+plotW/2), num(height-12), esc(strings.TrimSpace(xl)))
	fmt.Fprintf(&b, `<text class="axis-label" x="16" y="%s" font-size="12" text-anchor="middle" transform="rotate(-90 16 %s)">%s</text>`+"\n",
		num(top+plotH/2), num(top+plotH/2), esc(strings.TrimSpace(yl)))
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
	return b.String()
}

// ShowScatter displays Scatter(...) in the notebook, or writes a coarse text plot with
// the value ranges to TextOutput outside GoNB.
func ShowScatter(title, xLabel, yLabel string, x, y []float64, opts ...ScatterOptions) error {
	x, y, opt, err := scatterInput(x, y, opts)
	if err != nil {
		return err
	}
	return show(scatterSVG(title, xLabel, yLabel, x, y, opt), scatterText(title, xLabel, yLabel, x, y, opt))
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

// axis maps data values to [0, 1] and holds its ticks.
type axis struct {
	log    bool
	lo, hi float64 // domain; log10 of it for log axes
	step   float64 // tick step in domain units (decades on a log axis)
	ticks  []tick
}

// tick is one axis tick: its place in domain units and its label.
type tick struct {
	at    float64 // the value, or its log10 (an integer) on a log axis
	label string
}

// newAxis returns the axis for values vs drawn length pixels long (0: no thinning
// of the ticks), horizontally or vertically. Ticks are multiples of a step of 1, 2
// or 5 times a power of ten (in decades, at least 1, on a log axis, so that every
// tick is a power of ten); the domain ends are ticks. The step starts near a fifth
// of the span (an eighth on a log axis) and grows until the labels, of the width
// textWidth estimates, no longer overlap.
func newAxis(vs []float64, log bool, length float64, horizontal bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if log {
			v = math.Log10(v)
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var step float64
	if log {
		lo, hi = math.Floor(lo), math.Ceil(hi)
		if lo == hi {
			lo, hi = lo-1, hi+1
		}
		step = math.Max(1, math.Round(niceStep((hi-lo)/8)))
	} else {
		if lo == hi {
			pad := math.Abs(lo) * 0.1
			if pad == 0 {
				pad = 1
			}
			lo, hi = lo-pad, hi+pad
		}
		step = niceStep((hi - lo) / 5)
	}
	a := makeAxis(lo, hi, step, log)
	// Each round at least doubles the step: 64 rounds outgrow any float64 span.
	for range 64 {
		if length <= 0 || len(a.ticks) <= 2 || a.labelsFit(length, horizontal) {
			break
		}
		step = niceStep(step * 1.01)
		a = makeAxis(lo, hi, step, log)
	}
	return a
}

// makeAxis returns the axis whose domain is [lo, hi] widened to multiples of step,
// with a tick at each multiple.
func makeAxis(lo, hi, step float64, log bool) axis {
	// The slack absorbs float noise (0.5/0.002 = 250.00000000000003).
	kLo, kHi := math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
	if kHi <= kLo {
		kHi = kLo + 1
	}
	a := axis{log: log, lo: kLo * step, hi: kHi * step, step: step}
	for k := kLo; k <= kHi; k++ {
		at := k * step
		a.ticks = append(a.ticks, tick{at: at, label: a.label(at)})
	}
	return a
}

// labelsFit reports whether no two neighbouring tick labels overlap, with at least
// scTickGap between them, on an axis length pixels long.
func (a axis) labelsFit(length float64, horizontal bool) bool {
	for i := 1; i < len(a.ticks); i++ {
		dist := (a.ticks[i].at - a.ticks[i-1].at) / (a.hi - a.lo) * length
		need := scTickFont // label height on a vertical axis
		if horizontal {
			need = (textWidth(a.ticks[i-1].label, scTickFont) + textWidth(a.ticks[i].label, scTickFont)) / 2
		}
		if dist < need+scTickGap {
			return false
		}
	}
	return true
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
	return a.fracDomain(v)
}

// fracDomain is frac for a place in domain units (log10 of the value on a log axis).
func (a axis) fracDomain(at float64) float64 {
	return (at - a.lo) / (a.hi - a.lo)
}

// label formats the tick at at (domain units).
//
// A log axis tick is the power of ten 10^at, written from the integer exponent:
// 0.001 to 100000 in full, else as 1e+30, 1e-08. (The tick's float64 value must
// not be formatted: math.Pow(10, 33) is 1.0000000000000001e+33, whose shortest
// form is 22 characters wide and overlapped its neighbours.)
//
// A linear axis tick is a multiple of the step, written with just enough digits
// to tell it from its neighbours: in full while the axis values are below 1e6 and
// the step at least 0.0001, else in e-notation (3e+29, 1.5e-08).
func (a axis) label(at float64) string {
	if a.log {
		return pow10Label(int(math.Round(at)))
	}
	if math.Abs(at) < a.step*1e-6 {
		return "0"
	}
	stepExp := int(math.Floor(math.Log10(a.step) + 1e-9))
	maxExp := int(math.Floor(math.Log10(math.Max(math.Abs(a.lo), math.Abs(a.hi))) + 1e-9))
	if stepExp >= -4 && maxExp < 6 {
		return trimZeros(strconv.FormatFloat(at, 'f', max(0, -stepExp), 64))
	}
	vExp := int(math.Floor(math.Log10(math.Abs(at)) + 1e-9))
	return trimZeros(strconv.FormatFloat(at, 'e', max(0, vExp-stepExp), 64))
}

// pow10Label writes 10^k: in full for -3 <= k <= 5, else as 1e+30, 1e-08.
func pow10Label(k int) string {
	switch {
	case k >= 0 && k <= 5:
		return "1" + strings.Repeat("0", k)
	case k < 0 && k >= -3:
		return "0." + strings.Repeat("0", -k-1) + "1"
	}
	return fmt.Sprintf("1e%+03d", k)
}

// trimZeros drops the trailing zeros of a decimal fraction, in plain or
// e-notation: 0.500 -> 0.5, 1.0 -> 1, 1.50e+20 -> 1.5e+20; 70 stays 70.
func trimZeros(s string) string {
	mant, exp := s, ""
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp = s[:i], s[i:]
	}
	if strings.Contains(mant, ".") {
		mant = strings.TrimSuffix(strings.TrimRight(mant, "0"), ".")
	}
	return mant + exp
}

// scatterText is the plain-text rendering of a scatter plot: a coarse character grid.
func scatterText(title, xLabel, yLabel string, x, y []float64, opt ScatterOptions) string {
	const cols, rows = 56, 14
	xa, ya := newAxis(x, opt.LogX, 0, true), newAxis(y, opt.LogY, 0, false)
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
			label = ya.ticks[len(ya.ticks)-1].label
		case rows - 1:
			label = ya.ticks[0].label
		}
		fmt.Fprintf(&b, "%10s |%s\n", label, strings.TrimRight(string(grid[r]), " "))
	}
	fmt.Fprintf(&b, "%10s +%s\n", "", strings.Repeat("-", cols))
	lo, hi := xa.ticks[0].label, xa.ticks[len(xa.ticks)-1].label
	fmt.Fprintf(&b, "%10s  %s%s\n", "", padRight(lo, cols-len(hi)), hi)
	fmt.Fprintf(&b, "%10s  x: %s\n", "", xLabel)
	return b.String()
}
