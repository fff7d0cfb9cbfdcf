package freedarts_test

import (
	"fmt"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
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
