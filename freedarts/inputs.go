package freedarts

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Mask says which alpha entries are still in a supernet: per alpha name, one
// flag per entry (flat, row-major), true when the entry is kept. Alpha names
// it does not mention are kept whole; a nil Mask keeps everything.
type Mask map[string][]bool

// argTensors are the arguments of one scoring graph (see fill), kept from
// pass to pass and refilled in place. A pass then allocates no tensor
// for its inputs: where the backend shares buffers with the host (the Go
// backend), each parameter is one buffer that the graph reads directly,
// instead of a host tensor, its on-device copy and the float64 draws,
// every weight of the network three times over, as new garbage every seed.
// Not safe for concurrent use.
type argTensors struct {
	// backend is where the tensors live; nil makes host tensors.
	backend compute.Backend
	ts      []*tensors.Tensor
}

// fill draws the arguments of a pass into the tensors and returns them as
// graph.Exec arguments: every parameter drawn from init (|theta| for
// WeightsAbs criteria, N(0, 1) weights for WeightsGaussian and
// WeightsKaiming ones; alpha entries that mask drops are exactly 0), then
// the input: one all-ones image of size² (InputOnes), Images N(0, 1) images
// (InputGaussian), or the batch and its labels (InputData). A tensor whose shape changes (a batch of another size) is
// replaced.
func (a *argTensors) fill(specs []nn.ParamSpec, crit Criterion, init nn.InitOptions, size int, batch *Batch, mask Mask) ([]any, error) {
	if crit.DType != dtypes.Float32 && crit.DType != dtypes.Float64 {
		return nil, fmt.Errorf("proxy %s: unsupported dtype %s (want Float32 or Float64)", crit.Name, crit.DType)
	}
	if err := checkBatch(crit, size, batch); err != nil {
		return nil, err
	}
	for name, keep := range mask {
		for _, s := range specs {
			if s.Name == name && len(keep) != s.Size() {
				return nil, fmt.Errorf("mask of %s has %d entries, want %d", name, len(keep), s.Size())
			}
		}
	}
	n := len(specs) + 1
	if crit.NeedsData() {
		n++
	}
	for len(a.ts) < n {
		a.ts = append(a.ts, nil)
	}
	for _, t := range a.ts[n:] {
		if t != nil {
			_ = t.FinalizeAll()
		}
	}
	a.ts = a.ts[:n]
	for i, spec := range specs {
		t, err := a.tensor(i, shapes.Make(crit.DType, spec.Shape...))
		if err != nil {
			return nil, err
		}
		keep := mask[spec.Name]
		if crit.DType == dtypes.Float64 {
			err = tensors.MutableFlatData(t, func(dst []float64) {
				drawParam(dst, spec, init, crit.Weights, keep)
			})
		} else {
			err = tensors.MutableFlatData(t, func(dst []float32) {
				drawParam(dst, spec, init, crit.Weights, keep)
			})
		}
		if err != nil {
			return nil, err
		}
	}
	in := len(specs)
	if !crit.NeedsData() {
		if crit.Input == InputGaussian {
			if err := a.setGaussian(in, crit.DType, crit.Images, size, init.Seed); err != nil {
				return nil, err
			}
		} else if err := a.setOnes(in, crit.DType, size); err != nil {
			return nil, err
		}
	} else {
		if err := setArg(a, in, crit.DType, []int{batch.N, size, size, 3}, batch.Images); err != nil {
			return nil, err
		}
		if err := setArg(a, in+1, dtypes.Int32, []int{batch.N}, batch.Labels); err != nil {
			return nil, err
		}
	}
	args := make([]any, n)
	for i, t := range a.ts {
		args[i] = t
	}
	return args, nil
}

