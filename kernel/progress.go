package kernel

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressInterval is the minimum time between two renderings of a Progress (the
// first update and Done always render).
const progressInterval = 100 * time.Millisecond

// Progress is a progress bar. Inside GoNB it updates one cell output in place (a
// transient display block, gonbui.UpdateHTML); outside it rewrites a single text line
// ("\r…") on os.Stderr or on the writer given to NewProgressWriter. Renderings are
// throttled to one per 100ms. All methods are safe for concurrent use.
//
// Typical use:
//
//	p := kernel.NewProgress(len(archs), "scoring")
//	for range archs { …; p.Add(1) }
//	p.Done()
type Progress struct {
	mu       sync.Mutex
	total    int
	label    string
	n        int
	start    time.Time
	last     time.Time
	rendered bool
	done     bool
	w        io.Writer // text mode only
	id       string    // display id, notebook mode only
	notebook bool
	now      func() time.Time
}

// NewProgress returns a progress bar for total steps (total <= 0: unknown total, only
// the count is shown), rendered on os.Stderr outside a notebook.
func NewProgress(total int, label string) *Progress {
	return NewProgressWriter(os.Stderr, total, label)
}

// NewProgressWriter is NewProgress with the text rendering (outside GoNB) going to w
// instead of os.Stderr; a nil w discards it.
func NewProgressWriter(w io.Writer, total int, label string) *Progress {
	if w == nil {
		w = io.Discard
	}
	p := &Progress{total: total, label: label, w: w, notebook: inNotebook(), now: time.Now}
	p.start = p.now()
	if p.notebook {
		p.id = "freedarts_progress_" + uniqueID()
	}
	p.mu.Lock()
	p.renderLocked()
	p.mu.Unlock()
	return p
}

// inert says whether p is nil or a zero Progress (not made by NewProgress,
// so without a clock or an output): such a bar ignores every call and
// renders as nothing, so that code can take an optional bar.
func (p *Progress) inert() bool { return p == nil || p.now == nil }

// Add advances the bar by n steps. Calls after Done are ignored, and so are
// calls on a nil *Progress, so that code can take an optional bar.
func (p *Progress) Add(n int) {
	if p.inert() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.n += n
	if p.now().Sub(p.last) >= progressInterval {
		p.renderLocked()
	}
}

// Done renders the final state (and ends the text line). Calling it again, or on a nil
// *Progress, is a no-op.
func (p *Progress) Done() {
	if p.inert() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	p.renderLocked()
	if p.notebook {
		syncDisplay()
	} else {
		_, _ = io.WriteString(p.w, "\n")
	}
}

// Count returns the number of steps added so far (0 for a nil Progress).
func (p *Progress) Count() int {
	if p.inert() {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// String returns the current text rendering (without "\r"), e.g.
// "scoring [##########----------] 50/100  50%  1.2s".
func (p *Progress) String() string {
	if p.inert() {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.textLocked()
}

// HTML returns the current HTML rendering (a <div class="freedarts-progress">).
func (p *Progress) HTML() string {
	if p.inert() {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.htmlLocked()
}

func (p *Progress) renderLocked() {
	p.last = p.now()
	p.rendered = true
	if p.notebook {
		updateHTML(p.id, p.htmlLocked())
		return
	}
	_, _ = io.WriteString(p.w, "\r"+p.textLocked())
}

func (p *Progress) fraction() float64 {
	if p.total <= 0 {
		if p.done {
			return 1
		}
		return 0
	}
	return max(0, min(1, float64(p.n)/float64(p.total)))
}

func (p *Progress) elapsed() time.Duration {
	return p.now().Sub(p.start).Round(100 * time.Millisecond)
}

// status is the count, percentage, elapsed time and ETA part of the renderings.
func (p *Progress) status() string {
	var b strings.Builder
	if p.total > 0 {
		fmt.Fprintf(&b, "%d/%d  %3.0f%%", p.n, p.total, 100*p.fraction())
	} else {
		fmt.Fprintf(&b, "%d", p.n)
	}
	el := p.elapsed()
	if p.done {
		fmt.Fprintf(&b, "  done in %v", el)
	} else {
		fmt.Fprintf(&b, "  %v", el)
		if f := p.fraction(); f > 0 && f < 1 && p.total > 0 {
			eta := time.Duration(float64(p.now().Sub(p.start)) * (1 - f) / f).Round(time.Second)
			fmt.Fprintf(&b, "  ETA %v", eta)
		}
	}
	return b.String()
}

func (p *Progress) textLocked() string {
	const width = 24
	var b strings.Builder
	if p.label != "" {
		b.WriteString(p.label + " ")
	}
	if p.total > 0 {
		filled := int(p.fraction() * width)
		b.WriteString("[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "] ")
	}
	b.WriteString(p.status())
	return b.String()
}

func (p *Progress) htmlLocked() string {
	color := "#1f77b4"
	if p.done {
		color = "#2ca02c"
	}
	return fmt.Sprintf(`<div class="freedarts-progress" style="font-family:sans-serif;font-size:13px;display:flex;align-items:center;gap:8px">`+
		`<span>%s</span>`+
		`<div style="width:260px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden">`+
		`<div class="bar" style="width:%.1f%%;height:100%%;background:%s"></div></div>`+
		`<span>%s</span></div>`,
		esc(p.label), 100*p.fraction(), color, esc(p.status()))
}
