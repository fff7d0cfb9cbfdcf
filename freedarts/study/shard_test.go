package study

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	none := env()
	for _, tc := range []struct {
		in     string
		getenv func(string) string
		want   Shard
		err    string // substring; "" for success
	}{
		{"", none, Shard{}, ""},
		{"0/1", none, Shard{0, 1}, ""},
		{"3/4", none, Shard{3, 4}, ""},
		{"4/4", none, Shard{}, "want 0 to 3"},
		{"-1/4", none, Shard{}, "want 0 to 3"},
		{"0/0", none, Shard{}, "want 1 to 100000"},
		{"1/100001", none, Shard{}, "want 1 to 100000"},
		{"1", none, Shard{}, "want I/N"},
		{"a/4", none, Shard{}, `index "a" is not an integer`},
		{"1/4/5", none, Shard{}, `count "4/5" is not an integer`},
		{"env", none, Shard{}, "neither $SLURM_ARRAY_TASK_ID"},
		{"env", env(EnvSlurmTask, "2", EnvSlurmMin, "0", EnvSlurmCount, "4"), Shard{2, 4}, ""},
		{"env", env(EnvSlurmTask, "2", EnvSlurmCount, "4"), Shard{2, 4}, ""},
		{"env", env(EnvSlurmTask, "16", EnvSlurmMin, "1", EnvSlurmCount, "16", EnvSlurmStep, "1"), Shard{15, 16}, ""},
		{"env", env(EnvSlurmTask, "4", EnvSlurmMin, "0", EnvSlurmCount, "4"), Shard{}, "want contiguous task ids"},
		{"env", env(EnvSlurmTask, "4", EnvSlurmMin, "0", EnvSlurmCount, "3", EnvSlurmStep, "2"), Shard{}, "without a step"},
		{"env", env(EnvSlurmTask, "2"), Shard{}, "$SLURM_ARRAY_TASK_COUNT is not"},
		{"env", env(EnvSlurmTask, "x", EnvSlurmCount, "4"), Shard{}, `$SLURM_ARRAY_TASK_ID="x"`},
		{"env", env(EnvK8sIndex, "7", EnvShards, "16"), Shard{7, 16}, ""},
		{"env", env(EnvK8sIndex, "7"), Shard{}, "set it to the Job's spec.completions"},
		{"env", env(EnvK8sIndex, "16", EnvShards, "16"), Shard{}, "want 0 to 15"},
		// SLURM wins when both are set: the array task is this process's.
		{"env", env(EnvSlurmTask, "1", EnvSlurmCount, "2", EnvK8sIndex, "7", EnvShards, "16"), Shard{1, 2}, ""},
	} {
		got, err := ParseShard(tc.in, tc.getenv)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseShard(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "env", "", "1/0", "-1/2", "9999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s, func(string) string { return "" })
		if err != nil {
			return
		}
		if s == "" {
			if sh != (Shard{}) {
				t.Fatalf("ParseShard(\"\") = %v", sh)
			}
			return
		}
		if sh.check() != nil {
			t.Fatalf("ParseShard(%q) = %v, which check refuses", s, sh)
		}
		if back, err := ParseShard(sh.String(), nil); err != nil || back != sh {
			t.Fatalf("ParseShard(%q) = %v, read back as %v, %v", s, sh, back, err)
		}
	})
}

// TestShardPartition: the shards of a list are disjoint, cover it, differ
// in size by at most one, and size predicts them.
func TestShardPartition(t *testing.T) {
	cells := []int{0, 3, 4, 8, 9, 10, 15, 21, 22, 40}
	for n := 1; n <= len(cells)+2; n++ {
		var all []int
		for i := range n {
			sh := Shard{i, n}
			part := sh.of(cells)
			if len(part) != sh.size(len(cells)) {
				t.Errorf("shard %v: %d cells, size says %d", sh, len(part), sh.size(len(cells)))
			}
			if len(part) < len(cells)/n || len(part) > len(cells)/n+1 {
				t.Errorf("shard %v: %d cells of %d", sh, len(part), len(cells))
			}
			all = append(all, part...)
		}
		slices.Sort(all)
		if !slices.Equal(all, cells) {
			t.Errorf("%d shards: union %v, want %v", n, all, cells)
		}
	}
}

func TestShardProtocol(t *testing.T) {
	p := shardProtocol("seed=0 draw=per-cell", Shard{2, 4}, []int{1, 5, 9})
	base, sh, list, n, ok := shardOf(p)
	if !ok || base != "seed=0 draw=per-cell" || sh != (Shard{2, 4}) || n != 3 || !strings.HasPrefix(list, "3@") {
		t.Errorf("shardOf(%q) = %q, %v, %q, %d, %v", p, base, sh, list, n, ok)
	}
	if q := shardProtocol("seed=0 draw=per-cell", Shard{2, 4}, []int{1, 5, 10}); q == p {
		t.Errorf("two cell lists, one protocol %q", p)
	}
	for _, s := range []string{"seed=0", "seed=0 shard=env cells=3@x", "seed=0 shard=1/2", "seed=0 shard=1/2 cells=0@x", "seed=0 shard=3/2 cells=4@x"} {
		if _, _, _, _, ok := shardOf(s); ok {
			t.Errorf("shardOf(%q) reads a shard", s)
		}
	}
}

