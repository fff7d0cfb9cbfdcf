package kernel

import "github.com/freedarts/freedarts-gonb/internal/memlimit"

// A notebook cell that imports this package runs with the soft memory
// limit of the freedarts command (internal/memlimit: 60% of the machine's
// or the cgroup's memory, unless $GOMEMLIMIT is set): a study or search in
// a cell releases the go backend's buffers as the command does, instead of
// letting the heap grow until the kernel is killed.
func init() { memlimit.Default() }
