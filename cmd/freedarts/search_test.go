package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// Paths of the repository's sample data, from this package's directory.
const (
	testBench = "../../../shared/data/nb201/" + nb201.BenchFile
	testData  = "../../../shared/data/cifar10"
)

func needFile(t *testing.T, path string) {
	t.Helper()
	shareddata.Need(t, path) // skips without it, fails with CI=true
}

// runCLI runs the command line and returns its stdout, and an error holding
// the exit status and stderr when the status is not 0.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := runStatus(t, args...)
	return out, err
}

// runStatus is runCLI with the exit status too.
func runStatus(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	if code != 0 {
		return stdout.String(), code, fmt.Errorf("exit status %d: %s", code, stderr.String())
	}
	return stdout.String(), 0, nil
}

// matrix returns the named score matrix of a run.
func matrix(t *testing.T, r searchRun, alpha string) [][]float64 {
	t.Helper()
	for _, m := range r.Scores {
		if m.Name == alpha {
			return m.Values
		}
	}
	t.Errorf("seed %d: no scores of %q", r.Seed, alpha)
	return nil
}

// compute is what a report names the default backend's compute.
func compute() string { return backend.Compute(backend.Default) }

func searchJSON(t *testing.T, args ...string) searchReport {
	t.Helper()
	out, err := runCLI(t, append([]string{"search", "-json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var rep searchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return rep
}

// TestSynFlowQuality is the method's claim on NAS-Bench-201: SynFlow on
// alpha, no training, picks cells whose mean CIFAR-10 test accuracy over
// seeds 0-4 is at least 93.0 (the reference PyTorch code: 93.55).
func TestSynFlowQuality(t *testing.T) {
	needFile(t, testBench)
	rep := searchJSON(t, "-proxy", "synflow", "-seed", "0-4", "-bench", testBench, "-backend", "go")
	if len(rep.Runs) != 5 || rep.Space != "nb201" || rep.Proxy != "synflow" || rep.Backend != backend.Default ||
		rep.Compute != compute() {
		t.Fatalf("report header or runs wrong: %+v", rep)
	}
	sum := 0.0
	for _, r := range rep.Runs {
		if r.Accuracy == nil {
			t.Fatalf("seed %d: no accuracy despite -bench", r.Seed)
		}
		sum += r.Accuracy["cifar10_test"]
		if m := matrix(t, r, "alpha"); len(m) != 6 || len(m[0]) != 5 {
			t.Errorf("seed %d: scores %v, want a 6x5 matrix", r.Seed, r.Scores)
		}
	}
	if mean := sum / 5; mean < 93.0 {
		t.Errorf("mean CIFAR-10 test accuracy of the selected cells: %.2f, want >= 93.0", mean)
	} else {
		t.Logf("mean CIFAR-10 test accuracy over seeds 0-4: %.2f", mean)
	}
}

func TestSearchTableAndNoBench(t *testing.T) {
	out, err := runCLI(t, "search", "-bench", "none", "-seed", "1", "-cells", "1", "-channels", "4", "-input", "8")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"space nb201, proxy synflow, backend " + compute() + ", alpha std", "seed", "mean"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestSearchJSONDataProxy runs SNIP on a seeded batch of the sample images,
// with neither -data nor -bench: from this package's directory, two below
// the module root, the defaults find the checkout's sample data as the
// library does (cifar10.Find, nb201.FindBench), so the runs carry their
// accuracy.
func TestSearchJSONDataProxy(t *testing.T) {
	needFile(t, testData)
	needFile(t, testBench)
	args := []string{"-proxy", "snip", "-batch", "8", "-cells", "1", "-channels", "4", "-seed", "0,0"}
	rep := searchJSON(t, args...)
	if len(rep.Runs) != 2 || !strings.HasSuffix(rep.Data, "train_first4000.bin") {
		t.Fatalf("runs %d, data %q", len(rep.Runs), rep.Data)
	}
	for _, r := range rep.Runs {
		if r.Accuracy == nil {
			t.Errorf("seed %d: no accuracy, although the default -bench exists", r.Seed)
		}
	}
	a, b := rep.Runs[0], rep.Runs[1]
	if a.Arch != b.Arch || !reflect.DeepEqual(a.Scores, b.Scores) {
		t.Errorf("seed 0 twice gave different results:\n%v\n%v", a, b)
	}
	// Outside any checkout there is no default: no accuracy, and a data
	// proxy's -data error names the flag.
	t.Chdir(t.TempDir())
	if out, err := runCLI(t, "search", "-json", "-cells", "1", "-channels", "4", "-input", "8"); err != nil || strings.Contains(out, "cifar10_test") {
		t.Errorf("search outside a checkout: err %v, accuracy in %s", err, out)
	}
	if _, err := runCLI(t, "search", "-proxy", "snip", "-cells", "1", "-channels", "4"); err == nil || !strings.Contains(err.Error(), "-data: cifar10: no path given") {
		t.Errorf("snip outside a checkout: %v, want a -data error naming the default", err)
	}
}

func TestSearchErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "-proxy", "synfow"}, `unknown proxy "synfow"`},
		{[]string{"search", "-space", "nope"}, `unknown space "nope"`},
		{[]string{"search", "-seed", "3-1"}, `bad seed or range "3-1"`},
		{[]string{"search", "-backend", "tpu"}, `unknown backend "tpu"`},
		{[]string{"search", "-channels", "-2"}, "channels -2, want > 0"},
		{[]string{"search", "-proxy", "snip", "-data", "/nonexistent"}, `-data "/nonexistent"`},
		{[]string{"search", "-bench", "/nonexistent.csv"}, "/nonexistent.csv"},
		{[]string{"search", "extra"}, "unexpected arguments"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []uint64
	}{{"0", []uint64{0}}, {"0-4", []uint64{0, 1, 2, 3, 4}}, {"2,7", []uint64{2, 7}}, {"0-1, 5", []uint64{0, 1, 5}},
		{"18446744073709551615", []uint64{18446744073709551615}}, // the largest: the range loop must not overflow
		{"18446744073709551614-18446744073709551615", []uint64{18446744073709551614, 18446744073709551615}}} {
		got, err := parseSeeds(tc.in)
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parseSeeds(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
	for _, bad := range []string{"", "x", "1x", "-1", "5-2", "1,,2"} {
		if _, err := parseSeeds(bad); err == nil {
			t.Errorf("parseSeeds(%q) accepted", bad)
		}
	}
}

// TestExitStatus: 0 for a run and for help, 2 for bad usage, 1 for a run
// that fails; usage and errors on stderr, nothing on stdout.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stdout string
	}{
		{[]string{"help"}, 0, "usage: freedarts COMMAND"},
		{[]string{"help", "search"}, 0, "-proxy"},
		{[]string{"search", "-h"}, 0, ""},
		{nil, 2, ""},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"help", "frobnicate"}, 2, ""},
		{[]string{"search", "-no-such-flag"}, 2, ""},
		{[]string{"search", "-proxy", "nope"}, 2, ""},
		{[]string{"search", "-alpha-std", "-1", "-bench", "none"}, 2, ""},
		{[]string{"search", "-cells", "1", "-channels", "4", "-input", "8", "-alpha-std", "1e300", "-bench", "none"}, 1, "FreeDARTS search:"},
	} {
		var stdout, stderr bytes.Buffer
		status := run(tc.args, &stdout, &stderr)
		if status != tc.status || !strings.Contains(stdout.String(), tc.stdout) || (tc.stdout == "" && stdout.Len() > 0) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want status %d, stdout with %q", tc.args, status, stdout.String(), stderr.String(), tc.status, tc.stdout)
		}
		if status == 2 && !strings.Contains(stderr.String(), "freedarts help") && !strings.Contains(stderr.String(), "usage") {
			t.Errorf("%q: stderr %q does not say how to get help", tc.args, stderr.String())
		}
	}
}
