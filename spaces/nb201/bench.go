package nb201

import (
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/internal/regular"
	"github.com/freedarts/freedarts-gonb/spaces"
)

// maxQuote is the most characters of a field an error quotes: a whole
// arch string (at most 90), not a 10 MB field of a corrupt table.
const maxQuote = 100

// quoted is s quoted for an error, at most its first maxQuote characters.
func quoted(s string) string { return quote.Max(s, maxQuote) }

// Record is one cell's row of the benchmark table. Accuracies are in percent, after 200 epochs,
// averaged over seeds.
type Record struct {
	Index int
	Arch  Arch
	// Final test accuracy; CIFAR-10 under the "cifar10" protocol (trained on train+valid).
	Cifar10Test, Cifar100Test, ImageNet16Test float64
	// The "cifar10-valid" protocol (trained on 25k images): validation and test accuracy.
	Cifar10ValidValid, Cifar10ValidTest float64
	// NAS-Bench-201 v1.1 values.
	Cifar100Valid, Cifar100TestV11, ImageNet16Valid, ImageNet16TestV11 float64
	// ParamsMB is the CIFAR-10 network's parameter count in millions.
	ParamsMB float64
}

// metricColumns ties the CSV's metric columns to Record's fields. Columns are found by name so
// that exports with extra or reordered columns still load.
var metricColumns = [...]struct {
	name  string
	field func(*Record) *float64
}{
	{"cifar10_test", func(r *Record) *float64 { return &r.Cifar10Test }},
	{"cifar100_test", func(r *Record) *float64 { return &r.Cifar100Test }},
	{"imagenet16_test", func(r *Record) *float64 { return &r.ImageNet16Test }},
	{"cifar10valid_valid", func(r *Record) *float64 { return &r.Cifar10ValidValid }},
	{"cifar10valid_test", func(r *Record) *float64 { return &r.Cifar10ValidTest }},
	{"cifar100_valid", func(r *Record) *float64 { return &r.Cifar100Valid }},
	{"cifar100_test_v11", func(r *Record) *float64 { return &r.Cifar100TestV11 }},
	{"imagenet16_valid", func(r *Record) *float64 { return &r.ImageNet16Valid }},
	{"imagenet16_test_v11", func(r *Record) *float64 { return &r.ImageNet16TestV11 }},
	{"params_mb", func(r *Record) *float64 { return &r.ParamsMB }},
}

// Bench is the benchmark table, indexed both by the official index and by arch.
// It is the accuracy table that the -bench flag names; the freedarts bench
// command (package freedarts/perf) times searches instead.
type Bench struct {
	records []Record // records[i].Index == i
	byArch  map[Arch]int
	content string // the file's size and SHA-256 (Content)
}

// Content is the size and SHA-256 of the file the table was read from,
// "<bytes>:sha256:<hex>" (sha256sum prints the same hex): what a study's
// settings record, so that a study is not resumed against another table
// under the same name. A nil Bench has none: "".
func (b *Bench) Content() string {
	if b == nil {
		return ""
	}
	return b.content
}

// LoadBench reads the NAS-Bench-201 accuracy CSV (see shared/data/README.md): a header naming at
// least the columns index, arch and those of Record's metrics, in any order, then one row per
// cell with the indices 0, 1, 2, ... in order and every arch at most once.
//
// path must be a regular file: a named pipe or a device is refused at once
// (regular.ErrNotRegular), not waited on.
func LoadBench(path string) (*Bench, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nb201: load bench: %w", err)
	}
	defer f.Close()

	// The file is hashed as it is read: a whole table, or an error.
	h := sha256.New()
	size := &countWriter{}
	r := csv.NewReader(io.TeeReader(f, io.MultiWriter(h, size)))
	// Field counts are checked below, so that the error says which line and what was expected.
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("nb201: %s: empty file, want a header line", path)
	}
	if err != nil {
		return nil, fmt.Errorf("nb201: %s: %w", path, err)
	}
	cols, err := findColumns(path, header)
	if err != nil {
		return nil, err
	}

	b := &Bench{byArch: make(map[Arch]int)}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("nb201: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(row) != len(header) {
			return nil, fmt.Errorf("nb201: %s line %d: %d fields, want %d as in the header", path, line, len(row), len(header))
		}
		rec, err := parseRecord(row, cols, len(b.records))
		if err != nil {
			return nil, fmt.Errorf("nb201: %s line %d, %w", path, line, err)
		}
		if prev, dup := b.byArch[rec.Arch]; dup {
			return nil, fmt.Errorf("nb201: %s line %d: arch %s already at index %d", path, line, rec.Arch, prev)
		}
		b.byArch[rec.Arch] = rec.Index
		b.records = append(b.records, rec)
	}
	if len(b.records) == 0 {
		return nil, fmt.Errorf("nb201: %s: no rows after the header", path)
	}
	b.content = fmt.Sprintf("%d:sha256:%x", size.n, h.Sum(nil)) // the csv reader read to the end
	return b, nil
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// columns holds the position in a row of each column LoadBench reads.
type columns struct {
	index, arch int
	metrics     [len(metricColumns)]int
}

