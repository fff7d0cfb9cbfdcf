package nb201

import (
	"fmt"
	"math/rand/v2"
)

// NumCells is the size of the search space: NumOps choices on each of the
// NumEdges edges.
const NumCells = 15625 // NumOps^NumEdges

// Sample draws n distinct benchmark indices from [0, total) (total is
// usually NumCells or a Bench's Len), uniformly without replacement, in draw
// order. The draw depends only on (n, seed, total), so a study named by its
// sample size and seed can be repeated and resumed; a larger n with the same
// seed extends a smaller one, which lets a quick study grow into a long one.
func Sample(n int, seed uint64, total int) ([]int, error) {
	if total < 1 {
		return nil, fmt.Errorf("nb201: sample from %d cells, want >= 1", total)
	}
	if n < 1 || n > total {
		return nil, fmt.Errorf("nb201: sample of %d cells, want 1 to %d", n, total)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a3b1e))
	// A partial Fisher-Yates shuffle: the first n positions are the draw, and
	// position i does not depend on n.
	perm := make([]int, total)
	for i := range perm {
		perm[i] = i
	}
	for i := range n {
		j := i + rng.IntN(total-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:n], nil
}
