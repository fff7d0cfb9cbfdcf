package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func correlateJSON(t *testing.T, args ...string) correlateReport {
	t.Helper()
	out, err := runCLI(t, append([]string{"correlate", "-json", "-bench", testBench, "-backend", "go", "-progress=false"}, args...)...)
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
	args := []string{"-proxy", "synflow,params,flops", "-indices", idx, "-out", csvPath, "-ensembles", "synflow+params"}
	write("6111\n# a comment\n0\n\n15624\n")
	rep := correlateJSON(t, args...)
	if rep.Compute != compute() {
		t.Errorf("report: compute %q, want %q", rep.Compute, compute())
	}
	if rep.Cells != 3 || rep.Resumed != 0 || len(rep.SecondsPerCell) != 3 {
		t.Errorf("first run: %d cells, %d resumed, seconds %v", rep.Cells, rep.Resumed, rep.SecondsPerCell)
	}
	// proxies and ensembles x targets
	if len(rep.Correlations) != (3+3)*4 {
		t.Errorf("%d correlations, want 24", len(rep.Correlations))
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
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(recorded)), " compute="+compute()) {
		t.Fatalf("settings %q (%v), want the compute %q at the end", recorded, err, compute())
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
	_, err = runCLI(t, "correlate", "-bench", testBench, "-proxy", "params,synflow", "-indices", idx, "-out", csvPath)
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
		correlateJSON(t, "-proxy", "synflow,grad_norm", "-batch", "8", "-data", testData, "-indices", writeIndices(t, dir, "6111\n0\n"),
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
	_, err := runCLI(t, "correlate", "-bench", testBench, "-proxy", "synflow,grad_norm", "-batch", "8", "-data", testData,
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
		rep := correlateJSON(t, append([]string{"-proxy", "snip,fisher", "-batch", "8", "-data", testData, "-indices", idx, "-out", out}, extra...)...)
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
	_, err := runCLI(t, "correlate", "-bench", testBench, "-proxy", "snip,fisher", "-batch", "8", "-data", testData,
		"-indices", idx, "-out", filepath.Join(dir, "bias.csv"))
	if err == nil || !strings.Contains(err.Error(), "conv-bias") {
		t.Errorf("resuming a -conv-bias file without it: %v", err)
	}
}

// TestCorrelateSupernet: -supernet scores the cells of the concrete run
// (synflow in float64 to 1e-12, params exactly), records the mode in the
// compute, reads a file of the concrete mode but adds no row to it.
func TestCorrelateSupernet(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	idx := writeIndices(t, dir, "6111\n1000\n")
	out := filepath.Join(dir, "concrete.csv")
	concrete := correlateJSON(t, "-proxy", "synflow,params", "-indices", idx, "-out", out)
	cells := correlateJSON(t, "-proxy", "synflow,params", "-indices", idx, "-supernet", "-out", filepath.Join(dir, "supernet.csv"))
	if cells.Compute != concrete.Compute+" scoring=supernet" {
		t.Errorf("compute %q, want the concrete run's %q plus scoring=supernet", cells.Compute, concrete.Compute)
	}
	read := func(name string) [][]string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
			rows = append(rows, strings.Split(l, ","))
		}
		return rows
	}
	want, got := read("concrete.csv"), read("supernet.csv")
	for i := range want {
		s0, s1 := parseFloat(t, want[i][2]), parseFloat(t, got[i][2])
		if got[i][0] != want[i][0] || math.Abs(s1-s0) > 1e-12*s0 || got[i][3] != want[i][3] {
			t.Errorf("supernet row %q, concrete row %q", got[i], want[i])
		}
	}
	if rep := correlateJSON(t, "-proxy", "synflow,params", "-indices", idx, "-supernet", "-out", out); rep.Resumed != 2 {
		t.Errorf("-supernet reading the concrete file: %d cells resumed, want 2", rep.Resumed)
	}
	_, err := runCLI(t, "correlate", "-bench", testBench, "-backend", "go", "-proxy", "synflow,params", "-indices", writeIndices(t, dir, "6111\n1000\n0\n"),
		"-supernet", "-out", out)
	if err == nil || !strings.Contains(err.Error(), "scoring=supernet") {
		t.Errorf("-supernet adding to the concrete file: %v", err)
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
	out, err := runCLI(t, "correlate", "-bench", testBench, "-proxy", "params,flops", "-sample", "20", "-sample-seed", "3", "-progress=false")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"on 20 NAS-Bench-201 cells", "CIFAR-10 ρ", "CIFAR-10 (c10-valid) ρ", "ImageNet16-120 ρ", "s/cell", "\nflops "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestCorrelateUndefined: TE-NAS's region count is the batch size on every
// whole NAS-Bench-201 network; the table says its correlation is undefined
// and why, and keeps the other proxies' rows.
func TestCorrelateUndefined(t *testing.T) {
	needFile(t, testBench)
	out, err := runCLI(t, "correlate", "-bench", testBench, "-backend", "go", "-proxy", "linear_regions,params", "-draw", "per-cell", "-sample", "4", "-sample-seed", "0", "-progress=false")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nlinear_regions  undefined", "\nparams ", "linear_regions: no correlation (constant: every cell scores 64)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	rep := correlateJSON(t, "-proxy", "linear_regions", "-draw", "per-cell", "-sample", "4", "-sample-seed", "0")
	for _, c := range rep.Correlations {
		if c.Undefined == "" || !math.IsNaN(c.Spearman) {
			t.Errorf("JSON correlation %+v, want undefined with a NaN rho", c)
		}
	}
}

func TestCorrelateErrors(t *testing.T) {
	needFile(t, testBench)
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		t.Setenv(v, "") // -shard env outside a job array
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("12\n99999\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-space", "darts"}, "only nb201"},
		{[]string{"-proxy", "synfow"}, `unknown proxy "synfow"`},
		{[]string{"-proxy", "params", "-indices", bad}, `line 2: "99999" is not an index`},
		{[]string{"-proxy", "params", "-indices", filepath.Join(dir, "none.txt")}, "-indices"},
		{[]string{"-proxy", "params", "-sample", "0"}, `invalid value "0" for flag -sample: want a number of cells >= 1, or all`},
		{[]string{"-proxy", "params", "-sample", "15626"}, "sample of 15626 cells, want 1 to 15625"},
		{[]string{"-proxy", "params", "-shard", "4/4"}, `-shard "4/4": shard index 4 of 4: want 0 to 3`},
		{[]string{"-proxy", "params", "-shard", "0/101"}, "-shard 0/101: want at most 100 shards, one per cell of the study"},
		{[]string{"-proxy", "params", "-shard", "env"}, "-shard env: neither $SLURM_ARRAY_TASK_ID (a SLURM job array) nor $JOB_COMPLETION_INDEX"},
		{[]string{"-proxy", "params,flops", "-ensembles", "params+snip"}, `-ensembles "params+snip": "snip" is not among the proxies params,flops`},
		{[]string{"-proxy", "params,flops", "-ensembles", "params"}, "has one proxy"},
		{[]string{"-proxy", "snip", "-data", "/nonexistent"}, `-data "/nonexistent"`},
		{[]string{"-proxy", "params", "-workers", "-1"}, "-workers -1: want >= 1, or 0 to pick"},
		{[]string{"-proxy", "params", "-draw", "fresh"}, `-draw "fresh": want shared or per-cell`},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-proxy", "snip", "-data", testData, "-batch", "0"}, "-batch 0: want 1 to 4000, the images in the dataset"},
		{[]string{"-proxy", "params", "-bench", "none"}, `-bench "none": correlate needs the NAS-Bench-201 accuracy table`},
	} {
		args := append([]string{"correlate", "-bench", testBench}, tc.args...)
		if slices.Contains(tc.args, "-bench") {
			args = append([]string{"correlate"}, tc.args...)
		}
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// stderrOf runs f with os.Stderr sent to a file and returns what f wrote
// there.
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved := os.Stderr
	os.Stderr = tmp
	defer func() { os.Stderr = saved }()
	f()
	data, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestCorrelateProgress: a progress line per cell on stderr, none with
// -progress=false.
func TestCorrelateProgress(t *testing.T) {
	needFile(t, testBench)
	idx := writeIndices(t, t.TempDir(), "6111\n0\n")
	for _, tc := range []struct {
		flag  string
		lines int
	}{{"-progress=true", 2}, {"-progress=false", 0}} {
		got := stderrOf(t, func() { correlateJSON(t, "-proxy", "params,flops", "-indices", idx, tc.flag) })
		if n := strings.Count(got, "correlate: "); n != tc.lines || (n > 0 && !strings.Contains(got, "/2 cell 6111 (params ")) {
			t.Errorf("%s: stderr\n%s\nwant %d progress lines", tc.flag, got, tc.lines)
		}
	}
}

// TestCorrelateInterrupt sends SIGINT while a study runs: it stops with
// the cells done written, and a second run resumes from them.
func TestCorrelateInterrupt(t *testing.T) {
	needFile(t, testBench)
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(t.TempDir(), "scores.csv")
	args := []string{"correlate", "-bench", testBench, "-backend", "go", "-proxy", "synflow", "-sample", "40", "-out", csvPath, "-progress=false"}
	errc := make(chan error, 1)
	go func() { _, err := runCLI(t, args...); errc <- err }()
	// The first row is written once the signal is caught: interrupt then.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if data, _ := os.ReadFile(csvPath); strings.Count(string(data), "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no cell scored in a minute")
		}
	}
	if err := self.Signal(os.Interrupt); err != nil {
		t.Skipf("cannot interrupt this process: %v", err)
	}
	err = <-errc
	if err == nil || !strings.Contains(err.Error(), "correlate: interrupted after ") || !strings.Contains(err.Error(), "run the same command again to resume") {
		t.Fatalf("interrupted run: %v", err)
	}
	data, _ := os.ReadFile(csvPath)
	rows := strings.Count(string(data), "\n") - 1
	if rows < 1 || rows >= 40 || !strings.Contains(err.Error(), "after "+strconv.Itoa(rows)+" new cells") {
		t.Errorf("interrupted run: %v, file of %d rows", err, rows)
	}
	rep := correlateJSON(t, args[1:]...)
	if rep.Resumed != rows || rep.Cells != 40 {
		t.Errorf("resumed run: %d cells, %d resumed; want 40 and %d", rep.Cells, rep.Resumed, rows)
	}
}

// TestCorrelateNamedEnsemble: -proxy az_nas scores AZ-NAS's four parts per
// cell and adds the az_nas row, their log-rank over the cells.
func TestCorrelateNamedEnsemble(t *testing.T) {
	needFile(t, testBench)
	idx := filepath.Join(t.TempDir(), "idx.txt")
	if err := os.WriteFile(idx, []byte("6111\n0\n15624\n1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := correlateJSON(t, "-proxy", "az_nas", "-indices", idx, "-ensembles", "az_nas")
	want := []string{"az_nas_expressivity", "az_nas_progressivity", "az_nas_trainability", "az_nas_complexity"}
	if !slices.Equal(rep.Proxies, want) {
		t.Errorf("proxies %v, want %v", rep.Proxies, want)
	}
	var rows []string
	for _, c := range rep.Correlations {
		if c.Target == "cifar10_test" {
			rows = append(rows, c.Proxy)
		}
	}
	if !slices.Equal(rows, append(want, "az_nas")) {
		t.Errorf("rows %v, want the parts and one az_nas", rows)
	}
}
