package shareddata

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records what a helper does to its test. Skipf and Fatalf end the
// goroutine, as testing's do; any other testing.TB method panics (nil TB).
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs fn with a fake TB on its own goroutine (Goexit ends it there).
func call(fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

const missing = "no-such-dir/no-such-file.bin"

func TestPathMissing(t *testing.T) {
	for _, tc := range []struct {
		ci             string
		skipped, fails bool
		want           []string
	}{
		{"", true, false, []string{missing, "absent", "skipped", "CI=true"}},
		{"false", true, false, []string{missing, "skipped"}},
		{"true", false, true, []string{missing, "absent", "CI=true requires it"}},
		{"1", false, true, []string{missing, "CI=true requires it"}},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv(EnvCI, tc.ci)
			var got string
			f := call(func(tb testing.TB) { got = Path(tb, missing) })
			if f.skipped != tc.skipped || f.failed != tc.fails {
				t.Fatalf("skipped %v, failed %v (%q), want skipped %v, failed %v", f.skipped, f.failed, f.msg, tc.skipped, tc.fails)
			}
			if got != "" {
				t.Errorf("Path returned %q after ending the test", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.msg, w) {
					t.Errorf("message %q lacks %q", f.msg, w)
				}
			}
			// The message names the resolved path, under ../shared/data.
			if !strings.Contains(f.msg, filepath.Join("shared", "data", filepath.FromSlash(missing))) {
				t.Errorf("message %q does not name the path under shared/data", f.msg)
			}
		})
	}
}

func TestNeedPresent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ci := range []string{"", "true"} {
		t.Setenv(EnvCI, ci)
		for _, p := range []string{file, dir} {
			if f := call(func(tb testing.TB) { Need(tb, p) }); f.skipped || f.failed {
				t.Errorf("CI=%q: Need(%s) skipped %v, failed %v: %s", ci, p, f.skipped, f.failed, f.msg)
			}
		}
	}
	// Other errors than absence fail, CI or not.
	t.Setenv(EnvCI, "")
	bad := filepath.Join(file, "below-a-file")
	if f := call(func(tb testing.TB) { Need(tb, bad) }); !f.failed && !f.skipped {
		t.Errorf("Need(%s) neither skipped nor failed", bad)
	}
}

// TestSubprocess runs a test that needs absent data in a child go test
// process, with and without CI=true: the real testing package skips it, or
// fails it with the message.
func TestSubprocess(t *testing.T) {
	if os.Getenv("FD_TESTDATA_CHILD") == "1" {
		Path(t, missing)
		t.Log("not reached")
		return
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSubprocess$", "-test.v")
		cmd.Env = append(os.Environ(), "FD_TESTDATA_CHILD=1", EnvCI+"="+ci)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case ci == "" && (err != nil || !bytes.Contains(out, []byte("--- SKIP: TestSubprocess")) || !bytes.Contains(out, []byte("skipped"))):
			t.Errorf("CI unset: err %v, want a skip:\n%s", err, out)
		case ci == "true" && (!errors.As(err, &exit) || !bytes.Contains(out, []byte("--- FAIL: TestSubprocess")) || !bytes.Contains(out, []byte("CI=true requires it"))):
			t.Errorf("CI=true: err %v, want a failure naming CI=true:\n%s", err, out)
		}
		if bytes.Contains(out, []byte("not reached")) {
			t.Errorf("CI=%q: the test went on after Path:\n%s", ci, out)
		}
	}
}
