package freedarts

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/internal/sysmem"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Memory budget. A network's size follows from its shape options, and a
// mistyped one (-channels 100000) would only show itself as an allocation
// that runs the machine out of memory: the Go runtime then dies with
// "fatal error: out of memory" and a dump of every goroutine, which no
// caller can catch. New (the search), CheckNetMemory (whole-network
// scores: correlate) and CheckTrainMemory (train) therefore compute, from
// the parameters they trace, a lower bound of the memory the work needs and
// refuse work whose bound exceeds the memory available. The bound is what
// must be resident at once whatever the backend does:
//
//   - the parameters, in the work's dtype: a scorer keeps its argument
//     tensors from pass to pass (argTensors), and the Go backend reads them
//     in place (other backends hold a copy on their device too, which the
//     bound leaves out); every criterion's supernet of a search counts;
//   - the copies of the parameters the work computes or keeps: SynFlow's
//     |theta| (WeightsAbs), used by the forward pass and again by the
//     backward pass, so that every layer's is alive between the two;
//     training's gradients and momentum;
//   - the per-image gradients of a per-image criterion (perImageCriteria:
//     ntk_cond runs one backward pass per image and keeps one gradient of
//     the weights per image), which grow with the batch;
//   - the input of one pass: the batch (the data criteria's, drawn once for
//     its size; a Gaussian-input criterion's images; else the one all-ones
//     image);
//   - the activations of a pass that are alive at once, for the whole
//     batch: the largest one; and for a gradient on alpha (the Saliency
//     criteria of a search), every op output of the supernet, which the
//     gradient of its gate reads back after the forward pass (an extra,
//     symbolic trace of the network, run only when the rest fits and the
//     activations could fill the room left: see traceActivation).
//
// Gradients of activations, the backend's buffer pool and the compiled
// graph come on top, so the bound is far below the real peak (SynFlow on
// NB201: about 4 MB of bound for a peak RSS over 1 GB); it exists to stop a
// size that cannot possibly fit, quickly, with an error that says why.
//
// The memory available is the least of the machine's MemAvailable, the room
// under a cgroup v2 limit and the room under an address-space limit
// (RLIMIT_AS, `ulimit -v`): see systemMemAvailable.

// memoryNeed is a lower bound of the bytes some work needs (see above).
type memoryNeed struct {
	// Weights are the parameters, in bytes.
	Weights int64
	// Copies are the copies of the parameters the work computes or keeps
	// (|theta|, gradients, momentum).
	Copies int64
	// Gradients are the per-image gradients of per-image criteria.
	Gradients int64
	// Input is the input batch of one pass.
	Input int64
	// Activation is the activations of one pass alive at once, for the
	// batch (0: not traced).
	Activation int64
	// Images is the batch the input and activation count (for the
	// message; 0 means 1).
	Images int
}

// Total is the sum of the parts, saturating at math.MaxInt64.
func (m memoryNeed) Total() int64 {
	t := m.Weights
	ok := true
	for _, part := range []int64{m.Copies, m.Gradients, m.Input, m.Activation} {
		if t, ok = addBytes(t, part); !ok {
			return math.MaxInt64
		}
	}
	return t
}

// add is the need of m's work and o's held at once (the scorers of a
// search): weights and gradients add up, the input and activation of the
// one pass that runs at a time are the larger.
func (m memoryNeed) add(o memoryNeed) memoryNeed {
	m.Weights, _ = addBytes(m.Weights, o.Weights)
	m.Copies, _ = addBytes(m.Copies, o.Copies)
	m.Gradients, _ = addBytes(m.Gradients, o.Gradients)
	m.Input = max(m.Input, o.Input)
	m.Activation = max(m.Activation, o.Activation)
	m.Images = max(m.Images, o.Images)
	return m
}

// perImageCriteria are the criteria whose graph runs one backward pass per
// image of the batch and keeps one gradient of the network's weights per
// image (proxy_te_nas.go): their need grows with the batch. (A Criterion
// field would say it where the criterion is declared; until then this is the
// one list.)
var perImageCriteria = map[string]bool{"ntk_cond": true}

