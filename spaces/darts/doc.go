// Package darts is the DARTS CNN search space: its eight operations, the
// cell with two inputs and four intermediate nodes, the macro network with
// reduction cells at L/3 and 2L/3, the FreeDARTS supernet, the selection
// rule, the genotype codec, the evaluation network of a genotype with its
// exact parameter count, and a training loop for it.
//
// # Space and SynFlow
//
// The supernet (Space) weights every op of every edge with a raw alpha;
// normal cells share the alpha "normal" [14, 8], reduction cells the alpha
// "reduce" [14, 8]. The released FreeDARTS SynFlow keeps batch norm in
// training mode, and on this space that makes it degenerate: with one
// all-ones input every channel reaching the global pool is a sum of batch
// norm outputs (skip_connect passes a batch-normed preprocessed input), so
// it has zero mean, the logits equal the classifier bias and dR/dalpha is
// zero; what the released code ranks is rounding noise. The project's
// default "synflow" criterion removes batch norm (nn.BNNone) and runs in
// float64, where R is a positive polynomial in |weights| and alpha and every
// non-none op gets a strictly positive score. The tests check that the
// scores are real signal (their sum lies between the bounds that the number
// of alphas on a path allows), stable across runs, and that "synflow-bn" is
// degenerate here.
//
// Magnitudes (measured at seed 0): at the reference alpha scale the
// 20-cell C=16 supernet has R' (the part of the logits that depends on
// alpha) of about 5 and non-none scores from 4e-5 to 9; the 14-cell
// ImageNet-shaped one (alpha scale 5e-4) has scores up to 1e8. float64
// holds the 20-cell scores for alpha scales from 1e-30 (scores down to
// 1e-304) to 100 (up to 1e296); at 200 the forward pass overflows. Scores
// are never rescaled: c_{k-2} feeds cell k, so paths cross different
// numbers of cells and carry different numbers of alphas, and no per-cell
// constant scales every path alike (scaling the input does, exactly, but
// the gradients do not depend on it). A scale outside float64's range is
// rejected by freedarts.Scores.Validate with an error: a search never
// returns NaN, Inf or all-zero scores.
//
// # Evaluation network and training
//
// Network is the DARTS NetworkCIFAR (or NetworkImageNet): the cells of a
// genotype, affine batch norm, no batch norm after pools, optional
// auxiliary head after cell 2L/3 and drop-path. ParamCount counts its
// parameters exactly. Train trains it with SGD (momentum 0.9, weight decay
// 3e-4 on every parameter, gradient-norm clipping at 5), a per-epoch cosine
// learning rate, random crop and flip, cutout and drop-path, as the DARTS
// train.py; batch norm uses batch statistics during training and keeps
// running averages (momentum 0.1, unbiased variance, as PyTorch) that
// evaluation uses.
//
// Tensors are NHWC.
package darts
