package study

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// Draw is how a study draws the weights and the batch of each cell.
type Draw string

const (
	// DrawShared gives every cell the same weights (drawn per parameter
	// name from Config.Seed) and the same plain batch, so that cells differ
	// only by their ops.
	DrawShared Draw = "shared"
	// DrawPerCell gives each cell its own weights and augmented batch (the
	// random crop and flip of training), both seeded by
	// freedarts.SubSeed(Config.Seed, index): independent draws, as
	// zero-cost-nas makes them, yet reproducible, and the same on resume or
	// with any number of workers.
	DrawPerCell Draw = "per-cell"
)

// Draws lists the draw modes.
func Draws() []Draw { return []Draw{DrawShared, DrawPerCell} }

// Config is a study: which NAS-Bench-201 cells to score with which proxies,
// and how. Run checks every field; the zero values that are allowed are
// documented with their field.
type Config struct {
	// Network sizes the cells' networks; the zero value is
	// nb201.DefaultConfig(), the benchmark's CIFAR-10 network. ConvBias
	// gives the cell convolutions a bias, as zero-cost-nas's model does.
	Network nb201.Config
	// Proxies score every cell (freedarts.LookupCriteria("synflow,snip")):
	// at least one, each with a whole-network definition, no name twice.
	Proxies []freedarts.Criterion
	// Indices are the benchmark indices of the cells to score (at least
	// one; nb201.Sample draws some, ReadIndices reads a file of them). A
	// repeated index is scored once.
	Indices []int
	// Seed seeds the weights, and the batch of the data proxies (see Draw).
	Seed uint64
	// Draw is DrawShared or DrawPerCell; "" is DrawShared.
	Draw Draw
	// Data is the CIFAR-10 images that the batches of the data proxies
	// (snip, grasp, fisher, ...) are drawn from; required when a proxy needs
	// data, ignored otherwise. Network.InputSize must then be 32.
	Data *cifar10.Dataset
	// DataName names Data in Out's settings (the data file's base name);
	// required when Data is used and Out is set. The settings record the
	// images' own size and SHA-256 too (Settings.Content), so that other
	// images under the same name are refused on resume.
	DataName string
	// Batch is the number of images in a batch, 1 to Data.Len(); ignored
	// when no proxy needs data.
	Batch int
	// Backend is the compute backend configuration (see backend.Config: ""
	// is $GOMLX_BACKEND, else backend.Default). Every worker opens its own.
	Backend string
	// Supernet scores every cell as the supernet with a one-hot alpha
	// input (freedarts.NewSupernetScorer): one graph per study, compiled
	// once (per pass and batch shape), instead of one per cell. It is the
	// same protocol computed another way: the scores agree with the
	// concrete networks' up to the rounding of the last float32 digits, so
	// the mode is part of the Settings' Compute (a file is read whichever
	// mode, and added to only in its own). It pays where compiling is
	// slow (XLA: ~20 s a cell); on the go backend, whose compilation is
	// cheap, the concrete networks are faster (the supernet runs every op
	// of every edge), so false is the default.
	Supernet bool
	// Shard, when set, scores only that part of Indices (see Shard): one
	// task of a job array, whose files Merge joins. Out's settings record
	// the shard and the whole cell list, so a shard resumes only as itself.
	Shard Shard
	// Workers is the number of cells scored at once, each worker on its own
	// backend. 0 picks (AutoWorkers): one worker per core when no proxy
	// needs the labelled batch, else one.
	Workers int
	// Out, when set, is the scores CSV (see Open): each cell is appended as
	// it is scored, and the cells it already holds are read back instead of
	// scored again. Its settings file must match this study's, and its rows
	// the benchmark's cells. A refused Out is an *OutError.
	Out string
	// PartialBench lets Run write Out with a benchmark table of fewer cells
	// than NAS-Bench-201's nb201.NumCells (tests with a tiny table): by
	// default a study file is only resumed or written against the whole
	// table, whose indices and archs its rows record (ErrPartialBench).
	PartialBench bool
	// Progress, when set, is called after each newly scored cell, from
	// one goroutine at a time; scoring waits for it to return.
	Progress func(Progress)
}

