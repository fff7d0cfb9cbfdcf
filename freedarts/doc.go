// Package freedarts scores the operations of a DARTS-style supernet without
// training, as in FreeDARTS (Zhang et al., arXiv 2106.11542): the
// architecture parameters alpha are treated as weights of a network at
// initialisation and every (edge, op) gets the synaptic saliency
//
//	S = |alpha ⊙ dR/dalpha|
//
// of a pruning-at-initialisation criterion R (SynFlow, SNIP, GraSP). A search
// is one forward and one backward pass of the supernet (GraSP: a
// Hessian-vector product), after which the space's rule turns the score
// matrices into an architecture.
//
// A search space (package spaces and its nb201, darts and mobile, or a Space
// of your own) supplies the supernet and the rule; a Criterion supplies R
// and the saliency; a Search, configured by Options (criteria, ensemble,
// iterative pruning, draws, alpha scale, backend, data), compiles them once
// and scores any number of seeds:
//
//	space, _ := nb201.NewSpace(nb201.DefaultConfig())
//	res, _ := freedarts.Run(space, freedarts.Options{Proxy: "synflow"}, 0)
//	fmt.Println(res.Arch) // nb201.Arch, selected; res.Scores are labelled
//
// A Result carries its meaning: the space, the criteria, what computed it,
// the typed architecture and, per alpha, the labelled scores with the
// entries the architecture keeps. NetScorer scores whole networks (no
// alpha) with the same criteria: the zero-cost proxies that package
// freedarts/study rank-correlates with a benchmark. It takes concrete
// networks, or the cells of one supernet (NewSupernetScorer), each the
// supernet with a one-hot alpha input, so that one compiled graph scores
// them all.
package freedarts
