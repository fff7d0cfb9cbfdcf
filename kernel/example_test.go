package kernel_test

import (
	"fmt"
	"os"

	"github.com/janpfeifer/must"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/kernel"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// A scored supernet in three lines, as in a notebook cell. Outside a
// notebook the heat map is written as text.
func ExampleShowScores() {
	kernel.TextOutput = os.Stdout
	space := must.M1(nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})) // a small supernet
	res := must.M1(freedarts.Run(space, freedarts.Options{Proxy: "synflow"}, 0))
	must.M(kernel.ShowScores(res, kernel.ScoresOptions{Title: "SynFlow"}))
	// Output:
	// SynFlow: alpha (log colour scale)
	//       none  skip_connect  nor_conv_1x1  nor_conv_3x3  avg_pool_3x3
	// ------------------------------------------------------------------
	// 1<-0     0     2.82e-06*      9.64e-07      2.28e-06      1.71e-07
	// 2<-0     0      3.79e-07      1.35e-07      6.64e-07     7.11e-07*
	// 2<-1     0      4.03e-10      2.62e-09     4.54e-09*       2.1e-09
	// 3<-0     0         1e-05      0.000369     0.000867*      8.82e-05
	// 3<-1     0         1e-06     3.83e-06*       1.1e-06      2.95e-07
	// 3<-2     0      4.45e-07     6.09e-07*      3.15e-07      5.31e-07
	// (* = highlighted)
}

// The selected architecture draws itself; outside a notebook, as its edges.
func ExampleShowArch() {
	kernel.TextOutput = os.Stdout
	must.M(kernel.ShowArch(must.M1(nb201.ParseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"))))
	// Output:
	// NAS-Bench-201 cell: 4 nodes
	//   0 -> 1              nor_conv_3x3
	//   0 -> 2              nor_conv_3x3
	//   1 -> 2              skip_connect
	//   2 -> 3              avg_pool_3x3
	//   (none: 0 -> 3, 1 -> 3)
}

// GoNB runs every cell as a new program: Keep hands a value to later cells
// (here, outside GoNB, through a directory of this user's under
// os.TempDir()).
func ExampleKeep() {
	must.M(kernel.Keep("seeds", []uint64{0, 1, 2}))
	var seeds []uint64
	must.M(kernel.Recall("seeds", &seeds))
	fmt.Println("recalled", len(seeds), "seeds")
	// Output:
	// recalled 3 seeds
}

// How clearly each edge of a search picks its op: the kept op, the
// runner-up and the ratio of their scores.
func ExampleShowMargins() {
	kernel.TextOutput = os.Stdout
	space := must.M1(nb201.NewSpace(nb201.Config{C: 4, N: 1, Classes: 10, InputSize: 8})) // a small supernet
	res := must.M1(freedarts.Run(space, freedarts.Options{Proxy: "synflow"}, 0))
	must.M(kernel.ShowMargins(&res.Scores[0]))
	// Output:
	// row   kept op       score     runner-up     score     margin
	// ------------------------------------------------------------
	// 1<-0  skip_connect  2.82e-06  nor_conv_3x3  2.28e-06  1.2x
	// 2<-0  avg_pool_3x3  7.11e-07  nor_conv_3x3  6.64e-07  1.1x
	// 2<-1  nor_conv_3x3  4.54e-09  nor_conv_1x1  2.62e-09  1.7x
	// 3<-0  nor_conv_3x3  0.000867  nor_conv_1x1  0.000369  2.3x
	// 3<-1  nor_conv_1x1  3.83e-06  nor_conv_3x3  1.1e-06   3.5x
	// 3<-2  nor_conv_1x1  6.09e-07  avg_pool_3x3  5.31e-07  1.1x
}