func findColumns(path string, header []string) (columns, error) {
	pos := make(map[string]int, len(header))
	for i, name := range header {
		if _, dup := pos[name]; dup {
			return columns{}, fmt.Errorf("nb201: %s: header names column %s twice", path, quoted(name))
		}
		pos[name] = i
	}
	find := func(name string) (int, error) {
		i, ok := pos[name]
		if !ok {
			return -1, fmt.Errorf("nb201: %s: header has no column %q (have %s)", path, name, quoted(strings.Join(header, ",")))
		}
		return i, nil
	}
	var c columns
	var err error
	if c.index, err = find("index"); err != nil {
		return columns{}, err
	}
	if c.arch, err = find("arch"); err != nil {
		return columns{}, err
	}
	for m, mc := range metricColumns {
		if c.metrics[m], err = find(mc.name); err != nil {
			return columns{}, err
		}
	}
	return c, nil
}

// parseRecord parses one row, which must hold index want. Errors start with the column, for
// LoadBench to put the file and line in front.
func parseRecord(row []string, c columns, want int) (Record, error) {
	var rec Record
	index, err := strconv.Atoi(row[c.index])
	if err != nil {
		return Record{}, fmt.Errorf("column \"index\": %s is not an integer", quoted(row[c.index]))
	}
	switch {
	case index < want:
		return Record{}, fmt.Errorf("column \"index\": duplicate index %d, want %d (rows in index order)", index, want)
	case index > want:
		return Record{}, fmt.Errorf("column \"index\": index %d out of order, want %d (rows in index order)", index, want)
	}
	rec.Index = index
	if a := row[c.arch]; len(a) > maxQuote {
		// parseArch would quote it whole.
		return Record{}, fmt.Errorf("column \"arch\": %s is %d bytes long, want a NAS-Bench-201 arch string (at most 90)", quoted(a), len(a))
	}
	if rec.Arch, err = parseArch(row[c.arch]); err != nil {
		return Record{}, fmt.Errorf("column \"arch\": %w", err)
	}
	for m, mc := range metricColumns {
		s := row[c.metrics[m]]
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Record{}, fmt.Errorf("column %q: %s is not a finite number", mc.name, quoted(s))
		}
		*mc.field(&rec) = v
	}
	return rec, nil
}

// Len is the number of cells in the table.
func (b *Bench) Len() int { return len(b.records) }

// Record returns the row with the given official index.
func (b *Bench) Record(index int) (Record, error) {
	if index < 0 || index >= len(b.records) {
		return Record{}, fmt.Errorf("nb201: bench index %d out of range [0, %d)", index, len(b.records))
	}
	return b.records[index], nil
}

// Lookup returns the row of architecture a, which must be an Arch of this
// space (as a search of it selects: freedarts.Result.Arch).
func (b *Bench) Lookup(arch spaces.Arch) (Record, error) {
	a, ok := arch.(Arch)
	if !ok {
		return Record{}, fmt.Errorf("nb201: %T %v is not a NAS-Bench-201 arch", arch, arch)
	}
	i, ok := b.byArch[a]
	if !ok {
		return Record{}, fmt.Errorf("nb201: arch %s not in the benchmark table of %d cells", a, len(b.records))
	}
	return b.records[i], nil
}

// Metric is a column of the benchmark table that architectures are
// compared by.
type Metric struct {
	// Name is the CSV column ("cifar10_test"); Label is for people
	// ("CIFAR-10").
	Name, Label string
	Value       func(Record) float64
}

// Metrics are the final test accuracies studies compare with: CIFAR-10
// under both protocols (cifar10-valid: trained on 25k images, what the
// zero-cost paper calls CIFAR-10; cifar10: on all 50k), CIFAR-100 and
// ImageNet16-120.
var Metrics = []Metric{
	{"cifar10_test", "CIFAR-10", func(r Record) float64 { return r.Cifar10Test }},
	{"cifar10valid_test", "CIFAR-10 (c10-valid)", func(r Record) float64 { return r.Cifar10ValidTest }},
	{"cifar100_test", "CIFAR-100", func(r Record) float64 { return r.Cifar100Test }},
	{"imagenet16_test", "ImageNet16-120", func(r Record) float64 { return r.ImageNet16Test }},
}

// Accuracies are r's Metrics by name.
func (r Record) Accuracies() map[string]float64 {
	m := make(map[string]float64, len(Metrics))
	for _, t := range Metrics {
		m[t.Name] = t.Value(r)
	}
	return m
}

