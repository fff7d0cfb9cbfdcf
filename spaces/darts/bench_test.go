package darts

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// BenchmarkSynFlow times one default SynFlow pass (forward and backward of
// the BN-free float64 supernet, one all-ones image) for the three FreeDARTS
// depth variants; graph compilation is outside the timed loop and reported
// as compile-s. The ImageNet-shaped one is slow on a small CPU: run it
// alone with -benchtime 1x.
//
//	go test ./spaces/darts -run XXX -bench SynFlow -benchtime 3x
func BenchmarkSynFlow(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"8cells_C16_32", DefaultConfig()},
		{"20cells_C16_32", DeepConfig()},
		{"14cells_C48_224", ImageNetConfig()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			space, err := NewSpace(bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			crit, _ := freedarts.LookupCriterion("synflow")
			s, err := freedarts.NewSearch(nntest.Backend(b), "bench", space, crit, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Run(0, nil); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Run(uint64(i), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(s.Searcher().CompileSeconds, "compile-s")
		})
	}
}
