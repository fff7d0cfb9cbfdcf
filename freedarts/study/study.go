// Package study runs zero-cost rank-correlation studies: whole
// NAS-Bench-201 networks scored by proxies at initialisation (Run),
// compared with the accuracy they reach after training (Correlate). Both
// `freedarts correlate` and the notebooks call it.
//
// Its Table is the per-cell CSV that Run and `freedarts correlate -out`
// write (columns index, arch, then one per proxy), so a study can be
// resumed after an interruption and read back into a notebook for plots.
package study

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	boundedquote "github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/internal/regular"
)

// Row is one scored network.
type Row struct {
	Index  int    // benchmark index
	Arch   string // architecture string
	Scores []float64
}

// Table is a study's scores: one Row per network, one score per proxy.
type Table struct {
	Proxies []string
	Rows    []Row // in file order
}

// header is the CSV header of a table of proxies.
func header(proxies []string) []string { return append([]string{"index", "arch"}, proxies...) }

// maxQuote is the most runes of file content an error quotes: enough for
// a whole NAS-Bench-201 arch string (at most 90).
const maxQuote = 100

// quote is s quoted for an error, at most its first maxQuote runes.
func quote(s string) string { return boundedquote.Max(s, maxQuote) }

// cleanText reports whether s can name a column or an arch: valid UTF-8
// without control characters (a line break would span lines of the CSV).
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// TableError is a scores CSV that is not a study table.
type TableError struct {
	Name string // the file (usually its path)
	Line int    // the line at fault; 0 for the whole file
	Err  error  // what is wrong
}

