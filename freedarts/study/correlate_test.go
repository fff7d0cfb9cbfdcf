package study

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/stats"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// handTable scores cells 0, 6111, 1000 and 15624 with their cifar10-valid
// test accuracy ("acc"), its negative ("neg") and a constant-free order
// ("idx", the index).
func handTable(t *testing.T, bench *nb201.Bench) *Table {
	t.Helper()
	tab := &Table{Proxies: []string{"acc", "neg", "idx"}}
	for _, i := range []int{0, 6111, 1000, 15624} {
		rec, err := bench.Record(i)
		if err != nil {
			t.Fatal(err)
		}
		arch := rec.Arch.String()
		if i == 1000 {
			arch = "" // a row without its arch is taken as it is
		}
		tab.Rows = append(tab.Rows, Row{Index: i, Arch: arch, Scores: []float64{rec.Cifar10ValidTest, -rec.Cifar10ValidTest, float64(i)}})
	}
	return tab
}

func TestCorrelate(t *testing.T) {
	bench := testBench(t)
	tab := handTable(t, bench)
	cors, err := Correlate(tab, bench, [][]string{{"acc", "idx"}, {"acc", "acc"}})
	if err != nil {
		t.Fatal(err)
	}
	proxies := []string{"acc", "neg", "idx", "rank(acc+idx)", "vote(acc+idx)", "logrank(acc+idx)", "rank(acc+acc)", "vote(acc+acc)", "logrank(acc+acc)"}
	if len(cors) != len(proxies)*len(Targets) {
		t.Fatalf("%d correlations, want %d", len(cors), len(proxies)*len(Targets))
	}
	for k, c := range cors {
		if want := Targets[k/len(proxies)].Name; c.Target != want || c.Proxy != proxies[k%len(proxies)] || c.Cells != 4 {
			t.Errorf("correlation %d = %+v, want %s vs %s over 4 cells", k, c, proxies[k%len(proxies)], want)
		}
		if c.Target != "cifar10valid_test" {
			continue
		}
		want := map[string]float64{"acc": 1, "neg": -1, "rank(acc+acc)": 1, "vote(acc+acc)": 1, "logrank(acc+acc)": 1}
		if w, ok := want[c.Proxy]; ok && (c.Spearman != w || c.Kendall != w) {
			t.Errorf("%s vs cifar10valid_test: rho %v, tau %v, want %v", c.Proxy, c.Spearman, c.Kendall, w)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(tab *Table) [][]string
		want string
	}{
		{"one cell", func(tab *Table) [][]string { tab.Rows = tab.Rows[:1]; return nil }, "correlate 1 cells, want at least 2"},
		{"twice", func(tab *Table) [][]string { tab.Rows[1].Index = 0; tab.Rows[1].Arch = ""; return nil }, "cell 0 appears twice"},
		{"out of range", func(tab *Table) [][]string { tab.Rows[1].Index = 15625; return nil }, "index 15625 out of range"},
		{"arch", func(tab *Table) [][]string { tab.Rows[0].Index = 1; return nil }, "cell 1 is \"|avg_pool_3x3~0|"},
		{"ensemble proxy", func(*Table) [][]string { return [][]string{{"acc", "snip"}} }, `ensemble acc+snip: no proxy "snip" in the table`},
		{"ensemble of one", func(*Table) [][]string { return [][]string{{"acc"}} }, "has 1 proxies, want two or more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := handTable(t, bench)
			sets := tc.edit(tab)
			if _, err := Correlate(tab, bench, sets); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Correlate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Correlate(tab, nil, nil); err == nil || !strings.Contains(err.Error(), "no benchmark table") {
		t.Errorf("Correlate without a bench: %v", err)
	}
	if _, err := Correlate(nil, bench, nil); err == nil {
		t.Error("Correlate of no table: no error")
	}
}

func TestCorrelationTable(t *testing.T) {
	cors := []Correlation{
		{"synflow", "cifar10_test", 0.5, 0.25, 10, ""}, {"params", "cifar10_test", 0.75, 0.5, 10, ""},
		{"synflow", "cifar10valid_test", 0.5004, 0.2, 10, ""}, {"params", "cifar10valid_test", -0.1, -0.05, 10, ""},
		{"synflow", "other", 1, 1, 10, ""},
	}
	headers, rows := CorrelationTable(cors, PublishedRhos())
	wantH := []string{"proxy", "published ρ", "CIFAR-10 ρ", "τ", "CIFAR-10 (c10-valid) ρ", "τ", "other ρ", "τ"}
	wantR := [][]string{
		{"synflow", "0.737", "0.500", "0.250", "0.500", "0.200", "1.000", "1.000"},
		{"params", "", "0.750", "0.500", "-0.100", "-0.050", "", ""},
	}
	if !reflect.DeepEqual(headers, wantH) || !reflect.DeepEqual(rows, wantR) {
		t.Errorf("CorrelationTable =\n%q\n%q\nwant\n%q\n%q", headers, rows, wantH, wantR)
	}
	headers, rows = CorrelationTable(cors[:2], nil)
	if !reflect.DeepEqual(headers, []string{"proxy", "CIFAR-10 ρ", "τ"}) || !reflect.DeepEqual(rows[1], []string{"params", "0.750", "0.500"}) {
		t.Errorf("without published values: %q %q", headers, rows)
	}
}

// TestCorrelateConstant: a proxy that scores every cell alike (TE-NAS's
// region count on whole NAS-Bench-201 networks) has undefined correlations
// and leaves the other proxies' as they are; JSON writes them as null.
func TestCorrelateConstant(t *testing.T) {
	bench := testBench(t)
	tab := handTable(t, bench)
	tab.Proxies = append(tab.Proxies, "flat")
	for i := range tab.Rows {
		tab.Rows[i].Scores = append(tab.Rows[i].Scores, 64)
	}
	cors, err := Correlate(tab, bench, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cors {
		switch {
		case c.Proxy == "flat" && (c.Undefined != "constant: every cell scores 64" || !math.IsNaN(c.Spearman) || !math.IsNaN(c.Kendall)):
			t.Errorf("flat vs %s = %+v, want undefined, constant 64, NaN", c.Target, c)
		case c.Proxy != "flat" && (c.Undefined != "" || math.IsNaN(c.Spearman)):
			t.Errorf("%s vs %s = %+v, want a correlation", c.Proxy, c.Target, c)
		}
	}
	_, rows := CorrelationTable(cors, nil)
	if got := rows[3][:3]; !reflect.DeepEqual(got, []string{"flat", "undefined", ""}) {
		t.Errorf("table row of flat starts %q, want flat, undefined, \"\"", got)
	}
	b, err := json.Marshal(cors)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if !strings.Contains(string(b), `{"proxy":"flat","target":"cifar10_test","cells":4,"undefined":"constant: every cell scores 64","spearman":null,"kendall":null}`) {
		t.Errorf("JSON %s: no null entry for flat", b)
	}
	var back []Correlation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	for k := range back {
		if got, want := fmt.Sprintf("%+v", back[k]), fmt.Sprintf("%+v", cors[k]); got != want {
			t.Errorf("JSON round trip of %s: %s, want %s", cors[k].Proxy, got, want)
		}
	}
}

// TestNamedEnsemble: az_nas in -ensembles is one row, named az_nas, the
// log-rank of its four parts over the table's cells.
func TestNamedEnsemble(t *testing.T) {
	bench := testBench(t)
	e, ok := freedarts.LookupEnsemble("az_nas")
	if !ok || e.Method != freedarts.LogRank || len(e.Members) != 4 {
		t.Fatalf("az_nas: %+v, %v", e, ok)
	}
	tab := &Table{Proxies: append([]string{"other"}, e.Members...)}
	cols := [][]float64{{3, 1, 2, 4}, {1, 4, 2, 3}, {2, 2, 1, 3}, {4, 3, 1, 2}}
	for k, i := range []int{0, 6111, 1000, 15624} {
		row := Row{Index: i, Scores: []float64{float64(k)}}
		for _, c := range cols {
			row.Scores = append(row.Scores, c[k])
		}
		tab.Rows = append(tab.Rows, row)
	}
	sets, err := ParseEnsembles("az_nas, other+az_nas_complexity", tab.Proxies)
	if err != nil || !reflect.DeepEqual(sets, [][]string{{"az_nas"}, {"other", "az_nas_complexity"}}) {
		t.Fatalf("ParseEnsembles = %q, %v", sets, err)
	}
	if _, err := ParseEnsembles("az_nas", tab.Proxies[:4]); err == nil || !strings.Contains(err.Error(), `"az_nas_complexity" is not among the proxies`) {
		t.Errorf("az_nas without its complexity column: %v", err)
	}
	cors, err := Correlate(tab, bench, sets)
	if err != nil {
		t.Fatal(err)
	}
	want, err := freedarts.Combine(freedarts.LogRank, cols)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float64, 4)
	for k, i := range []int{0, 6111, 1000, 15624} {
		rec, _ := bench.Record(i)
		truth[k] = rec.Cifar10Test
	}
	rho, _ := stats.Spearman(want, truth)
	var names []string
	found := false
	for _, c := range cors {
		if c.Target == "cifar10_test" {
			names = append(names, c.Proxy)
			if c.Proxy == "az_nas" {
				found = c.Spearman == rho
			}
		}
	}
	wantNames := append(append([]string(nil), tab.Proxies...), "az_nas", "rank(other+az_nas_complexity)", "vote(other+az_nas_complexity)", "logrank(other+az_nas_complexity)")
	if !reflect.DeepEqual(names, wantNames) || !found {
		t.Errorf("rows %q (az_nas rho %v found: %v), want %q", names, rho, found, wantNames)
	}
}

func TestPublished(t *testing.T) {
	for _, n := range []string{"synflow", "jacob_cov", "snip", "grad_norm", "grasp", "fisher", "naswot",
		"epe_nas", "l2_norm", "zen", "zico", "meco", "az_nas", "vkdnw"} {
		if p, ok := PublishedRho(n); !ok || p.Value <= 0 || p.Value >= 1 || p.Source == "" || p.Target == "" {
			t.Errorf("PublishedRho(%s) = %+v, %v", n, p, ok)
		}
	}
	if p, _ := PublishedRho("plain"); p.Value >= 0 {
		t.Errorf("PublishedRho(plain) = %v, want NAS-Bench-Suite-Zero's negative rho", p.Value)
	}
	rhos := PublishedRhos()
	if len(rhos) != 15 {
		t.Errorf("PublishedRhos has %d proxies, want the 15 with a published rho", len(rhos))
	}
	for _, n := range []string{"params", "linear_regions", "nope"} {
		if p, ok := PublishedRho(n); ok {
			t.Errorf("PublishedRho(%s) = %+v, want none", n, p)
		}
	}
	if len(Targets) != 4 || Targets[1].Name != "cifar10valid_test" {
		t.Errorf("Targets %v", Targets)
	}
}

func TestParseEnsembles(t *testing.T) {
	proxies := []string{"synflow", "snip", "naswot"}
	for _, tc := range []struct {
		in   string
		want [][]string
		err  string
	}{
		{"", nil, ""},
		{"synflow+snip", [][]string{{"synflow", "snip"}}, ""},
		{" synflow + snip + naswot ,naswot+synflow", [][]string{{"synflow", "snip", "naswot"}, {"naswot", "synflow"}}, ""},
		{"synflow+fisher", nil, `ensembles "synflow+fisher": "fisher" is not among the proxies synflow,snip,naswot`},
		{"synflow", nil, `set "synflow" has one proxy, want two or more joined by +`},
		{"az_nas", nil, `az_nas combines az_nas_expressivity,`},
		{"synflow+snip,", nil, `"" is not among the proxies`},
		{"synflow++snip", nil, `"" is not among the proxies`},
	} {
		got, err := ParseEnsembles(tc.in, proxies)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseEnsembles(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseEnsembles(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestReadIndices(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, in string
		want     []int
		err      string
	}{
		{"ok", "6111\n# a comment\n\n 0 \n15624\n6111\n", []int{6111, 0, 15624, 6111}, ""},
		{"out of range", "12\n15625\n", nil, `line 2: "15625" is not an index in [0, 15625)`},
		{"negative", "-1\n", nil, `line 1: "-1" is not an index`},
		{"not a number", "# x\nsix\n", nil, `line 2: "six" is not an index`},
		{"empty", "# only a comment\n\n", nil, "no indices"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".txt")
		if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadIndices(path, 15625)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: ReadIndices = %v, %v; want an error naming the file, containing %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ReadIndices = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := ReadIndices(filepath.Join(dir, "none.txt"), 10); err == nil || !strings.Contains(err.Error(), "none.txt") {
		t.Errorf("ReadIndices of a missing file: %v", err)
	}
}
