package perf

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
	_ "github.com/freedarts/freedarts-gonb/spaces/darts"
	_ "github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// BenchmarkSearch times one scoring pass of the full-size supernets
// (compilation excluded), with synthetic images for the data proxies. With
// -cpuprofile it gives the profiles of docs/benchmarks.md:
//
//	go test ./freedarts/perf -run '^$' -bench 'Search/nb201-snip' -benchtime 3x -cpuprofile /tmp/snip.prof
//
// `freedarts bench` reports the same passes with memory and FLOPs.
func BenchmarkSearch(b *testing.B) {
	for _, c := range []struct {
		name, space, proxy string
		shape              spaces.Shape
	}{
		{"nb201-synflow", "nb201", "synflow", spaces.Shape{}},
		{"nb201-snip", "nb201", "snip", spaces.Shape{}},
		{"nb201-grasp", "nb201", "grasp", spaces.Shape{}},
		{"darts8-synflow", "darts", "synflow", spaces.Shape{Cells: 8}},
		{"darts20-synflow", "darts", "synflow", spaces.Shape{Cells: 20}},
	} {
		b.Run(c.name, func(b *testing.B) {
			space, err := spaces.New(c.space, c.shape)
			if err != nil {
				b.Fatal(err)
			}
			data := func(seed uint64) (*freedarts.Batch, error) {
				return SyntheticBatch(64, space.InputSize(), 10, seed)
			}
			s, err := freedarts.New(space, freedarts.Options{Proxy: c.proxy, Data: data})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Run(0); err != nil { // compiles
				b.Fatal(err)
			}
			seed := uint64(0)
			for b.Loop() {
				seed++
				if _, err := s.Run(seed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
