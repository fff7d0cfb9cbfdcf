package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// TestMainHelper is the freedarts command itself when a test runs this
// binary as a subprocess (runMain): main, its exit status, its signals.
func TestMainHelper(t *testing.T) {
	if os.Getenv("FREEDARTS_TEST_MAIN") != "1" {
		t.Skip("the command, for the subprocess tests")
	}
	os.Args = append([]string{"freedarts"}, strings.Split(os.Getenv("FREEDARTS_TEST_ARGS"), "\x1f")...)
	main()
}

// mainCommand is this test binary run as `freedarts args...`.
func mainCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix descriptors and signals")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelper$")
	cmd.Env = append(os.Environ(), "FREEDARTS_TEST_MAIN=1", "FREEDARTS_TEST_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestLostOutput: a table or JSON object that cannot be written to stdout
// is exit status 1 and a message, for every command, not a silent 0.
func TestLostOutput(t *testing.T) {
	tiny := []string{"-cells", "1", "-channels", "4", "-input", "8", "-bench", "none", "-progress=false"}
	for _, args := range [][]string{
		{"params", "-genotype", "DARTS_V2"},
		{"params", "-json"},
		append([]string{"search"}, tiny...),
		append([]string{"search", "-json"}, tiny...),
		{"bench", "-list"},
		{"help"},
		{"help", "params"},
	} {
		var stderr bytes.Buffer
		status := run(args, failWriter{}, &stderr)
		if status != 1 || !strings.Contains(stderr.String(), "writing to stdout: no space left on device (the output is lost)") {
			t.Errorf("%q: status %d, stderr %q; want 1 and the write error", args, status, stderr.String())
		}
	}
}

// TestLostOutputProcess: the same with the real descriptors: /dev/full, and
// a stdout closed by the shell (the Go runtime puts /dev/null in its place,
// where the output would vanish with status 0). `> /dev/null` stays a
// success.
func TestLostOutputProcess(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer full.Close()
	for _, tc := range []struct {
		name, redirect string
		stdout         *os.File
		status         int
		want           string
	}{
		{"/dev/full", "", full, 1, "no space left on device"},
		{"closed", ">&-", nil, 1, "stdout is closed"},
		{"/dev/null", ">/dev/null", nil, 0, ""},
	} {
		for _, args := range [][]string{{"params", "-genotype", "DARTS_V2"}, {"params", "-json"}} {
			cmd := mainCommand(t, args...)
			cmd.Stdout = tc.stdout
			if tc.redirect != "" {
				cmd = exec.Command("sh", append([]string{"-c", `exec "$0" "$@" ` + tc.redirect}, cmd.Args...)...)
				cmd.Env = mainCommand(t, args...).Env
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			status := cmd.ProcessState.ExitCode()
			if status != tc.status || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("%s %q: status %d (%v), stderr %q; want %d and %q", tc.name, args, status, err, stderr.String(), tc.status, tc.want)
			}
		}
	}
}

// TestBoundedMessages: user text in an error is quoted bounded and counted
// in characters: a 120 KB genotype, flag value or flag name is not echoed
// whole, and a full-width parenthesis is reported as itself with its code
// point, not as its first byte.
func TestBoundedMessages(t *testing.T) {
	huge := strings.Repeat("x", 120000)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"params", "-genotype", huge}, `offset 0, token "` + strings.Repeat("x", 40) + `"…: want Genotype(`},
		{[]string{"params", "-genotype", "Genotype（normal=[])"}, `offset 8: unexpected character '（' (U+FF08)`},
		{[]string{"params", "-channels", strings.Repeat("9", 120000)}, `invalid value "` + strings.Repeat("9", 60) + `"… for flag -channels`},
		{[]string{"params", "-" + huge}, "flag provided but not defined: -" + strings.Repeat("x", 59) + "…"},
		{[]string{"params", "a", huge}, `unexpected arguments "a ` + strings.Repeat("x", 58) + `"…`},
		{[]string{"help", huge}, `help: unknown command "` + strings.Repeat("x", 60) + `"…`},
		{[]string{huge}, `unknown command "` + strings.Repeat("x", 60) + `"…`},
		{[]string{"train", "-data", huge, "-genotype", "DARTS_V2", "-cells", "2", "-channels", "4"}, `-data "` + strings.Repeat("x", 60) + `"…`},
		{[]string{"search", "-bench", "none", "-proxy", strings.Repeat("snip,", 20000) + "snip"}, `-proxy: proxy "snip" listed twice in "snip,snip`},
		{[]string{"search", "-bench", "none", "-proxy", "snip," + huge}, `-proxy: `},
		{[]string{"bench", "-cases", huge}, `-cases: `},
	} {
		var stdout, stderr bytes.Buffer
		status := run(tc.args, &stdout, &stderr)
		msg := stderr.String()
		if status == 0 || !strings.Contains(msg, tc.want) {
			t.Errorf("%.80q: status %d, stderr %.400q; want %q", tc.args, status, msg, tc.want)
		}
		if n := utf8.RuneCountInString(msg); n > 1000 {
			t.Errorf("%.80q: a %d-character message", tc.args, n)
		}
	}
}

