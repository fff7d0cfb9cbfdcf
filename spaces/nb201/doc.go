// Package nb201 is the NAS-Bench-201 search space: its five operations, the 4-node cell, the
// macro network, the FreeDARTS supernet over it, the arch-string codec and the benchmark table
// lookup.
package nb201
