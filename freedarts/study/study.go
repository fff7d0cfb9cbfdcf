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
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	boundedquote "github.com/freedarts/freedarts-gonb/internal/quote"
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

// checkProxies checks the proxy names of a header, from its third column.
func checkProxies(proxies []string) error {
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

// LoadTable reads the scores CSV at path.
func LoadTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(f, path)
}

// Column returns proxy's score of every row, in row order.
func (t *Table) Column(proxy string) ([]float64, error) {
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

// Write writes t as a scores CSV, as Writer would, row by row.
func (t *Table) Write(w io.Writer) error {
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
	// ErrNotRegular: the path is a directory, a device, a FIFO...
	ErrNotRegular = errors.New("study: not a regular file")
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
	path    string
	proxies []string
	seen    map[int]bool // indices in the file
	addErr  error        // why rows may not be added, or nil
	note    string
	closed  bool
}

// Open opens the scores CSV at path for appending, with the settings s,
// and returns the rows it already holds. It refuses, leaving every file as
// it was:
//   - a path that is not a regular file (ErrNotRegular);
//   - a file another writer holds (ErrLocked): Open creates LockPath(path),
//     holding its process id, and Close removes it; the lock of a process
//     that is no longer running is taken over (Note says so);
//   - a file that is not a study table (*TableError), or of other proxies
//     (the same, in order, are needed);
//   - a table without its settings file (ErrNoSettings), or whose settings
//     have another protocol than s (ErrSettings).
//
// Only then is a last line cut short by an interruption removed from the
// file. A new (missing or empty) file gets s written to its settings file
// first, then its header. Rows may be added only on the compute that
// scored the file (CheckAdd); reading it needs none in particular.
func Open(path string, proxies []string, s Settings) (*Writer, *Table, error) {
	if err := checkProxies(proxies); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkRegular(path); err != nil {
		return nil, nil, err
	}
	note, err := lock(path)
	if err != nil {
		return nil, nil, err
	}
	w, done, err := open(path, proxies, s)
	if err != nil {
		unlock(path)
		return nil, nil, err
	}
	w.note = note
	return w, done, nil
}

// checkRegular refuses an existing path that is not a regular file.
func checkRegular(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		what := "a special file"
		switch {
		case fi.IsDir():
			what = "a directory"
		case fi.Mode()&os.ModeDevice != 0:
			what = "a device"
		case fi.Mode()&os.ModeNamedPipe != 0:
			what = "a named pipe"
		case fi.Mode()&os.ModeSocket != 0:
			what = "a socket"
		}
		return errorf(ErrNotRegular, "%s is %s, not a file: a study table is a regular file, to resume and to read back", path, what)
	}
	return nil
}

// open is Open once the lock is held.
func open(path string, proxies []string, s Settings) (*Writer, *Table, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	side := SettingsPath(path)
	w := &Writer{path: path, proxies: proxies, seen: map[int]bool{}}
	done := &Table{Proxies: proxies}
	if len(data) > 0 {
		// Everything is checked before the file is touched.
		keep := bytes.LastIndexByte(data, '\n') + 1 // a last line without its newline was cut
		if keep == 0 {
			return nil, nil, &TableError{Name: path, Line: 1, Err: fmt.Errorf("not a study table: %s is not a whole header index,arch,<proxy>...", quote(string(data)))}
		}
		if done, err = ReadTable(bytes.NewReader(data[:keep]), path); err != nil {
			return nil, nil, err
		}
		got, ok, err := readSettings(side)
		switch {
		case err != nil:
			return nil, nil, err
		case !ok:
			return nil, nil, errorf(ErrNoSettings, "%s has no settings file (%s), so its rows cannot be known to share one protocol: "+
				"remove it to start over, or choose another file", path, filepath.Base(side))
		case got.Protocol != s.Protocol:
			return nil, nil, errorf(ErrSettings, "%s was scored with %s (%s), this run uses %s: use the same settings to resume, or another file",
				path, quote(got.Protocol), side, quote(s.Protocol))
		case !slices.Equal(done.Proxies, proxies):
			return nil, nil, errorf(ErrSettings, "%s: proxies %s, want %s (the same proxies, in order, to resume)",
				path, quote(strings.Join(done.Proxies, ",")), quote(strings.Join(proxies, ",")))
		}
		w.addErr = computeError(path, side, got, s)
		if keep < len(data) {
			if err := os.Truncate(path, int64(keep)); err != nil {
				return nil, nil, fmt.Errorf("%s: dropping the cut last row: %w", path, err)
			}
		}
		for _, r := range done.Rows {
			w.seen[r.Index] = true
		}
	} else if err := writeSettings(side, s); err != nil {
		return nil, nil, err
	}
	if w.f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
		return nil, nil, err
	}
	if len(data) == 0 {
		if err := w.write(header(proxies)); err != nil {
			w.f.Close()
			return nil, nil, err
		}
	}
	return w, done, nil
}

