package freedarts_test

import (
	"fmt"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// A space of one's own: a 3-node cell (edges 1<-0, 2<-0, 2<-1), each edge
// one of four ops, stacked twice on a small stem. It is what notebook 05
// builds.
var (
	tinyOps   = []string{"none", "skip_connect", "conv_3x3", "max_pool_3x3"}
	tinyEdges = []spaces.Edge{{From: 0, To: 1}, {From: 0, To: 2}, {From: 1, To: 2}}
)

// tinyArch is the op (index into tinyOps) of every edge.
type tinyArch []int

func (a tinyArch) String() string {
	parts := make([]string, len(a))
	for e, op := range a {
		parts[e] = fmt.Sprintf("%d<-%d:%s", tinyEdges[e].To, tinyEdges[e].From, tinyOps[op])
	}
	return strings.Join(parts, " ")
}

func (a tinyArch) Kept() map[string][][]bool {
	return map[string][][]bool{"alpha": spaces.KeptRows(a, len(tinyOps))}
}

type tinySpace struct{ Channels, Cells int }

func (s tinySpace) Name() string      { return "tiny" }
func (s tinySpace) InputSize() int    { return 32 }
func (s tinySpace) AlphaStd() float64 { return 1e-3 }

func (s tinySpace) Labels(string) (rows, cols []string) {
	for _, e := range tinyEdges {
		rows = append(rows, fmt.Sprintf("%d<-%d", e.To, e.From))
	}
	return rows, tinyOps
}

// Select keeps the best-scoring op of every edge, none included.
func (s tinySpace) Select(scores map[string][][]float64) (spaces.Arch, error) {
	m, ok := scores["alpha"]
	if !ok || len(m) != len(tinyEdges) {
		return nil, fmt.Errorf("tiny: want %d rows of alpha scores", len(tinyEdges))
	}
	a := make(tinyArch, len(m))
	for e, row := range m {
		for o, v := range row {
			if v > row[a[e]] {
				a[e] = o
			}
		}
	}
	return a, nil
}

// Forward is the supernet: every edge a mixed edge, weighted by alpha.
func (s tinySpace) Forward(n *nn.Net, x *spaces.Node) *spaces.Node {
	alpha := n.Param("alpha", nn.Alpha, 0, len(tinyEdges), len(tinyOps))
	x = n.BatchNorm("stem/bn", n.Conv("stem", x, s.Channels, 3, 1, 1))
	for c := range s.Cells {
		nodes := []*spaces.Node{x}
		for to := 1; to <= 2; to++ {
			var in []*spaces.Node
			for e, edge := range tinyEdges {
				if edge.To != to {
					continue
				}
				en := n.Subf("cell%d/edge%d", c, e)
				in = append(in, en.Mixed("alpha", alpha, e, func(o int) *spaces.Node {
					return tinyOp(en, tinyOps[o], nodes[edge.From])
				}))
			}
			nodes = append(nodes, nn.ReduceSumNodes(in))
		}
		x = nodes[2]
	}
	return n.Linear("classifier", nn.GlobalAvgPool(x), 10)
}

func tinyOp(n *nn.Net, op string, x *spaces.Node) *spaces.Node {
	switch op {
	case "skip_connect":
		return x
	case "conv_3x3":
		return n.ReLUConvBN("conv", x, x.Shape().Dimensions[3], 3, 1, 1, false)
	case "max_pool_3x3":
		return nn.MaxPool2D(x, 3, 1, 1)
	}
	return nil // none
}

// ExampleSpace searches a space defined outside this module with SynFlow.
func ExampleSpace() {
	res, err := freedarts.Run(tinySpace{Channels: 8, Cells: 2}, freedarts.Options{Proxy: "synflow"}, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Space, res.Proxy, res.Scores[0].Rows, res.Scores[0].Cols)
	fmt.Println(res.Arch)
	// Output:
	// tiny synflow [1<-0 2<-0 2<-1] [none skip_connect conv_3x3 max_pool_3x3]
	// 1<-0:skip_connect 2<-0:conv_3x3 2<-1:conv_3x3
}
