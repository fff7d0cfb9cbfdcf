package nb201

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/shareddata"
)

// benchCSV is the shared copy of the benchmark table; tests that need it skip without it,
// or fail with CI=true (shareddata.Need).
const benchCSV = "../../../shared/data/nb201/nb201_accuracy.csv"

// best6111 is the spec's best CIFAR-10 cell, NAS-Bench-201 index 6111.
const best6111 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"

func TestEdgesFollowNodeOrder(t *testing.T) {
	e := 0
	for to := 1; to < NumNodes; to++ {
		for from := 0; from < to; from++ {
			if got, want := Edges[e], (Edge{from, to}); got != want {
				t.Errorf("Edges[%d] = %v, want %v", e, got, want)
			}
			e++
		}
	}
	if e != NumEdges {
		t.Errorf("NumEdges = %d, want %d", NumEdges, e)
	}
}

func TestOpIndex(t *testing.T) {
	for want, name := range Ops {
		got, err := OpIndex(name)
		if err != nil || got != want {
			t.Errorf("OpIndex(%q) = %d, %v; want %d, nil", name, got, err, want)
		}
	}
	_, err := OpIndex("conv")
	wantErr := `nb201: unknown op "conv" (want one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)`
	if err == nil || err.Error() != wantErr {
		t.Errorf("OpIndex(\"conv\") error = %v, want %s", err, wantErr)
	}
}