func (e *TableError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

func (e *TableError) Unwrap() error { return e.Err }

// checkProxies checks the proxy names of a header, from its third column:
// at least one, each named once.
func checkProxies(proxies []string) error {
	if len(proxies) == 0 {
		return errors.New("no proxies: want at least one proxy column")
	}
	for i, p := range proxies {
		switch {
		case p == "":
			return fmt.Errorf("column %d has no proxy name", i+3)
		case !cleanText(p):
			return fmt.Errorf("column %d: proxy name %s has control characters or is not UTF-8", i+3, quote(p))
		case slices.Contains(proxies[:i], p):
			return fmt.Errorf("column %d: proxy %s is named twice", i+3, quote(p))
		}
	}
	return nil
}

// ReadTable reads a scores CSV; name labels errors (usually the path). The
// header is index,arch and the proxies (each named once); every row has
// its fields, an index >= 0 that no other row has, an arch without
// control characters, and finite scores. A malformed table is a
// *TableError naming the line; errors quote at most a short prefix of a
// field.
func ReadTable(r io.Reader, name string) (*Table, error) {
	if r == nil {
		return nil, fmt.Errorf("study: ReadTable %s: nil reader: want the scores CSV to read", quote(name))
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, with the line
	bad := func(line int, format string, args ...any) error {
		return &TableError{Name: name, Line: line, Err: fmt.Errorf(format, args...)}
	}
	readErr := func(err error) error {
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			return &TableError{Name: name, Err: err}
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, bad(0, "empty file: want a header index,arch,<proxy>...")
	}
	if err != nil {
		return nil, readErr(err)
	}
	if len(head) < 3 || head[0] != "index" || head[1] != "arch" {
		return nil, bad(1, "header %s: want a header index,arch,<proxy>...", quote(strings.Join(head, ",")))
	}
	if err := checkProxies(head[2:]); err != nil {
		return nil, bad(1, "header: %v", err)
	}
	t := &Table{Proxies: head[2:]}
	lines := map[int]int{} // index -> line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(head) {
			return nil, bad(line, "%d fields, want %d as in the header", len(rec), len(head))
		}
		row := Row{Arch: rec[1], Scores: make([]float64, len(t.Proxies))}
		if row.Index, err = strconv.Atoi(rec[0]); err != nil || row.Index < 0 {
			return nil, bad(line, "index %s is not an integer >= 0", quote(rec[0]))
		}
		if prev, dup := lines[row.Index]; dup {
			return nil, bad(line, "index %d again, already on line %d: one row per cell", row.Index, prev)
		}
		lines[row.Index] = line
		if row.Arch == "" || !cleanText(row.Arch) {
			return nil, bad(line, "arch %s: want an architecture string without control characters", quote(row.Arch))
		}
		for p, proxy := range t.Proxies {
			v, err := strconv.ParseFloat(rec[2+p], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad(line, "%s %s is not a finite number", proxy, quote(rec[2+p]))
			}
			row.Scores[p] = v
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// LoadTable reads the scores CSV at path, a regular file (a named pipe or a
// device is refused at once, ErrNotRegular).
func LoadTable(path string) (*Table, error) {
	if path == "" {
		return nil, errors.New("study: LoadTable: empty path: want the scores CSV's path")
	}
	f, err := regular.Open(path)
	if err != nil {
		return nil, notRegular(err)
	}
	defer f.Close()
	return ReadTable(f, path)
}

// Column returns proxy's score of every row, in row order.
func (t *Table) Column(proxy string) ([]float64, error) {
	if t == nil {
		return nil, errNilTable
	}
	p := slices.Index(t.Proxies, proxy)
	if p < 0 {
		return nil, fmt.Errorf("no proxy %q in the table (it has %s)", proxy, strings.Join(t.Proxies, ", "))
	}
	out := make([]float64, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r.Scores[p]
	}
	return out, nil
}

// errNilTable is the error of a method of a nil *Table.
var errNilTable = errors.New("study: nil *Table: want a table (ReadTable, LoadTable, Run)")

// Write writes t as a scores CSV, as Writer would, row by row. It refuses,
// writing nothing, a table ReadTable would not read back: no proxies or a
// proxy named twice, a row of another number of scores, a non-finite
// score, an index < 0 or repeated, an arch with control characters.
// (Non-finite scores are refused rather than written: they rank nothing,
// and every reader of the format, pandas included, reads finite numbers.)
func (t *Table) Write(w io.Writer) error {
	switch {
	case t == nil:
		return errNilTable
	case w == nil:
		return errors.New("study: Table.Write: nil io.Writer")
	}
	if err := checkProxies(t.Proxies); err != nil {
		return fmt.Errorf("study: Table.Write: %w", err)
	}
	seen := map[int]bool{}
	for _, r := range t.Rows {
		if err := checkRow(r, t.Proxies, seen); err != nil {
			return fmt.Errorf("study: Table.Write: %w", err)
		}
		seen[r.Index] = true
	}
	if _, err := w.Write(csvLine(header(t.Proxies))); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if _, err := w.Write(csvLine(record(r))); err != nil {
			return err
		}
	}
	return nil
}

// checkRow is nil when r is a row ReadTable reads back in a table of
// proxies that holds the indices seen.
func checkRow(r Row, proxies []string, seen map[int]bool) error {
	switch {
	case len(r.Scores) != len(proxies):
		return fmt.Errorf("row of cell %d has %d scores, want %d", r.Index, len(r.Scores), len(proxies))
	case r.Index < 0:
		return fmt.Errorf("row of cell %d: want an index >= 0", r.Index)
	case seen[r.Index]:
		return fmt.Errorf("cell %d is already in the file", r.Index)
	case r.Arch == "" || !cleanText(r.Arch):
		return fmt.Errorf("cell %d: arch %s: want an architecture string without control characters", r.Index, quote(r.Arch))
	}
	for p, v := range r.Scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("cell %d: %s score %v is not finite", r.Index, proxies[p], v)
		}
	}
	return nil
}

// record is the CSV record of r.
func record(r Row) []string {
	rec := []string{strconv.Itoa(r.Index), r.Arch}
	for _, v := range r.Scores {
		rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return rec
}

// csvLine is rec as one CSV line, newline included.
func csvLine(rec []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rec) // a bytes.Buffer does not fail
	w.Flush()
	return b.Bytes()
}

// Errors of Open (and of Run's Config.Out), to test with errors.Is. A
// malformed file is a *TableError.
var (
	// ErrNotRegular: the path is a directory, a device, a FIFO... (the
	// error of every file the package opens, regular.ErrNotRegular).
	ErrNotRegular = regular.ErrNotRegular
	// ErrLocked: another process (or another Open) writes the file.
	ErrLocked = errors.New("study: table locked by another writer")
	// ErrNoSettings: a table without its settings file.
	ErrNoSettings = errors.New("study: table without its settings file")
	// ErrSettings: the table was scored with other settings (CheckSettings).
	ErrSettings = errors.New("study: table of other settings")
	// ErrOtherBench: the table's cells are not the benchmark's (Run).
	ErrOtherBench = errors.New("study: table of another benchmark")
	// ErrPartialBench: Run was given a benchmark that is not the whole
	// NAS-Bench-201 table, with Config.Out (see Config.PartialBench).
	ErrPartialBench = errors.New("study: not the whole NAS-Bench-201 table")
)

