package nb201

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freedarts/freedarts-gonb/internal/regular"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
)

func loadRealBench(t *testing.T) *Bench {
	t.Helper()
	shareddata.Need(t, benchCSV)
	b, err := LoadBench(benchCSV)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestLoadBenchReal(t *testing.T) {
	b := loadRealBench(t)
	const all = 15625
	if b.Len() != all {
		t.Fatalf("Len() = %d, want %d", b.Len(), all)
	}

	r, err := b.Record(6111)
	if err != nil {
		t.Fatal(err)
	}
	if r.Index != 6111 || r.Arch.String() != best6111 {
		t.Errorf("Record(6111) = index %d, arch %s; want 6111, %s", r.Index, r.Arch, best6111)
	}
	if !near(r.Cifar10Test, 94.3733, 1e-3) || !near(r.ParamsMB, 1.073466, 1e-6) || !near(r.Cifar10ValidValid, 91.6067, 1e-3) {
		t.Errorf("Record(6111): cifar10_test %v, params_mb %v, cifar10valid_valid %v; want 94.3733, 1.073466, 91.6067",
			r.Cifar10Test, r.ParamsMB, r.Cifar10ValidValid)
	}

	maxima := []struct {
		name   string
		metric func(Record) float64
		want   float64
	}{
		{"cifar10_test", func(r Record) float64 { return r.Cifar10Test }, 94.3733},
		{"cifar100_test", func(r Record) float64 { return r.Cifar100Test }, 73.5133},
		{"imagenet16_test", func(r Record) float64 { return r.ImageNet16Test }, 47.3111},
		{"cifar10valid_valid", func(r Record) float64 { return r.Cifar10ValidValid }, 91.6067},
	}
	for _, m := range maxima {
		best := b.Best(m.metric)
		if !near(m.metric(best), m.want, 1e-3) {
			t.Errorf("best %s = %v (index %d), want %v", m.name, m.metric(best), best.Index, m.want)
		}
	}
	if got := b.Best(func(r Record) float64 { return r.Cifar10Test }).Index; got != 6111 {
		t.Errorf("best cifar10_test at index %d, want 6111", got)
	}

	// Every one of the 5^6 cells is in the table, at a distinct index.
	seen := make(map[int]bool, all)
	var a Arch
	for code := 0; code < all; code++ {
		for e, c := 0, code; e < NumEdges; e, c = e+1, c/NumOps {
			a[e] = c % NumOps
		}
		r, err := b.Lookup(a)
		if err != nil {
			t.Fatal(err)
		}
		if r.Arch != a || seen[r.Index] {
			t.Fatalf("Lookup(%s) = index %d, arch %s; index already seen: %v", a, r.Index, r.Arch, seen[r.Index])
		}
		seen[r.Index] = true
	}

	for _, i := range []int{-1, all} {
		if _, err := b.Record(i); err == nil || !strings.Contains(err.Error(), "out of range [0, 15625)") {
			t.Errorf("Record(%d) error = %v, want out of range [0, 15625)", i, err)
		}
	}
}

const testHeader = "index,arch,cifar10_test,cifar100_test,imagenet16_test,cifar10valid_valid,cifar10valid_test," +
	"cifar100_valid,cifar100_test_v11,imagenet16_valid,imagenet16_test_v11,params_mb\n"

// testRows are two valid rows whose metrics count up, so that a value names its column.
const testRows = "0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1,2,3,4,5,6,7,8,9,10\n" +
	"1," + best6111 + ",94.37,73.5,47.3,91.6,91.5,73.4,73.5,47.0,47.3,1.07\n"

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bench.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadBenchSmall(t *testing.T) {
	b, err := LoadBench(writeTemp(t, testHeader+testRows))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Index: 0, Cifar10Test: 1, Cifar100Test: 2, ImageNet16Test: 3, Cifar10ValidValid: 4, Cifar10ValidTest: 5,
		Cifar100Valid: 6, Cifar100TestV11: 7, ImageNet16Valid: 8, ImageNet16TestV11: 9, ParamsMB: 10}
	if got, err := b.Record(0); err != nil || got != want {
		t.Errorf("Record(0) = %+v, %v; want %+v", got, err, want)
	}
	a, _ := ParseArch(best6111)
	if got, err := b.Lookup(a); err != nil || got.Index != 1 {
		t.Errorf("Lookup(%s) = index %d, %v; want 1", a, got.Index, err)
	}
	missing := Arch{1, 1, 1, 1, 1, 1}
	if _, err := b.Lookup(missing); err == nil || !strings.Contains(err.Error(), missing.String()+" not in the benchmark table of 2 cells") {
		t.Errorf("Lookup(%s) error = %v", missing, err)
	}
}

