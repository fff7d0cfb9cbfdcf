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
//
// # Two stages, and the best search
//
// With Options.Rank a search has a second stage (rank.go): the alpha
// scores shortlist the Keep best ops of every edge, and whole-network
// proxies rank every cell of the shortlist, possibly in a cascade of steps
// ("synflow:16/zen": SynFlow ranks every cell, Zen the best 16). The space
// must list and build its cells (spaces.Enumerable: NAS-Bench-201).
// Result.Candidates holds the ranking, best first. PresetOptions(BestPreset)
// is the best configuration measured on NAS-Bench-201 (ExamplePresetOptions;
// the README's "The best search" has its measurements).
//
// # Proxies
//
// A proxy is what users name (-proxy, Options.Proxy), a Criterion is its
// definition: Options.Proxy names registered criteria, Options.Criteria
// gives them as values.
//
// The criteria live in this package, one file per family: proxy_synflow.go
// (synflow, synflow-bn), proxy_snip.go (snip, grad_norm), proxy_grasp.go,
// proxy_fisher.go, proxy_jacob_cov.go, proxy_naswot.go, proxy_counts.go
// (params, flops), proxy_az_nas.go, proxy_te_nas.go, and NASLib's and the
// newer ones under their own names. Each registers its criteria with
// Register in its init function, so that importing freedarts is enough to
// find them all by name: a package of proxies apart would need a blank
// import wherever the names are used, or would import freedarts for Pass
// while freedarts imports it for the built-ins, a cycle. A Criterion says
// how its pass draws the weights (Weights) and the input (Input, Images),
// its forms on alpha and on a network, and the correlations its sources
// publish (Published, which package study holds its studies to).
//
// # Adding a proxy
//
// Write a file proxy_NAME.go whose init calls mustRegister(Criterion{...})
// (and mustRegisterEnsemble for an ensemble of its parts), or call Register
// from your own program or notebook before the search (ExampleRegister).
// Register refuses a criterion that could not run, naming the field; then
// -proxy NAME, LookupCriterion and the studies find it as a built-in.
package freedarts