// ConfigError is a Config field out of range.
type ConfigError struct {
	// Field is the Config field: "Workers", "Batch", "Network", ...
	Field string
	// Value is the field's value, as Go prints it (0, "fresh", [3]=99999).
	Value string
	// Want says what is expected ("want >= 1").
	Want string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("study: Config.%s %s: %s", e.Field, e.Value, e.Want)
}

// Progress reports one newly scored cell.
type Progress struct {
	// Done of Total: cells scored by this run so far, and cells it scores
	// (the requested cells that Out did not hold).
	Done, Total int
	// Resumed cells were read back from Out.
	Resumed int
	// Index and Arch are the cell just scored.
	Index int
	Arch  string
	// Proxies name Scores and Seconds.
	Proxies []string
	// Scores are the cell's scores; Seconds, per proxy, the wall time of the
	// pass the proxy ran in (proxies of one pass show the same time).
	Scores, Seconds []float64
	// Elapsed is the time since scoring started; ETA extrapolates it to
	// the cells left.
	Elapsed, ETA time.Duration
}

// String is a progress line: "3/20 cell 6111 (synflow 0.4s, params 0.0s)
// eta 7s".
func (p Progress) String() string {
	parts := make([]string, len(p.Proxies))
	for i, n := range p.Proxies {
		parts[i] = fmt.Sprintf("%s %.1fs", n, p.Seconds[i])
	}
	return fmt.Sprintf("%d/%d cell %d (%s) eta %s", p.Done, p.Total, p.Index, strings.Join(parts, ", "), p.ETA.Round(time.Second))
}

// Result is what Run scored and read back.
type Result struct {
	// Table holds every requested cell, resumed or new, sorted by index;
	// its Proxies are Config.Proxies' names.
	Table *Table
	// Resumed cells were read back from Out, Scored ones scored by this run.
	Resumed, Scored int
	// SecondsPerCell is, per proxy (in Table.Proxies order), the mean wall
	// time per cell scored by this run of the pass the proxy ran in; nil
	// when the run scored no cell.
	SecondsPerCell []float64
	// Settings are the study's protocol and compute, as Out's settings
	// file records them.
	Settings Settings
	// Workers is the number of cells scored at once (Config.Workers, or
	// what AutoWorkers picked for 0).
	Workers int
	// Notes are lines to show the user about Out: a stale lock taken over,
	// settings that record no content of the inputs (see Settings.Content).
	Notes []string
}

// OutError is a Config.Out that Run refused to resume or write: Err says
// why (ErrNotRegular, ErrLocked, ErrNoSettings, ErrSettings, ErrOtherBench,
// ErrPartialBench, a *TableError...), and the file is left as it was.
type OutError struct {
	Path string
	Err  error
}

func (e *OutError) Error() string { return "study: Out: " + e.Err.Error() }

func (e *OutError) Unwrap() error { return e.Err }

// plan is a checked Config.
type plan struct {
	cfg      Config
	net      nb201.Config
	names    []string
	cells    []int // sorted, unique: the shard's part of Indices
	data     bool  // a proxy needs Data
	draw     func(index int) (uint64, *freedarts.Batch, error)
	settings Settings
}

