package nb201

import (
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// keepOps marks, on every edge, the ops of ops[e].
func keepOps(ops [NumEdges][]int) map[string][][]bool {
	rows := make([][]bool, NumEdges)
	for e := range rows {
		rows[e] = make([]bool, NumOps)
		for _, op := range ops[e] {
			rows[e][op] = true
		}
	}
	return map[string][][]bool{AlphaName: rows}
}

func TestCandidates(t *testing.T) {
	s, err := NewSpace(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var _ spaces.Enumerable = s
	got, err := s.Candidates(keepOps([NumEdges][]int{{3}, {1, 3}, {3}, {1, 2, 3}, {3}, {3}}))
	if err != nil {
		t.Fatal(err)
	}
	// Edge 1<-0 varies slowest, ops in Ops order.
	want := []string{"3 s 3 s 3 3", "3 s 3 1 3 3", "3 s 3 3 3 3", "3 3 3 s 3 3", "3 3 3 1 3 3", "3 3 3 3 3 3"}
	if len(got) != len(want) {
		t.Fatalf("%d candidates, want %d", len(got), len(want))
	}
	for i, a := range got {
		if short := a.(Arch).Short(); short != shortOf(want[i]) {
			t.Errorf("candidate %d: %s, want %s", i, short, shortOf(want[i]))
		}
	}
	all, err := s.Candidates(keepOps([NumEdges][]int{{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}}))
	if err != nil || len(all) != 15625 {
		t.Errorf("every op kept: %d candidates, %v; want the 15,625 cells", len(all), err)
	}
	net, err := s.Network(got[0])
	if n, ok := net.(*Network); err != nil || !ok || n.Arch != got[0] || n.Config != s.Config {
		t.Errorf("Network: %#v, %v", net, err)
	}
}

// shortOf spells a cell of one-letter ops in Arch.Short's words.
func shortOf(s string) string {
	words := map[string]string{"3": "nor_conv_3x3", "1": "nor_conv_1x1", "s": "skip_connect"}
	var a Arch
	for e, f := range strings.Fields(s) {
		a[e], _ = OpIndex(words[f])
	}
	return a.Short()
}

func TestCandidatesRefused(t *testing.T) {
	s, err := NewSpace(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	noOp := keepOps([NumEdges][]int{{3}, {3}, {3}, {}, {3}, {3}})
	short := map[string][][]bool{AlphaName: noOp[AlphaName][:5]}
	narrow := keepOps([NumEdges][]int{{3}, {3}, {3}, {3}, {3}, {3}})
	narrow[AlphaName][2] = narrow[AlphaName][2][:4]
	for _, c := range []struct {
		name string
		keep map[string][][]bool
		want string
	}{
		{"no alpha", map[string][][]bool{"normal": noOp[AlphaName]}, `no "alpha" entries`},
		{"edge without op", noOp, "edge 3<-0 keeps no op"},
		{"five rows", short, "5 rows of kept ops, want 6"},
		{"four ops", narrow, "edge 2<-1 has 4 kept flags, want 5"},
	} {
		if _, err := s.Candidates(c.keep); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
	if _, err := s.Network(spaces.Arch(nil)); err == nil || !strings.Contains(err.Error(), "want an nb201.Arch") {
		t.Errorf("Network of nil: %v", err)
	}
	var nilSpace *Space
	if _, err := nilSpace.Network(Arch{}); err == nil {
		t.Error("Network of a nil *Space: no error")
	}
}
