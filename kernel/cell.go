package kernel

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// The cells drawn here are spaces.Cell: node labels and op-labelled edges.
// An edge whose Op is spaces.OpNone is not drawn (it still counts for the
// layout, so that a cell keeps its shape whatever ops it holds); one whose
// Op is spaces.OpConcat is drawn dashed and grey, without label (the
// concatenation of the intermediate nodes into a DARTS cell output). Node
// labels may use a TeX-like subscript: "c_{k-1}" is drawn as c with
// subscript k-1. An architecture made of cells (spaces.CellArch, such as
// nb201.Arch and darts.Genotype) lists them with Cells; ShowArch draws them.

// cell layout constants, in pixels.
const (
	cdMargin     = 12.0
	cdNodeR      = 17.0
	cdBoxH       = 30.0
	cdNodeFont   = 13.0
	cdSubFont    = 9.0
	cdLabelFont  = 11.0
	cdRowGap     = 96.0
	cdMinLayerGx = 160.0
)

// opPalette holds fixed colours for the ops of NAS-Bench-201 and DARTS; other op names
// get a colour from fallbackPalette by a stable hash of the name.
var opPalette = map[string]string{
	"none":         "#9e9e9e",
	"skip_connect": "#2ca02c",
	"nor_conv_1x1": "#1f77b4",
	"nor_conv_3x3": "#d62728",
	"avg_pool_3x3": "#9467bd",
	"max_pool_3x3": "#8c564b",
	"sep_conv_3x3": "#ff7f0e",
	"sep_conv_5x5": "#e377c2",
	"dil_conv_3x3": "#17becf",
	"dil_conv_5x5": "#8c8c00",
	"concat":       "#777777",
}

var fallbackPalette = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#4d4d4d", "#8c8c00", "#17becf",
}

// OpColor returns the colour ("#rrggbb") used for op in cell diagrams: fixed for the
// NAS-Bench-201 and DARTS op names, a stable hash-based pick otherwise.
func OpColor(op string) string {
	if c, ok := opPalette[op]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(op))
	return fallbackPalette[h.Sum32()%uint32(len(fallbackPalette))]
}

// CellSVG returns an inline SVG (class "freedarts-cell") of the cell: nodes laid out
// left to right in layers (longest path from the inputs), inputs and outputs as boxes,
// intermediate nodes as circles, and one curved arrow per edge labelled with its op
// and coloured by OpColor. "none" edges are omitted; "concat" edges are dashed. Op
// labels sit beside their edges, never on an arrow nor on each other (layoutCell).
//
// It returns an error for a cell without nodes, an edge naming a node out of range, a
// self-loop, an empty op name, or edges that form a cycle.
func CellSVG(c spaces.Cell) (string, error) {
	l, err := layoutCell(c)
	if err != nil {
		return "", err
	}
	return drawCell(c.Title, l), nil
}