func newPlan(cfg Config, bench *nb201.Bench) (*plan, error) {
	if bench == nil {
		return nil, fmt.Errorf("study: no benchmark table (nb201.LoadBench)")
	}
	p := &plan{cfg: cfg, net: cfg.Network}
	if p.net == (nb201.Config{}) {
		p.net = nb201.DefaultConfig()
	}
	if err := p.net.Validate(); err != nil {
		return nil, &ConfigError{"Network", fmt.Sprintf("%+v", p.net), err.Error()}
	}
	if len(cfg.Proxies) == 0 {
		return nil, &ConfigError{"Proxies", "[]", "want at least one proxy (freedarts.LookupCriteria)"}
	}
	for i, c := range cfg.Proxies {
		switch {
		case c.Name == "":
			return nil, &ConfigError{"Proxies", fmt.Sprintf("[%d]", i), "want a named criterion"}
		case slices.Contains(p.names, c.Name):
			return nil, &ConfigError{"Proxies", fmt.Sprintf("[%d]=%s", i, c.Name), "want every proxy once (they name the columns)"}
		case c.Network == nil && c.Static == nil:
			return nil, &ConfigError{"Proxies", fmt.Sprintf("[%d]=%s", i, c.Name), "want a proxy with a whole-network definition"}
		}
		p.names = append(p.names, c.Name)
	}
	if len(cfg.Indices) == 0 {
		return nil, &ConfigError{"Indices", "[]", "want at least one cell index"}
	}
	for k, i := range cfg.Indices {
		if i < 0 || i >= bench.Len() {
			return nil, &ConfigError{"Indices", fmt.Sprintf("[%d]=%d", k, i), fmt.Sprintf("want a NAS-Bench-201 index in [0, %d)", bench.Len())}
		}
	}
	all := slices.Compact(slices.Sorted(slices.Values(cfg.Indices)))
	p.cells = all
	if sh := cfg.Shard; sh != (Shard{}) {
		if err := sh.check(); err != nil {
			return nil, &ConfigError{"Shard", fmt.Sprintf("%+v", sh), err.Error()}
		}
		if sh.Count > len(all) {
			return nil, &ConfigError{"Shard", sh.String(), fmt.Sprintf("want at most %d shards, one per cell of the study", len(all))}
		}
		p.cells = sh.of(all)
	}
	if p.cfg.Draw == "" {
		p.cfg.Draw = DrawShared
	}
	if !slices.Contains(Draws(), p.cfg.Draw) {
		return nil, &ConfigError{"Draw", fmt.Sprintf("%q", cfg.Draw), fmt.Sprintf("want %s or %s", DrawShared, DrawPerCell)}
	}
	if cfg.Workers < 0 {
		return nil, &ConfigError{"Workers", fmt.Sprint(cfg.Workers), "want >= 1 (0 picks AutoWorkers)"}
	}
	p.data = freedarts.NeedData(cfg.Proxies...)
	if p.cfg.Workers == 0 {
		p.cfg.Workers = AutoWorkers()
	}
	if p.data {
		var users []string
		for _, c := range cfg.Proxies {
			if c.NeedsData() {
				users = append(users, c.Name)
			}
		}
		switch {
		case cfg.Data == nil || cfg.Data.Len() == 0:
			return nil, &ConfigError{"Data", "empty", fmt.Sprintf("want CIFAR-10 images: %s need a labelled batch", strings.Join(users, ", "))}
		case len(cfg.Data.Pixels) != cfg.Data.Len()*(cifar10.RecordSize-1):
			return nil, &ConfigError{"Data", fmt.Sprintf("of %d labels and %d pixel bytes", cfg.Data.Len(), len(cfg.Data.Pixels)),
				fmt.Sprintf("want %d pixel bytes per label", cifar10.RecordSize-1)}
		case p.net.InputSize != cifar10.Height:
			return nil, &ConfigError{"Network", fmt.Sprintf("InputSize %d", p.net.InputSize),
				fmt.Sprintf("want %d: %s read %dx%d CIFAR-10 images", cifar10.Height, strings.Join(users, ", "), cifar10.Height, cifar10.Width)}
		case cfg.Batch < 1 || cfg.Batch > cfg.Data.Len():
			return nil, &ConfigError{"Batch", fmt.Sprint(cfg.Batch), fmt.Sprintf("want 1 to %d, the images in the dataset", cfg.Data.Len())}
		case cfg.Out != "" && cfg.DataName == "":
			return nil, &ConfigError{"DataName", `""`, "want the data file's name: the settings of Out record it"}
		}
	}
	var err error
	if p.draw, err = p.drawFunc(); err != nil {
		return nil, err
	}
	p.settings = Settings{Protocol: shardProtocol(p.protocol(), cfg.Shard, all), Content: p.content(bench), Compute: p.compute()}
	return p, nil
}