// kindError is an error message of one of the kinds above.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// Writer appends rows to a scores CSV, each with one write of its whole
// line to the file opened for appending, so that an interrupted study
// leaves whole rows and loses at most the networks in flight. It holds the
// file's lock (LockPath) until Close.
type Writer struct {
	f       *os.File
	path    string // as given, for messages
	real    string // the file, through symbolic links (resolve)
	proxies []string
	seen    map[int]bool // indices in the file
	addErr  error        // why rows may not be added, or nil
	notes   []string
	closed  bool
}

// Open opens the scores CSV at path for appending, with the settings s,
// and returns the rows it already holds. It refuses, leaving every file as
// it was:
//   - an empty path, or no proxies;
//   - a path that is not a regular file (ErrNotRegular), checked without
//     blocking on a named pipe; the same for its settings file and lock;
//   - a file another writer holds (ErrLocked): Open creates LockPath of the
//     file, holding its process id, and Close removes it; the lock of a
//     process that is no longer running is taken over (Note says so). A
//     path through a symbolic link (of the file or of a directory) is the
//     file it leads to: one lock and one settings file per file;
//   - a file that is not a study table (*TableError), or of other proxies
//     (the same, in order, are needed);
//   - a table without its settings file (ErrNoSettings), or whose settings
//     have another protocol than s, or another content of the inputs
//     (Settings.Content) when both record one (ErrSettings).
//
// Only then is a last line cut short by an interruption removed from the
// file. A new (missing or empty) file gets s written to its settings file
// first, then its header. Rows may be added only on the compute that
// scored the file (CheckAdd); reading it needs none in particular.
func Open(path string, proxies []string, s Settings) (*Writer, *Table, error) {
	if path == "" {
		return nil, nil, errors.New("study: Open: empty path: want the scores CSV's path")
	}
	if err := checkProxies(proxies); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	real, err := resolve(path)
	if err != nil {
		return nil, nil, err
	}
	note, err := lock(real)
	if err != nil {
		return nil, nil, err
	}
	w, done, err := open(path, real, proxies, s)
	if err != nil {
		unlock(real)
		return nil, nil, err
	}
	if note != "" {
		w.notes = append([]string{note}, w.notes...)
	}
	return w, done, nil
}

// notRegular words an error of regular.Open for a study file: why the file
// must be regular.
func notRegular(err error) error {
	if errors.Is(err, ErrNotRegular) {
		return fmt.Errorf("%w: a study table and its settings and lock are regular files, to resume and to read back", err)
	}
	return err
}

