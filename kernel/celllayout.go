package kernel

import (
	"fmt"
	"math"
	"strings"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// Layout of a cell diagram: where nodes, edges and op labels go, as plain data, so
// that the geometry (labels readable, off the arrows and apart) is tested without
// parsing SVG; the geometry types (point, box, cdNode) and the layering of the nodes
// (validateCell) are here too. drawCell (cell.go) only draws a cellLayout.

// Label placement constants, in pixels.
const (
	cdLabelGap   = 3.0  // between a label box and the edge it names
	cdLabelPad   = 2.0  // horizontal padding inside a label box
	cdLabelClear = 1.5  // clearance of a label box from any edge (half the stroke + antialiasing)
	cdArrowLen   = 10.0 // arrow head length
	cdArrowHalfW = 4.5  // arrow head half width
	cdCurveSteps = 24   // segments per edge when testing labels against it
)

// cdEdge is a laid-out drawn edge: a quadratic Bézier curve from start through ctrl to
// base, then an arrow head from base to tip. "none" edges are not laid out.
type cdEdge struct {
	spaces.Edge
	start, ctrl, base, tip point
	// labelled is false for concat edges; then label and labelAt are unset.
	labelled bool
	labelAt  point // centre of the op label
	label    box   // the op label's box, padding included
}

// at returns the point of the drawn curve at parameter t in [0, 1].
func (e *cdEdge) at(t float64) point {
	u := 1 - t
	return e.start.scale(u * u).add(e.ctrl.scale(2 * u * t)).add(e.base.scale(t * t))
}

// tangent returns the unit direction of the curve at t.
func (e *cdEdge) tangent(t float64) point {
	d := e.ctrl.sub(e.start).scale(2 * (1 - t)).add(e.base.sub(e.ctrl).scale(2 * t))
	if d.norm() < 1e-9 {
		return e.tip.sub(e.start).unit()
	}
	return d.unit()
}

// segments returns the edge as a polyline: the sampled curve and the arrow head's shaft,
// which is what a label must stay clear of.
func (e *cdEdge) segments() [][2]point {
	segs := make([][2]point, 0, cdCurveSteps+1)
	prev := e.start
	for i := 1; i <= cdCurveSteps; i++ {
		p := e.at(float64(i) / cdCurveSteps)
		segs = append(segs, [2]point{prev, p})
		prev = p
	}
	return append(segs, [2]point{e.base, e.tip})
}

// cellLayout is a laid-out cell: nodes (indexed as in spaces.Cell.Nodes), the drawn
// edges in the cell's order, and the bounds of everything but the title.
type cellLayout struct {
	nodes  []*cdNode
	edges  []cdEdge
	bounds box
}

// layoutCell validates c and lays it out: nodes in layers, edges as curves, op labels
// beside their edges.
func layoutCell(c spaces.Cell) (*cellLayout, error) {
	layers, err := validateCell(c)
	if err != nil {
		return nil, err
	}
	l := &cellLayout{nodes: placeNodes(c, layers)}
	l.edges = routeEdges(l.nodes, c.Edges)
	placeLabels(l.nodes, l.edges)
	l.bounds = l.nodes[0].bounds()
	for _, nd := range l.nodes {
		l.bounds = l.bounds.union(nd.bounds())
	}
	for i := range l.edges {
		e := &l.edges[i]
		for _, s := range e.segments() {
			l.bounds = l.bounds.union(box{s[1].x, s[1].y, s[1].x, s[1].y})
		}
		l.bounds = l.bounds.union(box{e.start.x, e.start.y, e.start.x, e.start.y})
		if e.labelled {
			l.bounds = l.bounds.union(e.label)
		}
	}
	return l, nil
}

// placeNodes puts the nodes left to right by layer, each layer centred vertically.
// Sources, sinks and long labels are boxes, other nodes circles.
func placeNodes(c spaces.Cell, layers []int) []*cdNode {
	n := len(c.Nodes)
	hasIn, hasOut := make([]bool, n), make([]bool, n)
	for _, e := range c.Edges {
		hasOut[e.From], hasIn[e.To] = true, true
	}
	nodes := make([]*cdNode, n)
	maxLayer := 0
	byLayer := map[int][]int{}
	for i, label := range c.Nodes {
		main, sub := splitSubscript(label)
		w := textWidth(main, cdNodeFont) + textWidth(sub, cdSubFont)
		nd := &cdNode{label: label, main: main, sub: sub, layer: layers[i]}
		if !hasIn[i] || !hasOut[i] || w > 2*cdNodeR-8 {
			nd.isBox = true
			nd.halfW, nd.halfH = math.Max(20, w/2+8), cdBoxH/2
		} else {
			nd.halfW, nd.halfH = cdNodeR, cdNodeR
		}
		nodes[i] = nd
		maxLayer = max(maxLayer, layers[i])
		byLayer[layers[i]] = append(byLayer[layers[i]], i)
	}
	// Layer spacing: wide enough for the longest op label between two nodes.
	maxLabel := 0.0
	for _, e := range c.Edges {
		if e.Op != spaces.OpNone && e.Op != spaces.OpConcat {
			maxLabel = math.Max(maxLabel, textWidth(e.Op, cdLabelFont))
		}
	}
	gap := math.Max(cdMinLayerGx, maxLabel+2*cdNodeR+40)
	// A gap crossed by many edges (DARTS: both inputs fan out to every node of the
	// next layer) widens so that their labels fit side by side along the edges:
	// two labels a row, plus one label width per three edges. The count includes
	// "none" edges, so that the node positions do not depend on the ops.
	crossing := make([]int, maxLayer+1)
	for _, e := range c.Edges {
		if e.Op == spaces.OpConcat {
			continue
		}
		for l := layers[e.From]; l < layers[e.To]; l++ {
			crossing[l]++
		}
	}
	x := 0.0
	for l := 0; l <= maxLayer; l++ {
		ids := byLayer[l]
		for k, i := range ids {
			nodes[i].pos = point{x, (float64(k) - float64(len(ids)-1)/2) * cdRowGap}
		}
		x += math.Max(gap, gap+(maxLabel+cdLabelGap)*float64(crossing[l]-4)/3)
	}
	return nodes
}

// routeEdges lays out every drawn edge: straight between adjacent layers, bowed away
// from the centre line when it skips layers (farther the more it skips, so that arcs
// from one node nest with room for a label between them), and fanned out when several
// edges join the same two nodes.
func routeEdges(nodes []*cdNode, cellEdges []spaces.Edge) []cdEdge {
	var edges []cdEdge
	pairCount := map[[2]int]int{}
	for _, ce := range cellEdges {
		if ce.Op == spaces.OpNone {
			continue
		}
		key := [2]int{ce.From, ce.To}
		dup := pairCount[key]
		pairCount[key]++
		a, z := nodes[ce.From], nodes[ce.To]
		p0, p2 := a.pos, z.pos
		d := p2.sub(p0)
		normal := d.unit().perp()
		span := z.layer - a.layer
		off := 0.0
		if span > 1 {
			// The apex of a quadratic curve is at half the control offset: 30 px for
			// a two-layer skip and 30 px more per extra layer, a label's height
			// (13 px) plus gaps between nested arcs.
			peak := 30 + 30*float64(span-2)
			// Bow away from the centre line; on it, alternate by layer so that
			// arcs from the same node nest (NAS-Bench-201: 0->2, 0->3 above, 1->3 below).
			// (normal.y > 0: layers grow left to right, so off > 0 bows downwards.)
			sign := 1.0
			switch my := (p0.y + p2.y) / 2; {
			case my < -1:
				sign = -1
			case my > 1:
				sign = 1
			case a.layer%2 == 0:
				sign = -1
			}
			off = sign * 2 * peak
		}
		if dup > 0 {
			k := float64((dup + 1) / 2)
			if dup%2 == 1 {
				off += 2 * 26 * k
			} else {
				off -= 2 * 26 * k
			}
		}
		ctrl := p0.add(d.scale(0.5)).add(normal.scale(off))
		s := p0.add(ctrl.sub(p0).unit().scale(a.extent(ctrl.sub(p0)) + 2))
		end := p2.sub(p2.sub(ctrl).unit().scale(z.extent(p2.sub(ctrl)) + 2))
		if off == 0 {
			ctrl = s.add(end).scale(0.5)
		}
		// Tangent at the end of the quadratic curve, for the arrow head.
		v := end.sub(ctrl).unit()
		if end.sub(ctrl).norm() < 1e-9 {
			v = end.sub(s).unit()
		}
		edges = append(edges, cdEdge{Edge: ce, start: s, ctrl: ctrl, base: end.sub(v.scale(cdArrowLen)), tip: end,
			labelled: ce.Op != spaces.OpConcat})
	}
	return edges
}

// placeLabels puts each op label beside its edge, off the curve along the normal, at
// the first candidate position (near the middle first, then towards the ends, then
// farther out, as far as notebook 03's searched DARTS cells need) whose box overlaps no node, no label placed before and no edge. Arcs
// get their label on the outside of the bow first. When no candidate is free (a
// crowded custom cell), the one with the fewest collisions is kept.
func placeLabels(nodes []*cdNode, edges []cdEdge) {
	var obstacles []box
	for _, nd := range nodes {
		obstacles = append(obstacles, nd.bounds())
	}
	var segs [][2]point
	for i := range edges {
		segs = append(segs, edges[i].segments()...)
	}
	for i := range edges {
		e := &edges[i]
		if !e.labelled {
			continue
		}
		hw, hh := textWidth(e.Op, cdLabelFont)/2+cdLabelPad, (cdLabelFont+2)/2
		// Outside of the bow first: the side the control point lies on.
		chord := e.base.sub(e.start)
		normal := chord.unit().perp()
		bow := e.ctrl.sub(e.start.add(chord.scale(0.5)))
		side := 1.0
		switch b := bow.x*normal.x + bow.y*normal.y; {
		case math.Abs(b) < 1:
			// Straight edge: label above it (SVG y grows downwards).
			if normal.y > 0 {
				side = -1
			}
		case b < 0:
			side = -1
		}
		best, bestHits := box{}, math.MaxInt
		var bestAt point
	search:
		for _, extra := range []float64{0, 8, 18, 30, 44, 60, 78} {
			for _, t := range []float64{0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88} {
				for _, sgn := range []float64{side, -side} {
					p := e.at(t)
					n := e.tangent(t).perp().scale(sgn)
					// Distance from the centre to the box border along n, so
					// that the box just clears the curve at p.
					reach := hw*math.Abs(n.x) + hh*math.Abs(n.y)
					at := p.add(n.scale(reach + cdLabelGap + extra))
					lb := box{at.x - hw, at.y - hh, at.x + hw, at.y + hh}
					hits := 0
					for _, o := range obstacles {
						if lb.overlaps(o) {
							hits++
						}
					}
					for _, s := range segs {
						if lb.grow(cdLabelClear).crosses(s[0], s[1]) {
							hits++
						}
					}
					if hits < bestHits {
						best, bestAt, bestHits = lb, at, hits
					}
					if hits == 0 {
						break search
					}
				}
			}
		}
		e.label, e.labelAt = best, bestAt
		obstacles = append(obstacles, best)
	}
}

type point struct{ x, y float64 }

func (p point) add(q point) point     { return point{p.x + q.x, p.y + q.y} }
func (p point) sub(q point) point     { return point{p.x - q.x, p.y - q.y} }
func (p point) scale(f float64) point { return point{p.x * f, p.y * f} }
func (p point) norm() float64         { return math.Hypot(p.x, p.y) }
func (p point) perp() point           { return point{-p.y, p.x} }
func (p point) String() string        { return num(p.x) + "," + num(p.y) }
func (p point) unit() point {
	n := p.norm()
	if n == 0 {
		return point{1, 0}
	}
	return p.scale(1 / n)
}

// box is an axis-aligned rectangle.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

func (a box) union(b box) box {
	return box{math.Min(a.x0, b.x0), math.Min(a.y0, b.y0), math.Max(a.x1, b.x1), math.Max(a.y1, b.y1)}
}

// grow returns the box enlarged by d on every side.
func (a box) grow(d float64) box { return box{a.x0 - d, a.y0 - d, a.x1 + d, a.y1 + d} }

// crosses reports whether the segment p-q has a point inside the box (Liang-Barsky
// clipping of the segment against the box).
func (a box) crosses(p, q point) bool {
	t0, t1 := 0.0, 1.0
	d := q.sub(p)
	for _, c := range [4][2]float64{{-d.x, p.x - a.x0}, {d.x, a.x1 - p.x}, {-d.y, p.y - a.y0}, {d.y, a.y1 - p.y}} {
		pk, qk := c[0], c[1]
		if pk == 0 {
			if qk < 0 {
				return false
			}
			continue
		}
		r := qk / pk
		if pk < 0 {
			t0 = math.Max(t0, r)
		} else {
			t1 = math.Min(t1, r)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// cdNode is a laid-out node.
type cdNode struct {
	label     string
	main, sub string // label split into main text and subscript
	pos       point
	isBox     bool
	halfW     float64 // half width of the box (or radius)
	halfH     float64
	layer     int
}

// extent returns the distance from the node centre to its border in direction d.
func (n *cdNode) extent(d point) float64 {
	if !n.isBox {
		return cdNodeR
	}
	d = d.unit()
	t := math.Inf(1)
	if d.x != 0 {
		t = math.Min(t, n.halfW/math.Abs(d.x))
	}
	if d.y != 0 {
		t = math.Min(t, n.halfH/math.Abs(d.y))
	}
	return t
}

func (n *cdNode) bounds() box {
	return box{n.pos.x - n.halfW, n.pos.y - n.halfH, n.pos.x + n.halfW, n.pos.y + n.halfH}
}

// splitSubscript splits "c_{k-1}" into ("c", "k-1") and "x_1" into ("x", "1").
func splitSubscript(label string) (main, sub string) {
	i := strings.Index(label, "_")
	if i <= 0 || i == len(label)-1 {
		return label, ""
	}
	rest := label[i+1:]
	if strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") {
		return label[:i], rest[1 : len(rest)-1]
	}
	if len([]rune(rest)) == 1 {
		return label[:i], rest
	}
	return label, ""
}

// validateCell checks node indices, self-loops, empty ops and cycles, and returns the
// layer of every node (longest path from a source, over all edges, "none" included).
func validateCell(c spaces.Cell) ([]int, error) {
	name := c.Title
	if name == "" {
		name = "(untitled)"
	}
	n := len(c.Nodes)
	if n == 0 {
		return nil, fmt.Errorf("cell %q: no nodes", name)
	}
	indeg := make([]int, n)
	out := make([][]int, n)
	for k, e := range c.Edges {
		for _, v := range []int{e.From, e.To} {
			if v < 0 || v >= n {
				return nil, fmt.Errorf("cell %q: edge %d (%d->%d, op %q) names node %d, out of range [0, %d)",
					name, k, e.From, e.To, e.Op, v, n)
			}
		}
		if e.From == e.To {
			return nil, fmt.Errorf("cell %q: edge %d (op %q) is a self-loop on node %d (%q)", name, k, e.Op, e.From, c.Nodes[e.From])
		}
		if strings.TrimSpace(e.Op) == "" {
			return nil, fmt.Errorf("cell %q: edge %d (%d->%d) has an empty op name", name, k, e.From, e.To)
		}
		indeg[e.To]++
		out[e.From] = append(out[e.From], e.To)
	}
	// Kahn's algorithm, computing the longest-path layer on the way.
	layer := make([]int, n)
	queue := []int{}
	for v := 0; v < n; v++ {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	seen := 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		seen++
		for _, w := range out[v] {
			layer[w] = max(layer[w], layer[v]+1)
			indeg[w]--
			if indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	if seen != n {
		return nil, fmt.Errorf("cell %q: edges form a cycle; a cell must be a directed acyclic graph", name)
	}
	return layer, nil
}
