package freedarts

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
)

// Batch is one labelled batch of NHWC images, already normalised.
type Batch struct {
	Images  []float32 // N*H*W*3 values
	Labels  []int32   // N class indices
	N, H, W int
}

// Batches returns the labelled batch of a seed.
type Batches func(seed uint64) (*Batch, error)

// Sample is the Batches of n images of d drawn with SampleBatch: a search
// with it is reproducible from the seed, and the command line, the
// notebooks and the benchmarks see the same batches. A nil d or an n out
// of range is reported by the first batch drawn (Search.Run), as
// SampleBatch reports it.
func Sample(d *cifar10.Dataset, n int) Batches {
	return func(seed uint64) (*Batch, error) { return SampleBatch(d, n, seed) }
}

// SampleBatch draws n images of d without replacement, in file order, with
// a PCG generator seeded by seed: a search is reproducible from its seed
// alone, and the CLI, the notebooks and the benchmarks see the same batch.
func SampleBatch(d *cifar10.Dataset, n int, seed uint64) (*Batch, error) {
	return sampleBatch(d, n, seed, false)
}

// SampleAugmentedBatch draws the images SampleBatch draws for seed and
// gives each a random crop and flip (cifar10.RandomAugmentation) from the
// same generator: a batch as a training data loader yields it, which is
// what zero-cost-nas scores each network with.
func SampleAugmentedBatch(d *cifar10.Dataset, n int, seed uint64) (*Batch, error) {
	return sampleBatch(d, n, seed, true)
}

func sampleBatch(d *cifar10.Dataset, n int, seed uint64, augment bool) (*Batch, error) {
	if d == nil {
		return nil, fmt.Errorf("batch of %d images: the data set is nil, want one from cifar10.Load", n)
	}
	if n < 1 || n > d.Len() {
		return nil, fmt.Errorf("batch of %d images: the data set has %d", n, d.Len())
	}
	rng := rand.New(rand.NewPCG(seed, 0xba7c4))
	idx := rng.Perm(d.Len())[:n]
	sort.Ints(idx)
	var augs []cifar10.Augmentation
	if augment {
		augs = make([]cifar10.Augmentation, n)
		for i := range augs {
			var err error
			if augs[i], err = cifar10.RandomAugmentation(rng); err != nil {
				return nil, err
			}
		}
	}
	images, labels, err := d.Gather(idx, augs, cifar10.NHWC)
	if err != nil {
		return nil, err
	}
	return &Batch{N: n, H: cifar10.Height, W: cifar10.Width, Images: images, Labels: labels}, nil
}

// ClassCounts counts the images of every class 0..classes-1 in b: how
// balanced a sampled batch is. A label outside that range is an error.
func (b *Batch) ClassCounts(classes int) ([]int, error) {
	if b == nil {
		return nil, errors.New("class counts of a nil *Batch, want a batch")
	}
	if classes < 1 {
		return nil, fmt.Errorf("class counts over %d classes, want >= 1", classes)
	}
	counts := make([]int, classes)
	for i, l := range b.Labels {
		if l < 0 || int(l) >= classes {
			return nil, fmt.Errorf("class counts: label %d of image %d is outside [0, %d)", l, i, classes)
		}
		counts[l]++
	}
	return counts, nil
}