// content is the Settings.Content of the plan: the size and SHA-256 of
// the benchmark file and, when a proxy reads data, of the images (checked
// whole by newPlan).
func (p *plan) content(bench *nb201.Bench) string {
	var parts []string
	if c := bench.Content(); c != "" {
		parts = append(parts, "bench:"+c)
	}
	if p.data {
		parts = append(parts, "data:"+dataContent(p.cfg.Data))
	}
	return strings.Join(parts, ",")
}

// dataContent is the size and SHA-256 of d's images as the CIFAR-10 file
// holds them (a label byte, then the pixels, per image): for a whole file
// loaded, what sha256sum prints of it.
func dataContent(d *cifar10.Dataset) string {
	h := sha256.New()
	const pixels = cifar10.RecordSize - 1
	for i, l := range d.Labels {
		h.Write([]byte{l})
		h.Write(d.Pixels[i*pixels : (i+1)*pixels])
	}
	return fmt.Sprintf("%d:sha256:%x", d.Len()*cifar10.RecordSize, h.Sum(nil))
}

// compute is the Settings.Compute of the plan: the backend and build, and
// the scoring mode when it is the supernet (Config.Supernet), so that the
// files of the concrete mode, which records none, still take rows.
func (p *plan) compute() string {
	c := backend.Compute(backend.Config(p.cfg.Backend))
	if p.cfg.Supernet {
		c += " scoring=supernet"
	}
	return c
}

// protocol is the Settings.Protocol of the plan. The defaults add nothing,
// so that files scored before an option existed still resume.
func (p *plan) protocol() string {
	s := fmt.Sprintf("seed=%d draw=%s", p.cfg.Seed, p.cfg.Draw)
	if p.data {
		name := p.cfg.DataName
		if name != "" {
			name = filepath.Base(name)
		}
		s += fmt.Sprintf(" batch=%d data=%s", p.cfg.Batch, name)
	}
	if p.net.ConvBias {
		s += " conv-bias"
	}
	if n, d := p.net, nb201.DefaultConfig(); n.C != d.C || n.N != d.N || n.Classes != d.Classes || n.InputSize != d.InputSize {
		s += fmt.Sprintf(" nb201=C%d,N%d,classes%d,input%d", n.C, n.N, n.Classes, n.InputSize)
	}
	return s
}

// drawFunc gives the weight seed and the batch (nil without data) of a
// cell, as Draw says.
func (p *plan) drawFunc() (func(int) (uint64, *freedarts.Batch, error), error) {
	seed, n := p.cfg.Seed, p.cfg.Batch
	if p.cfg.Draw == DrawPerCell {
		return func(index int) (uint64, *freedarts.Batch, error) {
			s := freedarts.SubSeed(seed, uint64(index))
			if !p.data {
				return s, nil, nil
			}
			b, err := freedarts.SampleAugmentedBatch(p.cfg.Data, n, s)
			return s, b, err
		}, nil
	}
	var batch *freedarts.Batch
	if p.data {
		var err error
		if batch, err = freedarts.SampleBatch(p.cfg.Data, n, seed); err != nil {
			return nil, err
		}
	}
	return func(int) (uint64, *freedarts.Batch, error) { return seed, batch, nil }, nil
}

