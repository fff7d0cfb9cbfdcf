package freedarts

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestRankStage(t *testing.T) {
	space := tinySpace(t)
	res, err := Run(space, Options{Proxy: "synflow", Rank: "params,flops", Keep: 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Proxy != "synflow>keep2>logrank(params,flops)" || !slices.Equal(res.RankProxies, []string{"params", "flops"}) {
		t.Errorf("proxy %q, rank proxies %q", res.Proxy, res.RankProxies)
	}
	if len(res.Candidates) != 64 {
		t.Fatalf("%d candidates, want 2^6", len(res.Candidates))
	}
	if res.Arch != res.Candidates[0].Arch {
		t.Errorf("pick %v, best candidate %v", res.Arch, res.Candidates[0].Arch)
	}
	m, err := res.Matrix(nb201.AlphaName)
	if err != nil {
		t.Fatal(err)
	}
	// The shortlist is the two best alpha scores of every edge.
	for e, row := range m.Values {
		order := []int{0, 1, 2, 3, 4}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
		for op, in := range m.Shortlist[e] {
			if want := op == order[0] || op == order[1]; in != want {
				t.Errorf("edge %d op %d: shortlisted %v, scores %v", e, op, in, row)
			}
		}
	}
	// Every candidate is made of shortlisted ops, once each, scored as its
	// own network, and they come best first.
	b, err := backend.Shared("")
	if err != nil {
		t.Fatal(err)
	}
	scorer, err := NewNetScorer(b.Backend, mustCriteria(t, "params,flops"), space.InputSize())
	if err != nil {
		t.Fatal(err)
	}
	defer scorer.Close()
	seen := map[string]bool{}
	for i, c := range res.Candidates {
		a := c.Arch.(nb201.Arch)
		for e, op := range a {
			if !m.Shortlist[e][op] {
				t.Errorf("candidate %s: edge %d op %d not shortlisted", a, e, op)
			}
		}
		if seen[a.String()] {
			t.Errorf("candidate %s listed twice", a)
		}
		seen[a.String()] = true
		if i > 0 && c.Combined > res.Candidates[i-1].Combined {
			t.Errorf("candidate %d (%g) above candidate %d (%g)", i, c.Combined, i-1, res.Candidates[i-1].Combined)
		}
		net, _ := nb201.NewNetwork(space.Config, a)
		own, err := scorer.Score(net, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(own.Scores, c.Scores) {
			t.Errorf("candidate %s: scores %v, its network's %v", a, c.Scores, own.Scores)
		}
	}
	if res.RankSeconds <= 0 || res.Seconds < res.RankSeconds {
		t.Errorf("seconds %g, rank seconds %g", res.Seconds, res.RankSeconds)
	}
	// JSON keeps the candidates, as the space's own architectures.
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Candidates) != 64 || back.Candidates[5].Arch != res.Candidates[5].Arch ||
		!slices.Equal(back.Candidates[5].Scores, res.Candidates[5].Scores) || back.Candidates[5].Combined != res.Candidates[5].Combined {
		t.Errorf("round trip: %+v, want %+v", back.Candidates[5], res.Candidates[5])
	}
	other := strings.Replace(string(data), `"space":"nb201"`, `"space":"mine"`, 1)
	if err := json.Unmarshal([]byte(other), &back); err != nil {
		t.Fatal(err)
	}
	if back.Candidates[5].Arch.String() != res.Candidates[5].Arch.String() {
		t.Errorf("unregistered space: candidate %v", back.Candidates[5].Arch)
	}
}

func mustCriteria(t *testing.T, list string) []Criterion {
	t.Helper()
	c, err := LookupCriteria(list)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRankWorkers: the ranking does not depend on how many networks are
// scored at once.
func TestRankWorkers(t *testing.T) {
	var runs [][]Candidate
	for _, w := range []int{1, 3} {
		res, err := Run(tinySpace(t), Options{Proxy: "synflow", Rank: "params:6/zen", Keep: 2, Workers: w}, 4)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res.Candidates)
	}
	for i := range runs[0] {
		a, b := runs[0][i], runs[1][i]
		if a.Arch != b.Arch || !slices.Equal(a.Scores, b.Scores) || a.Combined != b.Combined || a.Step != b.Step {
			t.Fatalf("candidate %d: %+v with one worker, %+v with three", i, a, b)
		}
	}
	if _, err := New(tinySpace(t), Options{Rank: "params", Workers: -1}); err == nil || !strings.Contains(err.Error(), "workers -1") {
		t.Errorf("workers -1: %v", err)
	}
}

// TestRankCascade: the first step ranks every network, the next only the
// best it passes on, and the result lists the last step's networks first.
func TestRankCascade(t *testing.T) {
	res, err := Run(tinySpace(t), Options{Proxy: "synflow", Rank: "params:5/flops,synflow", Keep: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Proxy != "synflow>keep2>params:5/logrank(flops,synflow)" || !slices.Equal(res.RankProxies, []string{"params", "flops", "synflow"}) {
		t.Errorf("proxy %q, rank proxies %q", res.Proxy, res.RankProxies)
	}
	if len(res.Candidates) != 64 || res.Arch != res.Candidates[0].Arch {
		t.Fatalf("%d candidates, pick %v", len(res.Candidates), res.Arch)
	}
	params := make([]float64, 0, 64)
	for i, c := range res.Candidates {
		step, n := 0, 1
		if i < 5 {
			step, n = 1, 3
		}
		if c.Step != step || len(c.Scores) != n {
			t.Errorf("candidate %d: step %d with %d scores, want %d and %d", i, c.Step, len(c.Scores), step, n)
		}
		params = append(params, c.Scores[0])
		if i > 0 && i != 5 && c.Combined > res.Candidates[i-1].Combined {
			t.Errorf("candidate %d above candidate %d within step %d", i, i-1, c.Step)
		}
	}
	// The five passed on are the five with the most parameters.
	if low, high := slices.Min(params[:5]), slices.Max(params[5:]); low < high {
		t.Errorf("passed on a network of %g parameters, left out one of %g", low, high)
	}
}

func TestRankOptionsRefused(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  Options
		want  string
		space Space
	}{
		{"keep without rank", Options{Keep: 2}, "keep 2 without Rank", nil},
		{"ensemble without rank", Options{RankEnsemble: LogRank}, "without Rank", nil},
		{"negative keep", Options{Rank: "params", Keep: -1}, "keep -1", nil},
		{"unknown ensemble", Options{Rank: "params", RankEnsemble: "best"}, "unknown rank ensemble", nil},
		{"unknown proxy", Options{Rank: "parms"}, `unknown proxy "parms"`, nil},
		{"step without a count", Options{Rank: "params/zen"}, `step "params" has no count`, nil},
		{"count of 0", Options{Rank: "params:0/zen"}, "count \"0\", want a whole number", nil},
		{"last step with a count", Options{Rank: "params:3"}, "the last step \"params:3\" has a count", nil},
		{"unknown proxy in a later step", Options{Rank: "params:3/zeb"}, `unknown proxy "zeb"`, nil},
		{"data without data", Options{Rank: "zico"}, "rank proxy zico needs labelled images", nil},
		{"not enumerable", Options{Rank: "params"}, "cannot list", struct{ Space }{tinySpace(t)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			space := c.space
			if space == nil {
				space = tinySpace(t)
			}
			_, err := New(space, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
	// A named ensemble stands for its parts.
	s, err := New(tinySpace(t), Options{Rank: "az_nas"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasSuffix(s.Name(), ">keep3>logrank(az_nas_expressivity,az_nas_progressivity,az_nas_trainability,az_nas_complexity)") {
		t.Errorf("name %q", s.Name())
	}
}

func TestOptionsNeedsData(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want bool
	}{
		{Options{}, false},
		{Options{Proxy: "snip"}, true},
		{Options{Rank: "synflow:16/zen"}, false},
		{Options{Rank: "params:3/zico"}, true},
		{Options{Rank: "params:3/unknown"}, false}, // New reports the name
	} {
		if got := c.opts.NeedsData(); got != c.want {
			t.Errorf("%+v: NeedsData %v, want %v", c.opts, got, c.want)
		}
	}
}
