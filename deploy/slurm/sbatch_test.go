// Package slurm holds the SLURM batch scripts of a sharded zero-cost proxy
// study (correlate.sbatch, merge.sbatch) and their test. The scripts run
// on a real one-node cluster in scripts/slurm-test.sh; this test checks
// them without SLURM: their #SBATCH lines, that their defaults agree, and
// the freedarts command lines they run (with a stand-in freedarts).
package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	correlateScript = "correlate.sbatch"
	mergeScript     = "merge.sbatch"
	settingsStart   = "# --- settings: keep this block equal in correlate.sbatch and merge.sbatch ---\n"
	settingsEnd     = "# --- end of settings ---\n"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// directives are a script's #SBATCH options, as sbatch reads them: from
// the lines before the first command (sbatch ignores any after it). Each
// is "--name=value" or "--name".
func directives(src string) (opts []string, late []string) {
	command := false
	for line := range strings.SplitSeq(src, "\n") {
		t := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(t, "#SBATCH"); ok {
			if command {
				late = append(late, t)
			} else {
				opts = append(opts, strings.TrimSpace(rest))
			}
			continue
		}
		if t != "" && !strings.HasPrefix(t, "#") {
			command = true
		}
	}
	return opts, late
}

func option(opts []string, name string) (string, bool) {
	for _, o := range opts {
		if v, ok := strings.CutPrefix(o, name+"="); ok {
			return v, true
		}
		if o == name {
			return "", true
		}
	}
	return "", false
}

