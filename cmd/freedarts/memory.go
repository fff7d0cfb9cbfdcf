package main

import (
	"fmt"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// emptyCell is the NAS-Bench-201 cell without ops: its network (stem,
// residual blocks, classifier) is part of every cell's.
const emptyCell = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"

// checkStudyMemory refuses a correlate study whose proxies cannot fit at
// batch images (ntk_cond keeps one gradient of the weights per image) on
// workers workers, before any cell is scored: freedarts.CheckNetMemory on
// the network of emptyCell, whose need is a lower bound of every cell's,
// with the batches of all the workers' passes at once (their weights are
// small beside them). The trace is symbolic, on the go backend whatever
// -backend says (no plugin to load for it).
func checkStudyMemory(net nb201.Config, crits []freedarts.Criterion, batch, workers int) error {
	arch, err := nb201.ParseArch(emptyCell)
	if err != nil {
		return err
	}
	m, err := nb201.NewNetwork(net, arch)
	if err != nil {
		return err
	}
	b, err := backend.Shared("go")
	if err != nil {
		return err
	}
	names := make([]string, len(crits))
	for i, c := range crits {
		names[i] = c.Name
	}
	what := fmt.Sprintf("correlate: -proxy %s at -batch %d", boundWords(strings.Join(names, ",")), batch)
	if workers > 1 {
		what += fmt.Sprintf(" on %d workers (%d images at once)", workers, workers*batch)
	}
	return freedarts.CheckNetMemory(b.Backend, what, m, crits, net.InputSize, workers*batch)
}
