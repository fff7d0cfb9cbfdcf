package bench

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestPrintGraphStats(t *testing.T) {
	proxy := os.Getenv("FD_GRAPH_PROXY")
	if proxy == "" {
		t.Skip("set FD_GRAPH_PROXY")
	}
	b, _ := backend.Open(backend.Config(""))
	crit, _ := freedarts.LookupCriterion(proxy)
	net, _ := nb201.NewSupernet(nb201.DefaultConfig())
	batch := 64
	if !crit.NeedsData {
		batch = 1
	}
	fw, full, err := CountSearch(b, net, crit, 32, batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []GraphStats{fw, full} {
		fmt.Printf("nodes %d  FLOPs %.3g  matmul %.3g\n", s.Nodes, float64(s.FLOPs), float64(s.MatMulFLOPs))
		for _, o := range s.ByType {
			fmt.Printf("  %-16s %6d  elems %10.3g  flops %10.3g\n", o.Type, o.Count, float64(o.Elems), float64(o.FLOPs))
		}
	}
}

func TestPrintDARTSGraphStats(t *testing.T) {
	cells, _ := strconv.Atoi(os.Getenv("FD_GRAPH_DARTS"))
	if cells == 0 {
		t.Skip("set FD_GRAPH_DARTS")
	}
	b, _ := backend.Open(backend.Config(""))
	crit, _ := freedarts.LookupCriterion("synflow")
	cfg := darts.DefaultConfig()
	cfg.Layers = cells
	space, _ := darts.NewSpace(cfg)
	_, full, err := CountSearch(b, space, crit, 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("nodes %d  FLOPs %.3g  matmul %.3g\n", full.Nodes, float64(full.FLOPs), float64(full.MatMulFLOPs))
	for _, o := range full.ByType {
		fmt.Printf("  %-16s %6d  elems %10.3g  flops %10.3g\n", o.Type, o.Count, float64(o.Elems), float64(o.FLOPs))
	}
}
