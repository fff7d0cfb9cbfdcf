package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedCorrelate: `correlate -shard I/N` for every shard, then
// `merge`, gives the file of one `correlate` over the same cells, byte for
// byte; `-shard env` reads a SLURM array task.
func TestShardedCorrelate(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	flags := []string{"correlate", "-bench", testBench, "-backend", "go", "-progress=false", "-proxy", "params,flops",
		"-sample", "9", "-sample-seed", "3", "-draw", "per-cell"}
	correlate := func(out string, extra ...string) {
		t.Helper()
		if _, err := runCLI(t, append(append(flags, "-out", out), extra...)...); err != nil {
			t.Fatal(err)
		}
	}
	one := filepath.Join(dir, "one.csv")
	correlate(one)
	shards := []string{filepath.Join(dir, "shard-0.csv"), filepath.Join(dir, "shard-1.csv")}
	correlate(shards[0], "-shard", "0/2")
	t.Setenv("SLURM_ARRAY_TASK_ID", "8")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "7")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	correlate(shards[1], "-shard", "env")
	if side, _ := os.ReadFile(shards[1] + ".settings"); !strings.Contains(string(side), " shard=1/2 cells=9@") {
		t.Errorf("shard settings %q", side)
	}

	merged := filepath.Join(dir, "merged.csv")
	out, err := runCLI(t, "merge", "-complete", "-out", merged, shards[0], shards[1])
	if err != nil || !strings.Contains(out, "9 cells of 9") {
		t.Fatalf("merge: %q, %v", out, err)
	}
	for _, ext := range []string{"", ".settings"} {
		a, _ := os.ReadFile(merged + ext)
		b, _ := os.ReadFile(one + ext)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("merged%s differs from the one-process run:\n%s\n%s", ext, a, b)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"merge", shards[0]}, 2, "-out is required"},
		{[]string{"merge", "-out", merged}, 2, "no shard files"},
		{[]string{"merge", "-complete", "-out", filepath.Join(dir, "part.csv"), shards[0]}, 1,
			"shard 1/2: no file (4 cells missing)"},
		{[]string{"merge", "-out", filepath.Join(dir, "x.csv"), one}, 1, "one.csv is not a shard"},
		{[]string{"merge", "-out", dir, shards[0]}, 2, "is a directory"},
	} {
		_, code, err := runStatus(t, tc.args...)
		if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want exit %d with %q", tc.args, code, err, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "part.csv")); !os.IsNotExist(err) {
		t.Errorf("merge -complete of an incomplete study wrote its output")
	}
}
