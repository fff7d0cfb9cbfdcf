package kernel

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// inGoNB points Keep and Recall at a fresh $GONB_TMP_DIR, private as GoNB
// makes it (t.TempDir is open to group and others, which Keep refuses),
// and returns it.
func inGoNB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GONB_TMP_DIR", dir)
	return dir
}

// outsideGoNB points Keep and Recall at their default directory,
// freedarts-kernel-UID under a temporary directory of the test, and
// returns that directory (not made yet).
func outsideGoNB(t *testing.T) string {
	t.Helper()
	t.Setenv("GONB_TMP_DIR", "")
	t.Setenv("TMPDIR", t.TempDir())
	dir := handoverDir()
	if !strings.HasPrefix(dir, os.Getenv("TMPDIR")) || !strings.HasSuffix(dir, "freedarts-kernel-"+strconv.Itoa(os.Getuid())) {
		t.Fatalf("handover directory %q, want freedarts-kernel-UID under $TMPDIR", dir)
	}
	return dir
}

func TestKeepMakesPrivateDirectory(t *testing.T) {
	dir := outsideGoNB(t)
	if err := Keep("x", 1); err != nil {
		t.Fatal(err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("made %s with mode %v, want a directory closed to group and others", dir, info.Mode())
	}
	var back int
	if err := Recall("x", &back); err != nil || back != 1 {
		t.Errorf("Recall: %d, %v", back, err)
	}
}

// TestKeepRefusesUnsafeDirectory: a handover directory that someone else
// could have made or can enter is refused by Keep and Recall, and nothing
// is written through it.
func TestKeepRefusesUnsafeDirectory(t *testing.T) {
	for _, tc := range []struct {
		name string
		// plant makes dir; it returns a directory whose contents must stay
		// as they are ("" for none).
		plant func(t *testing.T, dir string) string
		want  string
	}{
		{"symlink to another directory", func(t *testing.T, dir string) string {
			victim := t.TempDir()
			if err := os.Symlink(victim, dir); err != nil {
				t.Fatal(err)
			}
			return victim
		}, "is a symlink"},
		{"a file", func(t *testing.T, dir string) string {
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return ""
		}, "is not a directory"},
		{"mode 0777", func(t *testing.T, dir string) string {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "has mode 0777"},
		{"mode 0750", func(t *testing.T, dir string) string {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "has mode 0750"},
		{"another user's", func(t *testing.T, dir string) string {
			if os.Getuid() != 0 {
				t.Skip("only root can give a directory to another user")
			}
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "is owned by uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := outsideGoNB(t)
			watched := tc.plant(t, dir)
			if err := Keep("x", 1); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Keep: %v, want an error with %q", err, tc.want)
			}
			var v int
			if err := Recall("x", &v); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Recall: %v, want an error with %q", err, tc.want)
			}
			if watched != "" {
				if entries, _ := os.ReadDir(watched); len(entries) != 0 {
					t.Errorf("written into %s: %v", watched, entries)
				}
			}
		})
	}
	// $GONB_TMP_DIR is held to the same rule (GoNB makes it 0700).
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GONB_TMP_DIR", open)
	if err := Keep("x", 1); err == nil || !strings.Contains(err.Error(), "has mode 0755") {
		t.Errorf("Keep in a 0755 $GONB_TMP_DIR: %v", err)
	}
}

// TestKeepReplacesPlantedSymlink: a symlink at the file's name is replaced
// by the file, never written through, and Recall does not read through one.
func TestKeepReplacesPlantedSymlink(t *testing.T) {
	dir := inGoNB(t)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "x.json")
	if err := os.Symlink(victim, file); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := Recall("x", &v); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Recall through a symlink: %v", err)
	}
	if err := Keep("x", 7); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious" {
		t.Errorf("the symlink's target was written: %q", data)
	}
	if info, err := os.Lstat(file); err != nil || !info.Mode().IsRegular() {
		t.Errorf("%s: %v, %v, want the kept file", file, info, err)
	}
	if err := Recall("x", &v); err != nil || v != 7 {
		t.Errorf("Recall: %d, %v", v, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}
