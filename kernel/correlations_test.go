package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// TestShowCorrelations: the correlation table of a hand-made study, as text.
func TestShowCorrelations(t *testing.T) {
	archs := []nb201.Arch{{0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}, {3, 3, 3, 3, 3, 3}, {4, 4, 4, 4, 4, 4}}
	bench := varyingBench(t, archs...)
	tab := &study.Table{Proxies: []string{"synflow", "params"}}
	for i, s := range [][2]float64{{1, 5}, {2, 3}, {3, 4}, {4, 1}, {5, 2}} {
		tab.Rows = append(tab.Rows, study.Row{Index: i, Arch: archs[i].String(), Scores: s[:]})
	}
	saved := TextOutput
	defer func() { TextOutput = saved }()
	for _, tc := range []struct {
		name      string
		tab       *study.Table
		bench     *nb201.Bench
		ensembles [][]string
		want      []string // in the text
		err       string
	}{
		{"proxies", tab, bench, nil, []string{"synflow", "params", "1.00"}, ""},
		{"an ensemble", tab, bench, [][]string{{"synflow", "params"}}, []string{"rank(synflow+params)"}, ""},
		{"an unknown proxy in an ensemble", tab, bench, [][]string{{"synflow", "nope"}}, nil, "nope"},
		{"no table", nil, bench, nil, nil, "no table"},
		{"no bench", tab, nil, nil, nil, "no benchmark"},
	} {
		var out strings.Builder
		TextOutput = &out
		err := ShowCorrelations(tc.tab, tc.bench, tc.ensembles...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: %q not in\n%s", tc.name, w, out.String())
			}
		}
	}
}

// varyingBench is a benchmark of archs whose every accuracy rises with the
// index (fakeBench keeps some columns constant, which cannot be correlated).
func varyingBench(t *testing.T, archs ...nb201.Arch) *nb201.Bench {
	t.Helper()
	var b strings.Builder
	b.WriteString("index,arch,cifar10_test,cifar100_test,imagenet16_test,cifar10valid_valid,cifar10valid_test," +
		"cifar100_valid,cifar100_test_v11,imagenet16_valid,imagenet16_test_v11,params_mb\n")
	for i, a := range archs {
		v := ftoa(40 + float64(i))
		b.WriteString(strings.Join([]string{itoa(i), a.String(), v, v, v, v, v, v, v, v, v, "1.5"}, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "bench.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bench, err := nb201.LoadBench(path)
	if err != nil {
		t.Fatal(err)
	}
	return bench
}
