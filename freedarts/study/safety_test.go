package study

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// TestNilArguments: every exported function and method refuses a nil or
// zero argument with an error, not a panic, and writes nothing.
func TestNilArguments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scores.csv")
	var nilTable *Table
	var nilWriter *Writer
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"ReadTable nil reader", func() error { _, err := ReadTable(nil, "x.csv"); return err }, "nil reader"},
		{"LoadTable empty path", func() error { _, err := LoadTable(""); return err }, "empty path"},
		{"Column of nil table", func() error { _, err := nilTable.Column("params"); return err }, "nil *Table"},
		{"Write of nil table", func() error { return nilTable.Write(&bytes.Buffer{}) }, "nil *Table"},
		{"Write to nil writer", func() error { return (&Table{Proxies: []string{"p"}}).Write(nil) }, "nil io.Writer"},
		{"Write of zero table", func() error { return (&Table{}).Write(&bytes.Buffer{}) }, "no proxies"},
		{"Records of nil table", func() error { _, err := nilTable.Records(nil); return err }, "nil *Table"},
		{"Records of nil bench", func() error { _, err := (&Table{}).Records(nil); return err }, "no benchmark table"},
		{"Open empty path", func() error { _, _, err := Open("", []string{"p"}, testSettings); return err }, "empty path"},
		{"Open nil proxies", func() error { _, _, err := Open(path, nil, testSettings); return err }, "no proxies"},
		{"Open empty proxies", func() error { _, _, err := Open(path, []string{}, testSettings); return err }, "no proxies"},
		{"Append to nil writer", func() error { return nilWriter.Append(Row{}) }, "nil *Writer"},
		{"CheckAdd of nil writer", func() error { return nilWriter.CheckAdd() }, "nil *Writer"},
		{"Close of nil writer", func() error { return nilWriter.Close() }, "nil *Writer"},
		{"CheckSettings empty path", func() error { return CheckSettings("", testSettings, true) }, "empty path"},
		{"Merge empty out", func() error { _, err := Merge("", []string{path}, MergeOptions{}); return err }, "empty output path"},
		{"Merge no inputs", func() error { _, err := Merge(path, nil, MergeOptions{}); return err }, "no shard files"},
		{"ReadIndices empty path", func() error { _, err := ReadIndices("", 10); return err }, "empty path"},
		{"ReadIndices zero total", func() error { _, err := ReadIndices(path, 0); return err }, "total 0"},
		{"ParseShard nil getenv", func() error { _, err := ParseShard("env", nil); return err }, "nil getenv"},
		{"Run nil context", func() error { _, err := Run(nil, Config{}, nil); return err }, "nil context"}, //nolint:staticcheck // the nil context is the case
		{"Run zero config", func() error { _, err := Run(context.Background(), Config{}, nil); return err }, "no benchmark table"},
		{"Correlate nil table", func() error { _, err := Correlate(nil, nil, nil); return err }, "correlate 0 cells"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("panic: %v", v)
					}
				}()
				err = tc.call()
			}()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if n := nilWriter.Note(); n != "" {
		t.Errorf("Note of a nil writer %q", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused calls wrote %d files (%s...)", len(entries), entries[0].Name())
	}
}

