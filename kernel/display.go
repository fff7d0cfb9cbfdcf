package kernel

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// TextOutput is where the Show… functions write their plain-text rendering when the
// program does not run inside GoNB. It defaults to os.Stdout; set it to io.Discard to
// silence them. It is not used inside a notebook.
var TextOutput io.Writer = os.Stdout

// Hooks replaced by the tests.
var (
	inNotebook  = func() bool { return gonbui.IsNotebook }
	displayHTML = gonbui.DisplayHTML
	updateHTML  = gonbui.UpdateHTML
	uniqueID    = gonbui.UniqueId
	// syncDisplay waits until GoNB has received everything sent so far: without it,
	// content displayed just before the cell's program exits can be lost.
	syncDisplay = gonbui.Sync
)

// show displays html inside GoNB, or writes text to TextOutput otherwise.
func show(html, text string) error {
	if inNotebook() {
		displayHTML(html)
		syncDisplay()
		return gonbui.Error()
	}
	w := TextOutput
	if w == nil {
		w = io.Discard
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}

// esc escapes text for use in HTML/SVG text content and attribute values
// (html.EscapeString: its entities are also valid XML).
func esc(s string) string {
	return html.EscapeString(s)
}

// num formats a coordinate for SVG: at most 2 decimals, no trailing zeros.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" || s == "" {
		s = "0"
	}
	return s
}

// fmtValue formats a data value the way all helpers print it (%.3g).
func fmtValue(v float64) string {
	return fmt.Sprintf("%.3g", v)
}

// textWidth estimates the rendered width in pixels of s in a sans-serif font of the
// given size. It is only used for layout, so a rough estimate is fine.
func textWidth(s string, fontSize float64) float64 {
	n := 0
	for range s {
		n++
	}
	return float64(n) * fontSize * 0.6
}

// wrapWords breaks s at spaces into lines no wider than width at fontSize,
// as textWidth estimates it (wide enough for bold text too). A word wider
// than that stays whole, on a line of its own; "" has no lines.
func wrapWords(s string, fontSize, width float64) []string {
	var lines []string
	for _, w := range strings.Fields(s) {
		if n := len(lines); n > 0 && textWidth(lines[n-1]+" "+w, fontSize) <= width {
			lines[n-1] += " " + w
			continue
		}
		lines = append(lines, w)
	}
	return lines
}

// checkFinite returns an error naming what if v is NaN or ±Inf.
func checkFinite(v float64, what string) error {
	switch {
	case math.IsNaN(v):
		return fmt.Errorf("%s is NaN", what)
	case math.IsInf(v, 0):
		return fmt.Errorf("%s is %v", what, v)
	}
	return nil
}

// rgb is a colour.
type rgb struct{ r, g, b float64 }

func (c rgb) hex() string {
	clamp := func(v float64) int {
		return int(math.Round(math.Max(0, math.Min(255, v))))
	}
	return fmt.Sprintf("#%02x%02x%02x", clamp(c.r), clamp(c.g), clamp(c.b))
}

// luminance is the relative luminance in [0, 1] (sRGB approximation).
func (c rgb) luminance() float64 {
	return (0.2126*c.r + 0.7152*c.g + 0.0722*c.b) / 255
}

// viridis anchors, from matplotlib's viridis colour map.
var viridis = []rgb{
	{68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
	{31, 158, 137}, {53, 183, 121}, {109, 205, 89}, {180, 222, 44}, {253, 231, 37},
}

// colorScale maps t in [0, 1] to a viridis colour.
func colorScale(t float64) rgb {
	if math.IsNaN(t) {
		t = 0
	}
	t = math.Max(0, math.Min(1, t))
	f := t * float64(len(viridis)-1)
	i := int(math.Floor(f))
	if i >= len(viridis)-1 {
		return viridis[len(viridis)-1]
	}
	a, b, u := viridis[i], viridis[i+1], f-float64(i)
	return rgb{a.r + (b.r-a.r)*u, a.g + (b.g-a.g)*u, a.b + (b.b-a.b)*u}
}

// padRight pads s with spaces to width runes.
func padRight(s string, width int) string {
	n := len([]rune(s))
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// padLeft pads s with spaces on the left to width runes.
func padLeft(s string, width int) string {
	n := len([]rune(s))
	if n >= width {
		return s
	}
	return strings.Repeat(" ", width-n) + s
}