// resolve is the file path names, through symbolic links of the file and
// of its directories (a missing file: of its directory), so that one file
// has one lock and one settings file whichever name reaches it. It refuses
// a path that is not a regular file, and a link to a missing file (which
// would be created wherever the link points).
func resolve(path string) (string, error) {
	if err := regular.Check(path); err != nil {
		return "", notRegular(err)
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%s is a symbolic link to a missing file: give the path of the file to write", path)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// open is Open once the lock of the file real (path resolved) is held. The
// file is opened once, without blocking, and read, checked, cut and
// appended to through that one descriptor: no name is looked up twice.
func open(path, real string, proxies []string, s Settings) (*Writer, *Table, error) {
	f, err := regular.OpenFile(real, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = nil, nil
	}
	if err != nil {
		return nil, nil, notRegular(err)
	}
	var data []byte
	if f != nil {
		if data, err = io.ReadAll(f); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	w := &Writer{f: f, path: path, real: real, proxies: proxies, seen: map[int]bool{}}
	done, err := w.start(data, s)
	if err != nil {
		if w.f != nil {
			w.f.Close()
		}
		return nil, nil, err
	}
	return w, done, nil
}

// start checks the file's contents data against the run's settings s and
// readies w to append: the header of a new file, the cut last row of an
// interrupted one dropped.
func (w *Writer) start(data []byte, s Settings) (*Table, error) {
	side := SettingsPath(w.real)
	if len(data) == 0 {
		if err := writeSettings(side, s); err != nil {
			return nil, err
		}
		if w.f == nil {
			var err error
			if w.f, err = regular.OpenFile(w.real, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
				return nil, notRegular(err)
			}
		}
		return &Table{Proxies: w.proxies}, w.write(header(w.proxies))
	}
	// Everything is checked before the file is touched.
	done, keep, err := readWhole(data, w.path)
	if err != nil {
		return nil, err
	}
	got, ok, err := readSettings(side)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errorf(ErrNoSettings, "%s has no settings file (%s), so its rows cannot be known to share one protocol: "+
			"remove it to start over, or choose another file", w.path, filepath.Base(side))
	}
	note, err := checkResume(w.path, side, got, s)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(done.Proxies, w.proxies) {
		return nil, errorf(ErrSettings, "%s: proxies %s, want %s (the same proxies, in order, to resume)",
			w.path, quote(strings.Join(done.Proxies, ",")), quote(strings.Join(w.proxies, ",")))
	}
	if note != "" {
		w.notes = append(w.notes, note)
	}
	w.addErr = computeError(w.path, side, got, s)
	if keep < len(data) {
		if err := w.f.Truncate(int64(keep)); err != nil {
			return nil, fmt.Errorf("%s: dropping the cut last row: %w", w.path, err)
		}
	}
	for _, r := range done.Rows {
		w.seen[r.Index] = true
	}
	return done, nil
}

// readWhole reads a study table's bytes as an interrupted writer left them:
// keep is the length of its whole lines; a last line without its newline
// was cut by the interruption (or a full disk) and is not read.
func readWhole(data []byte, name string) (t *Table, keep int, err error) {
	keep = bytes.LastIndexByte(data, '\n') + 1
	if keep == 0 {
		return nil, 0, &TableError{Name: name, Line: 1, Err: fmt.Errorf("not a study table: %s is not a whole header index,arch,<proxy>...", quote(string(data)))}
	}
	t, err = ReadTable(bytes.NewReader(data[:keep]), name)
	return t, keep, err
}

// CheckAdd is nil when rows may be added: the file is new, or its
// settings record the compute of this run (ErrSettings otherwise).
func (w *Writer) CheckAdd() error {
	if w == nil {
		return errNilWriter
	}
	return w.addErr
}

// errNilWriter is the error of a method of a nil *Writer.
var errNilWriter = errors.New("study: nil *Writer: want one of Open")

// Note is the lines to show the user about the opening, joined by "; "
// ("" when none): a stale lock taken over, settings that record no
// content of the inputs (an older file).
func (w *Writer) Note() string {
	if w == nil {
		return ""
	}
	return strings.Join(w.notes, "; ")
}

// Append writes one row, with one write of its line. It refuses a row the
// file could not read back: of another number of scores, a non-finite
// score, an index < 0 or already in the file, an arch with control
// characters; and any row when CheckAdd fails.
func (w *Writer) Append(r Row) error {
	switch {
	case w == nil:
		return errNilWriter
	case w.closed:
		return fmt.Errorf("%s: append after Close", w.path)
	case w.addErr != nil:
		return w.addErr
	}
	if err := checkRow(r, w.proxies, w.seen); err != nil {
		return fmt.Errorf("%s: %w", w.path, err)
	}
	if err := w.write(record(r)); err != nil {
		return err
	}
	w.seen[r.Index] = true
	return nil
}

// write writes rec as one line with a single write.
func (w *Writer) write(rec []string) error {
	if _, err := w.f.Write(csvLine(rec)); err != nil {
		return fmt.Errorf("%s: %w", w.path, err)
	}
	return nil
}

// Close closes the file and releases its lock.
func (w *Writer) Close() error {
	if w == nil {
		return errNilWriter
	}
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.f.Close()
	unlock(w.real)
	return err
}

// SettingsPath is the file beside a scores CSV that records how its scores
// were made, one line: the Settings' protocol, then " content=" and the
// content when recorded, then " compute=" and the compute.
func SettingsPath(path string) string { return path + ".settings" }

// Settings is everything that changes a study's scores but is not a column.
type Settings struct {
	// Protocol (seed, draw, batch, data file, model options) must be the
	// same to resume or to read a file: other values make other scores.
	Protocol string
	// Content is the size and SHA-256 of the inputs, "bench:<bytes>:sha256:
	// <hex>" then ",data:..." when a proxy reads data (Run fills it): the
	// protocol names the data file, this its bytes, so that other images
	// or another table under the same name are refused on resume. A file
	// written before it was recorded has none; it is then not checked (Open
	// notes it), so that such studies still resume and read.
	Content string
	// Compute names the backend and build that score the rows
	// (backend.Compute), followed by " scoring=supernet" when the cells are
	// scored as the supernet (Config.Supernet). The same protocol on
	// another one gives scores that differ in their last float32 digits,
	// so rows are only added on the compute that scored the file; reading
	// it needs no particular one.
	Compute string
}

// Keys of a settings line: the content (without spaces) and the compute
// (which may have spaces, so it comes last) follow the protocol.
const (
	contentKey = " content="
	computeKey = " compute="
)

func (s Settings) String() string {
	line := s.Protocol
	if s.Content != "" {
		line += contentKey + s.Content
	}
	return line + computeKey + s.Compute
}

// parseSettings reads a settings line. A line written before the compute
// was recorded has none: Compute is then empty; the same for Content.
func parseSettings(line string) Settings {
	var s Settings
	if i := strings.LastIndex(line, computeKey); i >= 0 {
		line, s.Compute = line[:i], line[i+len(computeKey):]
	}
	if i := strings.LastIndex(line, contentKey); i >= 0 && !strings.Contains(line[i+len(contentKey):], " ") {
		line, s.Content = line[:i], line[i+len(contentKey):]
	}
	s.Protocol = line
	return s
}

// readSettings reads the settings file side, a regular file; ok is false
// when there is none.
func readSettings(side string) (s Settings, ok bool, err error) {
	data, err := regular.ReadFile(side)
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, notRegular(err)
	}
	return parseSettings(strings.TrimSpace(string(data))), true, nil
}

// writeSettings writes s to the settings file side, whole or not at all;
// side may not be a special file (the rename would replace it).
func writeSettings(side string, s Settings) error {
	if err := regular.Check(side); err != nil {
		return notRegular(err)
	}
	if err := replaceFile(side, []byte(s.String()+"\n")); err != nil {
		return fmt.Errorf("writing the settings file: %w", err)
	}
	return nil
}

// replaceFile writes data to path by a rename of a temporary file beside it
// (0644, as a study table), so that a reader sees the old contents or the
// new, never a part; on an error path is as it was.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// checkResume is nil when a table at path, whose settings file side
// records got, may be read or resumed by a run of settings s: the same
// protocol, and the same content of the inputs when both record one. note
// says when got records none (a file of before), so it is not checked.
func checkResume(path, side string, got, s Settings) (note string, err error) {
	switch {
	case got.Protocol != s.Protocol:
		return "", errorf(ErrSettings, "%s was scored with %s (%s), this run uses %s: use the same settings to resume, or another file",
			path, quote(got.Protocol), side, quote(s.Protocol))
	case s.Content == "" || got.Content == s.Content:
		return "", nil
	case got.Content == "":
		return fmt.Sprintf("%s: its settings (%s) record no size and hash of the data and benchmark (written before they were recorded): "+
			"they are not checked, only their names", path, side), nil
	}
	return "", errorf(ErrSettings, "%s was scored from other inputs than this run's: %s (%s): the same names hold other files; "+
		"use the files it was scored from, or another file", path, contentDiff(got.Content, s.Content), side)
}

// contentDiff says which input of two Settings.Content differs.
func contentDiff(was, now string) string {
	parse := func(c string) map[string]string {
		m := map[string]string{}
		for part := range strings.SplitSeq(c, ",") {
			k, v, _ := strings.Cut(part, ":")
			m[k] = v
		}
		return m
	}
	a, b := parse(was), parse(now)
	var diffs []string
	for _, k := range []string{"data", "bench"} {
		if a[k] != b[k] {
			diffs = append(diffs, fmt.Sprintf("%s %s there, %s here", k, quote(a[k]), quote(b[k])))
		}
	}
	if len(diffs) == 0 {
		return fmt.Sprintf("content %s there, %s here", quote(was), quote(now))
	}
	return strings.Join(diffs, "; ")
}

// computeError is why rows scored on s may not be added to the table at
// path whose settings file side records got, or nil.
func computeError(path, side string, got, s Settings) error {
	if got.Compute == s.Compute {
		return nil
	}
	was := quote(got.Compute)
	if got.Compute == "" {
		was = "a backend and build it does not record"
	}
	return errorf(ErrSettings, "%s was scored on %s (%s), this run scores on %s: float32 scores differ between the two in their last digits, "+
		"so add rows with the same backend, build and scoring, or use another file", path, was, side, quote(s.Compute))
}

// CheckSettings ties the scores CSV at path to s. The first call writes s
// to SettingsPath(path); later calls fail (ErrSettings) when the recorded
// protocol or content differs (see Open), and, when adding is set (the
// run will score new rows), when the recorded compute differs, so that a
// resumed study mixes neither two protocols nor two builds. Open makes the
// same checks.
func CheckSettings(path string, s Settings, adding bool) error {
	if path == "" {
		return errors.New("study: CheckSettings: empty path: want the scores CSV's path")
	}
	side := SettingsPath(path)
	got, ok, err := readSettings(side)
	if err != nil {
		return err
	}
	if !ok {
		return writeSettings(side, s)
	}
	if _, err := checkResume(path, side, got, s); err != nil {
		return err
	}
	if adding {
		return computeError(path, side, got, s)
	}
	return nil
}
