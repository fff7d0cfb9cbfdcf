package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// TestProfileScore runs Searcher.Score repeatedly for $FD_PROFILE_PROXY on
// the NB201 supernet, for CPU profiles:
//
//	FD_PROFILE_PROXY=snip go test ./freedarts/bench -run TestProfileScore -cpuprofile /tmp/snip.prof
func TestProfileScore(t *testing.T) {
	proxy := os.Getenv("FD_PROFILE_PROXY")
	if proxy == "" {
		t.Skip("set FD_PROFILE_PROXY to profile a proxy")
	}
	reps, _ := strconv.Atoi(os.Getenv("FD_PROFILE_REPEAT"))
	reps = max(reps, 1)
	b, err := backend.Open(backend.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	crit, err := freedarts.LookupCriterion(proxy)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := nb201.NewSupernet(nb201.DefaultConfig())
	s, err := freedarts.NewSearcher(b, net, crit, freedarts.Options{InputSize: 32, AlphaStd: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := SyntheticBatch(64, 32, 10, 1)
	for i := range reps {
		sc, err := s.Score(uint64(i), batch)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s rep %d: %.3fs (compile %.2fs)", proxy, i, sc.Seconds, s.CompileSeconds)
	}
}

// TestProfileDARTS is TestProfileScore for the DARTS supernet of
// $FD_PROFILE_DARTS cells (SynFlow).
func TestProfileDARTS(t *testing.T) {
	cells, _ := strconv.Atoi(os.Getenv("FD_PROFILE_DARTS"))
	if cells == 0 {
		t.Skip("set FD_PROFILE_DARTS to a number of cells")
	}
	b, err := backend.Open(backend.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg := darts.DefaultConfig()
	cfg.Layers = cells
	space, err := darts.NewSpace(cfg)
	if err != nil {
		t.Fatal(err)
	}
	crit, _ := freedarts.LookupCriterion("synflow")
	s, err := freedarts.NewSearch(b, "go", space, crit, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		r, err := s.Run(uint64(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("darts%d synflow rep %d: %.3fs", cells, i, r.Seconds)
	}
}