// TestLoadBenchColumnOrder checks that columns are found by name: reordered, with an extra one.
// TestBenchContent: Content is the file's size and SHA-256, as sha256sum
// prints it, so that a study records which table it was scored against.
func TestBenchContent(t *testing.T) {
	content := testHeader + testRows
	b, err := LoadBench(writeTemp(t, content))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d:sha256:%x", len(content), sha256.Sum256([]byte(content))); b.Content() != want {
		t.Errorf("Content() = %s, want %s", b.Content(), want)
	}
}

func TestLoadBenchColumnOrder(t *testing.T) {
	content := "params_mb,extra,arch,cifar10_test,cifar100_test,imagenet16_test,cifar10valid_valid,cifar10valid_test," +
		"cifar100_valid,cifar100_test_v11,imagenet16_valid,imagenet16_test_v11,index\n" +
		"10,x,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1,2,3,4,5,6,7,8,9,0\n"
	b, err := LoadBench(writeTemp(t, content))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := b.Record(0); r.ParamsMB != 10 || r.Cifar10Test != 1 || r.ImageNet16TestV11 != 9 {
		t.Errorf("Record(0) = %+v, want params_mb 10, cifar10_test 1, imagenet16_test_v11 9", r)
	}
}

func TestLoadBenchErrors(t *testing.T) {
	row1 := strings.SplitAfter(testRows, "\n")[1]
	cases := []struct{ name, content, wantErr string }{
		{"empty file", "", "empty file, want a header line"},
		{"header only", testHeader, "no rows after the header"},
		{"truncated row", testHeader + testRows + "2,|none~0|+|none~0|none~1|+|none~0|no", "line 4: 2 fields, want 12 as in the header"},
		{"bad float", testHeader + strings.Replace(testRows, ",2,", ",2.x,", 1), `line 2, column "cifar100_test": "2.x" is not a finite number`},
		{"NaN", testHeader + strings.Replace(testRows, ",10\n", ",NaN\n", 1), `line 2, column "params_mb": "NaN" is not a finite number`},
		{"missing column", strings.Replace(testHeader, ",params_mb", "", 1) + "0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1,2,3,4,5,6,7,8,9\n",
			`header has no column "params_mb"`},
		{"duplicate column", strings.Replace(testHeader, "params_mb", "index", 1), `header names column "index" twice`},
		{"bad index", testHeader + strings.Replace(testRows, "0,", "zero,", 1), `line 2, column "index": "zero" is not an integer`},
		{"first index not 0", testHeader + row1, `line 2, column "index": index 1 out of order, want 0`},
		{"duplicate index", testHeader + testRows + strings.Replace(row1, "1,", "0,", 1), `line 4, column "index": duplicate index 0, want 2`},
		{"malformed arch", testHeader + strings.Replace(testRows, "none~1|+", "none~2|+", 1),
			`line 2, column "arch": arch "|none~0|+|none~0|none~2|+|none~0|none~1|none~2|": node 2, token "none~2": input node "2", want 1`},
		{"duplicate arch", testHeader + testRows + strings.Replace(row1, "1,", "2,", 1), "line 4: arch " + best6111 + " already at index 1"},
		{"bad quoting", testHeader + `0,"|none~0|`, "nb201: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.content)
			b, err := LoadBench(path)
			if err == nil {
				t.Fatalf("LoadBench succeeded with %d rows, want an error", b.Len())
			}
			if !strings.HasPrefix(err.Error(), "nb201: "+path) || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("LoadBench error\n  %v\nwant it to start with nb201: %s and contain\n  %s", err, path, c.wantErr)
			}
		})
	}

	missing := filepath.Join(t.TempDir(), "nope.csv")
	if _, err := LoadBench(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadBench(%q) error = %v, want one naming the path and wrapping os.ErrNotExist", missing, err)
	}
}

