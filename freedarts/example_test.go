package freedarts_test

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// A search of NAS-Bench-201 with SynFlow: one seed, one result, whose
// architecture is an nb201.Arch and whose scores are labelled.
func ExampleRun() {
	space, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8}) // a small supernet
	if err != nil {
		panic(err)
	}
	res, err := freedarts.Run(space, freedarts.Options{Proxy: "synflow"}, 0)
	if err != nil {
		panic(err)
	}
	m := res.Scores[0]
	fmt.Printf("%s picked by %s: %d edges (%s ...) x %d ops (%s ...)\n", res.Space, res.Proxy, len(m.Rows), m.Rows[0], len(m.Cols), m.Cols[0])
	fmt.Println("edge 1<-0 keeps", res.Arch.(nb201.Arch).Ops()[0])
	// Output:
	// nb201 picked by synflow: 6 edges (1<-0 ...) x 5 ops (none ...)
	// edge 1<-0 keeps skip_connect
}

// A Search compiles once and scores many seeds; several criteria combine
// by rank, and pruning rescores the smaller supernet.
func ExampleNew() {
	space, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		panic(err)
	}
	s, err := freedarts.New(space, freedarts.Options{Proxy: "synflow,synflow-bn", Prune: 1})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for seed := range uint64(2) {
		res, err := s.Run(seed)
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Proxy, "seed", res.Seed, "kept", len(res.Arch.(nb201.Arch)), "ops")
	}
	// Output:
	// rank(synflow,synflow-bn)+prune1 seed 0 kept 6 ops
	// rank(synflow,synflow-bn)+prune1 seed 1 kept 6 ops
}

// A proxy of your own: registered before the search, it is found by name
// as the built-ins are. This one scores alpha by |alpha ⊙ dL/dalpha|² on
// a batch of labelled images (SNIP, squared); a registration that could
// not run is refused with the field at fault.
func ExampleRegister() {
	saliency := func(p *freedarts.Pass) []*graph.Node {
		grads, _ := p.LossGrads()
		out := make([]*graph.Node, len(grads))
		for i, t := range p.Targets {
			out[i] = graph.Square(graph.Mul(t, grads[i]))
		}
		return out
	}
	err := freedarts.Register(freedarts.Criterion{
		Name:     "snip_squared",
		Doc:      "SNIP's saliency squared",
		DType:    dtypes.Float32,
		BN:       nn.BNBatch,
		Input:    freedarts.InputData,
		Saliency: saliency,
	})
	fmt.Println("registered:", err)
	c, err := freedarts.LookupCriterion("snip_squared")
	fmt.Println(c.Name, "needs data:", c.NeedsData(), err)

	err = freedarts.Register(freedarts.Criterion{
		Name: "gaussian_without_count", Doc: "draws N(0, 1) images, but how many?",
		DType: dtypes.Float32, Input: freedarts.InputGaussian, Saliency: saliency,
	})
	fmt.Println(err)
	// Output:
	// registered: <nil>
	// snip_squared needs data: true <nil>
	// criterion "gaussian_without_count": Images 0 with InputGaussian, want the number of N(0, 1) images (>= 1)
}
