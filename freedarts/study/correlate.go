package study

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/stats"
	"github.com/freedarts/freedarts-gonb/internal/regular"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// Targets are the benchmark accuracies that Correlate compares the proxies
// with, in its order: nb201.Metrics, the final test accuracy on CIFAR-10
// under both protocols (cifar10valid_test, trained on 25k images, is what
// zero-cost-nas calls CIFAR-10), CIFAR-100 and ImageNet16-120. Each has
// its column name, a label and its accessor.
var Targets = slices.Clone(nb201.Metrics)

// PublishedRho returns the published Spearman rho of the named proxy or
// named ensemble with NAS-Bench-201 accuracy: the first that its
// registration carries (freedarts.Criterion.Published), with its source
// and target. The protocols differ: the zero-cost paper's and MeCo's
// CIFAR-10 is the cifar10-valid protocol's test accuracy (the
// cifar10valid_test target), NAS-Bench-Suite-Zero's the same protocol's
// validation accuracy, ZiCo's and AZ-NAS's the cifar10 protocol's test
// accuracy (cifar10_test). Proxies whose papers publish only Kendall's tau
// (TE-NAS's, AZ-NAS's parts) have none.
func PublishedRho(proxy string) (freedarts.Published, bool) {
	for _, p := range freedarts.PublishedCorrelations(proxy) {
		if p.Statistic == freedarts.Spearman {
			return p, true
		}
	}
	return freedarts.Published{}, false
}

// PublishedRhos is PublishedRho's value for every registered proxy and
// named ensemble that has one, by name: the published column of
// CorrelationTable.
func PublishedRhos() map[string]float64 {
	out := map[string]float64{}
	for _, n := range append(freedarts.CriterionNames(), freedarts.NamedEnsembleNames()...) {
		if p, ok := PublishedRho(n); ok {
			out[n] = p.Value
		}
	}
	return out
}

// Correlation is the agreement of one proxy (or ensemble) with one target
// over a table's cells.
type Correlation struct {
	// Proxy is a proxy of the table, an ensemble "rank(a+b)", "vote(a+b)",
	// "logrank(a+b)" (freedarts.RankAverage, MajorityVote, LogRank), or a
	// named ensemble ("az_nas", freedarts.LookupEnsemble).
	Proxy string `json:"proxy"`
	// Target is the Targets' name ("cifar10valid_test").
	Target string `json:"target"`
	// Spearman's rho and Kendall's tau-b of the scores and the accuracies;
	// NaN (null in JSON) when Undefined.
	Spearman float64 `json:"spearman"`
	Kendall  float64 `json:"kendall"`
	// Cells is the number of cells correlated.
	Cells int `json:"cells"`
	// Undefined says why there is no correlation: a proxy that scores
	// every cell alike ("constant: every cell scores 64", TE-NAS's region
	// count on whole NAS-Bench-201 networks). "" otherwise.
	Undefined string `json:"undefined,omitempty"`
}

// correlationFields is Correlation without its JSON methods.
type correlationFields Correlation

// correlationJSON is a Correlation as JSON holds it: rho and tau null when
// Undefined, which encoding/json cannot write for NaN.
type correlationJSON struct {
	correlationFields
	Spearman *float64 `json:"spearman"`
	Kendall  *float64 `json:"kendall"`
}

// MarshalJSON writes an undefined correlation's rho and tau as null.
func (c Correlation) MarshalJSON() ([]byte, error) {
	wire := correlationJSON{correlationFields: correlationFields(c)}
	if c.Undefined == "" {
		wire.Spearman, wire.Kendall = &c.Spearman, &c.Kendall
	}
	return json.Marshal(wire)
}

// UnmarshalJSON reads what MarshalJSON writes: a null rho or tau is NaN.
func (c *Correlation) UnmarshalJSON(b []byte) error {
	var wire correlationJSON
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*c = Correlation(wire.correlationFields)
	c.Spearman, c.Kendall = math.NaN(), math.NaN()
	if wire.Spearman != nil {
		c.Spearman = *wire.Spearman
	}
	if wire.Kendall != nil {
		c.Kendall = *wire.Kendall
	}
	return nil
}