// TestWriteRoundTrip: what Table.Write writes, ReadTable reads back; a
// table it could not read back (a NaN or an infinite score, a repeated
// index) is refused before anything is written.
func TestWriteRoundTrip(t *testing.T) {
	arch := "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
	for _, tc := range []struct {
		name string
		rows []Row
		want string // "" reads back
	}{
		{"finite", []Row{{1, arch, []float64{6.779195616491626e+28, -0.5}}, {0, arch, []float64{math.MaxFloat64, math.SmallestNonzeroFloat64}}}, ""},
		{"NaN", []Row{{1, arch, []float64{math.NaN(), 1}}}, "synflow score NaN is not finite"},
		{"+Inf", []Row{{1, arch, []float64{1, math.Inf(1)}}}, "params score +Inf is not finite"},
		{"-Inf", []Row{{1, arch, []float64{math.Inf(-1), 1}}}, "synflow score -Inf is not finite"},
		{"repeated index", []Row{{1, arch, []float64{1, 1}}, {1, arch, []float64{1, 1}}}, "cell 1 is already in the file"},
		{"short row", []Row{{1, arch, []float64{1}}}, "has 1 scores, want 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := &Table{Proxies: []string{"synflow", "params"}, Rows: tc.rows}
			var buf bytes.Buffer
			err := tab.Write(&buf)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) || buf.Len() != 0 {
					t.Errorf("Write = %v, %d bytes written; want an error with %q and nothing written", err, buf.Len(), tc.want)
				}
				return
			}
			back, err := ReadTable(&buf, "t.csv")
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range back.Rows {
				if r.Index != tc.rows[i].Index || r.Arch != tc.rows[i].Arch || !slicesEqual(r.Scores, tc.rows[i].Scores) {
					t.Errorf("row %d read back as %+v, wrote %+v", i, r, tc.rows[i])
				}
			}
		})
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// noBlock runs f, failing the test when it has not returned in 10 s (an
// open(2) of a named pipe waiting for a writer).
func noBlock(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocks", what)
		return nil
	}
}

// TestOpenSpecialSidecars: a settings file or a lock that is a named pipe
// is refused at once, naming it, and the table is left as it was; so is a
// file of indices.
func TestOpenSpecialSidecars(t *testing.T) {
	dir := t.TempDir()
	table := "index,arch,params\n"
	for _, sidecar := range []func(string) string{SettingsPath, LockPath} {
		path := filepath.Join(dir, "s"+strconv.Itoa(len(sidecar("")))+".csv")
		writeFile(t, path, table, false)
		if err := mkfifo(sidecar(path)); err != nil {
			t.Skipf("no named pipe: %v", err)
		}
		err := noBlock(t, "Open with a FIFO "+sidecar(path), func() error {
			w, _, err := Open(path, []string{"params"}, testSettings)
			if err == nil {
				w.Close()
			}
			return err
		})
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), sidecar(path)+" is a named pipe") {
			t.Errorf("Open with a FIFO %s: %v", sidecar(path), err)
		}
		if got, _ := os.ReadFile(path); string(got) != table {
			t.Errorf("table changed: %q", got)
		}
	}
	fifo := filepath.Join(dir, "indices")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	err := noBlock(t, "ReadIndices(FIFO)", func() error { _, err := ReadIndices(fifo, 10); return err })
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), fifo+" is a named pipe") {
		t.Errorf("ReadIndices(FIFO) = %v", err)
	}
}

// TestReadIndicesLongLine: a line over 4096 bytes is refused, naming the
// file and the line, quoting its start only.
func TestReadIndicesLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "indices.txt")
	writeFile(t, path, "1\n# a comment\n"+strings.Repeat("7", 100_000)+"\n", false)
	_, err := ReadIndices(path, 10)
	if err == nil || !strings.Contains(err.Error(), path+" line 3: longer than 4096 bytes (it starts \"777") || len(err.Error()) > 400 {
		t.Errorf("ReadIndices of a 100 KB line: %v", err)
	}
	writeFile(t, path, "1\n# "+strings.Repeat("x", 4000)+"\n2", false) // no final newline
	if got, err := ReadIndices(path, 10); err != nil || len(got) != 2 || got[1] != 2 {
		t.Errorf("ReadIndices = %v, %v; want [1 2]", got, err)
	}
	writeFile(t, path, "1\n"+strings.Repeat("9", 300)+"\n", false)
	if _, err := ReadIndices(path, 10); err == nil || !strings.Contains(err.Error(), "line 2: \"999") || len(err.Error()) > 300 {
		t.Errorf("ReadIndices of a 300-digit index: %v", err)
	}
}

