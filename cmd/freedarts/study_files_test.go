package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCorrelateStudyFiles: `correlate -out` refuses, with an error naming
// -out, a file it cannot resume, and leaves it byte for byte as it was.
func TestCorrelateStudyFiles(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	idx := writeIndices(t, dir, "6111\n0\n")
	correlate := func(out string) (int, error) {
		_, code, err := runStatus(t, "correlate", "-bench", testBench, "-backend", "go", "-progress=false", "-proxy", "params",
			"-indices", idx, "-out", out)
		return code, err
	}
	// A good study to copy from: its rows and its settings.
	good := filepath.Join(dir, "good.csv")
	if code, err := correlate(good); err != nil {
		t.Fatalf("exit %d: %v", code, err)
	}
	goodData, _ := os.ReadFile(good)
	goodSide, _ := os.ReadFile(good + ".settings")
	lines := strings.SplitAfter(string(goodData), "\n") // header, two rows, ""

	for _, c := range []struct {
		name, data string
		side       bool
		want       []string
	}{
		{"no_settings.csv", string(goodData) + "1,|cut", false,
			[]string{"correlate: -out ", "no_settings.csv has no settings file (no_settings.csv.settings)", "remove it to start over, or choose another file"}},
		{"dup.csv", lines[0] + lines[1] + lines[2] + lines[1], true,
			[]string{"correlate: -out ", "dup.csv line 4: index ", " again, already on line 2"}},
		{"notes.txt", "some notes\nwithout a newline at the end", true,
			[]string{"correlate: -out ", `notes.txt line 1: header "some notes": want a header index,arch,<proxy>`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.side {
				if err := os.WriteFile(path+".settings", goodSide, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, err := correlate(path)
			if err == nil || (code != 1 && code != 2) {
				t.Fatalf("exit %d, %v: want a refusal", code, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %v\nwant it to contain %q", err, w)
				}
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, []byte(c.data)) {
				t.Errorf("refused file changed:\n%q\nwas\n%q", got, c.data)
			}
			if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
				t.Errorf("lock left behind: %v", err)
			}
			if _, err := os.Stat(path + ".settings"); !c.side && !os.IsNotExist(err) {
				t.Errorf("a settings file was written for a refused table: %v", err)
			}
		})
	}

	t.Run("dev_null", func(t *testing.T) {
		code, err := correlate(os.DevNull)
		if err == nil || code != 2 || !strings.Contains(err.Error(), "correlate: -out /dev/null is a device, not a regular file") {
			t.Errorf("-out /dev/null: exit %d, %v", code, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		code, err := correlate(dir)
		if err == nil || code != 2 || !strings.Contains(err.Error(), "is a directory, not a regular file") {
			t.Errorf("-out %s: exit %d, %v", dir, code, err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		lock := good + ".lock"
		// This process is alive: its lock is held.
		if err := os.WriteFile(lock, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, err := correlate(good)
		os.Remove(lock)
		if err == nil || code != 1 || !strings.Contains(err.Error(), "correlate: -out "+good+" is being written by process "+strconv.Itoa(os.Getpid())) {
			t.Errorf("-out of a locked file: exit %d, %v", code, err)
		}
		if got, _ := os.ReadFile(good); !bytes.Equal(got, goodData) {
			t.Errorf("locked file changed:\n%s", got)
		}
		// A lock whose process is gone is taken over, and the run says so.
		if err := os.WriteFile(lock, []byte("2147483646\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var code2 int
		stderr := stderrOf(t, func() { code2, err = correlate(good) })
		if err != nil || !strings.Contains(stderr, "took over the lock "+lock+" of process 2147483646, which is no longer running") {
			t.Errorf("stale lock: exit %d, %v, stderr %q", code2, err, stderr)
		}
		if _, err := os.Stat(lock); !os.IsNotExist(err) {
			t.Errorf("lock left behind: %v", err)
		}
	})
}

// TestCorrelateSpecialInputs: a named pipe as -out's settings file or lock,
// -indices, -bench or -data is refused at once (open(2) of a pipe would
// wait for a writer), naming it; the same study reached through a symbolic
// link has one lock; a study resumed with other images under the same file
// name is refused.
func TestCorrelateSpecialInputs(t *testing.T) {
	needFile(t, testBench)
	dir := t.TempDir()
	idx := writeIndices(t, dir, "6111\n0\n")
	fifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("no named pipe: %v", err)
		}
		return p
	}
	base := []string{"correlate", "-backend", "go", "-progress=false", "-proxy", "params"}
	good := filepath.Join(dir, "good.csv")
	if _, err := runCLI(t, append(base, "-bench", testBench, "-indices", idx, "-out", good)...); err != nil {
		t.Fatal(err)
	}
	goodData, _ := os.ReadFile(good)
	goodSide, _ := os.ReadFile(good + ".settings")
	copyStudy := func(name string, side bool) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, goodData, 0o644)
		if side {
			os.WriteFile(p+".settings", goodSide, 0o644)
		}
		return p
	}
	sideFIFO := copyStudy("side.csv", false)
	fifo("side.csv.settings")
	lockFIFO := copyStudy("lock.csv", true)
	fifo("lock.csv.lock")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"settings", []string{"-bench", testBench, "-indices", idx, "-out", sideFIFO}, 2, "side.csv.settings is a named pipe, not a regular file"},
		{"lock", []string{"-bench", testBench, "-indices", idx, "-out", lockFIFO}, 2, "lock.csv.lock is a named pipe, not a regular file"},
		{"indices", []string{"-bench", testBench, "-indices", fifo("indices")}, 2, "-indices: " + dir + "/indices is a named pipe"},
		{"bench", []string{"-bench", fifo("bench.csv"), "-indices", idx}, 1, "-bench: nb201: load bench: " + dir + "/bench.csv is a named pipe"},
		{"data", []string{"-bench", testBench, "-indices", idx, "-proxy", "grad_norm", "-data", fifo("data.bin")}, 1, dir + "/data.bin is a named pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var code int
			var err error
			go func() { _, code, err = runStatus(t, append(slices.Clone(base), tc.args...)...); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("blocks")
			}
			if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, %v; want exit %d with %q", code, err, tc.code, tc.want)
			}
		})
	}
	if got, _ := os.ReadFile(sideFIFO); !bytes.Equal(got, goodData) {
		t.Errorf("refused study changed")
	}

	t.Run("symlink", func(t *testing.T) {
		link := filepath.Join(dir, "link.csv")
		if err := os.Symlink(good, link); err != nil {
			t.Skip(err)
		}
		// This process holds the file: the link is held too.
		os.WriteFile(good+".lock", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		_, code, err := runStatus(t, append(base, "-bench", testBench, "-indices", idx, "-out", link)...)
		os.Remove(good + ".lock")
		if code != 1 || err == nil || !strings.Contains(err.Error(), "is being written by process "+strconv.Itoa(os.Getpid())) {
			t.Errorf("-out through a link to a held study: exit %d, %v", code, err)
		}
		if _, err := runCLI(t, append(base, "-bench", testBench, "-indices", idx, "-out", link)...); err != nil {
			t.Errorf("resume through a link: %v", err)
		}
	})

	t.Run("other data", func(t *testing.T) {
		needFile(t, testData+"/train_first4000.bin")
		orig, err := os.ReadFile(testData + "/train_first4000.bin")
		if err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(t.TempDir(), "train_first4000.bin")
		os.WriteFile(data, orig[:100*3073], 0o644)
		out := filepath.Join(dir, "data.csv")
		args := append(base, "-bench", testBench, "-indices", writeIndices(t, t.TempDir(), "6111\n1000\n"), "-proxy", "grad_norm",
			"-batch", "2", "-data", data, "-out", out)
		if _, err := runCLI(t, args...); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(out)
		other := slices.Clone(orig[:100*3073])
		other[1] ^= 1 // one pixel of the first image
		os.WriteFile(data, other, 0o644)
		_, code, err := runStatus(t, args...)
		if code != 1 || err == nil || !strings.Contains(err.Error(), "was scored from other inputs than this run's: data ") {
			t.Errorf("resume with other images: exit %d, %v", code, err)
		}
		if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
			t.Errorf("refused study changed")
		}
	})
}