// passNeed is the need, without the activation, of passes of crits (the
// criteria of one pass: one dtype and input) over a network with the
// parameters specs, on batch images of inputSize² (batch: see passImages).
func passNeed(crits []Criterion, specs []nn.ParamSpec, inputSize, batch int) memoryNeed {
	dtype := crits[0].DType
	need := memoryNeed{Images: batch, Weights: saturate(paramBytes(specs, dtype))}
	if crits[0].Weights == WeightsAbs {
		need.Copies = need.Weights
	}
	for _, c := range crits {
		if perImageCriteria[c.Name] {
			var weights []nn.ParamSpec
			for _, i := range nn.FindParams(specs, nn.Weight) {
				weights = append(weights, specs[i])
			}
			need.Gradients, _ = addBytes(need.Gradients, scaleBytes(saturate(paramBytes(weights, dtype)), batch))
		}
	}
	need.Input = saturate(elemBytes(dtype, batch, inputSize, inputSize, 3))
	return need
}

// scaleBytes is n bytes k times, saturating at math.MaxInt64.
func scaleBytes(n int64, k int) int64 {
	if k > 0 && n > math.MaxInt64/int64(k) {
		return math.MaxInt64
	}
	return n * int64(max(k, 0))
}

// passImages is the batch of a pass of c: batch for data criteria, its
// Gaussian images, else the one all-ones image.
func passImages(c Criterion, batch int) int {
	switch {
	case c.NeedsData():
		return max(batch, 1)
	case c.Input == InputGaussian:
		return c.Images
	}
	return 1
}

// saturate is a size computed with overflow checks, math.MaxInt64 when it
// overflows (the need is then larger than any machine) or fails.
func saturate(n int64, err error) int64 {
	if err != nil {
		return math.MaxInt64
	}
	return n
}

// traceActivation reports whether the activations are worth tracing: the
// rest fits in available (> 0), and count activations (1, or one per alpha
// entry for a gradient on alpha), each at most some 1024 input batches (the
// widest of the built-in spaces has 3072 channels at full resolution), could
// fill the room left. The trace costs as much as the one that found the
// parameters (0.5 s for 20 DARTS cells), so it is left out when it cannot
// matter.
func traceActivation(need memoryNeed, available int64, count int) bool {
	room := available - need.Total()
	return available > 0 && room >= 0 && scaleBytes(scaleBytes(need.Input, 1024), max(count, 1)) > room
}

// alphaEntries is the number of architecture parameters in specs.
func alphaEntries(specs []nn.ParamSpec) int {
	n := 0
	for _, i := range nn.FindParams(specs, nn.Alpha) {
		n += specs[i].Size()
	}
	return n
}

// errTooLarge is the overflow of a size computation: the need is then
// reported as larger than any machine.
var errTooLarge = errors.New("size overflows int64")

// paramBytes is the size in bytes of specs' parameters in dtype, computed
// with overflow checks.
func paramBytes(specs []nn.ParamSpec, dtype dtypes.DType) (int64, error) {
	var total int64
	for _, p := range specs {
		n, err := elemBytes(dtype, p.Shape...)
		if err != nil {
			return 0, fmt.Errorf("parameter %s%v: %w", p.Name, p.Shape, err)
		}
		var ok bool
		if total, ok = addBytes(total, n); !ok {
			return 0, errTooLarge
		}
	}
	return total, nil
}

// elemBytes is the size in bytes of a dtype tensor of the given
// dimensions, computed with overflow checks.
func elemBytes(dtype dtypes.DType, dims ...int) (int64, error) {
	n := int64(dtype.Size())
	if n <= 0 {
		n = 1
	}
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d < 0", d)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, errTooLarge
		}
		n *= int64(d)
	}
	return n, nil
}

func addBytes(a, b int64) (int64, bool) {
	if b > math.MaxInt64-a {
		return math.MaxInt64, false
	}
	return a + b, true
}

// checkMemory compares a search's need with available bytes (<= 0:
// unknown, nothing is checked) and says, naming the space, what does not
// fit.
func checkMemory(space string, need memoryNeed, available int64) error {
	return memoryError("search: "+space+" with these options", need, available)
}

