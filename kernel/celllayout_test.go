package kernel

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// notebookCells are the cells the notebooks draw: NAS-Bench-201 picks (all 3x3
// convolutions, the mixed cells of 02_selection, one with "none" edges) and the
// DARTS genotypes' normal and reduce cells.
func notebookCells(t *testing.T) []spaces.Cell {
	t.Helper()
	var cells []spaces.Cell
	for _, s := range []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|",
		"|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|skip_connect~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|",
	} {
		a, err := nb201.ParseArch(s)
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, a.Cells()...)
	}
	for _, name := range []string{"DARTS_V2", "DARTS_V1"} {
		g, err := darts.LookupGenotype(name)
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, g.Cells()...)
	}
	// Notebook 03's SynFlow picks of the 8- and 20-cell DARTS supernets (seed 0), whose
	// fans of sep_conv edges are the most crowded diagrams the notebooks draw.
	for _, s := range []string{
		`Genotype(normal=[('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1)], normal_concat=[2, 3, 4, 5], reduce=[('sep_conv_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0)], reduce_concat=[2, 3, 4, 5])`,
		`Genotype(normal=[('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1)], normal_concat=[2, 3, 4, 5], reduce=[('sep_conv_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0)], reduce_concat=[2, 3, 4, 5])`,
	} {
		g, err := darts.ParseGenotype(s)
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, g.Cells()...)
	}
	return append(cells, nb201Cell("nor_conv_3x3", "nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"), dartsCell())
}

// TestCellLabelsReadable checks that every op label can be read: no two label boxes
// overlap, and no label box overlaps a node or touches an edge (curve or arrow head).
func TestCellLabelsReadable(t *testing.T) {
	for _, c := range notebookCells(t) {
		t.Run(c.Title, func(t *testing.T) {
			l, err := layoutCell(c)
			if err != nil {
				t.Fatal(err)
			}
			var labelled []*cdEdge
			for i := range l.edges {
				if l.edges[i].labelled {
					labelled = append(labelled, &l.edges[i])
				}
			}
			if len(labelled) == 0 && len(c.Edges) > 0 {
				t.Fatalf("no labelled edges")
			}
			for i, e := range labelled {
				if e.label.x1-e.label.x0 < textWidth(e.Op, cdLabelFont) {
					t.Errorf("label %q: box %v narrower than its text", e.Op, e.label)
				}
				for _, f := range labelled[i+1:] {
					if e.label.overlaps(f.label) {
						t.Errorf("labels %q (%d->%d) and %q (%d->%d) overlap", e.Op, e.From, e.To, f.Op, f.From, f.To)
					}
				}
				for k, nd := range l.nodes {
					if e.label.overlaps(nd.bounds()) {
						t.Errorf("label %q (%d->%d) overlaps node %d (%q)", e.Op, e.From, e.To, k, nd.label)
					}
				}
				for j := range l.edges {
					f := &l.edges[j]
					for _, s := range f.segments() {
						if e.label.crosses(s[0], s[1]) {
							t.Errorf("label %q (%d->%d) lies on edge %d->%d (%s)", e.Op, e.From, e.To, f.From, f.To, f.Op)
							break
						}
					}
				}
				if b := l.bounds.union(e.label); b != l.bounds {
					t.Errorf("label %q outside the bounds %v", e.Op, l.bounds)
				}
			}
		})
	}
}

func TestBoxCrosses(t *testing.T) {
	b := box{0, 0, 10, 10}
	tests := []struct {
		name string
		p, q point
		want bool
	}{
		{"through", point{-5, 5}, point{15, 5}, true},
		{"inside", point{2, 2}, point{3, 3}, true},
		{"one end inside", point{5, 5}, point{50, 50}, true},
		{"diagonal across corner", point{-1, 5}, point{5, -1}, true},
		{"left of the box", point{-5, -5}, point{-1, 20}, false},
		{"misses the corner", point{-1, 9}, point{3, 21}, false},
		{"above, horizontal", point{-5, -1}, point{15, -1}, false},
		{"vertical, right", point{11, -5}, point{11, 15}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.crosses(tc.p, tc.q); got != tc.want {
				t.Errorf("crosses(%v, %v) = %v, want %v", tc.p, tc.q, got, tc.want)
			}
			if got := b.crosses(tc.q, tc.p); got != tc.want {
				t.Errorf("crosses(%v, %v) (reversed) = %v, want %v", tc.q, tc.p, got, tc.want)
			}
		})
	}
}
