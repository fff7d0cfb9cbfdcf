package darts

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestEdges(t *testing.T) {
	want := []Edge{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 1}, {0, 2}, {1, 2}, {2, 2}, {3, 2}, {0, 3}, {1, 3}, {2, 3}, {3, 3}, {4, 3}}
	if len(want) != NumEdges {
		t.Fatalf("NumEdges = %d, want %d", NumEdges, len(want))
	}
	for e, w := range want {
		if Edges[e] != w {
			t.Errorf("Edges[%d] = %v, want %v", e, Edges[e], w)
		}
	}
	labels := EdgeLabels()
	if labels[0] != "2<-0" || labels[2] != "3<-0" || labels[13] != "5<-4" {
		t.Errorf("EdgeLabels = %v", labels)
	}
	if Ops[None] != "none" || len(Ops) != 8 || Ops[7] != "dil_conv_5x5" {
		t.Errorf("Ops = %v", Ops)
	}
}

var v2 = Genotype{
	Normal: []Pair{{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
		{"sep_conv_3x3", 1}, {"skip_connect", 0}, {"skip_connect", 0}, {"dil_conv_3x3", 2}},
	NormalConcat: []int{2, 3, 4, 5},
	Reduce: []Pair{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 1},
		{"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"max_pool_3x3", 1}},
	ReduceConcat: []int{2, 3, 4, 5},
}

func TestParseGenotype(t *testing.T) {
	g, err := ParseGenotype(DARTSV2)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Equal(v2) {
		t.Fatalf("ParseGenotype(DARTSV2) = %+v", g)
	}
	if g.String() != DARTSV2 {
		t.Errorf("String() = %s\nwant       %s", g, DARTSV2)
	}
	// Variants Python would print or accept.
	for _, s := range []string{
		strings.ReplaceAll(DARTSV2, "[2, 3, 4, 5]", "range(2, 6)"),
		strings.ReplaceAll(DARTSV2, "'", `"`),
		strings.ReplaceAll(strings.ReplaceAll(DARTSV2, ", ", ",\n\t  "), "(", " ( "),
		strings.ReplaceAll(strings.ReplaceAll(DARTSV2, " ", ""), "[2,3,4,5]", "(2,3,4,5,)"),
		"genotypes." + DARTSV2,
		"Genotype(reduce_concat=range(2,6), reduce=" + DARTSV2[strings.Index(DARTSV2, "reduce=[")+7:strings.Index(DARTSV2, ", reduce_concat")] +
			", normal_concat=[2,3,4,5], normal=" + DARTSV2[strings.Index(DARTSV2, "normal=[")+7:strings.Index(DARTSV2, ", normal_concat")] + ",)",
	} {
		got, err := ParseGenotype(s)
		if err != nil {
			t.Errorf("ParseGenotype(%q): %v", s, err)
		} else if !got.Equal(v2) {
			t.Errorf("ParseGenotype(%q) = %v", s, got)
		}
	}
	for name, s := range Known {
		if _, err := LookupGenotype(name); err != nil {
			t.Errorf("LookupGenotype(%s): %v", name, err)
		}
		if _, err := ParseGenotype(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseGenotypeErrors(t *testing.T) {
	for _, tc := range []struct{ name, s, want string }{
		{"empty", "", "token end of input: want Genotype("},
		{"unknown op", strings.Replace(DARTSV2, "dil_conv_3x3", "dil_conv_4x4", 1), `token "'dil_conv_4x4'": unknown op "dil_conv_4x4"`},
		{"unquoted op", strings.Replace(DARTSV2, "'sep_conv_3x3'", "sep_conv_3x3", 1), `offset 18, token "sep_conv_3x3": want a quoted op name`},
		{"unknown field", strings.Replace(DARTSV2, "reduce_concat", "reduce_cat", 1), `token "reduce_cat": unknown field`},
		{"missing field", strings.Replace(DARTSV2, ", reduce_concat=[2, 3, 4, 5]", "", 1), "missing field reduce_concat"},
		{"duplicate field", strings.Replace(DARTSV2, "reduce_concat", "normal_concat", 1), `token "normal_concat": field normal_concat given twice`},
		{"bad input", strings.Replace(DARTSV2, "('dil_conv_3x3', 2)", "('dil_conv_3x3', x)", 1), `token "x": want an integer`},
		{"input of a later node", strings.Replace(DARTSV2, "('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)", 1), "normal cell: pair 7 (dil_conv_3x3, 5): input 5, want 0..4"},
		{"odd pairs", strings.Replace(DARTSV2, ", ('dil_conv_3x3', 2)]", "]", 1), "normal cell: 7 (op, input) pairs, want a positive even number"},
		{"concat out of range", strings.Replace(DARTSV2, "normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 6]", 1), "concat state 6, want 0..5"},
		{"reduce concat of an input", strings.Replace(DARTSV2, "reduce_concat=[2, 3, 4, 5]", "reduce_concat=[1, 5]", 1), "reduce cell: concat state 1 is a cell input"},
		{"duplicate concat", strings.Replace(DARTSV2, "reduce_concat=[2, 3, 4, 5]", "reduce_concat=[5, 5]", 1), "concat state 5 listed twice"},
		{"unterminated string", "Genotype(normal=[('sep", "unterminated string"},
		{"stray character", "Genotype(normal=[{", `offset 17: unexpected character '{'`},
		{"negative input", strings.Replace(DARTSV2, "2)]", "-2)]", 1), "unexpected character '-'"},
		{"trailing text", DARTSV2 + " x", `token "x": unexpected text after the genotype`},
		{"mismatched bracket", strings.Replace(DARTSV2, "5])", "5)]", 1), `token ")": want "," or "]"`},
		{"range arity", strings.Replace(DARTSV2, "[2, 3, 4, 5]", "range(1, 2, 3)", 1), "range takes 1 or 2 arguments, got 3"},
		{"huge integer", strings.Replace(DARTSV2, "2)]", "99999999999999999999)]", 1), "integer out of range"},
		{"escape", strings.Replace(DARTSV2, "'sep_conv_3x3'", `'sep\x'`, 1), "escapes and newlines are not supported"},
		// Positions count characters, and a character is reported whole
		// (not its first byte, 'ï'), with its code point.
		{"full-width parenthesis", "Genotype（normal=[])", `offset 8: unexpected character '（' (U+FF08) in "（normal=[]"…`},
		{"invalid UTF-8", "Genotype(\xff", "offset 9: byte 0xff is not UTF-8 text"},
		// User text is quoted bounded: a 120 KB token is not echoed whole.
		{"huge token", strings.Repeat("x", 120000), `token "` + strings.Repeat("x", 40) + `"…: want Genotype(`},
		{"huge op", "Genotype(normal=[('" + strings.Repeat("y", 5000) + "', 0)])", `unknown op "` + strings.Repeat("y", 40) + `"…`},
		{"huge unterminated string", "Genotype(normal=[('" + strings.Repeat("z", 5000), `unterminated string "'` + strings.Repeat("z", 39) + `"…`},
	} {
		_, err := ParseGenotype(tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "darts: ") {
			t.Errorf("%s: ParseGenotype error %.300v, want one containing %q", tc.name, err, tc.want)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%s: a %d-byte error", tc.name, len(err.Error()))
		}
	}
}

// randomGenotype draws a valid genotype (1 to 5 nodes per cell, any ops,
// any concat, nodes only in the reduction cell's) from rng.
func randomGenotype(rng *rand.Rand) Genotype {
	cell := func(first int) ([]Pair, []int) {
		nodes := 1 + rng.IntN(5)
		pairs := make([]Pair, 2*nodes)
		for k := range pairs {
			pairs[k] = Pair{Ops[rng.IntN(NumOps)], rng.IntN(2 + k/2)}
		}
		concat := rng.Perm(2 + nodes - first)[:1+rng.IntN(2+nodes-first)]
		for i := range concat {
			concat[i] += first
		}
		return pairs, concat
	}
	var g Genotype
	g.Normal, g.NormalConcat = cell(0)
	g.Reduce, g.ReduceConcat = cell(2)
	return g
}

// FuzzParseGenotype: parsing never panics, and whatever parses formats to
// a string that parses back to the same genotype.
func FuzzParseGenotype(f *testing.F) {
	f.Add(DARTSV2)
	f.Add(DARTSV1)
	f.Add(strings.ReplaceAll(DARTSV2, "[2, 3, 4, 5]", "range(2, 6)"))
	f.Add("Genotype(normal=[('none', 0), ('none', 1)], normal_concat=range(3), reduce=[('skip_connect', 1), ('none', 0)], reduce_concat=[2])")
	f.Add("Genotype(normal=[(")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGenotype(s)
		if err != nil {
			return
		}
		h, err := ParseGenotype(g.String())
		if err != nil {
			t.Fatalf("ParseGenotype(%q) = %v, whose String %q does not parse: %v", s, g, g.String(), err)
		}
		if !h.Equal(g) || h.String() != g.String() {
			t.Fatalf("round trip of %q: %v then %v", s, g, h)
		}
	})
}

// FuzzGenotypeRoundTrip: every valid genotype survives format then parse.
func FuzzGenotypeRoundTrip(f *testing.F) {
	for seed := range uint64(20) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		g := randomGenotype(rand.New(rand.NewPCG(seed, 3)))
		if err := g.Validate(); err != nil {
			t.Fatalf("random genotype %v invalid: %v", g, err)
		}
		h, err := ParseGenotype(g.String())
		if err != nil {
			t.Fatalf("ParseGenotype(%q): %v", g.String(), err)
		}
		if !h.Equal(g) {
			t.Fatalf("round trip: %v became %v", g, h)
		}
	})
}

func TestSelectCell(t *testing.T) {
	// Rows in Edges order; columns in Ops order (none first).
	scores := [][]float64{
		// node 2: from 0, 1. Both kept; the edge from 1 ranks first.
		{9, 1, 0, 0, 2, 0, 0, 0}, // none's 9 is ignored: best non-none is sep_conv_3x3 (2)
		{0, 0, 0, 5, 0, 0, 0, 0}, // skip_connect 5
		// node 3: from 0, 1, 2. Keep 2 (dil_conv_5x5 7) and 0 (avg_pool 6).
		{0, 0, 6, 0, 0, 0, 0, 0},
		{0, 1, 1, 1, 1, 1, 1, 1}, // ties: max_pool, the first
		{0, 0, 0, 0, 0, 0, 0, 7},
		// node 4: from 0..3. Ties at 3 between inputs 1 and 3: the lower input
		// first; input 0 has a larger none only.
		{100, 1, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 3, 0, 0},
		{0, 0, 0, 0, 0, 0, 2, 0},
		{0, 0, 0, 0, 3, 0, 0, 0},
		// node 5: from 0..4; zeros everywhere but input 4.
		{0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 1e-9, 0},
	}
	got, err := SelectCell(scores)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{
		{"skip_connect", 1}, {"sep_conv_3x3", 0},
		{"dil_conv_5x5", 2}, {"avg_pool_3x3", 0},
		{"sep_conv_5x5", 1}, {"sep_conv_3x3", 3},
		{"dil_conv_3x3", 4}, {"max_pool_3x3", 0}, // all-zero rows: input 0 first, its first non-none op
	}
	for k := range want {
		if k >= len(got) || got[k] != want[k] {
			t.Fatalf("SelectCell = %v\nwant        %v", got, want)
		}
	}
	g, err := Select(scores, scores)
	if err != nil || !g.Equal(Genotype{want, DefaultConcat(), want, DefaultConcat()}) {
		t.Errorf("Select = %v, %v", g, err)
	}
	for _, bad := range [][][]float64{scores[:13], append(scores[:13:13], []float64{1, 2})} {
		if _, err := SelectCell(bad); err == nil {
			t.Errorf("SelectCell accepted a malformed matrix %v", bad)
		}
	}
}