// memoryError is the error of work (named by what) whose need exceeds
// available bytes (<= 0: unknown, nothing is checked); nil when it fits.
func memoryError(what string, need memoryNeed, available int64) error {
	if available <= 0 || need.Total() <= available {
		return nil
	}
	if need.Weights > available {
		return fmt.Errorf("%s needs at least %s for its weights alone; this machine has %s available%s",
			what, formatBytes(need.Weights), formatBytes(available), availableNote)
	}
	images := "one input image"
	if need.Images > 1 {
		images = fmt.Sprintf("input batch of %d images", need.Images)
	}
	parts := fmt.Sprintf("weights %s", formatBytes(need.Weights))
	if need.Copies > 0 {
		parts += fmt.Sprintf(", copies of them %s", formatBytes(need.Copies))
	}
	if need.Gradients > 0 {
		parts += fmt.Sprintf(", per-image gradients %s", formatBytes(need.Gradients))
	}
	parts += fmt.Sprintf(", %s %s", images, formatBytes(need.Input))
	if need.Activation > 0 {
		parts += fmt.Sprintf(", activations %s", formatBytes(need.Activation))
	}
	hint := ""
	if need.Gradients > 0 || need.Images > 1 {
		hint = " (a smaller -batch needs less)"
	}
	return fmt.Errorf("%s needs at least %s (%s); this machine has %s available%s%s",
		what, formatBytes(need.Total()), parts, formatBytes(available), availableNote, hint)
}

// availableNote says what "available" counts, so that a refusal under a
// limit the user set (ulimit -v) is recognised as such.
const availableNote = " (the least of MemAvailable, the room under the cgroup limit and under ulimit -v)"

