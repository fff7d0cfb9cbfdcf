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

// Memory budget. A supernet's size follows from its shape options, and a
// mistyped one (-channels 100000) would only show itself as an allocation
// that runs the machine out of memory. New therefore computes, from the
// parameters it traced, a lower bound of the memory the search needs and
// refuses a search whose bound exceeds the memory available. The bound is
// what must be resident at once whatever the backend does:
//
//   - the parameters of every criterion's supernet, once each, in the
//     criterion's dtype: each scorer keeps its argument tensors from pass
//     to pass (argTensors), and the Go backend reads them in place (other
//     backends hold a copy on their device too, which the bound leaves
//     out);
//   - the input of one pass: one image for data-free criteria, and one for
//     the data criteria too (their batch size is Options.Data's, not known
//     here, so the bound counts the smallest possible);
//   - the largest activation a pass computes for one image (an extra,
//     symbolic trace of the network, run only when the parameters fit
//     and the room left is under 1024 input images).
//
// Gradients, the backend's buffer pool and the compiled graph come on top,
// so the bound is far below the real peak (SynFlow on NB201: about 4 MB of
// bound for a peak RSS over 1 GB); it exists to stop a size that cannot
// possibly fit, quickly, with an error that says why.

// memoryNeed is a lower bound of the bytes a search needs (see above).
type memoryNeed struct {
	// Weights are the parameters of every scorer, in bytes.
	Weights int64
	// Input is the input image of one pass.
	Input int64
	// Activation is the largest activation of one pass (0: not traced).
	Activation int64
}

// Total is the sum of the parts, saturating at math.MaxInt64.
func (m memoryNeed) Total() int64 {
	t, ok := addBytes(m.Weights, m.Input)
	if ok {
		t, ok = addBytes(t, m.Activation)
	}
	if !ok {
		return math.MaxInt64
	}
	return t
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

// checkMemory compares need with available bytes (<= 0: unknown, nothing
// is checked) and says, naming the space, what does not fit.
func checkMemory(space string, need memoryNeed, available int64) error {
	if available <= 0 || need.Total() <= available {
		return nil
	}
	if need.Weights > available {
		return fmt.Errorf("search: %s with these options needs at least %s for its weights alone; this machine has %s available",
			space, formatBytes(need.Weights), formatBytes(available))
	}
	return fmt.Errorf("search: %s with these options needs at least %s (weights %s, one input image %s, its largest activation %s); this machine has %s available",
		space, formatBytes(need.Total()), formatBytes(need.Weights), formatBytes(need.Input), formatBytes(need.Activation), formatBytes(available))
}

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

// systemMemAvailable reads Linux's estimate of the memory available to new
// allocations (MemAvailable in /proc/meminfo), lowered to the room left
// under a cgroup v2 memory limit when there is one. Elsewhere it is 0.
func systemMemAvailable() int64 {
	avail := sysmem.Meminfo("MemAvailable")
	if avail <= 0 {
		return 0
	}
	if room := cgroupRoom(); room > 0 && room < avail {
		avail = room
	}
	return avail
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

// searchMemory is the lower bound of the memory s needs (see above); the
// activation is traced only when the rest fits in available (> 0).
func (s *Search) searchMemory(available int64) (memoryNeed, error) {
	var need memoryNeed
	for _, sc := range s.scorers {
		w, err := paramBytes(sc.graph.specs, sc.crits[0].DType)
		if errors.Is(err, errTooLarge) {
			w = math.MaxInt64
		} else if err != nil {
			return need, err
		}
		need.Weights, _ = addBytes(need.Weights, w)
		in, err := elemBytes(sc.crits[0].DType, 1, sc.inputSize, sc.inputSize, 3)
		if err != nil {
			in = math.MaxInt64
		}
		need.Input = max(need.Input, in)
	}
	room := available - need.Total()
	if available <= 0 || room < 0 || need.Input <= room>>10 {
		// Cannot fit already; or no activation could fill the room: the
		// widest of the built-in spaces is far below 1024 input images
		// (3072 channels at full resolution), and the trace costs as much
		// as the one New made (0.5 s for 20 DARTS cells).
		return need, nil
	}
	for _, sc := range s.scorers {
		a, err := largestActivation(s.opts.Backend.Backend, sc.graph)
		if err != nil {
			return need, err
		}
		need.Activation = max(need.Activation, a)
	}
	return need, nil
}

// largestActivation traces sc's network once more, symbolically, with an
// observer on every kind of activation, and returns the bytes of the
// largest one for one image.
func largestActivation(b compute.Backend, g *scoringGraph) (int64, error) {
	obs := &nn.Observer{Kinds: nn.ReLUInput | nn.LayerOutput | nn.GateOutput}
	if _, err := traceParams(b, g.net, g.opts, g.inputSize, obs); err != nil {
		return 0, err
	}
	var largest int64
	for _, a := range obs.Acts {
		sh := a.Node.Shape()
		n, err := elemBytes(sh.DType, sh.Dimensions...)
		if err != nil {
			return math.MaxInt64, nil
		}
		largest = max(largest, n)
	}
	return largest, nil
}
