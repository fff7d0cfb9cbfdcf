package freedarts

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
)

// SampleBatch draws n images of d without replacement, in file order, with
// a PCG generator seeded by seed: a search is reproducible from its seed
// alone, and the CLI, the notebooks and the benchmarks see the same batch.
func SampleBatch(d *cifar10.Dataset, n int, seed uint64) (*Batch, error) {
	if n < 1 || n > d.Len() {
		return nil, fmt.Errorf("batch of %d images: the data set has %d", n, d.Len())
	}
	rng := rand.New(rand.NewPCG(seed, 0xba7c4))
	idx := rng.Perm(d.Len())[:n]
	sort.Ints(idx)
	b := &Batch{N: n, H: cifar10.Height, W: cifar10.Width}
	for _, i := range idx {
		img, lab, err := d.Batch(i, 1, cifar10.NHWC)
		if err != nil {
			return nil, err
		}
		b.Images = append(b.Images, img...)
		b.Labels = append(b.Labels, lab...)
	}
	return b, nil
}