// TestLoadBenchBounded: a huge field, arch or header is quoted by its
// first characters only, and a path that is not a regular file (a named
// pipe: open(2) would wait for a writer) is refused at once.
func TestLoadBenchBounded(t *testing.T) {
	huge := strings.Repeat("9x", 5_000_000) // 10 MB
	for _, tc := range []struct{ name, content, want string }{
		{"huge float", testHeader + strings.Replace(testRows, ",10\n", ","+huge+"\n", 1), `column "params_mb": "9x9x`},
		{"huge index", testHeader + strings.Replace(testRows, "0,", huge+",", 1), `column "index": "9x9x`},
		{"huge arch", testHeader + "0," + huge + ",1,2,3,4,5,6,7,8,9,10\n", `column "arch": "9x9x`},
		{"huge header", strings.Replace(testHeader, ",params_mb", ","+huge, 1) + testRows, `header has no column "params_mb" (have "index,arch,`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBench(writeTemp(t, tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 500 {
				t.Errorf("error of %d bytes: %.600v\nwant at most 500 bytes containing %s", len(fmt.Sprint(err)), err, tc.want)
			}
		})
	}
	fifo := filepath.Join(t.TempDir(), "bench.csv")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no named pipe: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadBench(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), fifo+" is a named pipe") {
			t.Errorf("LoadBench(FIFO) = %v, want a named pipe refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LoadBench(FIFO) blocks")
	}
}

func TestBest(t *testing.T) {
	b, err := LoadBench(writeTemp(t, testHeader+testRows+
		"2,|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|,94.37,0,0,0,0,0,0,0,0,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		metric func(Record) float64
		want   int
	}{
		{"max", func(r Record) float64 { return r.ParamsMB }, 0},
		{"tie goes to the lowest index", func(r Record) float64 { return r.Cifar10Test }, 1},
		{"NaN first loses", func(r Record) float64 {
			if r.Index == 0 {
				return math.NaN()
			}
			return float64(-r.Index)
		}, 1},
		{"NaN later loses", func(r Record) float64 {
			if r.Index == 2 {
				return math.NaN()
			}
			return float64(r.Index)
		}, 1},
		{"all -Inf", func(Record) float64 { return math.Inf(-1) }, 0},
	}
	for _, c := range cases {
		if got := b.Best(c.metric).Index; got != c.want {
			t.Errorf("%s: Best = index %d, want %d", c.name, got, c.want)
		}
	}
	if got := new(Bench).Best(func(r Record) float64 { return r.Cifar10Test }); got != (Record{}) {
		t.Errorf("empty Bench: Best = %+v, want the zero Record", got)
	}
}

// TestRankMeanAccuracies: the summaries notebooks and studies read.
func TestRankMeanAccuracies(t *testing.T) {
	b, err := LoadBench(writeTemp(t, testHeader+testRows+
		"2,|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|,50,0,0,0,0,0,0,0,0,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	c10 := Metrics[0].Value
	r0, _ := b.Record(0)
	r2, _ := b.Record(2)
	if got := b.Rank(r2, c10); got != 2 { // 94.37 > 50 > 1
		t.Errorf("rank of the middle cell: %d, want 2", got)
	}
	if got := b.Rank(r0, c10); got != 3 {
		t.Errorf("rank of the worst cell: %d, want 3", got)
	}
	if got, want := b.Mean(c10), (1+94.37+50)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("mean %g, want %g", got, want)
	}
	if !math.IsNaN(new(Bench).Mean(c10)) {
		t.Error("mean of an empty table is not NaN")
	}
	acc := r0.Accuracies()
	if len(acc) != len(Metrics) || acc["cifar10_test"] != r0.Cifar10Test || acc["cifar10valid_test"] != r0.Cifar10ValidTest {
		t.Errorf("accuracies %v of %+v", acc, r0)
	}
	if _, err := b.Lookup(foreignArch{}); err == nil || !strings.Contains(err.Error(), "not a NAS-Bench-201 arch") {
		t.Errorf("Lookup of another space's arch: %v", err)
	}
}

type foreignArch struct{}

func (foreignArch) String() string            { return "x" }
func (foreignArch) Kept() map[string][][]bool { return nil }
