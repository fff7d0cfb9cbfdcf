package freedarts

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Memory across passes. A scorer reuses its argument tensors (argTensors),
// yet a pass still leaves garbage: the Go backend allocates some buffers and
// per-op bookkeeping anew each run and drops the output buffers it hands
// over. Most of the live heap is the compiled graph and the backend's pool
// of intermediate buffers (over 1 GB for snip on NB201), and the collector's
// default pacing (GOGC=100) lets garbage pile up to as much again, so that
// the RSS of a search grew with its number of seeds (x1.3 to x2 over ten
// seeds, before these changes). Between two passes nothing of the pass is
// alive, which makes it the cheapest moment to collect; collectGarbage
// collects there, and returns the freed pages to the OS (debug.FreeOSMemory:
// plain runtime.GC left the RSS of ten snip seeds 13% above one seed's, the
// pages of freed spans staying resident), whenever the heap has outgrown its
// size after the previous such collection by more than 1/heapSlack. Passes
// that leave little garbage trigger none. Measured cost: one collection
// every one to three passes on the large supernets; about 10% more CPU on
// DARTS (its compiled graph is a heap of pointers, some 0.35 s of marking
// per collection, one every two seeds), none measurable on NB201, the
// mobile space or SNIP, whose searches collected more often before.

// heapBaseline is the heap's live size after the last collection that
// collectGarbage ran, or before the first one the live size the collector
// found in its last cycle (0: no pass yet).
var heapBaseline atomic.Uint64

// heapSlack: a pass may leave garbage up to 1/heapSlack of heapBaseline.
const heapSlack = 16

// collectGarbage runs the collector after a pass if the heap (live objects
// and garbage not yet collected) outgrew heapBaseline by more than
// 1/heapSlack.
func collectGarbage() {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return // metrics unsupported: leave the collector to its pacing
	}
	base := heapBaseline.Load()
	if base == 0 {
		// The first pass: start from the live heap of the collector's last
		// cycle instead of collecting, which a one-seed run would only pay
		// for at its exit.
		heapBaseline.Store(s[1].Value.Uint64())
		return
	}
	if heap := s[0].Value.Uint64(); heap <= base+base/heapSlack {
		return
	}
	debug.FreeOSMemory()
	metrics.Read(s[1:])
	heapBaseline.Store(s[1].Value.Uint64())
}

// Memory across networks. NetScorer builds a graph for every network it
// scores, and the go backend keeps the buffers that a pass frees in pools
// (sync.Pool, one per size) until the collector has run twice. The next
// network's passes take most of theirs from the pools, but not all: a
// network whose ops differ needs some sizes the pools lack (about 100 MB a
// cell for the six data proxies of correlate on NAS-Bench-201), and those
// pile up in the pools until the next collection. The pools count as live,
// so under the default pacing (GOGC=100) each collection comes later than
// the last, and the pools grow more in between: a whole-space study grew
// to 12-13 GB, the soft limit internal/memlimit sets on a 24 GiB machine.
// collectNetGarbage collects after a network's passes once the heap has
// allocated netGCAllocs since its last collection: every few cells for the
// data proxies (same time, 3.5 instead of 5.3 GB after 60 cells with two
// workers, docs/benchmarks.md), rarely for the proxies that allocate little.
// It does not return memory to the OS (FreeOSMemory): the pools' next
// buffers reuse it, where fresh pages would be faulted in and cleared.

// netGCAllocs is the heap allocation between two collections of
// collectNetGarbage.
const netGCAllocs = 512 << 20

// netGCMark is the heap's cumulative allocation (/gc/heap/allocs:bytes)
// when collectNetGarbage last collected.
var netGCMark atomic.Uint64

// collectNetGarbage runs the collector if the heap has allocated
// netGCAllocs since it last did; of concurrent callers, one collects.
func collectNetGarbage() {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	now, last := s[0].Value.Uint64(), netGCMark.Load()
	if now-last < netGCAllocs || !netGCMark.CompareAndSwap(last, now) {
		return
	}
	runtime.GC()
}
