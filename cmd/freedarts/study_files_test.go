package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
		if err == nil || code != 2 || !strings.Contains(err.Error(), "correlate: -out /dev/null is a device, not a file") {
			t.Errorf("-out /dev/null: exit %d, %v", code, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		code, err := correlate(dir)
		if err == nil || code != 2 || !strings.Contains(err.Error(), "is a directory, not a file") {
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
