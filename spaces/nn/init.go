package nn

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// InitOptions configure the host-side initialisation of parameters.
type InitOptions struct {
	Seed uint64
	// AlphaStd scales the N(0,1) draws of architecture parameters. The
	// reference uses 1e-3 (CIFAR) and 5e-4 (ImageNet-shaped supernets).
	AlphaStd float64
}

// InitValues draws every parameter on the host (see Draw).
func InitValues(specs []ParamSpec, opts InitOptions) [][]float64 {
	out := make([][]float64, len(specs))
	for i, p := range specs {
		out[i] = make([]float64, p.Size())
		Draw(out[i], p, opts)
	}
	return out
}

// Draw writes the initial values of parameter p into dst (p.Size() values,
// converted to T). Each parameter has its own PCG stream keyed by the seed
// and a hash of its name, so a value depends only on (seed, name, shape):
// adding a layer does not reshuffle the others, and every backend sees the
// same numbers. Filling a tensor's own buffer with it, pass after pass,
// allocates nothing.
func Draw[T float32 | float64](dst []T, p ParamSpec, opts InitOptions) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(p.Name))
	rng := rand.New(rand.NewPCG(opts.Seed, h.Sum64()))
	bound := 1 / math.Sqrt(float64(max(p.FanIn, 1)))
	for j := range dst {
		v := 0.0
		switch p.Kind {
		case Weight, Bias:
			v = (2*rng.Float64() - 1) * bound
		case BNScale:
			v = 1
		case Alpha:
			v = opts.AlphaStd * rng.NormFloat64()
		}
		dst[j] = T(v)
	}
}

// ToTensor converts values of the given shape to a tensor of dtype (Float32
// or Float64).
func ToTensor(values []float64, dtype dtypes.DType, shape ...int) (*tensors.Tensor, error) {
	switch dtype {
	case dtypes.Float64:
		return tensors.FromFlatDataAndDimensions(values, shape...), nil
	case dtypes.Float32:
		f := make([]float32, len(values))
		for i, v := range values {
			f[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(f, shape...), nil
	}
	return nil, fmt.Errorf("nn: unsupported dtype %s (want Float32 or Float64)", dtype)
}

// FromTensor copies a Float32 or Float64 tensor into float64s.
func FromTensor(t *tensors.Tensor) ([]float64, error) {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Float32:
		f, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("nn: unsupported tensor dtype %s", t.DType())
}
