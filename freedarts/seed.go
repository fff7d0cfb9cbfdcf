package freedarts

import "math/rand/v2"

// DrawSeed is the seed of draw d of a search with seed: the seed itself for
// d = 0, else SubSeed(seed, d).
func DrawSeed(seed uint64, d int) uint64 {
	if d == 0 {
		return seed
	}
	return SubSeed(seed, uint64(d))
}

// SubSeed derives the k-th independent seed of seed: the first output of
// PCG(seed, k). Derived seeds are reproducible from (seed, k) alone, so the
// work they seed can run in any order, be resumed or spread over workers.
func SubSeed(seed, k uint64) uint64 {
	return rand.New(rand.NewPCG(seed, k)).Uint64()
}
