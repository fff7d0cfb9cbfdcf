package main

import (
	"strings"
	"testing"
)

// TestSearchEnsemblePrune runs the -proxy list, -ensemble, -prune and
// -draws flags of search on a tiny supernet.
func TestSearchEnsemblePrune(t *testing.T) {
	rep := searchJSON(t, "-proxy", "synflow,synflow-bn", "-ensemble", "vote", "-prune", "1", "-draws", "2", "-bench", "none",
		"-cells", "1", "-channels", "4", "-input", "8", "-seed", "0,1")
	if rep.Proxy != "vote(synflowx2,synflow-bnx2)+prune1" || len(rep.Runs) != 2 {
		t.Fatalf("proxy %q, %d runs", rep.Proxy, len(rep.Runs))
	}
	for _, r := range rep.Runs {
		if len(matrix(t, r, "alpha")) != 6 || r.Arch == "" {
			t.Errorf("seed %d: arch %q, scores %v", r.Seed, r.Arch, r.Scores)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-proxy", "synflow,synflow-bn", "-ensemble", "median"}, `unknown ensemble "median"`},
		{[]string{"-prune", "-1"}, "prune -1"},
		{[]string{"-draws", "-1"}, "draws -1"},
		{[]string{"-proxy", "params"}, "proxy params is not defined on alpha"},
		{[]string{"-proxy", "synflow,synflow"}, "listed twice"},
	} {
		args := append([]string{"search", "-bench", "none", "-cells", "1", "-channels", "4", "-input", "8"}, tc.args...)
		if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