// defaultOf is the default a settings line `: "${NAME:=VALUE}"` gives.
func defaultOf(src, name string) (string, bool) {
	m := regexp.MustCompile(`(?m)^: "\$\{` + regexp.QuoteMeta(name) + `:=([^}]*)\}"`).FindStringSubmatch(src)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func settingsBlock(t *testing.T, name, src string) string {
	t.Helper()
	i := strings.Index(src, settingsStart)
	j := strings.Index(src, settingsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no settings block (%q ... %q)", name, strings.TrimSpace(settingsStart), strings.TrimSpace(settingsEnd))
	}
	return src[i : j+len(settingsEnd)]
}

func TestDirectives(t *testing.T) {
	for _, name := range []string{correlateScript, mergeScript} {
		src := read(t, name)
		if !strings.HasPrefix(src, "#!/bin/bash\n") {
			t.Errorf("%s: does not start with #!/bin/bash (sbatch runs the script with its interpreter)", name)
		}
		opts, late := directives(src)
		if len(late) > 0 {
			t.Errorf("%s: #SBATCH lines after the first command, which sbatch ignores: %q", name, late)
		}
		for _, o := range opts {
			if !strings.HasPrefix(o, "--") {
				t.Errorf("%s: #SBATCH %q: want the long form --name=value", name, o)
			}
			if strings.HasPrefix(o, "--mem") {
				t.Errorf("%s: #SBATCH %s: the scripts request no memory (not every cluster schedules it; add it per cluster)", name, o)
			}
		}
		for _, want := range []string{"--job-name", "--output", "--time"} {
			if _, ok := option(opts, want); !ok {
				t.Errorf("%s: no #SBATCH %s", name, want)
			}
		}
		if name == mergeScript {
			if _, ok := option(opts, "--array"); ok {
				t.Errorf("%s: #SBATCH --array: the merge is one job", name)
			}
		}
	}
}

// TestArrayMatchesShards: --array=0-(N-1) and FREEDARTS_SHARDS=N.
func TestArrayMatchesShards(t *testing.T) {
	src := read(t, correlateScript)
	opts, _ := directives(src)
	array, ok := option(opts, "--array")
	if !ok {
		t.Fatalf("%s: no #SBATCH --array", correlateScript)
	}
	m := regexp.MustCompile(`^(\d+)-(\d+)$`).FindStringSubmatch(array)
	if m == nil {
		t.Fatalf("%s: #SBATCH --array=%s: want a range from 0, 0-(N-1) for N shards (no step, no %%limit)", correlateScript, array)
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	def, ok := defaultOf(settingsBlock(t, correlateScript, src), "FREEDARTS_SHARDS")
	if !ok {
		t.Fatalf("%s: no default for FREEDARTS_SHARDS in the settings block", correlateScript)
	}
	n, err := strconv.Atoi(def)
	if err != nil {
		t.Fatalf("%s: FREEDARTS_SHARDS default %q is not a number", correlateScript, def)
	}
	if lo != 0 || hi+1 != n {
		t.Errorf("%s: #SBATCH --array=%s but FREEDARTS_SHARDS defaults to %d: want --array=0-%d", correlateScript, array, n, n-1)
	}
}

// TestSettingsAgree: both scripts have the same settings block, and
// deploy/README.md names each of its variables.
func TestSettingsAgree(t *testing.T) {
	c := settingsBlock(t, correlateScript, read(t, correlateScript))
	m := settingsBlock(t, mergeScript, read(t, mergeScript))
	if c != m {
		t.Errorf("the settings blocks of %s and %s differ: keep them equal (the merge's correlate must run the shards' flags)", correlateScript, mergeScript)
	}
	readme := read(t, "../README.md")
	vars := regexp.MustCompile(`(?m)^: "\$\{(\w+):=`).FindAllStringSubmatch(c, -1)
	if len(vars) < 5 {
		t.Fatalf("%s: only %d settings variables found", correlateScript, len(vars))
	}
	for _, v := range append(vars, []string{"", "FREEDARTS"}) {
		if !strings.Contains(readme, v[1]) {
			t.Errorf("deploy/README.md does not mention %s", v[1])
		}
	}
}

// fakeFreedarts writes a stand-in freedarts that appends its arguments,
// one line a call, to calls, and exits 0.
func fakeFreedarts(t *testing.T, dir string) (bin, calls string) {
	t.Helper()
	bin = filepath.Join(dir, "freedarts")
	calls = filepath.Join(dir, "calls")
	script := "#!/bin/bash\nprintf '%s ' \"$@\" >>" + strconv.Quote(calls) + "\necho >>" + strconv.Quote(calls) + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, calls
}

// run runs a script with bash in dir with env (on top of a clean
// environment) and returns its exit status and output.
func run(t *testing.T, script, dir string, env ...string) (int, string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, abs)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func calls(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		lines = append(lines, strings.Fields(l))
	}
	return lines
}

// flagValue is the value after flag in args, "" if absent.
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// TestCommands runs both scripts with a stand-in freedarts, as array task
// 2 of 4 (and as a rerun of task 2 alone) and as the merge, and checks the
// command lines: the shard and its file, and the merge's correlate with
// the shards' flags.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	bin, log := fakeFreedarts(t, dir)
	base := []string{"FREEDARTS=" + bin, "FREEDARTS_SAMPLE=40", "FREEDARTS_PROXY=synflow,params"}

	// Task 2 of the full array, then a rerun of task 2 alone (sbatch --array=2):
	// both are shard 2/4.
	for _, arr := range [][]string{
		{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_JOB_ID=7"},
		{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=2", "SLURM_ARRAY_TASK_COUNT=1", "SLURM_ARRAY_JOB_ID=8"},
	} {
		os.Remove(log)
		rc, out := run(t, correlateScript, dir, append(base, arr...)...)
		if rc != 0 {
			t.Fatalf("%s with %v: exit %d\n%s", correlateScript, arr, rc, out)
		}
		c := calls(t, log)
		if len(c) != 1 || len(c[0]) == 0 || c[0][0] != "correlate" {
			t.Fatalf("%s with %v: freedarts calls %q, want one correlate", correlateScript, arr, c)
		}
		args := c[0]
		for flag, want := range map[string]string{"-shard": "2/4", "-out": "results/correlate/shard-2.csv",
			"-sample": "40", "-sample-seed": "0", "-proxy": "synflow,params", "-draw": "per-cell", "-workers": "1"} {
			if got := flagValue(args, flag); got != want {
				t.Errorf("%s with %v: %s %q, want %q (args %q)", correlateScript, arr, flag, got, want, args)
			}
		}
		if fi, err := os.Stat(filepath.Join(dir, "results/correlate")); err != nil || !fi.IsDir() {
			t.Errorf("%s: did not create the results directory: %v", correlateScript, err)
		}
	}

	// A task id beyond FREEDARTS_SHARDS, and no array at all: refused, nothing run.
	for _, env := range [][]string{{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_COUNT=5"}, {}} {
		os.Remove(log)
		if rc, out := run(t, correlateScript, dir, append(base, env...)...); rc != 2 || calls(t, log) != nil {
			t.Errorf("%s with %v: exit %d, calls %q, want exit 2 and no call\n%s", correlateScript, env, rc, calls(t, log), out)
		}
	}

	// The merge: the shards of the results directory, then correlate with
	// the flags a shard ran with (no -shard, -workers, -progress).
	os.Remove(log)
	_, _ = run(t, correlateScript, dir, append(base, "SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=4")...)
	shardCall := calls(t, log)[0]
	for i := range 4 {
		if err := os.WriteFile(filepath.Join(dir, "results/correlate", "shard-"+strconv.Itoa(i)+".csv"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(log)
	rc, out := run(t, mergeScript, dir, base...)
	if rc != 0 {
		t.Fatalf("%s: exit %d\n%s", mergeScript, rc, out)
	}
	c := calls(t, log)
	if len(c) != 2 || c[0][0] != "merge" || c[1][0] != "correlate" {
		t.Fatalf("%s: freedarts calls %q, want merge then correlate", mergeScript, c)
	}
	wantMerge := []string{"merge", "-complete", "-out", "results/correlate/study.csv",
		"results/correlate/shard-0.csv", "results/correlate/shard-1.csv", "results/correlate/shard-2.csv", "results/correlate/shard-3.csv"}
	if !slices.Equal(c[0], wantMerge) {
		t.Errorf("%s: %q, want %q", mergeScript, c[0], wantMerge)
	}
	var study []string // the shard's command without -shard, -out, -workers, -progress
	for i := 0; i < len(shardCall); i++ {
		switch shardCall[i] {
		case "-shard", "-out", "-workers":
			i++
		case "-progress":
		default:
			study = append(study, shardCall[i])
		}
	}
	wantCorrelate := append(study, "-out", "results/correlate/study.csv")
	if !slices.Equal(c[1], wantCorrelate) {
		t.Errorf("%s: %q, want the shards' flags %q", mergeScript, c[1], wantCorrelate)
	}

	// No shards: exit 1 before running anything.
	os.RemoveAll(filepath.Join(dir, "results"))
	os.Remove(log)
	if rc, out := run(t, mergeScript, dir, base...); rc != 1 || calls(t, log) != nil {
		t.Errorf("%s without shards: exit %d, calls %q, want exit 1 and no call\n%s", mergeScript, rc, calls(t, log), out)
	}
}
