package study

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
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
	for _, c := range []struct{ in, want string }{
		{"", "in.csv: want a header index,arch,<proxy>"},
		{"index,arch\n", "want a header"},
		{"idx,arch,synflow\n", "want a header"},
		{"index,arch,synflow\nx,|a|,1\n", `in.csv row 2: index "x" is not an integer >= 0`},
		{"index,arch,synflow\n-1,|a|,1\n", `index "-1"`},
		{"index,arch,synflow\n1,|a|,1\n2,|b|,one\n", `in.csv row 3: synflow "one" is not a finite number`},
		{"index,arch,synflow\n1,|a|,NaN\n", `synflow "NaN" is not a finite number`},
		{"index,arch,synflow\n1,|a|,-Inf\n", `synflow "-Inf" is not a finite number`},
		{"index,arch,synflow\n1,|a|\n", "in.csv: record on line 2: wrong number of fields"},
	} {
		if _, err := ReadTable(strings.NewReader(c.in), "in.csv"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadTable(%q) error = %v, want %s", c.in, err, c.want)
		}
	}
	if _, err := LoadTable(filepath.Join(t.TempDir(), "none.csv")); err == nil {
		t.Error("LoadTable of a missing file: no error")
	}
}

// TestOpenResume writes two rows, cuts a third short as an interruption
// would, and reopens: the two rows come back and the cut one is gone.
func TestOpenResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.csv")
	proxies := []string{"synflow", "params"}
	w, done, err := Open(path, proxies)
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Rows) != 0 || !reflect.DeepEqual(done.Proxies, proxies) {
		t.Errorf("new file: %+v", done)
	}
	rows := []Row{{5, "|x|", []float64{1.25, 3}}, {7, "|y|", []float64{2e-30, 4}}}
	for _, r := range rows {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Append(Row{9, "|z|", []float64{1}}); err == nil || !strings.Contains(err.Error(), "row of cell 9 has 1 scores, want 2") {
		t.Errorf("short row: %v", err)
	}
	w.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("8,|cut")
	f.Close()

	w, done, err = Open(path, proxies)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !reflect.DeepEqual(done.Rows, rows) {
		t.Errorf("resumed rows %+v, want %+v", done.Rows, rows)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "cut") {
		t.Errorf("the cut row is still in the file:\n%s", data)
	}
	if _, _, err := Open(path, []string{"params", "synflow"}); err == nil || !strings.Contains(err.Error(), "the same proxies, in order") {
		t.Errorf("resume with other proxies: %v", err)
	}
}

func FuzzReadTable(f *testing.F) {
	f.Add("index,arch,synflow\n1,|a|,2.5\n")
	f.Add("index,arch,a,b\n0,x,1,2\n3,\"y,z\",NaN,-Inf\n")
	f.Add("index,arch\n")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadTable(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for _, r := range tab.Rows {
			if len(r.Scores) != len(tab.Proxies) || r.Index < 0 {
				t.Fatalf("row %+v of a table of %d proxies", r, len(tab.Proxies))
			}
			for _, v := range r.Scores {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("row %+v: non-finite score accepted", r)
				}
			}
		}
	})
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