// CheckAdd is nil when rows may be added: the file is new, or its
// settings record the compute of this run (ErrSettings otherwise).
func (w *Writer) CheckAdd() error { return w.addErr }

// Note is a line to show the user about the opening ("" when none): a
// stale lock taken over.
func (w *Writer) Note() string { return w.note }

// Append writes one row, with one write of its line. It refuses a row the
// file could not read back: of another number of scores, a non-finite
// score, an index < 0 or already in the file, an arch with control
// characters; and any row when CheckAdd fails.
func (w *Writer) Append(r Row) error {
	switch {
	case w.closed:
		return fmt.Errorf("%s: append after Close", w.path)
	case w.addErr != nil:
		return w.addErr
	case len(r.Scores) != len(w.proxies):
		return fmt.Errorf("%s: row of cell %d has %d scores, want %d", w.path, r.Index, len(r.Scores), len(w.proxies))
	case r.Index < 0:
		return fmt.Errorf("%s: row of cell %d: want an index >= 0", w.path, r.Index)
	case w.seen[r.Index]:
		return fmt.Errorf("%s: cell %d is already in the file", w.path, r.Index)
	case r.Arch == "" || !cleanText(r.Arch):
		return fmt.Errorf("%s: cell %d: arch %s: want an architecture string without control characters", w.path, r.Index, quote(r.Arch))
	}
	for p, v := range r.Scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: cell %d: %s score %v is not finite", w.path, r.Index, w.proxies[p], v)
		}
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
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.f.Close()
	unlock(w.path)
	return err
}

// SettingsPath is the file beside a scores CSV that records how its scores
// were made, one line: the Settings' protocol, then " compute=" and the
// compute.
func SettingsPath(path string) string { return path + ".settings" }

// Settings is everything that changes a study's scores but is not a column.
type Settings struct {
	// Protocol (seed, draw, batch, data file, model options) must be the
	// same to resume or to read a file: other values make other scores.
	Protocol string
	// Compute names the backend and build that score the rows
	// (backend.Compute), followed by " scoring=supernet" when the cells are
	// scored as the supernet (Config.Supernet). The same protocol on
	// another one gives scores that differ in their last float32 digits,
	// so rows are only added on the compute that scored the file; reading
	// it needs no particular one.
	Compute string
}

// computeKey separates the compute from the protocol in a settings line.
const computeKey = " compute="

func (s Settings) String() string { return s.Protocol + computeKey + s.Compute }

// parseSettings reads a settings line. A line written before the compute
// was recorded has none: Compute is then empty.
func parseSettings(line string) Settings {
	if i := strings.LastIndex(line, computeKey); i >= 0 {
		return Settings{Protocol: line[:i], Compute: line[i+len(computeKey):]}
	}
	return Settings{Protocol: line}
}

// readSettings reads the settings file side; ok is false when there is none.
func readSettings(side string) (s Settings, ok bool, err error) {
	data, err := os.ReadFile(side)
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, err
	}
	return parseSettings(strings.TrimSpace(string(data))), true, nil
}

// writeSettings writes s to the settings file side, whole or not at all.
func writeSettings(side string, s Settings) error {
	f, err := os.CreateTemp(filepath.Dir(side), filepath.Base(side)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(s.String() + "\n")
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600; the table beside it is 0644
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), side)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing the settings file: %w", err)
	}
	return nil
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
// protocol differs, and, when adding is set (the run will score new rows),
// when the recorded compute differs, so that a resumed study mixes neither
// two protocols nor two builds. Open makes the same checks.
func CheckSettings(path string, s Settings, adding bool) error {
	side := SettingsPath(path)
	got, ok, err := readSettings(side)
	if err != nil {
		return err
	}
	if !ok {
		return writeSettings(side, s)
	}
	if got.Protocol != s.Protocol {
		return errorf(ErrSettings, "%s was scored with %s (%s), this run uses %s: use the same settings to resume, or another file",
			path, quote(got.Protocol), side, quote(s.Protocol))
	}
	if adding {
		return computeError(path, side, got, s)
	}
	return nil
}
