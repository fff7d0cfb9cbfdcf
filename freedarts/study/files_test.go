package study

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// writeFile writes data at path, and the settings file when side is set.
func writeFile(t testing.TB, path, data string, side bool) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if side {
		if err := os.WriteFile(SettingsPath(path), []byte(testSettings.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// refused checks that Open of path fails with an error containing want
// and leaves the file (and its settings file) byte for byte as they were.
func refused(t *testing.T, path string, proxies []string, want string) error {
	t.Helper()
	before, _ := os.ReadFile(path)
	side, sideErr := os.ReadFile(SettingsPath(path))
	w, _, err := Open(path, proxies, testSettings)
	if err == nil {
		w.Close()
		t.Fatalf("Open(%s): no error, want one containing %q", path, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Open(%s) = %v, want an error containing %q", path, err, want)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("Open(%s) refused the file but changed it: %q, was %q", path, after, before)
	}
	if after, err := os.ReadFile(SettingsPath(path)); !bytes.Equal(after, side) || (err == nil) != (sideErr == nil) {
		t.Errorf("Open(%s) refused the file but changed its settings: %q (%v), was %q (%v)", path, after, err, side, sideErr)
	}
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(%s) refused the file but left a lock: %v", path, err)
	}
	return err
}

// TestOpenNoSettings: an existing table without its settings file is not
// resumed; a new one gets its settings file before its header.
func TestOpenNoSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scores.csv")
	writeFile(t, path, "index,arch,params\n5,|a|,3\n6,|b", false)
	err := refused(t, path, []string{"params"}, "has no settings file (scores.csv.settings), so its rows cannot be known to share one protocol: remove it to start over")
	if !errors.Is(err, ErrNoSettings) {
		t.Errorf("error %v is not ErrNoSettings", err)
	}
	// Other settings: refused too.
	writeFile(t, path, "index,arch,params\n5,|a|,3\n6,|b", false)
	os.WriteFile(SettingsPath(path), []byte("seed=1 draw=shared compute=go:test\n"), 0o644)
	if err := refused(t, path, []string{"params"}, `was scored with "seed=1 draw=shared"`); !errors.Is(err, ErrSettings) {
		t.Errorf("error %v is not ErrSettings", err)
	}
	// An empty file is a new one; a sidecar left without its table is
	// rewritten (removing the table starts over).
	for _, data := range []string{"", "-"} {
		p := filepath.Join(dir, "new"+data+".csv")
		if data != "" {
			os.WriteFile(SettingsPath(p), []byte("seed=9 draw=per-cell compute=other\n"), 0o644)
		} else {
			writeFile(t, p, "", false)
		}
		w, done, err := Open(p, []string{"params"}, testSettings)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		w.Close()
		if got, _ := os.ReadFile(p); string(got) != "index,arch,params\n" || len(done.Rows) != 0 {
			t.Errorf("new table %q, rows %+v", got, done.Rows)
		}
		if side, _ := os.ReadFile(SettingsPath(p)); string(side) != testSettings.String()+"\n" {
			t.Errorf("new table's settings %q", side)
		}
	}
	// Another compute: read, but no row added.
	p := filepath.Join(dir, "other.csv")
	writeFile(t, p, "index,arch,params\n5,|a|,3\n", false)
	os.WriteFile(SettingsPath(p), []byte(testSettings.Protocol+" compute=xla:cuda\n"), 0o644)
	w, done, err := Open(p, []string{"params"}, testSettings)
	if err != nil || len(done.Rows) != 1 {
		t.Fatalf("Open of a table of another compute: %+v, %v", done, err)
	}
	defer w.Close()
	if err := w.CheckAdd(); !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), `scored on "xla:cuda"`) {
		t.Errorf("CheckAdd: %v", err)
	}
	if err := w.Append(Row{6, "|b|", []float64{1}}); !errors.Is(err, ErrSettings) {
		t.Errorf("Append to a table of another compute: %v", err)
	}
}