// TestStopOnSignal: the first SIGINT or SIGTERM cancels the context, with a
// note; the second ends the process at once with 128+signal, from the
// handler's goroutine, whatever the main goroutine does.
func TestStopOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix signals")
	}
	exited := make(chan int, 1)
	defer func(f func(int)) { exitNow = f }(exitNow)
	exitNow = func(code int) { exited <- code }
	var notes syncBuffer
	ctx, stop := stopOnSignal(&notes)
	defer stop()
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first SIGINT did not cancel the context")
	}
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	select {
	case code := <-exited:
		if code != 143 {
			t.Errorf("second signal SIGTERM: exit %d, want 143", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not end the process")
	}
	if s := notes.String(); !strings.Contains(s, "stopping after the work in progress") || !strings.Contains(s, "again: ending now") {
		t.Errorf("notes %q", s)
	}
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		if got := signalStatus(sig); got != want {
			t.Errorf("signalStatus(%v) = %d, want %d", sig, got, want)
		}
	}
}

// TestSignalsProcess: a search in a subprocess, signalled inside a seed: two SIGINTs end it at
// once with status 130 (it does not wait for the seed); one SIGTERM stops
// it after the seed, status 1, the seeds done printed.
func TestSignalsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("a DARTS search in a subprocess")
	}
	for _, tc := range []struct {
		name   string
		sigs   []syscall.Signal
		status int
		want   string
	}{
		{"SIGINT twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, 130, "again: ending now"},
		{"SIGTERM twice", []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}, 143, "again: ending now"},
		{"SIGTERM once", []syscall.Signal{syscall.SIGTERM}, 1, "interrupted after"},
	} {
		// -channels 64: seeds of about 2 s here (24 gave 0.5 s, which a first
		// signal's seed could finish before the second arrived), long enough to
		// be signalled inside one on a faster machine too.
		cmd := mainCommand(t, "search", "-space", "darts", "-channels", "64", "-seed", "0-1000", "-progress=false", "-bench", "none")
		var stderr syncBuffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Seed 0's row: seed 1 runs (a second or more).
		buf := make([]byte, 4096)
		var out []byte
		for !bytes.Contains(out, []byte("\n0 ")) {
			n, err := stdout.Read(buf)
			if err != nil {
				t.Fatalf("%s: no row of seed 0: %v, stderr %q", tc.name, err, stderr.String())
			}
			out = append(out, buf[:n]...)
		}
		time.Sleep(100 * time.Millisecond) // in seed 1, not between two seeds
		start := time.Now()
		for _, s := range tc.sigs {
			_ = cmd.Process.Signal(s)
			time.Sleep(50 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		go func() { <-ctx.Done(); _ = cmd.Process.Kill() }()
		go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(stdout) }()
		_ = cmd.Wait()
		cancel()
		if status := cmd.ProcessState.ExitCode(); status != tc.status || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: status %d after %v, stderr %q; want %d and %q", tc.name, status, time.Since(start), stderr.String(), tc.status, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAddressSpaceLimit: under `ulimit -v 4000000` a search whose weights,
// their |theta| and its op outputs cannot fit in the address space left, or
// a training run whose weights and their copies cannot, is refused up front
// (status 2, a message naming ulimit -v), not killed by the runtime's "fatal
// error: out of memory" and a goroutine dump.
func TestAddressSpaceLimit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "-space", "darts", "-channels", "160"}, "search: darts with these options needs at least"},
		{[]string{"train", "-genotype", "DARTS_V2", "-channels", "200", "-limit", "4", "-batch", "2", "-test", "none"}, "train: 20 cells, C=200"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			inner := mainCommand(t, append(tc.args, "-progress=false")...)
			cmd := exec.Command("sh", append([]string{"-c", `ulimit -v 4000000 && exec "$0" "$@"`}, inner.Args...)...)
			cmd.Env = inner.Env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			_ = cmd.Run()
			msg := stderr.String()
			if status := cmd.ProcessState.ExitCode(); status != 2 || !strings.Contains(msg, tc.want) ||
				!strings.Contains(msg, "ulimit -v") || strings.Contains(msg, "goroutine") {
				t.Errorf("status %d, stderr %.600q; want 2 and the memory check's refusal", status, msg)
			}
		})
	}
}