// Correlate rank-correlates every proxy of tab, and every ensemble (sets of
// two or more of tab's proxies, as ParseEnsembles returns them) combined
// by each of freedarts.EnsembleNames, with every target. A one-name set
// that is a named ensemble (freedarts.LookupEnsemble: AZ-NAS's az_nas)
// is its members combined by its own method, under its name. The result is
// ordered by target (Targets' order), then proxies in tab's order, then
// ensembles. tab needs two cells or more, each once, with indices of
// bench; a row's arch, when set, must be the benchmark's. A proxy (or
// ensemble) that scores every cell alike has no correlation: its entries
// are Undefined, and the others are computed as usual.
func Correlate(tab *Table, bench *nb201.Bench, ensembles [][]string) ([]Correlation, error) {
	if tab == nil || len(tab.Rows) < 2 {
		n := 0
		if tab != nil {
			n = len(tab.Rows)
		}
		return nil, fmt.Errorf("study: correlate %d cells, want at least 2", n)
	}
	if bench == nil {
		return nil, fmt.Errorf("study: no benchmark table (nb201.LoadBench)")
	}
	seen := map[int]bool{}
	for _, r := range tab.Rows {
		if seen[r.Index] {
			return nil, fmt.Errorf("study: cell %d appears twice in the table", r.Index)
		}
		seen[r.Index] = true
	}
	recs, err := tab.Records(bench)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	type column struct {
		name   string
		values []float64
	}
	var cols []column
	for _, n := range tab.Proxies {
		v, err := tab.Column(n)
		if err != nil {
			return nil, err
		}
		cols = append(cols, column{n, v})
	}
	for _, set := range ensembles {
		methods := freedarts.EnsembleNames()
		label := func(method string) string { return method + "(" + strings.Join(set, "+") + ")" }
		if len(set) == 1 {
			if e, ok := freedarts.LookupEnsemble(set[0]); ok {
				name := e.Name
				set, methods = e.Members, []string{e.Method}
				label = func(string) string { return name }
			}
		}
		if len(set) < 2 {
			return nil, fmt.Errorf("study: ensemble %q has %d proxies, want two or more", set, len(set))
		}
		members := make([][]float64, len(set))
		for k, n := range set {
			v, err := tab.Column(n)
			if err != nil {
				return nil, fmt.Errorf("study: ensemble %s: %w", strings.Join(set, "+"), err)
			}
			members[k] = v
		}
		for _, method := range methods {
			v, err := freedarts.Combine(method, members)
			if err != nil {
				return nil, err
			}
			cols = append(cols, column{label(method), v})
		}
	}
	// why is each column's reason it has no correlation with any target
	// ("" for the others).
	why := make([]string, len(cols))
	for k, c := range cols {
		if stats.Constant(c.values) {
			why[k] = fmt.Sprintf("constant: every cell scores %v", c.values[0])
		}
	}
	var out []Correlation
	for _, t := range Targets {
		truth := make([]float64, len(recs))
		for k, rec := range recs {
			truth[k] = t.Value(rec)
		}
		for k, c := range cols {
			if why[k] != "" {
				out = append(out, Correlation{Proxy: c.name, Target: t.Name, Spearman: math.NaN(), Kendall: math.NaN(), Cells: len(recs), Undefined: why[k]})
				continue
			}
			rho, err := stats.Spearman(c.values, truth)
			if err != nil {
				return nil, fmt.Errorf("study: %s vs %s: %w", c.name, t.Name, err)
			}
			tau, err := stats.KendallTau(c.values, truth)
			if err != nil {
				return nil, fmt.Errorf("study: %s vs %s: %w", c.name, t.Name, err)
			}
			out = append(out, Correlation{Proxy: c.name, Target: t.Name, Spearman: rho, Kendall: tau, Cells: len(recs)})
		}
	}
	return out, nil
}

// Records returns the benchmark row of every row of t, in order. An index
// the benchmark does not have, or an arch that is not the benchmark's at its
// index (a row without an arch is not checked), is an ErrOtherBench error:
// the table was scored on another benchmark, or another order of it.
func (t *Table) Records(bench *nb201.Bench) ([]nb201.Record, error) {
	switch {
	case t == nil:
		return nil, errNilTable
	case bench == nil:
		return nil, fmt.Errorf("study: no benchmark table (nb201.LoadBench)")
	}
	recs := make([]nb201.Record, len(t.Rows))
	for k, r := range t.Rows {
		rec, err := bench.Record(r.Index)
		if err != nil {
			return nil, errorf(ErrOtherBench, "cell %d is not in the benchmark's %d (%v): a table of another benchmark?", r.Index, bench.Len(), err)
		}
		if r.Arch != "" && r.Arch != rec.Arch.String() {
			return nil, errorf(ErrOtherBench, "cell %d is %s, the benchmark's is %s: a table of another benchmark order?", r.Index, quote(r.Arch), rec.Arch)
		}
		recs[k] = rec
	}
	return recs, nil
}