// TestOpenRefusesIntact: whatever Open refuses it leaves as it was, a cut
// last line included.
func TestOpenRefusesIntact(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, data, want string
		side             bool
	}{
		{"notes.txt", "my notes\nabout the study\nno newline at the end", `notes.txt line 1: header "my notes": want a header index,arch`, true},
		{"one.txt", "a single cut line", `not a study table: "a single cut line" is not a whole header`, true},
		{"dup.csv", "index,arch,params\n5,|a|,3\n6,|b|,4\n5,|c|,5\n7,|d", "dup.csv line 4: index 5 again, already on line 2", true},
		{"nan.csv", "index,arch,params\n5,|a|,NaN\n7,|d", `params "NaN" is not a finite number`, true},
		{"fields.csv", "index,arch,params\n5,|a|\n7,|d", "2 fields, want 3", true},
		{"huge.txt", strings.Repeat("z", 1<<16) + "\nmore", `header "` + strings.Repeat("z", maxQuote) + `"…: want`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			writeFile(t, path, c.data, c.side)
			err := refused(t, path, []string{"params"}, c.want)
			var te *TableError
			if !errors.As(err, &te) {
				t.Errorf("error %v is not a *TableError", err)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestOpenSpecial: a path that is not a regular file is refused.
func TestOpenSpecial(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	paths := map[string]string{"/dev/null": "is a device", dir: "is a directory"}
	if err := mkfifo(fifo); err == nil {
		paths[fifo] = "is a named pipe"
	} else {
		t.Logf("no FIFO: %v", err)
	}
	for path, want := range paths {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		_, _, err := Open(path, []string{"params"}, testSettings)
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want ErrNotRegular: %s", path, err, want)
		}
		if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open(%s) left a lock: %v", path, err)
		}
	}
}

// TestOpenLock: a second writer is refused until the first closes; the
// lock of a process that is gone is taken over.
func TestOpenLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.csv")
	w, _, err := Open(path, []string{"params"}, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := os.ReadFile(LockPath(path)); string(held) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("lock holds %q, want this process's id", held)
	}
	w.Append(Row{1, "|a|", []float64{1}})
	_, _, err = Open(path, []string{"params"}, testSettings)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "is being written by process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second Open: %v, want ErrLocked", err)
	}
	if err := w.Append(Row{2, "|b|", []float64{2}}); err != nil {
		t.Errorf("the first writer after a refused second: %v", err)
	}
	w.Close()
	w, done, err := Open(path, []string{"params"}, testSettings)
	if err != nil || len(done.Rows) != 2 || w.Note() != "" {
		t.Fatalf("Open after Close: %+v, %v", done, err)
	}
	w.Close()

	// A process id that names no running process: a stale lock.
	os.WriteFile(LockPath(path), []byte("2147483646\n"), 0o644)
	w, _, err = Open(path, []string{"params"}, testSettings)
	if err != nil {
		t.Fatalf("Open with a stale lock: %v", err)
	}
	if n := w.Note(); !strings.Contains(n, "took over the lock") || !strings.Contains(n, "process 2147483646, which is no longer running") {
		t.Errorf("note %q", n)
	}
	w.Close()
	// A lock that names no process is not taken over.
	os.WriteFile(LockPath(path), []byte("garbage"), 0o644)
	if _, _, err := Open(path, []string{"params"}, testSettings); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "which names no process") {
		t.Errorf("Open with a garbled lock: %v", err)
	}
	if _, err := os.Stat(LockPath(path)); err != nil {
		t.Errorf("a refused Open removed another's lock: %v", err)
	}
}

// TestAppendWholeLines: every Append adds exactly its whole line, as one
// write on the file opened for appending; and Table.Write writes what
// ReadTable reads.
func TestAppendWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.csv")
	w, _, err := Open(path, []string{"a", "b"}, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tab := &Table{Proxies: []string{"a", "b"}}
	size := func() int64 { fi, _ := os.Stat(path); return fi.Size() }
	for i, r := range []Row{{3, "|x|", []float64{1, 2}}, {4, `|y,"z"|`, []float64{-0.5, 1e300}}, {5, " space", []float64{5e-324, 0}}} {
		before := size()
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
		if got, want := size()-before, int64(len(csvLine(record(r)))); got != want {
			t.Errorf("row %d: %d bytes appended, want its line of %d", i, got, want)
		}
		tab.Rows = append(tab.Rows, r)
	}
	data, _ := os.ReadFile(path)
	var buf bytes.Buffer
	if err := tab.Write(&buf); err != nil || buf.String() != string(data) {
		t.Errorf("Table.Write = %q, %v; the file is %q", buf.String(), err, data)
	}
	if got, err := ReadTable(bytes.NewReader(data), path); err != nil || !reflect.DeepEqual(got, tab) {
		t.Errorf("read back %+v, %v; want %+v", got, err, tab)
	}
}

