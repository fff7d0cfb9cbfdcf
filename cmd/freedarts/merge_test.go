package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// TestMergeKeepsRows: `merge` never loses a row without -force: it refuses
// an -out of another study and a merge holding cells the new one lacks,
// leaving them byte for byte; it merges a shard's cut last row as absent
// and says so; it refuses a shard whose writer runs unless -force.
func TestMergeKeepsRows(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	flags := []string{"correlate", "-bench", testBench, "-backend", "go", "-progress=false", "-proxy", "params", "-draw", "per-cell"}
	var shards []string
	for i := range 3 {
		s := filepath.Join(dir, "s"+strconv.Itoa(i)+".csv")
		if _, err := runCLI(t, append(flags, "-sample", "12", "-sample-seed", "3", "-shard", strconv.Itoa(i)+"/3", "-out", s)...); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	big := filepath.Join(dir, "big.csv") // one process, the same protocol, 30 other cells
	if _, err := runCLI(t, append(flags, "-sample", "30", "-sample-seed", "9", "-out", big)...); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged.csv")
	if _, err := runCLI(t, append([]string{"merge", "-bench", testBench, "-complete", "-out", merged}, shards...)...); err != nil {
		t.Fatal(err)
	}
	forced := filepath.Join(dir, "forced.csv")
	for _, ext := range []string{"", ".settings"} {
		b, _ := os.ReadFile(merged + ext)
		os.WriteFile(forced+ext, b, 0o644)
	}
	s2, _ := os.ReadFile(shards[2])
	for _, tc := range []struct {
		name   string
		args   []string
		setup  func()
		code   int
		want   string // in the error, or on stderr
		keeps  string // a file left byte for byte
		remove func()
	}{
		{name: "unrelated study", args: append([]string{"-out", big}, shards...), code: 1, keeps: big,
			want: "big.csv exists and is not a merge of these shards (30 cells, more than the study's 12)"},
		{name: "unrelated study, -force", args: append([]string{"-force", "-out", big}, shards...), code: 1, keeps: big,
			want: "is not a merge of these shards"},
		{name: "fewer shards", args: []string{"-out", merged, shards[0], shards[1]}, code: 1, keeps: merged,
			want: "merged.csv holds 4 cells that these shards lack"},
		{name: "fewer shards, -force", args: []string{"-force", "-out", forced, shards[0], shards[1]},
			want: "merge: replaced a merge that held 4 cells more (-force)"},
		{name: "cut row", args: append([]string{"-out", filepath.Join(dir, "cut.csv")}, shards...),
			setup:  func() { os.WriteFile(shards[2], s2[:len(s2)-4], 0o644) },
			remove: func() { os.WriteFile(shards[2], s2, 0o644) },
			want:   "was cut short (no newline: an interruption or a full disk) and is not merged"},
		{name: "live writer", args: append([]string{"-out", filepath.Join(dir, "live.csv")}, shards...), code: 1,
			setup:  func() { os.WriteFile(shards[1]+".lock", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644) },
			remove: func() { os.Remove(shards[1] + ".lock") },
			want:   "s1.csv is being written by process " + strconv.Itoa(os.Getpid())},
		{name: "live writer, -force", args: append([]string{"-force", "-out", filepath.Join(dir, "live.csv")}, shards...),
			setup:  func() { os.WriteFile(shards[1]+".lock", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644) },
			remove: func() { os.Remove(shards[1] + ".lock") },
			want:   "is still being written by process " + strconv.Itoa(os.Getpid()) + ": merged as it is now (-force)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			if tc.remove != nil {
				defer tc.remove()
			}
			before, _ := os.ReadFile(tc.keeps)
			var code int
			var err error
			stderr := stderrOf(t, func() { _, code, err = runStatus(t, append([]string{"merge", "-bench", testBench}, tc.args...)...) })
			if code != tc.code || (tc.code != 0) != (err != nil) {
				t.Fatalf("exit %d, %v; want exit %d", code, err, tc.code)
			}
			if got := stderr + fmt.Sprint(err); !strings.Contains(got, tc.want) {
				t.Errorf("output %q\nwant %q", got, tc.want)
			}
			if tc.keeps != "" {
				if after, _ := os.ReadFile(tc.keeps); !bytes.Equal(after, before) {
					t.Errorf("refused, but %s changed", tc.keeps)
				}
			}
		})
	}
	help, _ := runCLI(t, "help", "merge")
	if !strings.Contains(help, "-force") {
		t.Errorf("help merge lacks -force:\n%s", help)
	}
}
