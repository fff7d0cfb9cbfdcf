package nb201

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces"
)

func TestSummary(t *testing.T) {
	b, err := LoadBench(writeTemp(t, testHeader+testRows))
	if err != nil {
		t.Fatal(err)
	}
	r0, _ := b.Record(0)
	r1, _ := b.Record(1)
	for _, tc := range []struct {
		name  string
		archs []spaces.Arch
		picks []Record
		c10   float64 // mean cifar10_test
		c100  float64 // mean cifar100_test
		err   string
	}{
		{"one pick", []spaces.Arch{r1.Arch}, []Record{r1}, 94.37, 73.5, ""},
		{"two picks", []spaces.Arch{r0.Arch, r1.Arch}, []Record{r0, r1}, (1 + 94.37) / 2, (2 + 73.5) / 2, ""},
		{"a pick twice", []spaces.Arch{r0.Arch, r0.Arch, r1.Arch}, []Record{r0, r0, r1}, (1 + 1 + 94.37) / 3, (2 + 2 + 73.5) / 3, ""},
		{"no picks", nil, nil, 0, 0, "no architectures"},
		{"not in the table", []spaces.Arch{Arch{3, 3, 3, 3, 3, 3}}, nil, 0, 0, "not in the benchmark"},
		{"another space", []spaces.Arch{foreignArch{}}, nil, 0, 0, "not a NAS-Bench-201 arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := b.Summary(tc.archs...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Picks) != len(tc.picks) {
				t.Fatalf("%d picks, want %d", len(s.Picks), len(tc.picks))
			}
			for i := range tc.picks {
				if s.Picks[i] != tc.picks[i] {
					t.Errorf("pick %d: %+v, want %+v", i, s.Picks[i], tc.picks[i])
				}
			}
			if len(s.Mean) != len(Metrics) || math.Abs(s.Mean["cifar10_test"]-tc.c10) > 1e-12 || math.Abs(s.Mean["cifar100_test"]-tc.c100) > 1e-12 {
				t.Errorf("mean %v, want cifar10_test %g, cifar100_test %g", s.Mean, tc.c10, tc.c100)
			}
		})
	}
}

func TestMeanAccuracies(t *testing.T) {
	for _, tc := range []struct {
		name string
		accs []map[string]float64
		want map[string]float64
	}{
		{"none", nil, map[string]float64{}},
		{"one", []map[string]float64{{"cifar10_test": 90, "cifar100_test": 70}},
			map[string]float64{"cifar10_test": 90, "cifar100_test": 70, "cifar10valid_test": 0, "imagenet16_test": 0}},
		{"two, a key missing, a foreign key ignored", []map[string]float64{{"cifar10_test": 90, "x": 1}, {"cifar10_test": 80, "imagenet16_test": 40}},
			map[string]float64{"cifar10_test": 85, "cifar100_test": 0, "cifar10valid_test": 0, "imagenet16_test": 20}},
	} {
		got := MeanAccuracies(tc.accs...)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if g, ok := got[k]; !ok || math.Abs(g-v) > 1e-12 {
				t.Errorf("%s: %s = %g, want %g", tc.name, k, g, v)
			}
		}
	}
}

func TestImpliedScore(t *testing.T) {
	scores := [][]float64{{0, 1, 10, 100, 1000}, {0, 1, 10, 100, 1000}, {0, 1, 10, 100, 1000},
		{0, 1, 10, 100, 1000}, {0, 1, 10, 100, 1000}, {0, 1, 10, 100, 1000}}
	for _, tc := range []struct {
		name   string
		scores [][]float64
		arch   Arch
		want   float64
	}{
		{"all pool", scores, Arch{4, 4, 4, 4, 4, 4}, 18},
		{"mixed", scores, Arch{1, 2, 3, 4, 1, 2}, 0 + 1 + 2 + 3 + 0 + 1},
		{"a none edge", scores, Arch{0, 4, 4, 4, 4, 4}, math.Inf(-1)},
		{"negative score", [][]float64{{0, -1, 1, 1, 1}, scores[0], scores[0], scores[0], scores[0], scores[0]}, Arch{1, 1, 1, 1, 1, 1}, math.Inf(-1)},
		{"too few edges", scores[:5], Arch{}, math.NaN()},
		{"too few ops", [][]float64{{1, 2}, scores[0], scores[0], scores[0], scores[0], scores[0]}, Arch{1, 1, 1, 1, 1, 1}, math.NaN()},
	} {
		got := ImpliedScore(tc.scores, tc.arch)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(tc.want) && !(got == tc.want || math.Abs(got-tc.want) < 1e-12)) {
			t.Errorf("%s: %g, want %g", tc.name, got, tc.want)
		}
	}
	// The pick of Select has the largest implied score.
	pick, err := Select(scores)
	if err != nil {
		t.Fatal(err)
	}
	if got := ImpliedScore(scores, pick); got != 18 {
		t.Errorf("implied score of the pick %v: %g, want 18", pick, got)
	}
}

func TestPoints(t *testing.T) {
	b, err := LoadBench(writeTemp(t, testHeader+testRows))
	if err != nil {
		t.Fatal(err)
	}
	params := func(r Record) float64 { return r.ParamsMB }
	c10 := Metrics[0].Value
	scores := [][]float64{{0, 1, 1, 1, 1}, {0, 1, 1, 10, 1}, {0, 1, 1, 1, 1}, {0, 1, 1, 1, 1}, {0, 1, 1, 1, 1}, {0, 1, 1, 1, 1}}
	implied := func(r Record) float64 { return ImpliedScore(scores, r.Arch) }
	for _, tc := range []struct {
		name string
		x, y func(Record) float64
		want Points
	}{
		{"every cell", params, c10, Points{X: []float64{10, 1.07}, Y: []float64{1, 94.37}, Labels: []string{
			"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", best6111}}},
		// the all-none cell's implied score is -Inf: left out.
		{"a non-finite x left out", implied, c10, Points{X: []float64{ImpliedScore(scores, mustParse(t, best6111))}, Y: []float64{94.37}, Labels: []string{best6111}}},
		{"a NaN y left out", params, func(Record) float64 { return math.NaN() }, Points{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := b.Points(tc.x, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.X, tc.want.X) || !slices.Equal(p.Y, tc.want.Y) || !slices.Equal(p.Labels, tc.want.Labels) {
				t.Errorf("got %+v, want %+v", p, tc.want)
			}
		})
	}
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("nil x", func() error { return err1(b.Points(nil, c10)) }, "got nil"),
		nilcase.New("nil y", func() error { return err1(b.Points(params, nil)) }, "got nil"),
	})
}

func mustParse(t *testing.T, s string) Arch {
	t.Helper()
	a, err := ParseArch(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
