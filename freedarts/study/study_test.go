package study

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	in := "index,arch,synflow,naswot\n6111,|a|,1.5e+20,700\n0,|b|,0,-3.25\n"
	tab, err := ReadTable(strings.NewReader(in), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{Proxies: []string{"synflow", "naswot"}, Rows: []Row{
		{6111, "|a|", []float64{1.5e20, 700}}, {0, "|b|", []float64{0, -3.25}}}}
	if !reflect.DeepEqual(tab, want) {
		t.Errorf("ReadTable = %+v, want %+v", tab, want)
	}
	col, err := tab.Column("naswot")
	if err != nil || !reflect.DeepEqual(col, []float64{700, -3.25}) {
		t.Errorf("Column(naswot) = %v, %v", col, err)
	}
	if _, err := tab.Column("snip"); err == nil || !strings.Contains(err.Error(), `no proxy "snip" in the table (it has synflow, naswot)`) {
		t.Errorf("Column(snip) error = %v", err)
	}
}

func TestReadTableErrors(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, c := range []struct{ in, want string }{
		{"", "in.csv: empty file: want a header index,arch,<proxy>"},
		{"index,arch\n", "want a header"},
		{"idx,arch,synflow\n", "want a header"},
		{"index,arch,synflow,synflow\n", `in.csv line 1: header: column 4: proxy "synflow" is named twice`},
		{"index,arch,\n", "column 3 has no proxy name"},
		{"index,arch,synflow\nx,|a|,1\n", `in.csv line 2: index "x" is not an integer >= 0`},
		{"index,arch,synflow\n-1,|a|,1\n", `index "-1"`},
		{"index,arch,synflow\n1,|a|,1\n2,|b|,one\n", `in.csv line 3: synflow "one" is not a finite number`},
		{"index,arch,synflow\n1,|a|,NaN\n", `synflow "NaN" is not a finite number`},
		{"index,arch,synflow\n1,|a|,-Inf\n", `synflow "-Inf" is not a finite number`},
		{"index,arch,synflow\n1,|a|,1e999\n", `synflow "1e999" is not a finite number`},
		{"index,arch,synflow\n1,|a|\n", "in.csv line 2: 2 fields, want 3 as in the header"},
		{"index,arch,synflow\n1,,1\n", `line 2: arch ""`},
		{"index,arch,synflow\n1,\"|a\n|\",1\n", "without control characters"},
		{"index,arch,synflow\n5,|a|,1\n\n\"6\",\"|b|\",2\n7,|c|,3\n5,|d|,4\n", "in.csv line 6: index 5 again, already on line 2: one row per cell"},
		{"index,arch,synflow\n1,\"|a|,1\n", "in.csv: parse error on line 2, column 10: extraneous or missing \" in quoted-field"},
		// A huge field is quoted by its first maxQuote characters.
		{"index,arch,synflow\n1,|a|," + long + "\n", `synflow "` + strings.Repeat("x", maxQuote) + `"… is not`},
		{"index,arch,synflow\n" + long + ",|a|,1\n", `index "` + strings.Repeat("x", maxQuote) + `"… is not`},
	} {
		_, err := ReadTable(strings.NewReader(c.in), "in.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadTable(%.40q) error = %v, want %s", c.in, err, c.want)
			continue
		}
		var te *TableError
		if !errors.As(err, &te) {
			t.Errorf("ReadTable(%.40q) error %v is not a *TableError", c.in, err)
		}
		if len(err.Error()) > 300 {
			t.Errorf("ReadTable(%.40q): error of %d bytes", c.in, len(err.Error()))
		}
	}
	if _, err := LoadTable(filepath.Join(t.TempDir(), "none.csv")); err == nil {
		t.Error("LoadTable of a missing file: no error")
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"a\nb", `"a\nb"`},
		{strings.Repeat("é", maxQuote), strconv.Quote(strings.Repeat("é", maxQuote))},
		{strings.Repeat("é", maxQuote+1), strconv.Quote(strings.Repeat("é", maxQuote)) + "…"},
		{strings.Repeat("\xff", 2*maxQuote), strconv.Quote(strings.Repeat("\xff", maxQuote)) + "…"},
	} {
		if got := quote(c.in); got != c.want {
			t.Errorf("quote(%.20q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// testSettings are the settings of the tables the tests open.
var testSettings = Settings{Protocol: "seed=0 draw=shared", Compute: "go:test"}

// TestOpenResume writes two rows, cuts a third short as an interruption
// would, and reopens: the two rows come back and the cut one is gone.
func TestOpenResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.csv")
	proxies := []string{"synflow", "params"}
	w, done, err := Open(path, proxies, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Rows) != 0 || !reflect.DeepEqual(done.Proxies, proxies) {
		t.Errorf("new file: %+v", done)
	}
	if side, err := os.ReadFile(SettingsPath(path)); err != nil || string(side) != testSettings.String()+"\n" {
		t.Errorf("settings file %q, %v", side, err)
	}
	rows := []Row{{5, "|x|", []float64{1.25, 3}}, {7, "|y,z|", []float64{2e-30, 4}}}
	for _, r := range rows {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		row  Row
		want string
	}{
		{Row{9, "|z|", []float64{1}}, "row of cell 9 has 1 scores, want 2"},
		{Row{9, "|z|", []float64{1, math.NaN()}}, "params score NaN is not finite"},
		{Row{9, "|z|", []float64{math.Inf(1), 1}}, "synflow score +Inf is not finite"},
		{Row{5, "|z|", []float64{1, 1}}, "cell 5 is already in the file"},
		{Row{-1, "|z|", []float64{1, 1}}, "want an index >= 0"},
		{Row{9, "|z\n|", []float64{1, 1}}, "without control characters"},
	} {
		if err := w.Append(c.row); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Append(%+v): %v, want %q", c.row, err, c.want)
		}
	}
	w.Close()
	if err := w.Append(Row{9, "|z|", []float64{1, 1}}); err == nil {
		t.Error("Append after Close: no error")
	}
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock after Close: %v", err)
	}
	want := "index,arch,synflow,params\n5,|x|,1.25,3\n7,\"|y,z|\",2e-30,4\n"
	if data, _ := os.ReadFile(path); string(data) != want {
		t.Errorf("file\n%s\nwant\n%s", data, want)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("8,|cut")
	f.Close()

	// Other proxies: refused, and the cut row is kept for a right resume.
	if _, _, err := Open(path, []string{"params", "synflow"}, testSettings); err == nil || !strings.Contains(err.Error(), "the same proxies, in order") {
		t.Errorf("resume with other proxies: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != want+"8,|cut" {
		t.Errorf("a refused Open changed the file:\n%s", data)
	}
	w, done, err = Open(path, proxies, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !reflect.DeepEqual(done.Rows, rows) {
		t.Errorf("resumed rows %+v, want %+v", done.Rows, rows)
	}
	if data, _ := os.ReadFile(path); string(data) != want {
		t.Errorf("the cut row is still in the file:\n%s", data)
	}
	if err := w.CheckAdd(); err != nil {
		t.Errorf("CheckAdd on the same compute: %v", err)
	}
}

// TestCheckSettings: the protocol must match to resume or read a file;
// the compute only to add rows to it. A line from before the compute was
// recorded reads, but takes no new rows.
func TestCheckSettings(t *testing.T) {
	const protocol = "seed=0 draw=shared batch=64"
	base := Settings{Protocol: protocol, Compute: "go:ops_sequential GOEXPERIMENT=simd"}
	for _, c := range []struct {
		name     string
		recorded string // the sidecar's line; "" writes base first
		run      Settings
		adding   bool
		wantErr  string
	}{
		{name: "same, adding", run: base, adding: true},
		{name: "other protocol", run: Settings{Protocol: "seed=0 draw=per-cell batch=64", Compute: base.Compute},
			wantErr: `scored with "seed=0 draw=shared batch=64"`},
		{name: "other compute, reading", run: Settings{Protocol: protocol, Compute: "xla:cuda"}},
		{name: "other compute, adding", run: Settings{Protocol: protocol, Compute: "xla:cuda"}, adding: true,
			wantErr: `scored on "go:ops_sequential GOEXPERIMENT=simd"`},
		{name: "plain build, adding", run: Settings{Protocol: protocol, Compute: "go:ops_sequential"}, adding: true,
			wantErr: `this run scores on "go:ops_sequential"`},
		{name: "unrecorded compute, reading", recorded: protocol, run: base},
		{name: "unrecorded compute, adding", recorded: protocol, run: base, adding: true,
			wantErr: "a backend and build it does not record"},
		{name: "compute with spaces", recorded: protocol + " compute=xla:/opt/my plugins/pjrt.so", adding: true,
			run: Settings{Protocol: protocol, Compute: "xla:/opt/my plugins/pjrt.so"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "scores.csv")
			if c.recorded == "" {
				if err := CheckSettings(path, base, true); err != nil {
					t.Fatal(err)
				}
				if data, _ := os.ReadFile(SettingsPath(path)); string(data) != protocol+" compute="+base.Compute+"\n" {
					t.Fatalf("sidecar %q", data)
				}
			} else if err := os.WriteFile(SettingsPath(path), []byte(c.recorded+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := CheckSettings(path, c.run, c.adding)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}
