// Package freedarts scores the operations of a DARTS-style supernet without
// training, as in FreeDARTS (Zhang et al., arXiv 2106.11542): the
// architecture parameters alpha are treated as weights of a network at
// initialisation and every (edge, op) gets the synaptic saliency
//
//	S = |alpha ⊙ dR/dalpha|
//
// of a pruning-at-initialisation criterion R (SynFlow, SNIP, GraSP). A search
// is one forward and one backward pass of the supernet (GraSP: a
// Hessian-vector product), after which a space-specific rule turns the score
// matrices into an architecture.
//
// A search space supplies a Supernet; a Criterion supplies R and the
// saliency; a Searcher compiles the pair once on a backend and scores any
// number of seeds.
package freedarts
