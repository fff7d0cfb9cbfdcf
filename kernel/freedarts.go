package kernel

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
)

// Scale chooses a colour scale (ShowScores) or an axis (ShowStudy).
type Scale int

const (
	// ScaleAuto is logarithmic when no value is negative and the non-zero
	// magnitudes span more than two decades (SynFlow, SNIP), linear
	// otherwise (signed GraSP).
	ScaleAuto Scale = iota
	ScaleLinear
	ScaleLog
)

// autoLog is ScaleAuto's rule; skip leaves values out (pruned ops).
func autoLog(values []float64, skip func(int) bool) bool {
	lo, hi := math.Inf(1), 0.0
	for i, v := range values {
		if skip != nil && skip(i) || v == 0 {
			continue
		}
		if v < 0 {
			return false
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi > 0 && hi/lo > 100
}

func (s Scale) log(values []float64, skip func(int) bool) bool {
	switch s {
	case ScaleLog:
		return true
	case ScaleLinear:
		return false
	}
	return autoLog(values, skip)
}

// ScoresOptions configure ScoresHTML and ShowScores; the zero value is
// what a notebook wants.
type ScoresOptions struct {
	// Title replaces the default "<space> <proxy>, seed <n>" (the alpha's
	// name and the scale are added to it).
	Title string
	Scale Scale
}

// ScoresHTML draws every score matrix of a search result as a heat map
// (HeatMap): rows and columns labelled as the result labels them, the
// entries the selected architecture keeps outlined in red, those a
// two-stage search shortlisted (Options.Rank) in dashed black, pruned ops
// grey, on the scale of opts (by default chosen from the scores).
func ScoresHTML(res *freedarts.Result, opts ...ScoresOptions) (string, error) {
	maps, _, err := scoreMaps(res, opts)
	return joinMaps(maps), err
}

// ShowScores displays ScoresHTML in the notebook, or the matrices as text
// tables outside GoNB (kept entries marked with '*').
func ShowScores(res *freedarts.Result, opts ...ScoresOptions) error {
	maps, text, err := scoreMaps(res, opts)
	if err != nil {
		return err
	}
	return show(joinMaps(maps), text)
}

// joinMaps lays several heat maps out side by side.
func joinMaps(maps []string) string {
	if len(maps) == 1 {
		return maps[0]
	}
	return `<div class="freedarts-scores" style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">` +
		strings.Join(maps, "\n") + `</div>`
}

// scoreMaps renders the heat map of every matrix of res, and their text.
func scoreMaps(res *freedarts.Result, opts []ScoresOptions) (svgs []string, text string, err error) {
	if res == nil || len(res.Scores) == 0 {
		return nil, "", errors.New("scores: no result, or a result without scores")
	}
	if len(opts) > 1 {
		return nil, "", fmt.Errorf("scores: at most one ScoresOptions, got %d", len(opts))
	}
	var opt ScoresOptions
	if len(opts) == 1 {
		opt = opts[0]
	}
	title := opt.Title
	if title == "" {
		title = fmt.Sprintf("%s %s, seed %d", res.Space, res.Proxy, res.Seed)
	}
	var b strings.Builder
	for _, m := range res.Scores {
		values := make([][]float64, len(m.Values))
		pruned := make([][]bool, len(m.Values))
		var flat []float64
		for r, row := range m.Values {
			values[r] = make([]float64, len(row))
			pruned[r] = make([]bool, len(row))
			for c, v := range row {
				if v == 0 {
					v = 0 // print -0 (the sign of alpha times a zero gradient) as 0
				}
				values[r][c], pruned[r][c] = v, v == freedarts.Pruned
				flat = append(flat, v)
			}
		}
		cols := len(m.Cols)
		logScale := opt.Scale.log(flat, func(i int) bool { return cols > 0 && pruned[i/cols][i%cols] })
		scale := "linear"
		if logScale {
			scale = "log"
		}
		t := fmt.Sprintf("%s: %s (%s colour scale)", title, m.Name, scale)
		hm := HeatMapOptions{LogScale: logScale, Highlight: m.Kept, Shortlist: m.Shortlist, Pruned: pruned}
		svg, err := HeatMap(t, m.Rows, m.Cols, values, hm)
		if err != nil {
			return nil, "", fmt.Errorf("scores of %s: %w", m.Name, err)
		}
		svgs = append(svgs, svg)
		b.WriteString(heatMapText(t, m.Rows, m.Cols, values, hm))
	}
	return svgs, b.String(), nil
}

// ArchHTML draws an architecture: the cells of a spaces.CellArch
// (CellsHTML; NAS-Bench-201: one cell, DARTS: the normal and the reduction
// cell), else its encoding as text.
func ArchHTML(a spaces.Arch) (string, error) {
	html, _, err := archViews(a)
	return html, err
}

// ShowArch displays ArchHTML in the notebook, or the cells' edges (or the
// encoding) as text outside GoNB.
func ShowArch(a spaces.Arch) error {
	html, text, err := archViews(a)
	if err != nil {
		return err
	}
	return show(html, text)
}

// archViews renders a for ArchHTML and as text.
func archViews(a spaces.Arch) (html, text string, err error) {
	if spaces.IsNil(a) { // a nil *T as well: its Cells or String would panic
		return "", "", errors.New("arch: no architecture (nil)")
	}
	if c, ok := a.(spaces.CellArch); ok {
		if cells := c.Cells(); len(cells) > 0 {
			if html, err = CellsHTML(cells...); err != nil {
				return "", "", err
			}
			var b strings.Builder
			for _, cell := range cells {
				b.WriteString(cellText(cell))
			}
			return html, b.String(), nil
		}
	}
	return `<pre class="freedarts-arch">` + esc(a.String()) + `</pre>`, a.String() + "\n", nil
}
