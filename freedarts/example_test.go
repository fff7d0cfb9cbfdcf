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

// A two-stage search: the alpha scores shortlist two ops per edge, and
// whole-network proxies rank the 2^6 cells they make, here in a cascade
// (the parameter count passes its best 8 cells to FLOPs and SynFlow). The
// result lists every cell, best first; the first is the pick.
func ExampleOptions_rank() {
	space, err := nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})
	if err != nil {
		panic(err)
	}
	res, err := freedarts.Run(space, freedarts.Options{Proxy: "synflow", Keep: 2, Rank: "params:8/flops,synflow"}, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Proxy)
	fmt.Println(len(res.Candidates), "cells ranked; the pick is the first:", res.Arch == res.Candidates[0].Arch)
	fmt.Println("proxies", res.RankProxies, "- the first cell's scores:", len(res.Candidates[0].Scores), "- the last's:", len(res.Candidates[63].Scores))
	// Output:
	// synflow>keep2>params:8/logrank(flops,synflow)
	// 64 cells ranked; the pick is the first: true
	// proxies [params flops synflow] - the first cell's scores: 3 - the last's: 1
}

// The best configuration measured on NAS-Bench-201 is a preset: plain
// Options, to which a caller adds Data (not needed by this one) and a
// Backend.
func ExamplePresetOptions() {
	opts, err := freedarts.PresetOptions(freedarts.BestPreset)
	if err != nil {
		panic(err)
	}
	fmt.Printf("proxy %s, %d draws, keep %d ops per edge, rank %s; needs images: %v\n", opts.Proxy, opts.Draws, opts.Keep, opts.Rank, opts.NeedsData())
	// Output: proxy synflow, 10 draws, keep 4 ops per edge, rank synflow:16/zen; needs images: false
}
