package study

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	boundedquote "github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/internal/regular"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

var (
	// ErrIncomplete: Merge was asked for every cell (MergeOptions.Complete)
	// and some shard's cells are missing.
	ErrIncomplete = errors.New("study: shards incomplete")
	// ErrWouldDrop: the existing output of Merge, a merge of the same
	// study, holds cells the new merge lacks (MergeOptions.Force replaces
	// it all the same).
	ErrWouldDrop = errors.New("study: merge would drop cells")
)

// MergeOptions are the options of Merge.
type MergeOptions struct {
	// Complete refuses to write anything while a cell of the study is
	// missing (ErrIncomplete): a shard without its file, or one
	// interrupted before its last cell.
	Complete bool
	// Force merges a shard whose writer is still running (as it is now),
	// and replaces an existing merge of the same study that holds cells
	// the new one lacks. It never replaces a file of another study.
	Force bool
	// Bench, when set, is the benchmark table every merged row is checked
	// against: an index it lacks, or an arch that is not its arch at that
	// index, is refused (ErrOtherBench), as Run refuses such a study.
	Bench *nb201.Bench
}

// ShardFile is one shard's file as Merge found it.
type ShardFile struct {
	Shard Shard
	// Path is the shard's file; "" for a shard without one.
	Path string
	// Have of Want: the cells the file holds, of those of the shard.
	Have, Want int
	// Cut is the file's last line when it was cut short (no newline: an
	// interruption, a full disk): it was not merged. "" when none.
	Cut string
	// Writer is the process still writing the file (merged with
	// MergeOptions.Force), 0 when none.
	Writer int
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
	// shard, their content and their compute.
	Settings Settings
	// Written is false when Merge refused to write.
	Written bool
	// Dropped is the number of cells of the replaced output that the new
	// one lacks (MergeOptions.Force).
	Dropped int
}

