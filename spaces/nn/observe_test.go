package nn_test

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestObserver records only the kinds asked for, names each activation
// after its layer, and stops when detached.
func TestObserver(t *testing.T) {
	build := func(n *nn.Net) {
		x := Zeros(n.Graph(), shapes.Make(dtypes.Float32, 2, 4, 4, 3))
		y := n.ReLUConvBN("block", x, 5, 3, 1, 1, false)
		y = n.Gate("alpha", 7, y)
		n.Linear("fc", nn.GlobalAvgPool(n.ReLU(y)), 2)
	}
	for _, tc := range []struct {
		kinds nn.ActKind
		want  []string
	}{
		{nn.ReLUInput, []string{"block/relu", "relu"}},
		{nn.LayerOutput, []string{"block/conv", "fc/w"}},
		{nn.GateOutput, []string{"alpha"}},
		{nn.ReLUInput | nn.GateOutput, []string{"block/relu", "alpha", "relu"}},
	} {
		obs := &nn.Observer{Kinds: tc.kinds}
		if _, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float32}, func(n *nn.Net) {
			n.Observe(obs)
			build(n)
		}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range obs.Acts {
			got = append(got, a.Name)
			if a.Kind&tc.kinds == 0 || (a.Kind == nn.GateOutput && a.Index != 7) {
				t.Errorf("kinds %b: recorded %+v", tc.kinds, a)
			}
		}
		if len(got) != len(tc.want) {
			t.Fatalf("kinds %b: recorded %v, want %v", tc.kinds, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("kinds %b: recorded %v, want %v", tc.kinds, got, tc.want)
			}
		}
	}
	obs := &nn.Observer{Kinds: nn.ReLUInput}
	if _, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float32}, func(n *nn.Net) {
		n.Observe(obs)
		n.Observe(nil)
		build(n)
	}); err != nil || len(obs.Acts) != 0 {
		t.Errorf("detached observer recorded %v (err %v)", obs.Acts, err)
	}
}

// TestMixedGatesItsOps: what an op of a mixed edge declares and observes
// is GatedBy its alpha entry; the gate outputs and what follows the edge
// are not gated.
func TestMixedGatesItsOps(t *testing.T) {
	obs := &nn.Observer{Kinds: nn.ReLUInput | nn.LayerOutput | nn.GateOutput}
	specs, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float32}, func(n *nn.Net) {
		n.Observe(obs)
		x := Zeros(n.Graph(), shapes.Make(dtypes.Float32, 2, 4, 4, 3))
		alpha := n.Param("alpha", nn.Alpha, 0, 2, 3)
		y := n.Mixed("alpha", alpha, 1, func(o int) *Node {
			switch o {
			case 0:
				return nil
			case 1:
				return n.ReLUConvBN("conv", x, 3, 1, 1, 1, true)
			}
			return x
		})
		n.Linear("fc", nn.GlobalAvgPool(n.ReLU(y)), 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	conv := nn.OpGate{Alpha: "alpha", Index: 1*3 + 1}
	wantParams := map[string]nn.OpGate{"alpha": {}, "conv/conv": conv, "conv/conv/b": conv, "fc/w": {}, "fc/b": {}}
	for _, p := range specs {
		if want, ok := wantParams[p.Name]; !ok || p.GatedBy != want {
			t.Errorf("parameter %s gated by %+v, want %+v", p.Name, p.GatedBy, want)
		}
	}
	if len(specs) != len(wantParams) {
		t.Errorf("%d parameters, want %d", len(specs), len(wantParams))
	}
	want := []struct {
		name string
		gate nn.OpGate
	}{{"conv/relu", conv}, {"conv/conv", conv}, {"alpha", nn.OpGate{}}, {"alpha", nn.OpGate{}}, {"relu", nn.OpGate{}}, {"fc/w", nn.OpGate{}}}
	if len(obs.Acts) != len(want) {
		t.Fatalf("%d activations, want %d", len(obs.Acts), len(want))
	}
	for i, a := range obs.Acts {
		if a.Name != want[i].name || a.GatedBy != want[i].gate || a.GatedBy.Gated() != (want[i].gate != nn.OpGate{}) {
			t.Errorf("activation %d: %s gated by %+v, want %s gated by %+v", i, a.Name, a.GatedBy, want[i].name, want[i].gate)
		}
	}
}