// formatBytes writes n in binary units: "750.2 GiB".
func formatBytes(n int64) string {
	if n == math.MaxInt64 {
		return "more than 8 EiB"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// memAvailable is the memory this process can still use, in bytes (0:
// unknown); a variable for the tests.
var memAvailable = systemMemAvailable

// systemMemAvailable is the least of the known figures of the memory this
// process may still allocate: Linux's estimate of the memory available to
// new allocations (MemAvailable in /proc/meminfo), the room left under a
// cgroup v2 memory limit, and the room left under the address-space limit
// (RLIMIT_AS: past it every mapping fails, whatever the machine has). 0 when
// none is known.
func systemMemAvailable() int64 {
	return leastKnown(sysmem.Meminfo("MemAvailable"), cgroupRoom(), sysmem.AddressSpaceRoom())
}

// leastKnown is the smallest of the figures > 0 (0 when none is).
func leastKnown(figures ...int64) int64 {
	var least int64
	for _, f := range figures {
		if f > 0 && (least == 0 || f < least) {
			least = f
		}
	}
	return least
}

// cgroupRoom is memory.max minus memory.current of this process's cgroup
// v2 (0: no limit, or not readable).
func cgroupRoom() int64 {
	limit, cur := sysmem.Cgroup("memory.max"), sysmem.Cgroup("memory.current")
	if limit <= 0 || cur <= 0 || cur >= limit {
		return 0
	}
	return limit - cur
}

// searchMemory is the lower bound of the memory s needs (see above): the
// sum over its scorers; the activation is traced only when the rest fits in
// available (> 0).
func (s *Search) searchMemory(available int64) (memoryNeed, error) {
	batch := 0
	if s.opts.Data != nil && NeedData(s.crits...) {
		// The batch's size is known only from a batch; a failing draw is
		// reported by Run, and the bound then counts one image.
		if b, err := s.opts.Data(0); err == nil && b != nil {
			batch = b.N
		}
	}
	var need memoryNeed
	for _, sc := range s.scorers {
		need = need.add(passNeed(sc.crits, sc.graph.specs, sc.inputSize, passImages(sc.crits[0], batch)))
	}
	count := 1
	for _, sc := range s.scorers {
		if sc.crits[0].Saliency != nil {
			count = max(count, alphaEntries(sc.graph.specs))
		}
	}
	if !traceActivation(need, available, count) {
		return need, nil
	}
	for _, sc := range s.scorers {
		largest, gated, err := activations(s.opts.Backend.Backend, sc.graph.net, sc.graph.opts, sc.inputSize)
		if err != nil {
			return need, err
		}
		if sc.crits[0].Saliency != nil {
			largest = max(largest, gated)
		}
		need.Activation = max(need.Activation, scaleBytes(largest, passImages(sc.crits[0], batch)))
	}
	return need, nil
}

// CheckNetMemory refuses scoring net with crits (a NetScorer) on batches of
// batch images of inputSize² when a lower bound of the memory that needs
// exceeds the memory available (see memcheck.go), with an error naming what
// (e.g. "correlate: -proxy ntk_cond -batch 4000") and the parts of the
// bound; nil when it fits or the memory is unknown. Passing the smallest
// network of a study (the cell without ops) makes the bound hold for every
// cell.
func CheckNetMemory(b compute.Backend, what string, net Supernet, crits []Criterion, inputSize, batch int) error {
	available := memAvailable()
	if available <= 0 {
		return nil
	}
	// A NetScorer runs its passes one after the other: the largest counts.
	// The network is traced once per set of options (dtype, batch norm),
	// which most criteria share, and its activations at most once too.
	specs := map[nn.Options][]nn.ParamSpec{}
	largest := map[nn.Options]int64{}
	var worst memoryNeed
	for _, c := range crits {
		opts := netOptions(passGroup{key: c.passKey()})
		if _, ok := specs[opts]; !ok {
			s, err := traceParams(b, net, opts, inputSize, nil)
			if err != nil {
				return err
			}
			specs[opts] = s
		}
		images := passImages(c, batch)
		need := passNeed([]Criterion{c}, specs[opts], inputSize, images)
		if traceActivation(need, available, 1) {
			if _, ok := largest[opts]; !ok {
				a, _, err := activations(b, net, opts, inputSize)
				if err != nil {
					return err
				}
				largest[opts] = a
			}
			need.Activation = scaleBytes(largest[opts], images)
		}
		if need.Total() > worst.Total() {
			worst = need
		}
	}
	return memoryError(what, worst, available)
}

// trainCopies are the tensors of the weights' size that training with SGD
// and momentum holds at once: the weights as uploaded (the host tensor and
// the backend's buffer of it), their gradients, the momentum, and a step's
// new weights and momentum, made before the old ones are released.
const trainCopies = 6

// CheckTrainMemory refuses training net (SGD with momentum, in opts' dtype)
// on batches of batch images of inputSize² when a lower bound of the memory
// that needs (trainCopies copies of the weights and the host's float64
// draw of them, the batch and its largest activation) exceeds the memory
// available, with an error naming what; nil when it fits or the memory is
// unknown.
func CheckTrainMemory(b compute.Backend, what string, net Supernet, opts nn.Options, inputSize, batch int) error {
	available := memAvailable()
	if available <= 0 {
		return nil
	}
	specs, err := traceParams(b, net, opts, inputSize, nil)
	if err != nil {
		return err
	}
	need := memoryNeed{Images: batch, Weights: saturate(paramBytes(specs, opts.DType))}
	need.Copies = scaleBytes(need.Weights, trainCopies-1)
	// The trainer draws the initial weights on the host in float64
	// (nn.InitValues) before it uploads them.
	need.Copies, _ = addBytes(need.Copies, saturate(paramBytes(specs, dtypes.Float64)))
	need.Input = saturate(elemBytes(opts.DType, batch, inputSize, inputSize, 3))
	if traceActivation(need, available, 1) {
		a, _, err := activations(b, net, opts, inputSize)
		if err != nil {
			return err
		}
		need.Activation = scaleBytes(a, batch)
	}
	return memoryError(what, need, available)
}

// activations traces net once more, symbolically, with an observer on
// every kind of activation, and returns for one image the bytes of the
// largest activation and the sum of the gated op outputs (GateOutput: 0
// for a network without alpha).
func activations(b compute.Backend, net Supernet, opts nn.Options, inputSize int) (largest, gated int64, err error) {
	obs := &nn.Observer{Kinds: nn.ReLUInput | nn.LayerOutput | nn.GateOutput}
	if _, err := traceParams(b, net, opts, inputSize, obs); err != nil {
		return 0, 0, err
	}
	for _, a := range obs.Acts {
		sh := a.Node.Shape()
		n := saturate(elemBytes(sh.DType, sh.Dimensions...))
		largest = max(largest, n)
		if a.Kind == nn.GateOutput {
			gated, _ = addBytes(gated, n)
		}
	}
	return largest, gated, nil
}
