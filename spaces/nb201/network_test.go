package nb201

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

type forwarder interface {
	Forward(n *nn.Net, x *Node) *Node
}

func trace(t *testing.T, m forwarder, opts nn.Options, size int) []nn.ParamSpec {
	t.Helper()
	specs, err := nn.Trace(nntest.Backend(t), opts, func(n *nn.Net) {
		m.Forward(n, Zeros(n.Graph(), shapes.Make(opts.DType, 1, size, size, 3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

func TestSupernetParamCount(t *testing.T) {
	net, err := NewSpace(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	specs := trace(t, net, nn.Options{DType: dtypes.Float32}, 32)
	// By hand, C=16, N=5, 10 classes, no affine BN in the supernet:
	//   stem conv 3x3x3x16                                   =     432
	//   a cell at width c: 6 edges x (1x1 conv c*c + 3x3 conv 9*c*c) = 60c^2
	//   stage 1: 5 x 60 x 16^2                               =   76800
	//   residual 16->32: 9*16*32 + 9*32*32 + 16*32 (1x1)     =   14336
	//   stage 2: 5 x 60 x 32^2                               =  307200
	//   residual 32->64: 9*32*64 + 9*64*64 + 32*64           =   57344
	//   stage 3: 5 x 60 x 64^2                               = 1228800
	//   classifier 64*10 + 10                                =     650
	//   weights total                                        = 1685562
	//   alpha 6 x 5, shared by all 15 cells                  =      30
	if got := nn.CountParams(specs, nn.Weight, nn.Bias); got != 1685562 {
		t.Errorf("supernet weights: got %d, want 1685562", got)
	}
	if got := nn.CountParams(specs, nn.Alpha); got != 30 {
		t.Errorf("alpha: got %d, want 30", got)
	}
	if got := nn.CountParams(specs, nn.BNScale, nn.BNShift); got != 0 {
		t.Errorf("supernet BN parameters: got %d, want 0 (no affine)", got)
	}
}

func TestNetworkParamsMatchBenchmark(t *testing.T) {
	bench := loadRealBench(t)
	for _, index := range []int{6111, 0, 15624, 1000} {
		rec, err := bench.Record(index)
		if err != nil {
			t.Fatal(err)
		}
		net, err := NewNetwork(DefaultConfig(), rec.Arch)
		if err != nil {
			t.Fatal(err)
		}
		specs := trace(t, net, nn.Options{DType: dtypes.Float32, Affine: true}, 32)
		got := float64(nn.CountParams(specs)) / 1e6
		if math.Abs(got-rec.ParamsMB) > 5e-7 {
			t.Errorf("index %d %s: %.6f M parameters, benchmark says %.6f M", index, rec.Arch, got, rec.ParamsMB)
		}
	}
}

func TestSelect(t *testing.T) {
	scores := [][]float64{
		{0, 1, 2, 3, 4},
		{0, 4, 3, 2, 1},
		{0, 0, 0, 0, 0}, // all zero: none (index 0) wins ties
		{5, 1, 1, 1, 1}, // none can win
		{0, 1, 9, 1, 1},
		{0, 1, 1, 9, 1},
	}
	a, err := Select(scores)
	if err != nil {
		t.Fatal(err)
	}
	want := Arch{4, 1, 0, 0, 2, 3}
	if a != want {
		t.Errorf("Select = %v, want %v", a, want)
	}
	for _, bad := range [][][]float64{scores[:5], {{1}, {1}, {1}, {1}, {1}, {1}}} {
		if _, err := Select(bad); err == nil {
			t.Errorf("Select(%v) accepted a malformed matrix", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []Config{{C: 0, N: 5, Classes: 10, InputSize: 32}, {C: 16, N: 0, Classes: 10, InputSize: 32},
		{C: 16, N: 5, Classes: 1, InputSize: 32}, {C: 16, N: 5, Classes: 10, InputSize: 2}} {
		if _, err := NewSpace(cfg); err == nil {
			t.Errorf("NewSpace(%+v) accepted a bad config", cfg)
		}
	}
	if _, err := NewNetwork(DefaultConfig(), Arch{0, 0, 0, 0, 0, 7}); err == nil {
		t.Error("NewNetwork accepted op index 7")
	}
}

// TestConvBias: Config.ConvBias adds one bias per output channel to every
// cell convolution and to nothing else.
func TestConvBias(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ConvBias = true
	arch, err := ParseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(cfg, arch)
	if err != nil {
		t.Fatal(err)
	}
	super, err := NewSpace(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Five convolutions in the cell (two per supernet edge), five cells per
	// stage at widths 16, 32, 64; the classifier's 10 biases come on top.
	for _, tc := range []struct {
		name string
		m    forwarder
		want int
	}{{"network", net, 5*5*(16+32+64) + 10}, {"supernet", super, 12*5*(16+32+64) + 10}} {
		specs := trace(t, tc.m, nn.Options{DType: dtypes.Float32}, 32)
		if got := nn.CountParams(specs, nn.Bias); got != tc.want {
			t.Errorf("%s: %d biases, want %d", tc.name, got, tc.want)
		}
	}
}
