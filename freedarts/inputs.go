package freedarts

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Mask says which alpha entries are still in a supernet: per alpha name, one
// flag per entry (flat, row-major), true when the entry is kept. Alpha names
// it does not mention are kept whole; a nil Mask keeps everything.
type Mask map[string][]bool

// graphInputs are the arguments of a scoring graph: every parameter drawn
// from init (|theta| for AbsParams criteria; alpha entries that mask drops
// are exactly 0), then the input: one all-ones image of size² for data-free
// criteria, else the batch and its labels.
func graphInputs(specs []nn.ParamSpec, crit Criterion, init nn.InitOptions, size int, batch *Batch, mask Mask) ([]any, error) {
	values := nn.InitValues(specs, init)
	args := make([]any, 0, len(values)+2) // *tensors.Tensor each
	for i, v := range values {
		if crit.AbsParams {
			for j := range v {
				v[j] = math.Abs(v[j])
			}
		}
		if keep, ok := mask[specs[i].Name]; ok {
			if len(keep) != len(v) {
				return nil, fmt.Errorf("mask of %s has %d entries, want %d", specs[i].Name, len(keep), len(v))
			}
			for j, k := range keep {
				if !k {
					v[j] = 0
				}
			}
		}
		t, err := nn.ToTensor(v, crit.DType, specs[i].Shape...)
		if err != nil {
			return nil, err
		}
		args = append(args, t)
	}
	if !crit.NeedsData {
		ones := make([]float64, size*size*3)
		for i := range ones {
			ones[i] = 1
		}
		t, err := nn.ToTensor(ones, crit.DType, 1, size, size, 3)
		if err != nil {
			return nil, err
		}
		return append(args, t), nil
	}
	if batch == nil {
		return nil, fmt.Errorf("proxy %s needs a labelled batch of images (give a data directory)", crit.Name)
	}
	if batch.H != size || batch.W != size || len(batch.Images) != batch.N*size*size*3 || len(batch.Labels) != batch.N || batch.N < 1 {
		return nil, fmt.Errorf("batch of %d images %dx%d (%d values, %d labels) does not match input size %d",
			batch.N, batch.H, batch.W, len(batch.Images), len(batch.Labels), size)
	}
	for i, l := range batch.Labels {
		if l < 0 {
			return nil, fmt.Errorf("batch label %d is %d, want a class index >= 0", i, l)
		}
	}
	img := make([]float64, len(batch.Images))
	for i, v := range batch.Images {
		img[i] = float64(v)
	}
	t, err := nn.ToTensor(img, crit.DType, batch.N, size, size, 3)
	if err != nil {
		return nil, err
	}
	return append(args, t, tensors.FromFlatDataAndDimensions(batch.Labels, batch.N)), nil
}