// TestOpenSymlink: one file reached through a symbolic link (of the file or
// of its directory) has one lock and one settings file: a second writer is
// refused whichever name it uses.
func TestOpenSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scores.csv")
	link := filepath.Join(dir, "link.csv")
	linkDir := filepath.Join(t.TempDir(), "linkdir")
	if err := os.Symlink(dir, linkDir); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	// New through the directory's link: the lock is the file's.
	w, _, err := Open(filepath.Join(linkDir, "scores.csv"), []string{"params"}, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{path, link} {
		if _, _, err := Open(other, []string{"params"}, testSettings); !errors.Is(err, ErrLocked) {
			t.Errorf("Open(%s) while held through %s: %v, want ErrLocked", other, linkDir, err)
		}
	}
	w.Close()
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left: %v", err)
	}
	// Resumed through the file's link: its settings are the file's.
	w, _, err = Open(link, []string{"params"}, testSettings)
	if err != nil {
		t.Fatalf("Open through a link: %v", err)
	}
	if _, _, err := Open(path, []string{"params"}, testSettings); !errors.Is(err, ErrLocked) {
		t.Errorf("Open(%s) while held through %s: %v, want ErrLocked", path, link, err)
	}
	w.Close()
	if _, err := os.Lstat(SettingsPath(link)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a second settings file beside the link: %v", err)
	}
	dangling := filepath.Join(dir, "dangling.csv")
	if err := os.Symlink(filepath.Join(dir, "missing.csv"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dangling, []string{"params"}, testSettings); err == nil || !strings.Contains(err.Error(), "symbolic link to a missing file") {
		t.Errorf("Open of a dangling link: %v", err)
	}
}

// TestSettingsContent: the content of the inputs is recorded beside the
// protocol and read back; a table whose settings record other content is
// refused, one of before it was recorded is resumed with a note.
func TestSettingsContent(t *testing.T) {
	s := Settings{Protocol: "seed=0 draw=per-cell batch=8 data=train.bin", Content: "bench:10:sha256:aa,data:30730:sha256:bb", Compute: "go:ops_sequential GOEXPERIMENT=simd"}
	if got := parseSettings(s.String()); got != s {
		t.Errorf("parseSettings(%q) = %+v", s.String(), got)
	}
	old := Settings{Protocol: s.Protocol, Compute: s.Compute}
	if got := parseSettings(old.String()); got != old {
		t.Errorf("parseSettings(%q) = %+v", old.String(), got)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, recorded, note, want string
	}{
		{"same", s.String(), "", ""},
		{"old settings", old.String(), "record no size and hash of the data and benchmark", ""},
		{"other data", strings.Replace(s.String(), "sha256:bb", "sha256:cc", 1), "",
			`was scored from other inputs than this run's: data "30730:sha256:cc" there, "30730:sha256:bb" here`},
		{"other bench", strings.Replace(s.String(), "bench:10:", "bench:11:", 1), "", `bench "11:sha256:aa" there, "10:sha256:aa" here`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".csv")
			writeFile(t, path, "index,arch,params\n", false)
			if err := os.WriteFile(SettingsPath(path), []byte(tc.recorded+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				_, _, err := Open(path, []string{"params"}, s)
				if !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Open = %v, want ErrSettings with %q", err, tc.want)
				}
				if got, _ := os.ReadFile(SettingsPath(path)); string(got) != tc.recorded+"\n" {
					t.Errorf("refused settings changed: %q", got)
				}
				if err := CheckSettings(path, s, false); !errors.Is(err, ErrSettings) {
					t.Errorf("CheckSettings: %v", err)
				}
				return
			}
			w, _, err := Open(path, []string{"params"}, s)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if !strings.Contains(w.Note(), tc.note) || (tc.note == "") != (w.Note() == "") {
				t.Errorf("note %q, want %q", w.Note(), tc.note)
			}
		})
	}
}