// TestRunOutChecks: Run resumes Out only against the whole benchmark,
// with the benchmark's arch for every index.
func TestRunOutChecks(t *testing.T) {
	bench := testBench(t)
	dir := t.TempDir()
	cfg := smallConfig(t, 0)
	cfg.Proxies = criteria(t, "params")
	plan, err := newPlan(cfg, bench)
	if err != nil {
		t.Fatal(err)
	}
	rec0, _ := bench.Record(0)
	rec1, _ := bench.Record(1)
	for _, c := range []struct{ name, rows, want string }{
		{"other arch", "0," + rec1.Arch.String() + ",5\n", "cell 0 is \"" + rec1.Arch.String() + "\", the benchmark's is " + rec0.Arch.String()},
		{"out of range", "15625," + rec0.Arch.String() + ",5\n", "cell 15625 is not in the benchmark's 15625"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
			data := "index,arch,params\n" + c.rows
			writeFile(t, out, data, false)
			os.WriteFile(SettingsPath(out), []byte(plan.settings.String()+"\n"), 0o644)
			cfg.Out = out
			_, err := Run(context.Background(), cfg, bench)
			var oe *OutError
			if !errors.As(err, &oe) || !errors.Is(err, ErrOtherBench) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run = %v, want an *OutError of ErrOtherBench containing %q", err, c.want)
			}
			if got, _ := os.ReadFile(out); string(got) != data {
				t.Errorf("file changed: %q", got)
			}
		})
	}

	// A partial benchmark: the first cells of the table.
	src, err := os.ReadFile(shareddata.Path(t, "nb201/nb201_accuracy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(src), "\n", 5)
	tiny := filepath.Join(dir, "tiny_bench.csv")
	os.WriteFile(tiny, []byte(strings.Join(lines[:4], "")), 0o644)
	small, err := nb201.LoadBench(tiny)
	if err != nil || small.Len() != 3 {
		t.Fatalf("tiny bench: %v", err)
	}
	cfg.Out = filepath.Join(dir, "partial.csv")
	if _, err := Run(context.Background(), cfg, small); !errors.Is(err, ErrPartialBench) || !strings.Contains(err.Error(), "has 3 cells, not the 15625 of NAS-Bench-201") {
		t.Errorf("Run on a table of 3 cells: %v", err)
	}
	if _, err := os.Stat(cfg.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused Out was created: %v", err)
	}
	cfg.PartialBench = true
	if res, err := Run(context.Background(), cfg, small); err != nil || res.Scored != 1 {
		t.Errorf("Run with PartialBench: %+v, %v", res, err)
	}
	cfg.Out = ""
	cfg.PartialBench = false
	if _, err := Run(context.Background(), cfg, small); err != nil {
		t.Errorf("Run on a partial table without Out: %v", err)
	}
}

// FuzzReadTable feeds arbitrary bytes as a table: ReadTable either fails
// or returns a table of whole rows, finite scores and unique indices,
// which writes back and reads as the same table; Open of the bytes as a
// file, with its settings, either refuses it untouched, or resumes the
// same table (less a cut last line, which it removes).
func FuzzReadTable(f *testing.F) {
	f.Add([]byte("index,arch,synflow\n1,|a|,2.5\n"))
	f.Add([]byte("index,arch,a,b\n0,x,1,2\n3,\"y,z\",7,-1e-300\n"))
	f.Add([]byte("index,arch,a,b\n0,x,1,2\n3,\"y,z\",NaN,-Inf\n"))
	f.Add([]byte("index,arch,synflow\n1,|a|,2.5\n1,|b|,3\n"))
	f.Add([]byte("index,arch,synflow\n1,|a|,2.5\n2,|b"))
	f.Add([]byte("index,arch\n"))
	f.Add([]byte("notes\nabout\nthings"))
	f.Add([]byte("index,arch,p\r\n+7,\" |q|\",0x1p-2\r\n"))
	f.Add([]byte(""))
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, err := ReadTable(bytes.NewReader(in), "fuzz")
		if err == nil {
			seen := map[int]bool{}
			for _, r := range tab.Rows {
				if len(r.Scores) != len(tab.Proxies) || r.Index < 0 || seen[r.Index] {
					t.Fatalf("row %+v of a table of %d proxies", r, len(tab.Proxies))
				}
				seen[r.Index] = true
				for _, v := range r.Scores {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("row %+v: non-finite score accepted", r)
					}
				}
			}
			var buf bytes.Buffer
			if err := tab.Write(&buf); err != nil {
				t.Fatal(err)
			}
			again, err := ReadTable(&buf, "again")
			if err != nil || !reflect.DeepEqual(again, tab) {
				t.Fatalf("written back and read: %+v, %v; want %+v\n%q", again, err, tab, buf.String())
			}
		}
		if len(in) == 0 {
			return // a new file
		}
		n++
		path := filepath.Join(dir, strconv.Itoa(n)+".csv")
		writeFile(t, path, string(in), true)
		defer os.Remove(path)
		defer os.Remove(SettingsPath(path))
		proxies := []string{"p"}
		if tab != nil {
			proxies = tab.Proxies
		}
		w, done, err := Open(path, proxies, testSettings)
		got, _ := os.ReadFile(path)
		if err != nil {
			if !bytes.Equal(got, in) {
				t.Fatalf("Open refused the file (%v) but changed it to %q", err, got)
			}
			if tab != nil && bytes.HasSuffix(in, []byte("\n")) {
				t.Fatalf("Open refused a table that reads: %v", err)
			}
			return
		}
		w.Close()
		keep := in[:bytes.LastIndexByte(in, '\n')+1]
		if !bytes.Equal(got, keep) {
			t.Fatalf("Open left %q, want %q", got, keep)
		}
		want, err := ReadTable(bytes.NewReader(keep), "fuzz")
		if err != nil || !reflect.DeepEqual(done, want) {
			t.Fatalf("Open resumed %+v, the file reads %+v, %v", done, want, err)
		}
		if tab != nil && len(keep) == len(in) && !reflect.DeepEqual(done, tab) {
			t.Fatalf("Open resumed %+v, ReadTable read %+v", done, tab)
		}
	})
}
