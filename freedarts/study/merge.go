package study

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrIncomplete: Merge was asked for every cell (MergeOptions.Complete)
// and some shard's cells are missing.
var ErrIncomplete = errors.New("study: shards incomplete")

// MergeOptions are the options of Merge.
type MergeOptions struct {
	// Complete refuses to write anything while a cell of the study is
	// missing (ErrIncomplete): a shard without its file, or one
	// interrupted before its last cell.
	Complete bool
}

// ShardFile is one shard's file as Merge found it.
type ShardFile struct {
	Shard Shard
	// Path is the shard's file; "" for a shard without one.
	Path string
	// Have of Want: the cells the file holds, of those of the shard.
	Have, Want int
}

// Missing is the number of the shard's cells its file lacks.
func (f ShardFile) Missing() int { return f.Want - f.Have }

// MergeReport is what Merge found and wrote.
type MergeReport struct {
	// Shards has one entry per shard of the study, in shard order, those
	// without a file included.
	Shards []ShardFile
	// Cells of Want: the rows of the merged table, and the study's cells.
	Cells, Want int
	// Settings are the merged table's: the shards' protocol without the
	// shard, and their compute.
	Settings Settings
	// Written is false when Complete refused an incomplete study.
	Written bool
}

// Lines describe the report, one line per incomplete shard and a last one
// for the whole: "merged 4 of 4 shards: 40 of 40 cells".
func (r *MergeReport) Lines() []string {
	var lines []string
	files := 0
	for _, f := range r.Shards {
		switch {
		case f.Path == "":
			lines = append(lines, fmt.Sprintf("shard %s: no file (%d cells missing)", f.Shard, f.Want))
		case f.Missing() > 0:
			lines = append(lines, fmt.Sprintf("shard %s: %s holds %d of %d cells (%d missing): rerun that shard to resume it",
				f.Shard, f.Path, f.Have, f.Want, f.Missing()))
		}
		if f.Path != "" {
			files++
		}
	}
	verb := "merged"
	if !r.Written {
		verb = "did not merge"
	}
	return append(lines, fmt.Sprintf("%s %d of %d shards: %d of %d cells", verb, files, len(r.Shards), r.Cells, r.Want))
}

// shardInput is one input file of Merge, read and checked.
type shardInput struct {
	path     string
	table    *Table
	settings Settings
	base     string // the protocol without the shard
	shard    Shard
	cells    string // the cell-list key of the shard's protocol
	n        int    // cells of the whole study
}

// Merge joins the shard files written by Run with Config.Shard (`correlate
// -shard`) into one study table at out, with its settings file, which Run
// (`correlate -out`) then reads, resumes and correlates as any study of
// the same protocol. Rows are copied as they are, never recomputed, and
// written sorted by index, so a merged complete study is the file a
// single-process run of the same cells writes, byte for byte.
//
// Merge checks that every input is a shard of one study (the same
// protocol, cell list, shard count, compute and proxies; every shard at
// most once; no cell in two files) and reports the shards and cells
// missing. With opts.Complete, a missing cell is ErrIncomplete and nothing
// is written. out may be a previous merge of the same study, which is then
// replaced; any other existing file is refused, as are out's settings file
// and lock (LockPath), held for the writing. A failed Merge leaves out as
// it was.
func Merge(out string, inputs []string, opts MergeOptions) (*MergeReport, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("study: merge: no shard files")
	}
	var shards []shardInput
	for _, path := range inputs {
		in, err := readShard(path)
		if err != nil {
			return nil, err
		}
		if same, err := sameFile(path, out); err != nil {
			return nil, err
		} else if same {
			return nil, fmt.Errorf("study: merge: %s is both a shard and the output", path)
		}
		if len(shards) > 0 {
			if err := sameStudy(shards[0], in); err != nil {
				return nil, err
			}
		}
		for _, prev := range shards {
			if prev.shard == in.shard {
				return nil, fmt.Errorf("study: merge: shard %s is in %s and in %s: give each shard once", in.shard, prev.path, in.path)
			}
		}
		shards = append(shards, in)
	}
	first := shards[0]
	rep := &MergeReport{Want: first.n, Settings: Settings{Protocol: first.base, Compute: first.settings.Compute}}
	merged := &Table{Proxies: first.table.Proxies}
	from := map[int]string{} // index -> file
	for k := range first.shard.Count {
		sh := Shard{Index: k, Count: first.shard.Count}
		f := ShardFile{Shard: sh, Want: sh.size(first.n)}
		if i := slices.IndexFunc(shards, func(s shardInput) bool { return s.shard == sh }); i >= 0 {
			in := shards[i]
			f.Path, f.Have = in.path, len(in.table.Rows)
			if f.Have > f.Want {
				return nil, fmt.Errorf("study: merge: %s holds %d cells, but shard %s of %d cells has %d", in.path, f.Have, sh, first.n, f.Want)
			}
			for _, r := range in.table.Rows {
				if other, dup := from[r.Index]; dup {
					return nil, fmt.Errorf("study: merge: cell %d is in %s and in %s: a cell belongs to one shard", r.Index, other, in.path)
				}
				from[r.Index] = in.path
				merged.Rows = append(merged.Rows, r)
			}
		}
		rep.Shards = append(rep.Shards, f)
	}
	rep.Cells = len(merged.Rows)
	if opts.Complete && rep.Cells < rep.Want {
		return rep, errorf(ErrIncomplete, "study: merge: %d of the study's %d cells are missing, and every cell was asked for (-complete): %s",
			rep.Want-rep.Cells, rep.Want, strings.Join(rep.Lines()[:len(rep.Lines())-1], "; "))
	}
	slices.SortFunc(merged.Rows, func(a, b Row) int { return a.Index - b.Index })
	if err := writeMerged(out, merged, rep.Settings); err != nil {
		return rep, err
	}
	rep.Written = true
	return rep, nil
}

