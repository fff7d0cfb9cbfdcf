package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
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