// Lines describe the report, one line per incomplete, cut or running
// shard and a last one for the whole: "merged 4 of 4 shards: 40 of 40
// cells".
func (r *MergeReport) Lines() []string {
	if r == nil {
		return nil
	}
	var lines []string
	files := 0
	for _, f := range r.Shards {
		if f.Cut != "" {
			lines = append(lines, fmt.Sprintf("shard %s: %s: its last row %s was cut short (no newline: an interruption or a full disk) and is not merged",
				f.Shard, f.Path, describeCut(f.Cut)))
		}
		if f.Writer > 0 {
			lines = append(lines, fmt.Sprintf("shard %s: %s is still being written by process %d: merged as it is now (-force)",
				f.Shard, f.Path, f.Writer))
		}
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
	if r.Dropped > 0 {
		lines = append(lines, fmt.Sprintf("replaced a merge that held %d cells more (-force)", r.Dropped))
	}
	verb := "merged"
	if !r.Written {
		verb = "did not merge"
	}
	return append(lines, fmt.Sprintf("%s %d of %d shards: %d of %d cells", verb, files, len(r.Shards), r.Cells, r.Want))
}

// describeCut names a cut row by its first field (the cell) and its last
// characters, where it was cut: a row is longer than an error should quote.
func describeCut(row string) string {
	cell, _, _ := strings.Cut(row, ",")
	tail := []rune(row)
	if len(tail) > 30 {
		tail = tail[len(tail)-30:]
	}
	return fmt.Sprintf("(cell %s, ending %s)", quote(cell), boundedquote.Max(string(tail), 30))
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
	cut      string // the cut last line, not read
	writer   int    // the process still writing it, or 0
}

// Merge joins the shard files written by Run with Config.Shard (`correlate
// -shard`) into one study table at out, with its settings file, which Run
// (`correlate -out`) then reads, resumes and correlates as any study of
// the same protocol. Rows are copied as they are, never recomputed, and
// written sorted by index, so a merged complete study is the file a
// single-process run of the same cells writes, byte for byte.
//
// Merge checks that every input is a shard of one study (the same
// protocol, content, cell list, shard count, compute and proxies; every
// shard at most once; no cell in two files, and, once every cell is there,
// the cells of the study's list; with opts.Bench, the benchmark's archs)
// and reports the shards and cells missing. A shard's last line cut short
// (no newline) is not merged, and reported, as Open drops it. A shard
// whose lock names a running process is refused (ErrLocked): its writer is
// still scoring, so the merge would silently lack the cells in flight
// (opts.Force merges it as it is). With opts.Complete, a missing cell is
// ErrIncomplete.
//
// out may be a previous merge of the same study, which is then replaced;
// any other existing file is refused (ErrSettings: other settings or
// proxies, more cells than the study, cells or scores the shards do not
// have), and so is a merge that holds cells the new one lacks
// (ErrWouldDrop: fewer shards given, say), unless opts.Force. out's lock
// (LockPath) is held for the writing. Whenever Merge returns an error, no
// file is changed.
func Merge(out string, inputs []string, opts MergeOptions) (*MergeReport, error) {
	switch {
	case out == "":
		return nil, errors.New("study: merge: empty output path: want the merged table's path")
	case len(inputs) == 0:
		return nil, errors.New("study: merge: no shard files")
	}
	var shards []shardInput
	for _, path := range inputs {
		in, err := readShard(path, opts)
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
	s := first.settings
	rep := &MergeReport{Want: first.n, Settings: Settings{Protocol: first.base, Content: s.Content, Compute: s.Compute}}
	merged := &Table{Proxies: first.table.Proxies}
	from := map[int]string{} // index -> file
	for k := range first.shard.Count {
		sh := Shard{Index: k, Count: first.shard.Count}
		f := ShardFile{Shard: sh, Want: sh.size(first.n)}
		if i := slices.IndexFunc(shards, func(s shardInput) bool { return s.shard == sh }); i >= 0 {
			in := shards[i]
			f.Path, f.Have, f.Cut, f.Writer = in.path, len(in.table.Rows), in.cut, in.writer
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
	slices.SortFunc(merged.Rows, func(a, b Row) int { return a.Index - b.Index })
	if rep.Cells == rep.Want {
		// Every shard is whole: its cells must be the study's list, which
		// the settings record by its hash.
		if got := cellList(indices(merged)); got != first.cells {
			return rep, errorf(ErrSettings, "study: merge: the shards hold %d cells, but not the study's (cell list %s, theirs %s): "+
				"a shard file holds rows of another study", rep.Cells, first.cells, got)
		}
	}
	if opts.Complete && rep.Cells < rep.Want {
		return rep, errorf(ErrIncomplete, "study: merge: %d of the study's %d cells are missing, and every cell was asked for (-complete): %s",
			rep.Want-rep.Cells, rep.Want, strings.Join(rep.Lines()[:len(rep.Lines())-1], "; "))
	}
	var err error
	if rep.Dropped, err = writeMerged(out, merged, rep.Settings, rep.Want, first.cells, opts.Force); err != nil {
		return rep, err
	}
	rep.Written = true
	return rep, nil
}

// indices are the indices of t's rows, in order.
func indices(t *Table) []int {
	out := make([]int, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r.Index
	}
	return out
}

// readShard reads and checks one input of Merge.
func readShard(path string, opts MergeOptions) (shardInput, error) {
	in := shardInput{path: path}
	real, err := resolve(path)
	if err != nil {
		return in, err
	}
	if in.writer, err = writer(real); err != nil {
		return in, err
	}
	if in.writer > 0 && !opts.Force {
		return in, errorf(ErrLocked, "study: merge: %s is being written by process %d (its lock is %s): merged now, the study would lack "+
			"the cells it is scoring; wait for that shard to end (or end it), or give -force to merge what it holds", path, in.writer, LockPath(real))
	}
	data, err := regular.ReadFile(real)
	if err != nil {
		return in, notRegular(err)
	}
	var keep int
	if in.table, keep, err = readWhole(data, path); err != nil {
		return in, err
	}
	in.cut = string(data[keep:])
	if opts.Bench != nil {
		if _, err := in.table.Records(opts.Bench); err != nil {
			return in, fmt.Errorf("study: merge: %s: %w", path, err)
		}
	}
	s, ok, err := readSettings(SettingsPath(real))
	switch {
	case err != nil:
		return in, err
	case !ok:
		return in, errorf(ErrNoSettings, "%s has no settings file (%s): a shard's settings say which study and shard it is",
			path, filepath.Base(SettingsPath(real)))
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
	case a.settings.Content != b.settings.Content:
		return differ("inputs", a.settings.Content, b.settings.Content)
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

// writeMerged writes t to out with settings s, under out's lock, and
// returns the number of cells of the replaced file that t lacks. An
// existing out must be a merge of the same study (checkReplace); it is
// replaced by a rename, so a reader sees the old table or the new one.
func writeMerged(out string, t *Table, s Settings, want int, cells string, force bool) (int, error) {
	real, err := resolve(out)
	if err != nil {
		return 0, err
	}
	if _, err := lock(real); err != nil {
		return 0, err
	}
	defer unlock(real)
	old, err := regular.ReadFile(real)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, notRegular(err)
	}
	dropped := 0
	if len(old) > 0 {
		if dropped, err = checkReplace(out, SettingsPath(real), old, t, s, want, cells, force); err != nil {
			return 0, err
		}
	}
	var buf bytes.Buffer
	if err := t.Write(&buf); err != nil {
		return 0, err
	}
	side := SettingsPath(real)
	_, had := os.Stat(side)
	if err := writeSettings(side, s); err != nil {
		return 0, fmt.Errorf("study: merge: %s: %w", out, err)
	}
	if err := replaceFile(real, buf.Bytes()); err != nil {
		if had != nil {
			os.Remove(side) // written for this merge only
		}
		return 0, fmt.Errorf("study: merge: writing %s: %w", out, err)
	}
	return dropped, nil
}

// checkReplace is nil when the existing output out, of contents old and
// settings file side, may
// be replaced by the merge t of settings s (a study of want cells, of
// cell-list key cells): it is a merge of the same study, and it holds no
// cell t lacks unless force. It returns the number of cells dropped.
func checkReplace(out, side string, old []byte, t *Table, s Settings, want int, cells string, force bool) (int, error) {
	notMerge := func(why string, args ...any) error {
		return errorf(ErrSettings, "study: merge: %s exists and is not a merge of these shards (%s): remove it or choose another -out",
			out, fmt.Sprintf(why, args...))
	}
	prev, err := ReadTable(bytes.NewReader(old), out)
	if err != nil {
		return 0, fmt.Errorf("study: merge: %s exists and is not a study table (%w): remove it or choose another -out", out, err)
	}
	got, ok, err := readSettings(side)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 0, notMerge("no settings file")
	case got != s:
		return 0, notMerge("settings %s, the shards' %s", quote(got.String()), quote(s.String()))
	case !slices.Equal(prev.Proxies, t.Proxies):
		return 0, notMerge("proxies %s", quote(strings.Join(prev.Proxies, ",")))
	case len(prev.Rows) > want:
		return 0, notMerge("%d cells, more than the study's %d", len(prev.Rows), want)
	}
	if len(prev.Rows) == want {
		sorted := &Table{Rows: slices.SortedFunc(slices.Values(prev.Rows), func(a, b Row) int { return a.Index - b.Index })}
		if got := cellList(indices(sorted)); got != cells {
			return 0, notMerge("its %d cells are not the study's list", want)
		}
	}
	have := map[int]Row{}
	for _, r := range t.Rows {
		have[r.Index] = r
	}
	var lost []int
	for _, r := range prev.Rows {
		n, ok := have[r.Index]
		switch {
		case !ok:
			lost = append(lost, r.Index)
		case n.Arch != r.Arch || !slices.Equal(n.Scores, r.Scores):
			return 0, notMerge("cell %d differs from the shards' row", r.Index)
		}
	}
	if len(lost) > 0 && !force {
		return 0, errorf(ErrWouldDrop, "study: merge: %s holds %d cells that these shards lack (cell %d first): replacing it would lose them; "+
			"give every shard file, or -force to replace it", out, len(lost), lost[0])
	}
	return len(lost), nil
}