// readShard reads and checks one input of Merge.
func readShard(path string) (shardInput, error) {
	in := shardInput{path: path}
	if err := checkRegular(path); err != nil {
		return in, err
	}
	var err error
	if in.table, err = LoadTable(path); err != nil {
		return in, err
	}
	s, ok, err := readSettings(SettingsPath(path))
	switch {
	case err != nil:
		return in, err
	case !ok:
		return in, errorf(ErrNoSettings, "%s has no settings file (%s): a shard's settings say which study and shard it is",
			path, filepath.Base(SettingsPath(path)))
	}
	in.settings = s
	var isShard bool
	if in.base, in.shard, in.cells, in.n, isShard = shardOf(s.Protocol); !isShard {
		return in, errorf(ErrSettings, "%s is not a shard (its settings %s name none): merge the files of correlate -shard", path, quote(s.Protocol))
	}
	return in, nil
}

// sameStudy is nil when b is a shard of a's study.
func sameStudy(a, b shardInput) error {
	differ := func(what, x, y string) error {
		return errorf(ErrSettings, "study: merge: %s and %s are not shards of one study: %s %s, %s %s",
			a.path, b.path, what, quote(x), what, quote(y))
	}
	switch {
	case a.base != b.base:
		return differ("protocol", a.base, b.base)
	case a.cells != b.cells:
		return differ("cell list", a.cells, b.cells)
	case a.shard.Count != b.shard.Count:
		return differ("shard count", fmt.Sprint(a.shard.Count), fmt.Sprint(b.shard.Count))
	case a.settings.Compute != b.settings.Compute:
		return differ("compute", a.settings.Compute, b.settings.Compute)
	case !slices.Equal(a.table.Proxies, b.table.Proxies):
		return differ("proxies", strings.Join(a.table.Proxies, ","), strings.Join(b.table.Proxies, ","))
	}
	return nil
}

// sameFile reports whether a and b are the same existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// writeMerged writes t to out with settings s, under out's lock. An
// existing out must be a study of the same settings and proxies (a
// previous merge); it is replaced by a rename, so a reader sees the old
// table or the new one.
func writeMerged(out string, t *Table, s Settings) error {
	if err := checkRegular(out); err != nil {
		return err
	}
	if _, err := lock(out); err != nil {
		return err
	}
	defer unlock(out)
	if _, err := os.Stat(out); err == nil {
		old, err := LoadTable(out)
		if err != nil {
			return fmt.Errorf("study: merge: %s exists and is not a study table (%w): remove it or choose another -out", out, err)
		}
		got, ok, err := readSettings(SettingsPath(out))
		switch {
		case err != nil:
			return err
		case !ok || got != s || !slices.Equal(old.Proxies, t.Proxies):
			return errorf(ErrSettings, "study: merge: %s exists and is not a merge of these shards (settings %s): remove it or choose another -out",
				out, quote(got.String()))
		}
	}
	var buf bytes.Buffer
	if err := t.Write(&buf); err != nil {
		return err
	}
	side := SettingsPath(out)
	_, had := os.Stat(side)
	if err := writeSettings(side, s); err != nil {
		return fmt.Errorf("study: merge: %s: %w", out, err)
	}
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp*")
	if err != nil {
		return fmt.Errorf("study: merge: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		os.Remove(f.Name())
		if had != nil {
			os.Remove(side) // written for this merge only
		}
		return fmt.Errorf("study: merge: writing %s: %w", out, err)
	}
	return nil
}
