package main

import (
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces/darts"
)

func TestSearchDARTS(t *testing.T) {
	rep := searchJSON(t, "-space", "darts", "-cells", "3", "-channels", "4", "-input", "8", "-seed", "0,0")
	if rep.Space != "darts" || len(rep.Runs) != 2 || rep.AlphaStd != 1e-3 {
		t.Fatalf("report %+v", rep)
	}
	a, b := rep.Runs[0], rep.Runs[1]
	if a.Arch != b.Arch {
		t.Errorf("seed 0 twice: %s vs %s", a.Arch, b.Arch)
	}
	if _, err := darts.ParseGenotype(a.Arch); err != nil {
		t.Errorf("arch %q: %v", a.Arch, err)
	}
	for _, name := range []string{darts.NormalAlpha, darts.ReduceAlpha} {
		if m := matrix(t, a, name); len(m) != darts.NumEdges || len(m[0]) != darts.NumOps {
			t.Errorf("scores %s: %v", name, m)
		}
	}
}

func TestSearchTablePeakRSS(t *testing.T) {
	out, err := runCLI(t, "search", "-space", "darts", "-cells", "3", "-channels", "4", "-input", "8")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "peak RSS ") || !strings.Contains(out, "Genotype(normal=") {
		t.Errorf("output:\n%s", out)
	}
}

// TestSearchDataProxyNeedsCIFARInput: the only labelled data the tool reads
// is CIFAR-10, 32x32, so a data proxy on a supernet of another input size
// (the ImageNet-shaped DARTS one, above all) fails before any work.
func TestSearchDataProxyNeedsCIFARInput(t *testing.T) {
	for _, args := range [][]string{
		{"search", "-space", "darts", "-imagenet", "-proxy", "snip"},
		{"search", "-seed", "0-1", "-space=darts", "-input", "224", "--proxy=grasp"},
		{"search", "-space", "nb201", "-input", "64", "-proxy", "snip"},
	} {
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "needs labelled images") {
			t.Errorf("%v: error %v", args, err)
		}
	}
}