// setOneHot makes the alpha arguments of a filled pass (the specs of kind
// nn.Alpha) exactly 1 where kept (flat, row-major, one flag per entry; see
// oneHotMask) keeps an entry and 0 elsewhere: the alpha of one cell of a
// supernet.
func (a *argTensors) setOneHot(specs []nn.ParamSpec, dtype dtypes.DType, kept map[string][]bool) error {
	for _, i := range nn.FindParams(specs, nn.Alpha) {
		keep := kept[specs[i].Name]
		if len(keep) != specs[i].Size() {
			return fmt.Errorf("one-hot %s has %d entries, want %d", specs[i].Name, len(keep), specs[i].Size())
		}
		var err error
		if dtype == dtypes.Float64 {
			err = tensors.MutableFlatData(a.ts[i], func(dst []float64) { oneHot(dst, keep) })
		} else {
			err = tensors.MutableFlatData(a.ts[i], func(dst []float32) { oneHot(dst, keep) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func oneHot[T float32 | float64](dst []T, keep []bool) {
	for j, k := range keep {
		dst[j] = 0
		if k {
			dst[j] = 1
		}
	}
}

// checkBatch rejects a missing or malformed batch for a data criterion.
func checkBatch(crit Criterion, size int, batch *Batch) error {
	if !crit.NeedsData() {
		return nil
	}
	if batch == nil {
		return fmt.Errorf("proxy %s needs a labelled batch of images (give a data directory)", crit.Name)
	}
	if batch.H != size || batch.W != size || len(batch.Images) != batch.N*size*size*3 || len(batch.Labels) != batch.N || batch.N < 1 {
		return fmt.Errorf("batch of %d images %dx%d (%d values, %d labels) does not match input size %d",
			batch.N, batch.H, batch.W, len(batch.Images), len(batch.Labels), size)
	}
	for i, l := range batch.Labels {
		if l < 0 {
			return fmt.Errorf("batch label %d is %d, want a class index >= 0", i, l)
		}
	}
	return nil
}

// drawParam draws parameter spec into dst as weights says (nn.Draw for
// WeightsUniform and WeightsAbs, with |value| for WeightsAbs), with 0
// where keep (if not nil) drops an entry. Drawing in place spares
// a search the float64 copy of every weight per seed that nn.InitValues
// allocates, which was most of its garbage.
func drawParam[T float32 | float64](dst []T, spec nn.ParamSpec, init nn.InitOptions, weights WeightInit, keep []bool) {
	abs := weights == WeightsAbs
	if gaussian := weights == WeightsGaussian || weights == WeightsKaiming; gaussian && (spec.Kind == nn.Weight || spec.Kind == nn.Bias) {
		gaussianParam(dst, spec, init)
	} else {
		nn.Draw(dst, spec, init)
	}
	for j, v := range dst {
		if abs && v < 0 {
			dst[j] = -v
		}
		if keep != nil && !keep[j] {
			dst[j] = 0
		}
	}
	kaimingScale(dst, spec, weights == WeightsKaiming)
}

// gaussianParam is Zen-NAS's initialisation of a weight or bias: a weight
// N(0, 1), a bias 0. The normal values are nn.Draw's uniform ones, u in
// [-1, 1) times the bound, through the inverse normal CDF, sqrt(2)
// erfinv(u): the same stream, so the draw still depends only on the seed
// and the parameter's name (a supernet's cell gets its network's values).
func gaussianParam[T float32 | float64](dst []T, spec nn.ParamSpec, init nn.InitOptions) {
	if spec.Kind != nn.Weight {
		clear(dst)
		return
	}
	u := make([]float64, len(dst))
	nn.Draw(u, spec, init)
	bound := 1 / math.Sqrt(float64(max(spec.FanIn, 1)))
	for j, v := range u {
		// u = -1 (a draw of exactly 0) would be -Inf.
		x := max(v/bound, -1+1e-16)
		dst[j] = T(math.Sqrt2 * math.Erfinv(x))
	}
}

// kaimingScale turns gaussianParam's N(0, 1) weight into Kaiming-normal's
// N(0, 2/fan_in) when on (|theta| and a mask's zeros are kept: both commute
// with a positive scale).
func kaimingScale[T float32 | float64](dst []T, spec nn.ParamSpec, on bool) {
	if !on || spec.Kind != nn.Weight {
		return
	}
	std := math.Sqrt(2 / float64(max(spec.FanIn, 1)))
	for j := range dst {
		dst[j] = T(float64(dst[j]) * std)
	}
}

// setGaussian makes tensor i a batch [count, size, size, 3] of N(0, 1)
// pixels, drawn from seed on a stream of their own.
func (a *argTensors) setGaussian(i int, dtype dtypes.DType, count, size int, seed uint64) error {
	t, err := a.tensor(i, shapes.Make(dtype, count, size, size, 3))
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, gaussianInputStream))
	if dtype == dtypes.Float64 {
		return tensors.MutableFlatData(t, func(dst []float64) {
			for j := range dst {
				dst[j] = rng.NormFloat64()
			}
		})
	}
	return tensors.MutableFlatData(t, func(dst []float32) {
		for j := range dst {
			dst[j] = float32(rng.NormFloat64())
		}
	})
}

// gaussianInputStream keys the PCG stream of InputGaussian images, apart
// from the parameters' (nn.Draw keys those by a hash of their names).
const gaussianInputStream = 0x9e3779b97f4a7c15

// tensor returns tensor i, made anew if it is missing or of another shape.
func (a *argTensors) tensor(i int, shape shapes.Shape) (*tensors.Tensor, error) {
	if t := a.ts[i]; t != nil && t.Ok() && t.Shape().Equal(shape) {
		return t, nil
	}
	if a.ts[i] != nil {
		_ = a.ts[i].FinalizeAll()
		a.ts[i] = nil
	}
	t, err := tensors.FromShapeForBackend(a.backend, 0, shape)
	if err != nil {
		return nil, err
	}
	a.ts[i] = t
	return t, nil
}

// setArg writes values, converted to dtype, into tensor i of shape dims.
func setArg[S float32 | float64 | int32](a *argTensors, i int, dtype dtypes.DType, dims []int, values []S) error {
	t, err := a.tensor(i, shapes.Make(dtype, dims...))
	if err != nil {
		return err
	}
	switch dtype {
	case dtypes.Float64:
		return tensors.MutableFlatData(t, func(dst []float64) {
			for j, v := range values {
				dst[j] = float64(v)
			}
		})
	case dtypes.Float32:
		return tensors.MutableFlatData(t, func(dst []float32) {
			for j, v := range values {
				dst[j] = float32(v)
			}
		})
	case dtypes.Int32:
		return tensors.MutableFlatData(t, func(dst []int32) {
			for j, v := range values {
				dst[j] = int32(v)
			}
		})
	}
	return fmt.Errorf("unsupported argument dtype %s", dtype)
}

// setOnes makes tensor i the all-ones image [1, size, size, 3].
func (a *argTensors) setOnes(i int, dtype dtypes.DType, size int) error {
	t, err := a.tensor(i, shapes.Make(dtype, 1, size, size, 3))
	if err != nil {
		return err
	}
	if dtype == dtypes.Float64 {
		return tensors.MutableFlatData(t, func(dst []float64) {
			for j := range dst {
				dst[j] = 1
			}
		})
	}
	return tensors.MutableFlatData(t, func(dst []float32) {
		for j := range dst {
			dst[j] = 1
		}
	})
}

// release finalizes the tensors.
func (a *argTensors) release() {
	for _, t := range a.ts {
		if t != nil {
			_ = t.FinalizeAll()
		}
	}
	a.ts = nil
}
