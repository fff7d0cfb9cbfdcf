package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSearchBadInputs: every bad value of search's flags is a usage error
// (exit status 2) that names the flag, in bounded time, without a stack
// trace and before any work.
func TestSearchBadInputs(t *testing.T) {
	tiny := []string{"-cells", "1", "-channels", "4", "-input", "8", "-bench", "none"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-seed", "18446744073709551614-18446744073709551615", "-draws", "600000"}, "-draws 600000"},
		{[]string{"-seed", "0-18446744073709551615"}, "-seed \"0-18446744073709551615\": more than 1000000 seeds"},
		{[]string{"-seed", "0-999999,5-9"}, "more than 1000000 seeds"},
		{[]string{"-seed", "0-100000", "-draws", "20"}, "-seed and -draws: 100001 seeds x 20 draws"},
		{[]string{"-seed", strings.Repeat("9", 10000)}, "…"},
		{[]string{"-draws", "-1"}, "-draws -1"},
		{[]string{"-prune", "5000"}, "-prune 5000"},
		{[]string{"-batch", "0"}, "-batch 0"},
		{[]string{"-alpha-std", "NaN"}, "-alpha-std NaN"},
		{[]string{"-alpha-std", "+Inf"}, "-alpha-std +Inf"},
		{[]string{"-alpha-std", "-1"}, "-alpha-std -1"},
		{[]string{"-proxy", "snip", "-input", "64"}, "-proxy snip needs labelled images"},
	} {
		start := time.Now()
		var stdout, stderr bytes.Buffer
		status := run(append(append([]string{"search"}, tiny...), tc.args...), &stdout, &stderr)
		msg := stderr.String()
		if status != 2 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "goroutine") || stdout.Len() > 0 {
			t.Errorf("%q: status %d, stdout %q, stderr %.300q; want status 2 and %q", tc.args, status, stdout.String(), msg, tc.want)
		}
		if len(msg) > 1000 {
			t.Errorf("%q: a %d-byte message", tc.args, len(msg))
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%q: took %v", tc.args, d)
		}
	}
}

// TestSearchInterrupt: SIGINT stops a long search after the seed in
// progress; the seeds done are printed (here, the JSON object, marked
// interrupted) and the exit status is 1.
func TestSearchInterrupt(t *testing.T) {
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	}()
	var stdout, stderr bytes.Buffer
	status := run([]string{"search", "-json", "-progress=false", "-seed", "0-100000", "-cells", "1", "-channels", "4", "-input", "8", "-bench", "none"}, &stdout, &stderr)
	if status != 1 || !strings.Contains(stderr.String(), "interrupted after") {
		t.Fatalf("status %d, stderr %q", status, stderr.String())
	}
	var rep searchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%.300s", err, stdout.String())
	}
	if !rep.Interrupted || len(rep.Runs) == 0 || len(rep.Runs) > 100000 || rep.Runs[len(rep.Runs)-1].Seed != uint64(len(rep.Runs)-1) {
		t.Errorf("interrupted %v, %d runs", rep.Interrupted, len(rep.Runs))
	}
}

// TestSearchStreams: the table prints each seed on a line of its own, in
// order, then the mean.
func TestSearchStreams(t *testing.T) {
	out, err := runCLI(t, "search", "-seed", "0-2", "-cells", "1", "-channels", "4", "-input", "8", "-bench", "none", "-progress=false")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[1], "seed") || !strings.HasPrefix(lines[2], "0 ") || !strings.HasPrefix(lines[4], "2 ") ||
		!strings.HasPrefix(lines[5], "mean") || !strings.HasPrefix(lines[6], "compile") {
		t.Errorf("output:\n%s", out)
	}
}

// TestStdoutIsOutput: a backend option that GoMLX reports with fmt.Printf
// does not land in the JSON on stdout; bench's counts are bounded too.
func TestStdoutIsOutput(t *testing.T) {
	out, err := runCLI(t, "search", "-json", "-backend", "go:parallelism=2", "-cells", "1", "-channels", "4", "-input", "8", "-bench", "none")
	if err != nil {
		t.Fatal(err)
	}
	var rep searchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Backend != "go:parallelism=2" {
		t.Errorf("stdout is not the report alone: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"bench", "-repeat", "1000000"}, {"bench", "-peak-size", "100000"}, {"bench", "-peak-size", "-5"}} {
		if _, status, err := runStatus(t, args...); status != 2 || !strings.Contains(err.Error(), args[1]) {
			t.Errorf("%q: status %d, %v", args, status, err)
		}
	}
}