// TestRunDataContent: a study resumed with other images under the same file
// name is refused, and its file left as it was.
func TestRunDataContent(t *testing.T) {
	bench := testBench(t)
	path := shareddata.Path(t, "cifar10/train_first4000.bin")
	data, err := cifar10.Load(path, 20)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Network: nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 32}, Proxies: criteria(t, "grad_norm"), Indices: []int{6111},
		Data: data, DataName: path, Batch: 4, Backend: "go", Out: filepath.Join(t.TempDir(), "scores.csv")}
	res, err := Run(context.Background(), cfg, bench)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Settings.Content; !strings.HasPrefix(c, "bench:"+bench.Content()+",data:61460:sha256:") {
		t.Errorf("content %q, want the bench's and the data's", c)
	}
	before, _ := os.ReadFile(cfg.Out)
	other := &cifar10.Dataset{Labels: bytes.Clone(data.Labels), Pixels: bytes.Clone(data.Pixels)}
	other.Pixels[0]++
	cfg.Data = other
	_, err = Run(context.Background(), cfg, bench)
	var oe *OutError
	if !errors.As(err, &oe) || !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), "scored from other inputs than this run's: data ") {
		t.Errorf("resume with other images: %v", err)
	}
	if after, _ := os.ReadFile(cfg.Out); !bytes.Equal(after, before) {
		t.Errorf("refused file changed")
	}
	cfg.Data = &cifar10.Dataset{Labels: data.Labels, Pixels: data.Pixels[:10]}
	var ce *ConfigError
	if _, err := Run(context.Background(), cfg, bench); !errors.As(err, &ce) || ce.Field != "Data" {
		t.Errorf("data of 20 labels and 10 pixel bytes: %v", err)
	}
}

