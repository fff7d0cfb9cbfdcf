package mobile

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// tinyConfig has two stages (one stride-2 layer, then a stride-1 layer
// that keeps its width, so one residual) at an 8x8 input.
func tinyConfig() Config {
	return Config{InputSize: 8, Classes: 5, FirstConv: 4, FirstBlock: 3,
		Widths: []int{4, 6}, Depths: []int{1, 2}, Strides: []int{2, 1}, FeatureMix: 8}
}

type forwarder interface {
	Forward(n *nn.Net, x *Node) *Node
}

func trace(t *testing.T, m forwarder, opts nn.Options, size int) ([]nn.ParamSpec, []int) {
	t.Helper()
	var logits []int
	specs, err := nn.Trace(nntest.Backend(t), opts, func(n *nn.Net) {
		logits = m.Forward(n, Zeros(n.Graph(), shapes.Make(opts.DType, 2, size, size, 3))).Shape().Dimensions
	})
	if err != nil {
		t.Fatal(err)
	}
	return specs, logits
}

func TestDefaultLayout(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Layers() != 21 || len(cfg.LayerLabels()) != 21 || cfg.LayerLabels()[20] != "s6.0" || cfg.LayerLabels()[4] != "s2.0" {
		t.Errorf("layers %d, labels %v", cfg.Layers(), cfg.LayerLabels())
	}
	net, err := NewSpace(cfg)
	if err != nil {
		t.Fatal(err)
	}
	specs, logits := trace(t, net, nn.Options{DType: dtypes.Float32}, 32)
	if specs[0].Name != AlphaName || !slices.Equal(specs[0].Shape, []int{21, NumOps}) || len(nn.FindParams(specs, nn.Alpha)) != 1 {
		t.Errorf("alpha spec %+v", specs[0])
	}
	if !slices.Equal(logits, []int{2, 1000}) {
		t.Errorf("logits %v", logits)
	}
	if nn.CountParams(specs, nn.BNScale, nn.BNShift) != 0 {
		t.Error("the supernet has affine batch norm")
	}
}

// TestNetworkParams counts the tiny network's parameters by hand, for an
// arch of mb3_e3 then mb7_e6, mb5_e3.
func TestNetworkParams(t *testing.T) {
	cfg := tinyConfig()
	net, err := NewNetwork(cfg, Arch{0, 5, 2})
	if err != nil {
		t.Fatal(err)
	}
	specs, logits := trace(t, net, nn.Options{DType: dtypes.Float32, Affine: true}, 8)
	mb := func(in, k, e, out int) int {
		p := 0
		if e != 1 {
			p += in*in*e + 2*in*e
		}
		return p + k*k*in*e + 2*in*e + in*e*out + 2*out
	}
	want := 27*4 + 2*4 + // first conv
		mb(4, 3, 1, 3) + // first block
		mb(3, 3, 3, 4) + mb(4, 7, 6, 6) + mb(6, 5, 3, 6) +
		6*8 + 2*8 + // feature mix
		8*5 + 5 // classifier
	if got := nn.CountParams(specs); got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
	if !slices.Equal(logits, []int{2, 5}) {
		t.Errorf("logits %v", logits)
	}
	if _, err := NewNetwork(cfg, Arch{0, 1}); err == nil {
		t.Error("short arch accepted")
	}
	if _, err := NewNetwork(cfg, Arch{0, 1, 6}); err == nil {
		t.Error("op index 6 accepted")
	}
}

func TestArchCodec(t *testing.T) {
	a := Arch{0, 1, 2, 3, 4, 5}
	s := a.String()
	if s != "mb3_e3,mb3_e6,mb5_e3,mb5_e6,mb7_e3,mb7_e6" {
		t.Errorf("String() = %q", s)
	}
	for _, in := range []string{s, strings.ReplaceAll(s, ",", " , ")} {
		got, err := ParseArch(in, 6)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("ParseArch(%q) = %v, %v", in, got, err)
		}
	}
	for _, tc := range []struct {
		s      string
		layers int
		want   string
	}{
		{s, 21, "6 layers, want 21"},
		{"mb3_e3,mb9_e3", 0, `arch layer 2: unknown op "mb9_e3"`},
		{"", 0, `arch layer 1: unknown op ""`},
	} {
		if _, err := ParseArch(tc.s, tc.layers); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseArch(%q, %d) error %v, want %q", tc.s, tc.layers, err, tc.want)
		}
	}
}

func TestSelect(t *testing.T) {
	a, err := Select([][]float64{{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}, {0, 0, 0, 0, 0, 0}, {0, 1, 0, 1, 0, 0}})
	if err != nil || !reflect.DeepEqual(a, Arch{5, 0, 0, 1}) {
		t.Errorf("Select = %v, %v", a, err)
	}
	for _, bad := range [][][]float64{{{1, 2}}, {{0, 0, math.NaN(), 0, 0, 0}}} {
		if _, err := Select(bad); err == nil {
			t.Errorf("Select(%v) accepted", bad)
		}
	}
	sp, _ := NewSpace(tinyConfig())
	if _, err := sp.Select(map[string][][]float64{AlphaName: {{1, 2, 3, 4, 5, 6}}}); err == nil {
		t.Error("space Select accepted 1 row for 3 layers")
	}
}

func TestConfigErrors(t *testing.T) {
	bad := []func(c *Config){
		func(c *Config) { c.InputSize = 0 },
		func(c *Config) { c.Classes = 1 },
		func(c *Config) { c.Widths = c.Widths[:2] },
		func(c *Config) { c.Strides = []int{2, 2, 2, 1, 3, 1} },
		func(c *Config) { c.FeatureMix = 0 },
	}
	for i, f := range bad {
		cfg := DefaultConfig()
		cfg.Widths, cfg.Depths, cfg.Strides = slices.Clone(cfg.Widths), slices.Clone(cfg.Depths), slices.Clone(cfg.Strides)
		f(&cfg)
		if _, err := NewSpace(cfg); err == nil {
			t.Errorf("case %d: %+v accepted", i, cfg)
		}
	}
}

// TestGradientCheck compares dR/dalpha on the tiny supernet with central
// differences (SynFlow's and SNIP's R; see nntest.CheckAlphaGradients).
func TestGradientCheck(t *testing.T) {
	net, err := NewSpace(tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	nntest.CheckAlphaGradients(t, net.Forward, nntest.SupernetCheck{
		InputSize: 8, Batch: 3, Classes: 5, Alphas: []string{AlphaName}, Coords: 12, Seed: 1})
}

// TestSynFlowSearch runs the default SynFlow on the full 21-layer space
// (32x32): every score is finite and positive, a second run with the same
// seed gives the same scores, and the arch parses back.
func TestSynFlowSearch(t *testing.T) {
	space, err := NewSpace(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := freedarts.New(space, freedarts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Run(3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Run(3)
	if err != nil {
		t.Fatal(err)
	}
	if a.Arch.String() != b.Arch.String() || !reflect.DeepEqual(a.Scores, b.Scores) {
		t.Errorf("same seed, different results: %s vs %s", a.Arch, b.Arch)
	}
	for _, row := range a.Scores[0].Values {
		for o, v := range row {
			if !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("score of %s is %g", Ops[o], v)
			}
		}
	}
	arch, err := ParseArch(a.Arch.String(), 21)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SynFlow arch: %s (%.2fs)", arch, a.Seconds)
}
