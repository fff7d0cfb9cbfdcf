// Package nn is the operation layer shared by every search space: convolutions,
// batch norm, pooling, zero padding, linear layers and the bookkeeping of
// named parameters.
//
// Every op is written with graph operations whose first and second derivatives
// GoMLX's pure-Go backend computes correctly, because FreeDARTS differentiates
// through the whole network (SynFlow, SNIP) and GraSP differentiates twice.
// That rules out several stock GoMLX ops on v0.28, and each replacement here
// is checked against finite differences in the tests:
//
//   - Convolutions are im2col: k*k shifted (and strided, dilated) windows of
//     the input, each one Pad (negative edges crop), concatenated on the
//     channel axis and multiplied by the weight matrix. On the go backend
//     this is also several times faster than the generic Convolve.
//   - Pooling is a sum or max over the 3x3 shifted windows; the average pool
//     divides by the per-pixel count of real (non-padding) inputs, which is
//     exactly "padding not counted" (MeanPool's gradient crashes with padding).
//   - Batch norm is written out with Sqrt and Div (BatchNormForTraining is not
//     implemented on the go backend, and GoMLX's fallback stops gradients
//     through the batch statistics, unlike PyTorch).
//
// On top of those, fastpath.go gives the hot ops (im2col and its inverse,
// depthwise convolution, box-sum pooling, batch norm, ReLU, matmul)
// hand-written gradients built from graph ops, so that GraSP can still
// differentiate them twice; they roughly halve the go backend's time.
// FREEDARTS_PLAIN_OPS=1 turns them off for A/B comparisons.
//
// Tensors are NHWC. Parameters are named, declared by the network code as it
// builds the graph (see Net), initialised on the host from a seed, and fed to
// the graph as inputs, so the same seed gives the same weights on every
// backend.
package nn