func TestParseArch(t *testing.T) {
	good := []struct {
		s    string
		want Arch
	}{
		{best6111, Arch{3, 3, 3, 1, 3, 2}},
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", Arch{}},
		{"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|", Arch{4, 2, 1, 2, 1, 1}},
	}
	for _, c := range good {
		got, err := ParseArch(c.s)
		if err != nil || got != c.want {
			t.Errorf("ParseArch(%q) = %v, %v; want %v, nil", c.s, got, err, c.want)
			continue
		}
		if s := got.String(); s != c.s {
			t.Errorf("ParseArch(%q).String() = %q", c.s, s)
		}
	}

	bad := []struct{ name, s, wantErr string }{
		{"empty", "", `nb201: arch "": 1 '+'-separated nodes, want 3`},
		{"two nodes", "|none~0|+|none~0|none~1|", "2 '+'-separated nodes, want 3"},
		{"four nodes", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|", "4 '+'-separated nodes, want 3"},
		{"unknown op", "|none~0|+|conv~0|none~1|+|none~0|none~1|none~2|",
			`nb201: arch "|none~0|+|conv~0|none~1|+|none~0|none~1|none~2|": node 2, token "conv~0": unknown op "conv" (want one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)`},
		{"empty op", "|~0|+|none~0|none~1|+|none~0|none~1|none~2|", `node 1, token "~0": unknown op ""`},
		{"wrong input node", "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", `node 1, token "none~1": input node "1", want 0`},
		{"swapped tokens", "|none~0|+|none~1|none~0|+|none~0|none~1|none~2|", `node 2, token "none~1": input node "1", want 0`},
		{"padded input node", "|none~0|+|none~0|none~01|+|none~0|none~1|none~2|", `node 2, token "none~01": input node "01", want 1`},
		{"spaced input node", "|none~0|+|none~0|none~1|+|none~0|none~1|none~ 2|", `node 3, token "none~ 2": input node " 2", want 2`},
		{"missing tilde", "|none~0|+|none~0|none~1|+|none~0|none|none~2|", `node 3, token "none": want op~1`},
		{"missing input node", "|none~0|+|none~0|none~|+|none~0|none~1|none~2|", `node 2, token "none~": input node "", want 1`},
		{"missing leading bar", "none~0|+|none~0|none~1|+|none~0|none~1|none~2|", `node 1, "none~0|": want it written |op~j| for j = 0..0`},
		{"missing trailing bar", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2", `node 3, "|none~0|none~1|none~2": want it written`},
		{"empty node", "|none~0|++|none~0|none~1|none~2|", `node 2, "": want it written`},
		{"lone bar", "|+|none~0|none~1|+|none~0|none~1|none~2|", `node 1, "|": want it written`},
		{"extra token", "|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", `node 1, "|none~0|none~1|": 2 tokens, want 1`},
		{"missing token", "|none~0|+|none~0|none~1|+|none~0|none~1|", `node 3, "|none~0|none~1|": 2 tokens, want 3`},
		{"empty token", "|none~0|+|none~0||none~1|+|none~0|none~1|none~2|", `node 2, "|none~0||none~1|": 3 tokens, want 2`},
		{"space", "|none~0| +|none~0|none~1|+|none~0|none~1|none~2|", `node 1, "|none~0| ": want it written`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseArch(c.s)
			if err == nil {
				t.Fatalf("ParseArch(%q) = %v, want an error", c.s, a)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseArch(%q) error\n  %v\nwant it to contain\n  %s", c.s, err, c.wantErr)
			}
			if a != (Arch{}) {
				t.Errorf("ParseArch(%q) returned %v with its error, want the zero Arch", c.s, a)
			}
		})
	}
}

func TestArchOps(t *testing.T) {
	got := Arch{3, 3, 3, 1, 3, 2}.Ops()
	want := [NumEdges]string{"nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"}
	if got != want {
		t.Errorf("Ops() = %v, want %v", got, want)
	}
}

func TestArchStringOutOfRange(t *testing.T) {
	a := Arch{0, 0, 0, 0, -1, NumOps}
	want := "|none~0|+|none~0|none~1|+|none~0|%!op(-1)~1|%!op(5)~2|"
	if got := a.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if _, err := ParseArch(a.String()); err == nil {
		t.Errorf("ParseArch(%q) succeeded, want an error", a.String())
	}
}

// TestBenchmarkArchStrings round-trips every arch string of the benchmark table through the
// codec and checks that the table holds each of the 5^6 cells exactly once.
func TestBenchmarkArchStrings(t *testing.T) {
	shareddata.Need(t, benchCSV)
	f, err := os.Open(benchCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	archCol := -1
	for i, name := range header {
		if name == "arch" {
			archCol = i
		}
	}
	if archCol < 0 {
		t.Fatalf("%s: no arch column in %q", benchCSV, header)
	}
	seen := make(map[Arch]int)
	for row := 0; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s := rec[archCol]
		a, err := ParseArch(s)
		if err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
		if got := a.String(); got != s {
			t.Fatalf("row %d: ParseArch(%q).String() = %q", row, s, got)
		}
		if prev, dup := seen[a]; dup {
			t.Fatalf("row %d: arch %s already in row %d", row, s, prev)
		}
		seen[a] = row
	}
	const all = NumOps * NumOps * NumOps * NumOps * NumOps * NumOps
	if len(seen) != all {
		t.Errorf("%d distinct archs, want %d", len(seen), all)
	}
}

func FuzzParseArch(f *testing.F) {
	f.Add(best6111)
	f.Add("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
	f.Add("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
	f.Add("|none~0|+|none~0|none~1|")
	f.Add("|~|+||+|||")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArch(s)
		if err != nil {
			return
		}
		for e, op := range a {
			if op < 0 || op >= NumOps {
				t.Fatalf("ParseArch(%q) edge %d = %d, outside Ops", s, e, op)
			}
		}
		// Parsing is strict, so what parses is already in canonical form.
		if got := a.String(); got != s {
			t.Fatalf("ParseArch(%q).String() = %q", s, got)
		}
		b, err := ParseArch(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseArch(%q) = %v, %v; want %v", a.String(), b, err, a)
		}
	})
}

func TestShort(t *testing.T) {
	a, err := ParseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Short(), "3x3 3x3 skip 1x1 none pool"; got != want {
		t.Errorf("Short() = %q, want %q", got, want)
	}
	if got := (Arch{9}).Short(); !strings.HasPrefix(got, "%!op(9)") {
		t.Errorf("bad op: %q", got)
	}
}
