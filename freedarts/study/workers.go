package study

import "github.com/freedarts/freedarts-gonb/freedarts"

// AutoWorkers is the number of workers Run uses when Config.Workers is 0:
// freedarts.AutoWorkers, one per core, as a search's rank stage uses. The
// go backend runs the independent ops of one cell on all cores, but a
// cell's graph leaves them idle part of the time: on the project's 2-core
// machine (docs/benchmarks.md, 2026-12-06), two cells at a time scored
// l2_norm and meco 2.2 times as fast as one, zen with AZ-NAS 1.2 times,
// and the six data proxies of correlate's default 1.05 times, for 1.7
// times the memory. The command falls back to one worker when the workers'
// passes would not fit in memory.
func AutoWorkers() int {
	return freedarts.AutoWorkers()
}