// ParseEnsembles reads "a+b,c+d" into proxy sets for Correlate; every
// proxy must be among proxies, and every set have two or more. A set may
// instead be a named ensemble ("az_nas", freedarts.LookupEnsemble), whose
// members must be among proxies: it is returned as the one-name set
// {"az_nas"}. "" is no ensemble.
func ParseEnsembles(s string, proxies []string) ([][]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var sets [][]string
	for set := range strings.SplitSeq(s, ",") {
		if e, ok := freedarts.LookupEnsemble(strings.TrimSpace(set)); ok {
			for _, m := range e.Members {
				if !slices.Contains(proxies, m) {
					return nil, fmt.Errorf("ensembles %q: %s combines %s, and %q is not among the proxies %s",
						s, e.Name, strings.Join(e.Members, ","), m, strings.Join(proxies, ","))
				}
			}
			sets = append(sets, []string{e.Name})
			continue
		}
		var names []string
		for n := range strings.SplitSeq(set, "+") {
			n = strings.TrimSpace(n)
			if !slices.Contains(proxies, n) {
				return nil, fmt.Errorf("ensembles %q: %q is not among the proxies %s", s, n, strings.Join(proxies, ","))
			}
			names = append(names, n)
		}
		if len(names) < 2 {
			return nil, fmt.Errorf("ensembles %q: set %q has one proxy, want two or more joined by +", s, set)
		}
		sets = append(sets, names)
	}
	return sets, nil
}

// maxIndexLine is the longest line ReadIndices reads, in bytes: an index
// is at most a few digits, a comment a sentence or two.
const maxIndexLine = 4096

// ReadIndices reads benchmark indices from the file at path, one a line
// (blank lines and lines starting with # are skipped), each in [0, total).
// path must be a regular file (a named pipe is refused at once,
// ErrNotRegular), of lines of at most 4096 bytes.
func ReadIndices(path string, total int) ([]int, error) {
	switch {
	case path == "":
		return nil, errors.New("study: ReadIndices: empty path: want a file of indices, one a line")
	case total < 1:
		return nil, fmt.Errorf("study: ReadIndices %s: total %d: want the benchmark's number of cells (>= 1)", path, total)
	}
	f, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []int
	r := bufio.NewReaderSize(f, maxIndexLine+1)
	for line := 1; ; line++ {
		text, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%s line %d: longer than %d bytes (it starts %s): want one index a line, or a # comment",
				path, line, maxIndexLine, quote(string(text)))
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		if s := strings.TrimSpace(string(text)); s != "" && !strings.HasPrefix(s, "#") {
			i, aerr := strconv.Atoi(s)
			if aerr != nil || i < 0 || i >= total {
				return nil, fmt.Errorf("%s line %d: %s is not an index in [0, %d)", path, line, quote(s), total)
			}
			out = append(out, i)
		}
		if err != nil { // io.EOF, after a last line without its newline
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no indices: want NAS-Bench-201 indices, one a line", path)
	}
	return out, nil
}

// CorrelationTable lays cors out for display (kernel.ShowTable in a
// notebook): one row per proxy, in the order of cors, with its published
// rho when published is not nil (PublishedRhos; "" for a proxy it lacks),
// then Spearman's rho and Kendall's tau against each target, labelled as
// in Targets, to three decimals ("undefined" for an Undefined one).
func CorrelationTable(cors []Correlation, published map[string]float64) (headers []string, rows [][]string) {
	var proxies, targets []string
	for _, c := range cors {
		if !slices.Contains(proxies, c.Proxy) {
			proxies = append(proxies, c.Proxy)
		}
		if !slices.Contains(targets, c.Target) {
			targets = append(targets, c.Target)
		}
	}
	headers = []string{"proxy"}
	if published != nil {
		headers = append(headers, "published ρ")
	}
	for _, t := range targets {
		label := t
		if k := slices.IndexFunc(Targets, func(m nb201.Metric) bool { return m.Name == t }); k >= 0 {
			label = Targets[k].Label
		}
		headers = append(headers, label+" ρ", "τ")
	}
	for _, p := range proxies {
		row := []string{p}
		if published != nil {
			v, ok := published[p]
			row = append(row, "")
			if ok {
				row[1] = fmt.Sprintf("%.3f", v)
			}
		}
		for _, t := range targets {
			rho, tau := "", ""
			for _, c := range cors {
				switch {
				case c.Proxy != p || c.Target != t:
				case c.Undefined != "":
					rho, tau = "undefined", "" // the reason is c.Undefined
				default:
					rho, tau = fmt.Sprintf("%.3f", c.Spearman), fmt.Sprintf("%.3f", c.Kendall)
				}
			}
			row = append(row, rho, tau)
		}
		rows = append(rows, row)
	}
	return headers, rows
}