// TestMergeLosesNoRow: Merge refuses to replace a file of another study or
// a merge with more cells (unless Force), merges a shard's cut last row
// as absent and says so, refuses a shard whose writer runs (unless
// Force), and checks the cells against the study's list and the
// benchmark; a refusal changes no file.
func TestMergeLosesNoRow(t *testing.T) {
	bench := testBench(t)
	dir := t.TempDir()
	cells := []int{6111, 0, 1000, 42, 15624, 7, 9000}
	cfg := smallConfig(t, cells...)
	cfg.Proxies, cfg.PartialBench = criteria(t, "params"), true
	var shards []string
	for i := range 3 {
		c := cfg
		c.Shard, c.Out = Shard{i, 3}, filepath.Join(dir, "shard-"+strconv.Itoa(i)+".csv")
		if _, err := Run(context.Background(), c, bench); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, c.Out)
	}
	unrelated := cfg // the same protocol, other and more cells, one process
	unrelated.Indices, unrelated.Out = []int{1, 2, 3, 4, 5, 6, 8, 9}, filepath.Join(dir, "big.csv")
	if _, err := Run(context.Background(), unrelated, bench); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged.csv")
	if rep, err := Merge(merged, shards, MergeOptions{Complete: true}); err != nil || rep.Cells != 7 {
		t.Fatalf("Merge: %+v, %v", rep, err)
	}
	// edit replaces a shard's file by edit of it, until the test ends.
	edit := func(t *testing.T, path string, f func(string) string) {
		before, _ := os.ReadFile(path)
		writeFile(t, path, f(string(before)), false)
		t.Cleanup(func() { writeFile(t, path, string(before), false) })
	}
	archOf := func(i int) string { r, _ := bench.Record(i); return r.Arch.String() }
	lastRow := func(s string) (head, row string) {
		lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
		return strings.Join(lines[:len(lines)-1], ""), lines[len(lines)-1]
	}
	for _, tc := range []struct {
		name   string
		out    string
		inputs []string
		opts   MergeOptions
		setup  func(t *testing.T)
		err    error  // nil: merged
		want   string // in the error, or in the report's lines
	}{
		{name: "unrelated study", out: unrelated.Out, inputs: shards, err: ErrSettings, want: "8 cells, more than the study's 7"},
		{name: "unrelated study forced", out: unrelated.Out, inputs: shards, opts: MergeOptions{Force: true}, err: ErrSettings, want: "is not a merge of these shards"},
		{name: "fewer shards", out: merged, inputs: shards[:2], err: ErrWouldDrop, want: "holds 2 cells that these shards lack"},
		{name: "fewer shards forced", out: filepath.Join(dir, "forced.csv"), inputs: shards[:2], opts: MergeOptions{Force: true},
			setup: func(t *testing.T) {
				for _, ext := range []string{"", ".settings"} {
					b, _ := os.ReadFile(merged + ext)
					writeFile(t, filepath.Join(dir, "forced.csv"+ext), string(b), false)
				}
			}, want: "replaced a merge that held 2 cells more (-force)"},
		{name: "cut row", out: filepath.Join(dir, "cut.csv"), inputs: shards,
			setup: func(t *testing.T) { edit(t, shards[0], func(s string) string { return s[:len(s)-4] }) },
			want:  "its last row (cell \"15624\", ending \""},
		{name: "live writer", out: filepath.Join(dir, "live.csv"), inputs: shards, err: ErrLocked,
			setup: func(t *testing.T) { lockBy(t, shards[1], os.Getpid()) },
			want:  "is being written by process " + strconv.Itoa(os.Getpid())},
		{name: "live writer forced", out: filepath.Join(dir, "live.csv"), inputs: shards, opts: MergeOptions{Force: true},
			setup: func(t *testing.T) { lockBy(t, shards[1], os.Getpid()) },
			want:  "is still being written by process " + strconv.Itoa(os.Getpid()) + ": merged as it is now"},
		{name: "cell not in the study", out: filepath.Join(dir, "other.csv"), inputs: shards, err: ErrSettings,
			setup: func(t *testing.T) {
				edit(t, shards[2], func(s string) string {
					head, row := lastRow(s)
					_, scores, _ := strings.Cut(row[strings.Index(row, ",")+1:], ",")
					return head + "100," + archOf(100) + "," + scores + "\n"
				})
			}, want: "but not the study's"},
		{name: "arch not the benchmark's", out: filepath.Join(dir, "arch.csv"), inputs: shards, opts: MergeOptions{Bench: bench}, err: ErrOtherBench,
			setup: func(t *testing.T) {
				edit(t, shards[2], func(s string) string {
					head, row := lastRow(s)
					fields := strings.Split(row, ",")
					return head + fields[0] + "," + archOf(100) + "," + fields[2] + "\n"
				})
			}, want: "the benchmark's is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			before, _ := os.ReadFile(tc.out)
			side, _ := os.ReadFile(SettingsPath(tc.out))
			rep, err := Merge(tc.out, tc.inputs, tc.opts)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Merge = %v, want %v with %q", err, tc.err, tc.want)
				}
				after, _ := os.ReadFile(tc.out)
				afterSide, _ := os.ReadFile(SettingsPath(tc.out))
				if !bytes.Equal(after, before) || !bytes.Equal(side, afterSide) {
					t.Errorf("refused, but %s changed", tc.out)
				}
				if _, err := os.Stat(LockPath(tc.out)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("lock left: %v", err)
				}
				return
			}
			if err != nil || !rep.Written {
				t.Fatalf("Merge: %v", err)
			}
			if lines := strings.Join(rep.Lines(), "\n"); !strings.Contains(lines, tc.want) {
				t.Errorf("report %q lacks %q", lines, tc.want)
			}
			back, err := LoadTable(tc.out)
			if err != nil || len(back.Rows) != rep.Cells {
				t.Errorf("merged file: %v, %v", back, err)
			}
		})
	}
}

// lockBy writes the lock of path as process pid's, until the test ends.
func lockBy(t *testing.T, path string, pid int) {
	writeFile(t, LockPath(path), strconv.Itoa(pid)+"\n", false)
	t.Cleanup(func() { os.Remove(LockPath(path)) })
}