// drawCell draws a laid-out cell: edges, then op labels, then nodes on top.
func drawCell(title string, l *cellLayout) string {
	var body strings.Builder
	for i := range l.edges {
		e := &l.edges[i]
		a, z := l.nodes[e.From], l.nodes[e.To]
		col := OpColor(e.Op)
		dash := ""
		if e.Op == spaces.OpConcat {
			dash = ` stroke-dasharray="5,4"`
		}
		w := e.tip.sub(e.base).unit().perp().scale(cdArrowHalfW)
		fmt.Fprintf(&body, `<path class="edge" d="M%s Q%s %s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></path>`+"\n",
			e.start, e.ctrl, e.base, col, dash, esc(fmt.Sprintf("%s -> %s: %s", a.label, z.label, e.Op)))
		fmt.Fprintf(&body, `<path class="arrow" d="M%s L%s L%s Z" fill="%s"/>`+"\n", e.tip, e.base.add(w), e.base.sub(w), col)
	}
	for i := range l.edges {
		if e := &l.edges[i]; e.labelled {
			fmt.Fprintf(&body, `<text class="op-label" x="%s" y="%s" font-size="%s" text-anchor="middle" dominant-baseline="central" fill="%s" stroke="#ffffff" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
				num(e.labelAt.x), num(e.labelAt.y), num(cdLabelFont), OpColor(e.Op), esc(e.Op))
		}
	}
	for _, nd := range l.nodes {
		if nd.isBox {
			fmt.Fprintf(&body, `<rect class="node" x="%s" y="%s" width="%s" height="%s" rx="5" fill="#eef3fb" stroke="#333333" stroke-width="1.5"/>`+"\n",
				num(nd.pos.x-nd.halfW), num(nd.pos.y-nd.halfH), num(2*nd.halfW), num(2*nd.halfH))
		} else {
			fmt.Fprintf(&body, `<circle class="node" cx="%s" cy="%s" r="%s" fill="#ffffff" stroke="#333333" stroke-width="1.5"/>`+"\n",
				num(nd.pos.x), num(nd.pos.y), num(cdNodeR))
		}
		fmt.Fprintf(&body, `<text class="node-label" x="%s" y="%s" font-size="%s" text-anchor="middle" dominant-baseline="central">%s`,
			num(nd.pos.x), num(nd.pos.y), num(cdNodeFont), esc(nd.main))
		if nd.sub != "" {
			fmt.Fprintf(&body, `<tspan font-size="%s" dy="4">%s</tspan>`, num(cdSubFont), esc(nd.sub))
		}
		body.WriteString("</text>\n")
	}

	bb := l.bounds
	titleH := 0.0
	if title != "" {
		titleH = 22
		bb.x1 = math.Max(bb.x1, bb.x0+textWidth(title, 14))
	}
	width := bb.x1 - bb.x0 + 2*cdMargin
	height := bb.y1 - bb.y0 + 2*cdMargin + titleH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-cell" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" role="img">`+"\n",
		num(width), num(height), num(width), num(height))
	if title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%s" y="%s" font-size="14" font-weight="bold">%s</text>`+"\n",
			num(cdMargin), num(cdMargin+14), esc(title))
	}
	fmt.Fprintf(&b, `<g transform="translate(%s %s)">`+"\n", num(cdMargin-bb.x0), num(cdMargin+titleH-bb.y0))
	b.WriteString(body.String())
	b.WriteString("</g>\n</svg>")
	return b.String()
}

// CellsHTML returns the SVGs of all cells side by side in one HTML <div> (class
// "freedarts-cells"). All cells are validated; the errors of all invalid cells are
// joined.
func CellsHTML(cells ...spaces.Cell) (string, error) {
	var errs []error
	var b strings.Builder
	b.WriteString(`<div class="freedarts-cells" style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">`)
	b.WriteString("\n")
	for _, c := range cells {
		svg, err := CellSVG(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.WriteString(svg)
		b.WriteString("\n")
	}
	b.WriteString("</div>")
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return b.String(), nil
}

// ShowCells displays the cells side by side (CellsHTML) in the notebook, or writes their
// edge lists to TextOutput outside GoNB.
func ShowCells(cells ...spaces.Cell) error {
	h, err := CellsHTML(cells...)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range cells {
		b.WriteString(cellText(c))
	}
	return show(h, b.String())
}

// cellText is the plain-text rendering of a cell: one line per edge.
func cellText(c spaces.Cell) string {
	var b strings.Builder
	title := c.Title
	if title == "" {
		title = "cell"
	}
	fmt.Fprintf(&b, "%s: %d nodes\n", title, len(c.Nodes))
	edges := append([]spaces.Edge(nil), c.Edges...)
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].To != edges[j].To {
			return edges[i].To < edges[j].To
		}
		return edges[i].From < edges[j].From
	})
	var omitted []string
	for _, e := range edges {
		arrow := c.Nodes[e.From] + " -> " + c.Nodes[e.To]
		if e.Op == spaces.OpNone {
			omitted = append(omitted, arrow)
			continue
		}
		fmt.Fprintf(&b, "  %s  %s\n", padRight(arrow, 18), e.Op)
	}
	if len(omitted) > 0 {
		fmt.Fprintf(&b, "  (none: %s)\n", strings.Join(omitted, ", "))
	}
	return b.String()
}