// Run scores the cells of cfg on cfg.Workers workers and returns the table
// of every requested cell. With cfg.Out, the cells the file holds are read
// back, not scored, and each new cell is appended as soon as it is scored.
//
// Cancelling ctx stops handing out cells: the cells in flight are finished
// and recorded, and Run returns ctx.Err(). The first failing cell stops the
// run the same way and its error is returned. In both cases the Result
// holds the cells recorded until then. Every backend Run opened is
// released, and no goroutine is left, when it returns. A Config error is a
// *ConfigError, with a nil Result.
func Run(ctx context.Context, cfg Config, bench *nb201.Bench) (*Result, error) {
	if ctx == nil {
		return nil, errors.New("study: Run: nil context: want one (context.Background())")
	}
	p, err := newPlan(cfg, bench)
	if err != nil {
		return nil, err
	}
	done := map[int]Row{}
	res := &Result{Settings: p.settings, Workers: p.cfg.Workers}
	var sink *Writer
	if cfg.Out != "" {
		if bench.Len() != nb201.NumCells && !cfg.PartialBench {
			return nil, &OutError{Path: cfg.Out, Err: errorf(ErrPartialBench, "%s: the benchmark table has %d cells, not the %d of NAS-Bench-201: "+
				"a study file records indices of the whole table", cfg.Out, bench.Len(), nb201.NumCells)}
		}
		var prev *Table
		if sink, prev, err = Open(cfg.Out, p.names, p.settings); err != nil {
			return nil, &OutError{Path: cfg.Out, Err: err}
		}
		defer sink.Close()
		res.Notes = append(res.Notes, sink.notes...)
		if _, err := prev.Records(bench); err != nil {
			return nil, &OutError{Path: cfg.Out, Err: fmt.Errorf("%s: %w", cfg.Out, err)}
		}
		for _, r := range prev.Rows {
			done[r.Index] = r
		}
	}
	var todo []int
	for _, i := range p.cells {
		if _, ok := done[i]; ok {
			res.Resumed++
		} else {
			todo = append(todo, i)
		}
	}
	if sink != nil && len(todo) > 0 {
		if err := sink.CheckAdd(); err != nil {
			return nil, &OutError{Path: cfg.Out, Err: err}
		}
	}
	if len(todo) > 0 {
		var secs []float64
		secs, res.Scored, err = p.score(ctx, todo, bench, sink, done, res.Resumed)
		if res.Scored > 0 {
			res.SecondsPerCell = make([]float64, len(secs))
			for i, s := range secs {
				res.SecondsPerCell[i] = s / float64(res.Scored)
			}
		}
	}
	res.Table = &Table{Proxies: p.names}
	for _, i := range p.cells {
		if r, ok := done[i]; ok {
			res.Table.Rows = append(res.Table.Rows, r)
		}
	}
	return res, err
}

// cellResult is one worker's outcome for a cell.
type cellResult struct {
	pos     int // in todo
	row     Row
	seconds []float64
	err     error
}