// TestShardsMerge runs a study in 3 shards and whole: the merged shards are
// the whole study's file byte for byte, a killed shard resumes alone, and
// Merge refuses what is not one study.
func TestShardsMerge(t *testing.T) {
	bench := testBench(t)
	dir := t.TempDir()
	cells := []int{6111, 0, 1000, 42, 15624, 7, 9000}
	whole := smallConfig(t, cells...)
	whole.Draw, whole.PartialBench = DrawPerCell, true
	whole.Out = filepath.Join(dir, "whole.csv")
	if _, err := Run(context.Background(), whole, bench); err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := range 3 {
		cfg := whole
		cfg.Shard = Shard{i, 3}
		cfg.Out = filepath.Join(dir, "shard-"+string(rune('0'+i))+".csv")
		res, err := Run(context.Background(), cfg, bench)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			// Killed after its first cell: the file keeps its first row.
			os.Remove(cfg.Out)
			w, _, err := Open(cfg.Out, res.Table.Proxies, res.Settings)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(res.Table.Rows[0]); err != nil {
				t.Fatal(err)
			}
			w.Close()
			out := filepath.Join(dir, "incomplete.csv")
			rep, err := Merge(out, []string{filepath.Join(dir, "shard-0.csv"), cfg.Out}, MergeOptions{Complete: true})
			if !errors.Is(err, ErrIncomplete) || rep == nil || rep.Written {
				t.Fatalf("Merge -complete of an incomplete study: %+v, %v", rep, err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("Merge -complete wrote %s: %v", out, err)
			}
			lines := strings.Join(rep.Lines(), "\n")
			for _, want := range []string{"shard 1/3: " + cfg.Out + " holds 1 of 2 cells (1 missing)", "shard 2/3: no file (2 cells missing)",
				"did not merge 2 of 3 shards: 4 of 7 cells"} {
				if !strings.Contains(lines, want) {
					t.Errorf("report %q lacks %q", lines, want)
				}
			}
			// The rerun resumes the shard alone.
			res, err = Run(context.Background(), cfg, bench)
			if err != nil || res.Resumed != 1 || res.Scored != 1 {
				t.Fatalf("resumed shard: %+v, %v", res, err)
			}
		}
		shards = append(shards, cfg.Out)
	}
	out := filepath.Join(dir, "merged.csv")
	rep, err := Merge(out, shards, MergeOptions{Complete: true})
	if err != nil || !rep.Written || rep.Cells != 7 || rep.Want != 7 {
		t.Fatalf("Merge: %+v, %v", rep, err)
	}
	for _, f := range []string{"", ".settings"} {
		a, _ := os.ReadFile(out + f)
		b, _ := os.ReadFile(whole.Out + f)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("merged%s:\n%s\nwhole:\n%s", f, a, b)
		}
	}
	for _, f := range []string{out, out + ".settings", whole.Out + ".settings"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, %v; want mode 0644 as other files", f, fi.Mode(), err)
		}
	}
	// The merged file resumes as the whole study: nothing to score.
	whole.Out = out
	if res, err := Run(context.Background(), whole, bench); err != nil || res.Resumed != 7 || res.Scored != 0 {
		t.Errorf("correlate on the merged file: %+v, %v", res, err)
	}
	// Merging again replaces a previous merge.
	if _, err := Merge(out, shards, MergeOptions{}); err != nil {
		t.Errorf("merge again: %v", err)
	}

	other := smallConfig(t, cells...)
	other.PartialBench, other.Shard = true, Shard{2, 3}
	other.Out = filepath.Join(dir, "other.csv") // draw shared: another protocol
	if _, err := Run(context.Background(), other, bench); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		out    string
		inputs []string
		want   string
	}{
		{"no inputs", filepath.Join(dir, "x.csv"), nil, "no shard files"},
		{"shard twice", filepath.Join(dir, "x.csv"), []string{shards[0], shards[0]}, "shard 0/3 is in"},
		{"other study", filepath.Join(dir, "x.csv"), []string{shards[0], other.Out}, "not shards of one study: protocol"},
		{"not a shard", filepath.Join(dir, "x.csv"), []string{whole.Out}, "is not a shard"},
		{"no settings", filepath.Join(dir, "x.csv"), []string{filepath.Join(dir, "bare.csv")}, "has no settings file"},
		{"output is input", shards[0], shards, "both a shard and the output"},
		{"output of another study", other.Out, shards[:1], "is not a merge of these shards"},
		{"output a directory", dir, shards, "is a directory"},
	} {
		if tc.name == "no settings" {
			writeFile(t, tc.inputs[0], "index,arch,synflow,params\n", false)
		}
		before, _ := os.ReadFile(tc.out)
		_, err := Merge(tc.out, tc.inputs, MergeOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Merge = %v, want an error with %q", tc.name, err, tc.want)
		}
		if after, _ := os.ReadFile(tc.out); string(after) != string(before) {
			t.Errorf("%s: the output changed", tc.name)
		}
	}
}

func TestRunShardConfig(t *testing.T) {
	bench := testBench(t)
	for _, tc := range []struct {
		shard Shard
		want  string
	}{
		{Shard{3, 3}, "want 0 to 2"},
		{Shard{0, 4}, "want at most 3 shards"},
	} {
		cfg := smallConfig(t, 1, 2, 3)
		cfg.Shard = tc.shard
		_, err := Run(context.Background(), cfg, bench)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Shard" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("shard %v: %v, want a Config.Shard error with %q", tc.shard, err, tc.want)
		}
	}
}