// Rank is 1 + the number of cells whose metric is above r's.
func (b *Bench) Rank(r Record, metric func(Record) float64) int {
	n := 1
	for _, o := range b.records {
		if metric(o) > metric(r) {
			n++
		}
	}
	return n
}

// Mean is the metric averaged over every cell of the table.
func (b *Bench) Mean(metric func(Record) float64) float64 {
	if len(b.records) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, r := range b.records {
		s += metric(r)
	}
	return s / float64(len(b.records))
}

// Best returns the row with the largest metric, e.g.
//
//	b.Best(func(r Record) float64 { return r.Cifar10Test })
//
// Ties go to the lowest index, NaN loses to any number, and an empty Bench gives the zero Record.
func (b *Bench) Best(metric func(Record) float64) Record {
	var best Record
	bestV := math.Inf(-1)
	for i, r := range b.records {
		if v := metric(r); i == 0 || v > bestV || (math.IsNaN(bestV) && !math.IsNaN(v)) {
			best, bestV = r, v
		}
	}
	return best
}

// Summary is how a set of picks (a search's architectures over seeds, say)
// fares in the benchmark.
type Summary struct {
	// Picks are the benchmark rows of the architectures, in order.
	Picks []Record
	// Mean is each of Metrics averaged over Picks, by Metric.Name.
	Mean map[string]float64
}

// Summary looks every architecture up (Lookup) and averages the Metrics
// of the rows found. It needs at least one architecture, each an Arch of
// the table.
func (b *Bench) Summary(archs ...spaces.Arch) (Summary, error) {
	if len(archs) == 0 {
		return Summary{}, errors.New("nb201: summary of no architectures")
	}
	s := Summary{Picks: make([]Record, len(archs))}
	accs := make([]map[string]float64, len(archs))
	for i, a := range archs {
		r, err := b.Lookup(a)
		if err != nil {
			return Summary{}, err
		}
		s.Picks[i], accs[i] = r, r.Accuracies()
	}
	s.Mean = MeanAccuracies(accs...)
	return s, nil
}

// MeanAccuracies averages maps of Record.Accuracies entry by entry: every
// Metric's Name maps to the sum of value/len(accs) over accs, a missing
// entry counting as 0 (an empty map without accs).
func MeanAccuracies(accs ...map[string]float64) map[string]float64 {
	mean := make(map[string]float64, len(Metrics))
	if len(accs) == 0 {
		return mean
	}
	n := float64(len(accs))
	for _, m := range Metrics {
		for _, a := range accs {
			mean[m.Name] += a[m.Name] / n
		}
	}
	return mean
}

// ImpliedScore is the score a supernet's score matrix implies for cell a:
// the sum over edges of log10 scores[e][a[e]], the log of the product of
// the scores of the cell's ops (scores as nb201.Select takes them: [6
// edges][5 ops]). The cell Select picks from scores has the largest implied
// score. It is -Inf when one of a's ops scores 0 or less (a none edge of
// SynFlow), NaN when scores is not 6×5.
func ImpliedScore(scores [][]float64, a Arch) float64 {
	if len(scores) != NumEdges {
		return math.NaN()
	}
	s := 0.0
	for e, op := range a {
		if len(scores[e]) != NumOps || op < 0 || op >= NumOps {
			return math.NaN()
		}
		v := scores[e][op]
		if !(v > 0) {
			return math.Inf(-1)
		}
		s += math.Log10(v)
	}
	return s
}

// Points are a scatter plot's points over cells of the table, one per
// cell: X[i] and Y[i], and Labels[i], the cell's arch string (a tooltip).
type Points struct {
	X, Y   []float64
	Labels []string
}

// Points evaluates x and y on every cell of the table, in index order,
// and keeps the cells where both are finite: x = an implied score
// (ImpliedScore, -Inf for a cell with a none edge) or the parameter count,
// y = a Metric's Value. It needs a table and both functions.
func (b *Bench) Points(x, y func(Record) float64) (Points, error) {
	if b == nil || len(b.records) == 0 {
		return Points{}, errors.New("nb201: points of no benchmark table (nil or empty)")
	}
	if x == nil || y == nil {
		return Points{}, errors.New("nb201: points need an x and a y function of a Record, got nil")
	}
	var p Points
	for _, r := range b.records {
		vx, vy := x(r), y(r)
		if math.IsNaN(vx) || math.IsInf(vx, 0) || math.IsNaN(vy) || math.IsInf(vy, 0) {
			continue
		}
		p.X, p.Y, p.Labels = append(p.X, vx), append(p.Y, vy), append(p.Labels, r.Arch.String())
	}
	return p, nil
}