// score scores todo on the plan's workers, recording each cell in done
// and sink as it arrives. It returns, per proxy, the seconds summed over
// the recorded cells, and their number.
func (p *plan) score(ctx context.Context, todo []int, bench *nb201.Bench, sink *Writer, done map[int]Row, resumed int) ([]float64, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var backends []*backend.Backend
	defer func() {
		for _, b := range backends {
			b.Backend.Finalize()
		}
	}()
	var scorers []*freedarts.NetScorer
	for range min(p.cfg.Workers, len(todo)) {
		b, err := backend.Open(p.cfg.Backend)
		if err != nil {
			return nil, 0, fmt.Errorf("study: Config.Backend: %w", err)
		}
		backends = append(backends, b)
		s, err := p.newScorer(b)
		if err != nil {
			return nil, 0, err
		}
		scorers = append(scorers, s)
	}
	defer func() { // before the backends (deferred above)
		for _, s := range scorers {
			s.Close()
		}
	}()

	// stop ends the hand-out: on ctx's cancellation or the first error.
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	results := make(chan cellResult)
	go func() {
		defer close(jobs)
		for pos := range todo {
			select {
			case jobs <- pos:
			case <-stop.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for _, s := range scorers {
		wg.Go(func() {
			for pos := range jobs {
				if stop.Err() != nil {
					continue // handed out as the run stopped: not started
				}
				r := p.scoreCell(s, bench, todo[pos])
				r.pos = pos
				results <- r
			}
		})
	}
	go func() { wg.Wait(); close(results) }()

	secs := make([]float64, len(p.names))
	start := time.Now()
	var firstErr error
	n := 0
	// Cells are recorded in todo's order, whatever order the workers
	// finish them in, so that Out is the same file for any number of
	// workers (and a merge of shards the same as one run): a cell finished
	// early waits in pending for those before it (while one worker is on a
	// slow cell, the others go on with the next ones, and all of theirs
	// wait). When the run stops, the waiting cells are recorded as they
	// are, so that none is scored again on resume.
	pending := map[int]cellResult{}
	next := 0
	var ordered []cellResult
	for r := range results {
		if r.err != nil { // stops the run at once, out of order
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		pending[r.pos] = r
		ordered = ordered[:0]
		for ; ; next++ {
			q, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			ordered = append(ordered, q)
		}
		if len(pending) > 0 && stop.Err() != nil {
			ordered = append(ordered, flushPending(pending)...)
		}
		for _, r := range ordered {
			if err := p.record(r, sink, done, secs, &n); err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				continue
			}
			if p.cfg.Progress != nil {
				elapsed := time.Since(start)
				p.cfg.Progress(Progress{Done: n, Total: len(todo), Resumed: resumed, Index: r.row.Index, Arch: r.row.Arch,
					Proxies: p.names, Scores: r.row.Scores, Seconds: r.seconds,
					Elapsed: elapsed, ETA: time.Duration(float64(elapsed) / float64(n) * float64(len(todo)-n))})
			}
		}
	}
	for _, r := range flushPending(pending) {
		if err := p.record(r, sink, done, secs, &n); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return secs, n, firstErr
}

// flushPending empties pending and returns its cells in todo's order.
func flushPending(pending map[int]cellResult) []cellResult {
	out := make([]cellResult, 0, len(pending))
	for _, pos := range slices.Sorted(maps.Keys(pending)) {
		out = append(out, pending[pos])
		delete(pending, pos)
	}
	return out
}

// record appends a scored cell to sink and done and adds its seconds to
// secs, counting it in n; it returns sink's error.
func (p *plan) record(r cellResult, sink *Writer, done map[int]Row, secs []float64, n *int) error {
	if sink != nil {
		if err := sink.Append(r.row); err != nil {
			return err
		}
	}
	done[r.row.Index] = r.row
	*n++
	for i, s := range r.seconds {
		secs[i] += s
	}
	return nil
}

// scoreCell builds and scores the cell of benchmark index i; a panic (of
// a criterion's code, say) is its error.
func (p *plan) scoreCell(s *freedarts.NetScorer, bench *nb201.Bench, i int) (r cellResult) {
	defer func() {
		if v := recover(); v != nil {
			r = cellResult{err: fmt.Errorf("study: cell %d: panic: %v", i, v)}
		}
	}()
	rec, err := bench.Record(i)
	if err != nil {
		return cellResult{err: err}
	}
	sc, err := p.scoreNetwork(s, i, rec.Arch)
	if err != nil {
		return cellResult{err: fmt.Errorf("study: cell %d: %w", i, err)}
	}
	return cellResult{row: Row{Index: i, Arch: rec.Arch.String(), Scores: sc.Scores}, seconds: sc.Seconds}
}

// newScorer is a worker's scorer on b: of the concrete networks, or of
// the cells of the supernet (Config.Supernet).
func (p *plan) newScorer(b *backend.Backend) (*freedarts.NetScorer, error) {
	if !p.cfg.Supernet {
		return freedarts.NewNetScorer(b.Backend, p.cfg.Proxies, p.net.InputSize)
	}
	super, err := nb201.NewSpace(p.net)
	if err != nil {
		return nil, err
	}
	return freedarts.NewSupernetScorer(b.Backend, p.cfg.Proxies, super, p.net.InputSize)
}

// scoreNetwork scores the cell arch with the draw of cell i: its concrete
// network, or the supernet with its one-hot alpha (Config.Supernet).
func (p *plan) scoreNetwork(s *freedarts.NetScorer, i int, arch nb201.Arch) (*freedarts.NetScore, error) {
	seed, batch, err := p.draw(i)
	if err != nil {
		return nil, err
	}
	if p.cfg.Supernet {
		return s.ScoreArch(arch, seed, batch)
	}
	net, err := nb201.NewNetwork(p.net, arch)
	if err != nil {
		return nil, err
	}
	return s.Score(net, seed, batch)
}
