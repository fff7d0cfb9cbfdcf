package study

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRunSupernet: a study scored as the supernet with one-hot alphas
// (Config.Supernet) gives the concrete networks' scores (float64 SynFlow
// to 1e-12, the parameter count exactly), on any number of workers, under
// the same protocol and another compute. A file of either mode is read
// (resumed whole) by the other, but not added to.
func TestRunSupernet(t *testing.T) {
	bench := testBench(t)
	indices := []int{6111, 0, 1000, 15624}
	run := func(supernet bool, workers int, out string, indices ...int) (*Result, error) {
		cfg := smallConfig(t, indices...)
		cfg.Draw, cfg.Supernet, cfg.Workers, cfg.Out = DrawPerCell, supernet, workers, out
		return Run(context.Background(), cfg, bench)
	}
	out := filepath.Join(t.TempDir(), "scores.csv")
	concrete, err := run(false, 1, out, indices...)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		cells, err := run(true, workers, "", indices...)
		if err != nil {
			t.Fatal(err)
		}
		if cells.Settings.Protocol != concrete.Settings.Protocol || cells.Settings.Compute != concrete.Settings.Compute+" scoring=supernet" {
			t.Errorf("settings %+v, want the protocol of the concrete run %+v and its compute plus scoring=supernet", cells.Settings, concrete.Settings)
		}
		for k, r := range cells.Table.Rows {
			want := concrete.Table.Rows[k]
			if r.Index != want.Index || r.Arch != want.Arch || r.Scores[1] != want.Scores[1] ||
				math.Abs(r.Scores[0]-want.Scores[0]) > 1e-12*math.Abs(want.Scores[0]) {
				t.Errorf("%d workers: supernet row %+v, concrete %+v", workers, r, want)
			}
		}
	}
	// The concrete file resumes whole in supernet mode, and refuses its rows.
	res, err := run(true, 1, out, indices...)
	if err != nil || res.Resumed != len(indices) || !reflect.DeepEqual(res.Table, concrete.Table) {
		t.Errorf("supernet run resuming the concrete file: %+v, %v", res, err)
	}
	_, err = run(true, 1, out, append(indices, 1)...)
	var oe *OutError
	if !errors.As(err, &oe) || !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), "scoring=supernet") {
		t.Errorf("supernet run adding to the concrete file: %v, want an *OutError of ErrSettings", err)
	}
}
