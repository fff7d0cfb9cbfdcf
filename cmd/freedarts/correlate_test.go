package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
)

func correlateJSON(t *testing.T, args ...string) correlateReport {
	t.Helper()
	out, err := runCLI(t, append([]string{"correlate", "-json", "-bench", testBench, "-backend", "go"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var rep correlateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return rep
}

// TestCorrelateResume scores three cells, then four: the first three are
// read back from the CSV, a row cut short by an interruption is dropped and
// redone, and the correlations cover every listed cell.
func TestCorrelateResume(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	idx, csvPath := filepath.Join(dir, "idx.txt"), filepath.Join(dir, "scores.csv")
	write := func(s string) {
		if err := os.WriteFile(idx, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-proxies", "synflow,params,flops", "-indices", idx, "-out", csvPath, "-ensembles", "synflow+params"}
	write("6111\n# a comment\n0\n\n15624\n")
	rep := correlateJSON(t, args...)
	if rep.Compute != backend.Compute(backend.Default) {
		t.Errorf("report: compute %q, want %q", rep.Compute, backend.Compute(backend.Default))
	}
	if rep.Cells != 3 || rep.Resumed != 0 || len(rep.SecondsPerCell) != 3 {
		t.Errorf("first run: %d cells, %d resumed, seconds %v", rep.Cells, rep.Resumed, rep.SecondsPerCell)
	}
	// proxies and ensembles x targets
	if len(rep.Correlations) != (3+2)*4 {
		t.Errorf("%d correlations, want 20", len(rep.Correlations))
	}
	// params and flops order these three cells alike (6111 > 15624 > 0).
	for _, c := range rep.Correlations {
		if c.Proxy == "params" && c.Target == "cifar10_test" && c.Spearman != 1 {
			t.Errorf("params vs cifar10 on 0, 6111, 15624: rho %v, want 1", c.Spearman)
		}
	}
	f, err := os.OpenFile(csvPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("1000,|nor_conv") // interrupted mid-row
	f.Close()
	write("6111\n0\n15624\n1000\n")
	rep = correlateJSON(t, args...)
	if rep.Cells != 4 || rep.Resumed != 3 {
		t.Errorf("second run: %d cells, %d resumed, want 4 and 3", rep.Cells, rep.Resumed)
	}
	data, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 5 || lines[0] != "index,arch,synflow,params,flops" || !strings.HasPrefix(lines[4], "1000,|skip_connect~0|") {
		t.Errorf("scores file:\n%s", data)
	}
	// Everything done: a third run only reads.
	if rep = correlateJSON(t, args...); rep.Resumed != 4 || rep.SecondsPerCell != nil {
		t.Errorf("third run: %d resumed, seconds %v", rep.Resumed, rep.SecondsPerCell)
	}
	// Scores from another backend or build: the file still reads, but takes
	// no rows that would mix the two.
	side := csvPath + ".settings"
	recorded, err := os.ReadFile(side)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(recorded)), " compute="+backend.Compute(backend.Default)) {
		t.Fatalf("settings %q (%v), want the compute %q at the end", recorded, err, backend.Compute(backend.Default))
	}
	protocol, _, _ := strings.Cut(string(recorded), " compute=")
	if err := os.WriteFile(side, []byte(protocol+" compute=xla:cuda\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep = correlateJSON(t, args...); rep.Resumed != 4 {
		t.Errorf("reading a file scored elsewhere: %d resumed, want 4", rep.Resumed)
	}
	write("6111\n0\n15624\n1000\n1\n")
	_, err = runCLI(t, append([]string{"correlate", "-bench", testBench, "-backend", "go"}, args...)...)
	if err == nil || !strings.Contains(err.Error(), `scored on "xla:cuda"`) {
		t.Errorf("adding a row to a file scored on xla:cuda: %v", err)
	}
	// A different proxy list cannot resume this file.
	_, err = runCLI(t, "correlate", "-bench", testBench, "-proxies", "params,synflow", "-indices", idx, "-out", csvPath)
	if err == nil || !strings.Contains(err.Error(), "the same proxies, in order") {
		t.Errorf("resume with other proxies: %v", err)
	}
}

// TestCorrelateDraw checks -draw: per-cell weights and batches are the same
// on every run, and differ from the shared draw of the same seed.
func TestCorrelateDraw(t *testing.T) {
	needFile(t, testBench)
	needFile(t, testData)
	dir := t.TempDir()
	scores := func(draw, name string) string {
		out := filepath.Join(dir, name)
		correlateJSON(t, "-proxies", "synflow,grad_norm", "-batch", "8", "-data", testData, "-indices", writeIndices(t, dir, "6111\n0\n"),
			"-draw", draw, "-out", out)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	a, b, shared := scores("per-cell", "a.csv"), scores("per-cell", "b.csv"), scores("shared", "s.csv")
	if a != b {
		t.Errorf("per-cell draw, two runs:\n%s\n%s", a, b)
	}
	// A file scored per cell cannot be resumed with shared draws.
	_, err := runCLI(t, "correlate", "-bench", testBench, "-proxies", "synflow,grad_norm", "-batch", "8", "-data", testData,
		"-indices", filepath.Join(dir, "indices.txt"), "-draw", "shared", "-out", filepath.Join(dir, "a.csv"))
	if err == nil || !strings.Contains(err.Error(), `scored with "seed=0 draw=per-cell batch=8 data=`) {
		t.Errorf("resuming a per-cell file with -draw shared: %v", err)
	}
	// Every score differs: other weights (synflow) and another batch (grad_norm).
	ra, rs := strings.Split(a, "\n"), strings.Split(shared, "\n")
	for i := 1; i < 3; i++ {
		fa, fs := strings.Split(ra[i], ","), strings.Split(rs[i], ",")
		if fa[0] != fs[0] || fa[2] == fs[2] || fa[3] == fs[3] {
			t.Errorf("per-cell row %q, shared row %q: want the same cell with other scores", ra[i], rs[i])
		}
	}
}

// TestCorrelateConvBias: -conv-bias gives the cell convolutions a bias that
// batch norm cancels (SNIP keeps its scores) but Fisher sees, and a file
// scored with it cannot be resumed without it.
func TestCorrelateConvBias(t *testing.T) {
	needFile(t, testBench)
	needFile(t, testData)
	dir := t.TempDir()
	idx := writeIndices(t, dir, "6111\n1000\n")
	rows := func(name string, extra ...string) [][]string {
		out := filepath.Join(dir, name)
		rep := correlateJSON(t, append([]string{"-proxies", "snip,fisher", "-batch", "8", "-data", testData, "-indices", idx, "-out", out}, extra...)...)
		if rep.ConvBias != (len(extra) > 0) {
			t.Errorf("%s: report says conv_bias %v", name, rep.ConvBias)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
			rows = append(rows, strings.Split(l, ","))
		}
		return rows
	}
	plain, biased := rows("plain.csv"), rows("bias.csv", "-conv-bias")
	for i := range plain {
		snip0, snip1 := parseFloat(t, plain[i][2]), parseFloat(t, biased[i][2])
		if math.Abs(snip1-snip0) > 1e-3*snip0 || plain[i][3] == biased[i][3] {
			t.Errorf("cell %s: snip %s -> %s, fisher %s -> %s: want snip kept, fisher moved", plain[i][0], plain[i][2], biased[i][2], plain[i][3], biased[i][3])
		}
	}
	_, err := runCLI(t, "correlate", "-bench", testBench, "-proxies", "snip,fisher", "-batch", "8", "-data", testData,
		"-indices", idx, "-out", filepath.Join(dir, "bias.csv"))
	if err == nil || !strings.Contains(err.Error(), "conv-bias") {
		t.Errorf("resuming a -conv-bias file without it: %v", err)
	}
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func writeIndices(t *testing.T, dir, s string) string {
	t.Helper()
	path := filepath.Join(dir, "indices.txt")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCorrelateTable(t *testing.T) {
	needFile(t, testBench)
	out, err := runCLI(t, "correlate", "-bench", testBench, "-proxies", "params,flops", "-sample", "20", "-sample-seed", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"on 20 NAS-Bench-201 cells", "cifar10_test rho", "cifar10valid_test rho", "imagenet16_test rho", "\nflops "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCorrelateErrors(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("12\n99999\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-space", "darts"}, "only nb201"},
		{[]string{"-proxies", "synfow"}, `unknown proxy "synfow"`},
		{[]string{"-proxies", "params", "-indices", bad}, `line 2: "99999" is not an index`},
		{[]string{"-proxies", "params", "-indices", filepath.Join(dir, "none.txt")}, "-indices"},
		{[]string{"-proxies", "params", "-sample", "0"}, "sample of 0 cells"},
		{[]string{"-proxies", "params,flops", "-ensembles", "params+snip"}, `"snip" is not among -proxies`},
		{[]string{"-proxies", "params,flops", "-ensembles", "params"}, "has one proxy"},
		{[]string{"-proxies", "snip", "-data", "/nonexistent"}, `-data "/nonexistent"`},
		{[]string{"-workers", "0"}, "-workers 0"},
		{[]string{"-proxies", "params", "-draw", "fresh"}, `-draw "fresh": want shared or per-cell`},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := runCLI(t, append([]string{"correlate", "-bench", testBench}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
