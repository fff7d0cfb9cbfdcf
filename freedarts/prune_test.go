package freedarts

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestPruneRows(t *testing.T) {
	mats := []ScoreMatrix{{Name: "a", Values: [][]float64{
		{3, 1, 2, 5},
		{7, 7, 7, 7}, // ties drop the later ops first
	}}}
	mask := fullMask(mats)
	if !pruneRows(mats, mask, 2) {
		t.Fatal("nothing pruned")
	}
	want := []bool{true, false, false, true, true, true, false, false}
	if !reflect.DeepEqual(mask["a"], want) {
		t.Errorf("after one round of 2: %v, want %v", mask["a"], want)
	}
	if mats[0].Values[0][1] != Pruned || mats[0].Values[1][3] != Pruned {
		t.Errorf("pruned entries not marked: %v", mats[0].Values)
	}
	// The next round of 2 may only take one per row: the last op stays.
	mats[0].Values = [][]float64{{3, Pruned, Pruned, 5}, {1, 0, Pruned, Pruned}}
	pruneRows(mats, mask, 2)
	if want := []bool{false, false, false, true, true, false, false, false}; !reflect.DeepEqual(mask["a"], want) {
		t.Errorf("after the second round: %v, want %v", mask["a"], want)
	}
	if pruneRows(mats, mask, 1) {
		t.Error("a round with one op per row left pruned something")
	}
}

// TestSearchPrunes runs iterative SynFlow pruning on the tiny supernet:
// every edge ends with one surviving op, which is what is selected, and the
// plan shows in the proxy name. An ensemble of one criterion with itself is
// that criterion.
func TestSearchPrunes(t *testing.T) {
	space := tinySpace(t)
	oneShot, err := New(space, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer oneShot.Close()
	pruned, err := New(space, Options{Prune: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pruned.Close()
	for seed := range uint64(3) {
		one, err := oneShot.Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pruned.Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		if res.Proxy != "synflow+prune1" || one.Proxy != "synflow" {
			t.Errorf("names %q and %q", res.Proxy, one.Proxy)
		}
		a := res.Arch.(nb201.Arch)
		for e, row := range res.Scores[0].Values {
			alive := 0
			for op, v := range row {
				if v != Pruned {
					alive++
					if op != a[e] {
						t.Errorf("seed %d edge %d: op %d survived but %d was selected", seed, e, op, a[e])
					}
				}
			}
			if alive != 1 {
				t.Errorf("seed %d edge %d: %d ops survive pruning, want 1: %v", seed, e, alive, row)
			}
		}
		// The first pruning round drops none (SynFlow scores it 0), so
		// pruning one op per round can only differ from one shot after it.
		t.Logf("seed %d: one-shot %s, pruned %s", seed, one.Arch, res.Arch)
	}
}

func TestSearchEnsembleAndOptions(t *testing.T) {
	space := tinySpace(t)
	s, err := New(space, Options{Proxy: "synflow,synflow-bn", Ensemble: MajorityVote})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Run(1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Proxy != "vote(synflow,synflow-bn)" || s.NeedsData() {
		t.Errorf("proxy %q, needs data %v", res.Proxy, s.NeedsData())
	}
	synflow, _ := LookupCriterion("synflow")
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Proxy: "nope"}, `unknown proxy "nope"`},
		{Options{Proxy: "synflow", Criteria: []Criterion{synflow}}, "both Proxy"},
		{Options{Ensemble: "mean"}, `unknown ensemble "mean"`},
		{Options{Prune: -1}, "prune -1"},
		{Options{Draws: -2}, "draws -2"},
		{Options{AlphaStd: -1}, "alpha std -1"},
		{Options{AlphaStd: math.NaN()}, "alpha std NaN"},
		{Options{AlphaStd: math.Inf(1)}, "alpha std +Inf"},
		{Options{Proxy: "snip"}, "needs labelled images"},
	} {
		if _, err := New(space, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("a nil space was accepted")
	}
}

// TestSearchDraws checks that Draws scores one search per DrawSeed and
// rank-averages the matrices, and that one draw is the plain search.
func TestSearchDraws(t *testing.T) {
	space := tinySpace(t)
	plain, err := New(space, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for _, draws := range []int{1, 3} {
		m, err := New(space, Options{Draws: draws})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		const seed = 4
		res, err := m.Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		var mats [][][]float64
		for d := range draws {
			one, err := plain.Run(DrawSeed(seed, d))
			if err != nil {
				t.Fatal(err)
			}
			mats = append(mats, one.Scores[0].Values)
		}
		want := mats[0]
		if draws > 1 {
			if want, err = CombineMatrices(RankAverage, mats); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(res.Scores[0].Values, want) {
			t.Errorf("%d draws: scores %v, want %v", draws, res.Scores[0].Values, want)
		}
		if wantName := map[int]string{1: "synflow", 3: "rank(synflowx3)"}[draws]; res.Proxy != wantName || res.Seed != seed {
			t.Errorf("%d draws: proxy %q seed %d, want %q seed %d", draws, res.Proxy, res.Seed, wantName, seed)
		}
	}
}
