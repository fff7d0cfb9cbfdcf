package main

import (
	"os"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
)

// bestSearchFile holds the best configuration's flags, one line (README:
// freedarts search $(cat docs/best-search.txt) -seed S).
const bestSearchFile = "../../docs/best-search.txt"

// TestBestSearch: docs/best-search.txt is the best preset's flag line;
// the line and -preset best search alike; and the search never reads the
// benchmark's accuracies: without the table (-bench none) it picks the
// same cells. A small network (one cell per stage, four channels) keeps it
// quick; the plan is the preset's.
func TestBestSearch(t *testing.T) {
	needFile(t, testBench)
	data, err := os.ReadFile(bestSearchFile)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(data))
	p, err := freedarts.LookupPreset(freedarts.BestPreset)
	if err != nil {
		t.Fatal(err)
	}
	if want := presetLine(p.Options); line != want || strings.Count(string(data), "\n") != 1 {
		t.Fatalf("%s holds %q, want the best preset's flags on one line: %q", bestSearchFile, data, want)
	}
	small := []string{"-seed", "0", "-cells", "1", "-channels", "4", "-input", "8"}
	withBench := searchJSON(t, append(append(strings.Fields(line), small...), "-bench", testBench)...)
	noBench := searchJSON(t, append(append(strings.Fields(line), small...), "-bench", "none")...)
	preset := searchJSON(t, append([]string{"-preset", freedarts.BestPreset}, small...)...)
	if withBench.Proxy != preset.Proxy || !strings.Contains(preset.Proxy, ">keep") {
		t.Errorf("flag line searches %q, -preset %q", withBench.Proxy, preset.Proxy)
	}
	for i, r := range withBench.Runs {
		if r.Accuracy == nil || noBench.Runs[i].Accuracy != nil {
			t.Errorf("seed %d: accuracy %v with the table, %v without", r.Seed, r.Accuracy, noBench.Runs[i].Accuracy)
		}
		if r.Arch != noBench.Runs[i].Arch || r.Arch != preset.Runs[i].Arch {
			t.Errorf("seed %d: picks %s (with the table), %s (without), %s (-preset)", r.Seed, r.Arch, noBench.Runs[i].Arch, preset.Runs[i].Arch)
		}
		if len(r.Candidates) == 0 || r.Candidates[0].Arch.String() != r.Arch {
			t.Errorf("seed %d: %d candidates, the first not the pick", r.Seed, len(r.Candidates))
		}
	}
}

func TestPresetFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "-preset", "fastest"}, `unknown preset "fastest"`},
		{[]string{"search", "-keep", "2"}, "give -rank too"},
		{[]string{"search", "-rank", "params", "-keep", "-1"}, "-keep -1, want >= 1"},
		{[]string{"search", "-rank", "params/zen"}, `step "params" has no count`},
		{[]string{"search", "-rank", "zico", "-input", "8", "-cells", "1"}, "-rank zico needs labelled images"},
		{[]string{"search", "-rank", "params", "-space", "darts", "-cells", "3"}, "space darts cannot list"},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	// A flag given beside -preset wins over the preset's.
	rep := searchJSON(t, "-preset", freedarts.BestPreset, "-rank", "params", "-keep", "2", "-draws", "1", "-proxy", "synflow",
		"-seed", "0", "-cells", "1", "-channels", "4", "-input", "8", "-bench", "none")
	if rep.Proxy != "synflow>keep2>params" || len(rep.Runs[0].Candidates) != 64 {
		t.Errorf("proxy %q, %d candidates", rep.Proxy, len(rep.Runs[0].Candidates))
	}
}
