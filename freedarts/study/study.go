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
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
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

// ReadTable reads a scores CSV; name labels errors (usually the path).
func ReadTable(r io.Reader, name string) (*Table, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 || len(rows[0]) < 3 || rows[0][0] != "index" || rows[0][1] != "arch" {
		return nil, fmt.Errorf("%s: want a header index,arch,<proxy>...", name)
	}
	t := &Table{Proxies: rows[0][2:]}
	for k, rec := range rows[1:] {
		row := Row{Arch: rec[1], Scores: make([]float64, len(t.Proxies))}
		if row.Index, err = strconv.Atoi(rec[0]); err != nil || row.Index < 0 {
			return nil, fmt.Errorf("%s row %d: index %q is not an integer >= 0", name, k+2, rec[0])
		}
		for p, proxy := range t.Proxies {
			v, err := strconv.ParseFloat(rec[2+p], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s row %d: %s %q is not a finite number", name, k+2, proxy, rec[2+p])
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

// Writer appends rows to a scores CSV, flushing each at once, so that an
// interrupted study loses at most the network in flight.
type Writer struct {
	f       *os.File
	w       *csv.Writer
	proxies []string
}

// Open opens the scores CSV at path for appending, creating it if needed,
// and returns the rows it already holds. An existing file must have the
// header of proxies, in order; a last line cut short by an interruption is
// removed from the file.
func Open(path string, proxies []string) (*Writer, *Table, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		data = nil
	case err != nil:
		return nil, nil, err
	}
	if cut := strings.LastIndexByte(string(data), '\n'); cut+1 != len(data) {
		data = data[:cut+1]
		if err := os.Truncate(path, int64(len(data))); err != nil {
			return nil, nil, fmt.Errorf("%s: dropping the cut last row: %w", path, err)
		}
	}
	done := &Table{Proxies: proxies}
	if len(data) > 0 {
		if done, err = ReadTable(strings.NewReader(string(data)), path); err != nil {
			return nil, nil, err
		}
		if !slices.Equal(done.Proxies, proxies) {
			return nil, nil, fmt.Errorf("%s: proxies %q, want %q (the same proxies, in order, to resume)", path, done.Proxies, proxies)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	w := &Writer{f: f, w: csv.NewWriter(f), proxies: proxies}
	if len(data) == 0 {
		if err := w.write(header(proxies)); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return w, done, nil
}

// Append writes one row.
func (w *Writer) Append(r Row) error {
	if len(r.Scores) != len(w.proxies) {
		return fmt.Errorf("%s: row of cell %d has %d scores, want %d", w.f.Name(), r.Index, len(r.Scores), len(w.proxies))
	}
	rec := []string{strconv.Itoa(r.Index), r.Arch}
	for _, v := range r.Scores {
		rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return w.write(rec)
}

func (w *Writer) write(rec []string) error {
	w.w.Write(rec)
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("%s: %w", w.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

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
	// (backend.Compute). The same protocol on another one gives scores that
	// differ in their last float32 digits, so rows are only added on the
	// compute that scored the file; reading it needs no particular one.
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

// CheckSettings ties the scores CSV at path to s. The first call writes s
// to SettingsPath(path); later calls fail when the recorded protocol
// differs, and, when adding is set (the run will score new rows), when the
// recorded compute differs, so that a resumed study mixes neither two
// protocols nor two builds.
func CheckSettings(path string, s Settings, adding bool) error {
	side := SettingsPath(path)
	data, err := os.ReadFile(side)
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(side, []byte(s.String()+"\n"), 0o644)
	}
	if err != nil {
		return err
	}
	got := parseSettings(strings.TrimSpace(string(data)))
	if got.Protocol != s.Protocol {
		return fmt.Errorf("%s was scored with %q (%s), this run uses %q: use the same settings to resume, or another file",
			path, got.Protocol, side, s.Protocol)
	}
	if adding && got.Compute != s.Compute {
		was := strconv.Quote(got.Compute)
		if got.Compute == "" {
			was = "a backend and build it does not record"
		}
		return fmt.Errorf("%s was scored on %s (%s), this run scores on %q: float32 scores differ between the two in their last digits, "+
			"so add rows with the same backend and build, or use another file", path, was, side, s.Compute)
	}
	return nil
}
