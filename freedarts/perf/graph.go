package perf

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts"
)

// CountSearch builds, without compiling, the graph that s runs for its
// first criterion with a batch of batchSize images (Search.Trace), and
// counts the forward pass (input to logits) and the whole scoring graph
// (forward, backward and, for GraSP, the Hessian-vector product).
func CountSearch(s *freedarts.Search, batchSize int) (forward, full GraphStats, err error) {
	err = s.Trace(batchSize, func(p *freedarts.Pass, outputs []*Node) {
		forward = CountGraph(p.Logits)
		full = CountGraph(outputs...)
	})
	if err != nil {
		err = fmt.Errorf("counting %s graph: %w", s.Name(), err)
	}
	return forward, full, err
}
