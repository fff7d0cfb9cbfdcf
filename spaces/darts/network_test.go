package darts

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/spaces/nn"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// traceOp traces one op on a [2, size, size, c] input and returns its
// output shape and parameters.
func traceOp(t *testing.T, op, size, c, stride int, supernet bool, opts nn.Options) ([]int, []nn.ParamSpec) {
	t.Helper()
	var dims []int
	specs, err := nn.Trace(nntest.Backend(t), opts, func(n *nn.Net) {
		x := Zeros(n.Graph(), shapes.Make(opts.DType, 2, size, size, c))
		dims = builder{n: n}.applyOp(op, x, stride, supernet).Shape().Dimensions
	})
	if err != nil {
		t.Fatal(err)
	}
	return dims, specs
}

// TestOpShapesAndParams runs every op at stride 1 and 2, in the supernet
// (BN after pools, no affine) and in the evaluation network (affine BN):
// the width is kept, stride 2 halves the size, and the parameters are the
// ones opParams counts (plus nothing in the supernet's non-affine BNs).
func TestOpShapesAndParams(t *testing.T) {
	const size, c = 8, 6
	for op, name := range Ops {
		for _, stride := range []int{1, 2} {
			for _, supernet := range []bool{true, false} {
				opts := nn.Options{DType: dtypes.Float32, Affine: !supernet}
				dims, specs := traceOp(t, op, size, c, stride, supernet, opts)
				if want := []int{2, size / stride, size / stride, c}; !slices.Equal(dims, want) {
					t.Errorf("%s stride %d: output %v, want %v", name, stride, dims, want)
				}
				got := nn.CountParams(specs)
				want := opParams(name, c, stride)
				if supernet {
					want = nn.CountParams(specs, nn.Weight) // no BN parameters at all
					if nn.CountParams(specs, nn.BNScale, nn.BNShift) != 0 {
						t.Errorf("%s: supernet op has affine BN", name)
					}
				}
				if got != want {
					t.Errorf("%s stride %d supernet %v: %d parameters, want %d", name, stride, supernet, got, want)
				}
			}
		}
	}
	// The weights themselves, by hand, at c=6: sep_conv_5x5 = 2*(25*6 + 36).
	if _, specs := traceOp(t, 5, size, c, 1, true, nn.Options{DType: dtypes.Float32}); nn.CountParams(specs) != 2*(25*6+36) {
		t.Errorf("sep_conv_5x5 weights: %d, want %d", nn.CountParams(specs), 2*(25*6+36))
	}
}

// TestFactorizedReduce checks the op against a direct computation: channel
// o < C/2 of output pixel (i, j) is relu(x)[2i, 2j] . w1[:, o], channel
// C/2+o is relu(x)[2i+1, 2j+1] . w2[:, o] (batch norm off).
func TestFactorizedReduce(t *testing.T) {
	const n, size, cin, cout = 2, 6, 3, 4
	rng := rand.New(rand.NewPCG(1, 2))
	x := nntest.Random(rng, n, size, size, cin)
	w1, w2 := nntest.Random(rng, cin, cout/2), nntest.Random(rng, cin, cout/2)
	opts := nn.Options{DType: dtypes.Float64, BN: nn.BNNone}
	specs := []nn.ParamSpec{
		{Name: "fr/conv_1", Kind: nn.Weight, Shape: []int{cin, cout / 2}, FanIn: cin},
		{Name: "fr/conv_2", Kind: nn.Weight, Shape: []int{cin, cout / 2}, FanIn: cin},
	}
	got, dims, err := nntest.Run(nntest.Backend(t), func(in []*Node) *Node {
		net := nn.Bind(in[0].Graph(), opts, specs, in[1:])
		return builder{n: net}.factorizedReduce("fr", in[0], cout)
	}, x, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{n, size / 2, size / 2, cout}) {
		t.Fatalf("shape %v", dims)
	}
	relu := func(v float64) float64 { return max(v, 0) }
	for b := range n {
		for i := range size / 2 {
			for j := range size / 2 {
				for o := range cout {
					w, r, c, col := w1, 2*i, 2*j, o
					if o >= cout/2 {
						w, r, c, col = w2, 2*i+1, 2*j+1, o-cout/2
					}
					want := 0.0
					for ch := range cin {
						want += relu(x.Values[((b*size+r)*size+c)*cin+ch]) * w.Values[ch*cout/2+col]
					}
					g := got[((b*size/2+i)*size/2+j)*cout+o]
					if d := g - want; d > 1e-12 || d < -1e-12 {
						t.Fatalf("out[%d,%d,%d,%d] = %g, want %g", b, i, j, o, g, want)
					}
				}
			}
		}
	}
}

// TestParamCountDARTSV2 is the known answer: DARTS-V2 at C=36, 20 cells,
// CIFAR-10 has 3,349,342 parameters without the auxiliary head (DARTS's
// count_parameters_in_MB: 3.35). By hand:
//
//	stem: 27*108 + 2*108                                     =    3132
//	normal cell ops at width c: 5 sep_conv_3x3 (2*(9c+c^2+2c)) and
//	  1 dil_conv_3x3 (9c+c^2+2c), skips free: 11c^2 + 121c
//	reduce cell ops: max pools and stride-1 skips only        =       0
//	preprocess cin -> c (ReLUConvBN 1x1 or FactorizedReduce): cin*c + 2c
//	cell 0 (c=36, inputs 108, 108):   3960 + 3960 + 18612     =   26532
//	cell 1 (inputs 108, 144):         3960 + 5256 + 18612     =   27828
//	cells 2-5 (144, 144):        4 x (5256 + 5256 + 18612)    =  116496
//	cell 6 reduce (c=72; 144, 144):  10512 + 10512            =   21024
//	cell 7 (c=72; 144 FR, 288):      10512 + 20880 + 65736    =   97128
//	cells 8-12 (288, 288):       5 x (20880 + 20880 + 65736)  =  537480
//	cell 13 reduce (c=144; 288, 288): 41760 + 41760           =   83520
//	cell 14 (c=144; 288 FR, 576):    41760 + 83232 + 245520   =  370512
//	cells 15-19 (576, 576):      5 x (83232 + 83232 + 245520) = 2059920
//	classifier 576*10 + 10                                    =    5770
//	total                                                     = 3349342
//
// The auxiliary head after cell 13 (576 channels) adds 128*576 + 256 +
// 4*128*768 + 1536 + 768*10 + 10 = 476426: 3825768 in all.
func TestParamCountDARTSV2(t *testing.T) {
	for _, tc := range []struct {
		aux  bool
		want int
	}{{false, 3349342}, {true, 3825768}} {
		got, err := ParamCount(EvalConfig(), v2, tc.aux)
		if err != nil || got != tc.want {
			t.Errorf("ParamCount(DARTS-V2, aux %v) = %d, %v; want %d", tc.aux, got, err, tc.want)
		}
	}
}

// TestParamCountMatchesNetwork checks ParamCount against the parameters
// the network actually declares, for published and random genotypes,
// CIFAR and ImageNet shapes, with and without the auxiliary head.
func TestParamCountMatchesNetwork(t *testing.T) {
	v1, _ := ParseGenotype(DARTSV1)
	rng := rand.New(rand.NewPCG(4, 5))
	cases := []struct {
		name string
		cfg  Config
		g    Genotype
	}{
		{"v2 eval", EvalConfig(), v2},
		{"v1 eval", EvalConfig(), v1},
		{"v2 8 cells C=16", DefaultConfig(), v2},
		{"v2 imagenet", Config{C: 48, Layers: 14, Classes: 1000, InputSize: 224, ImageNet: true}, v2},
	}
	for i := range 4 {
		g := randomGenotype(rng)
		cases = append(cases, struct {
			name string
			cfg  Config
			g    Genotype
		}{"random " + string(rune('a'+i)), Config{C: 8, Layers: 5 + i, Classes: 10, InputSize: 32}, g})
	}
	for _, tc := range cases {
		for _, aux := range []bool{false, true} {
			net, err := NewNetwork(tc.cfg, tc.g, aux)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			opts := nn.Options{DType: dtypes.Float32, Affine: true}
			specs, err := nn.Trace(nntest.Backend(t), opts, func(n *nn.Net) {
				x := Zeros(n.Graph(), shapes.Make(opts.DType, 2, tc.cfg.InputSize, tc.cfg.InputSize, 3))
				logits, auxLogits := net.Build(n, x, BuildOptions{Train: true})
				if (auxLogits != nil) != aux || logits.Shape().Dimensions[1] != tc.cfg.Classes {
					t.Errorf("%s aux %v: logits %v, aux %v", tc.name, aux, logits.Shape(), auxLogits)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParamCount(tc.cfg, tc.g, aux)
			if err != nil {
				t.Fatal(err)
			}
			if got := nn.CountParams(specs); got != want {
				t.Errorf("%s aux %v: network declares %d parameters, ParamCount says %d", tc.name, aux, got, want)
			}
			if tc.name == "v2 imagenet" && !aux {
				// DARTS reports 4.7 M for its ImageNet network.
				if want < 4.6e6 || want > 4.8e6 {
					t.Errorf("DARTS-V2 ImageNet: %d parameters, want about 4.7 M", want)
				}
			}
		}
	}
}

func TestSupernetShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		red    []int
		weight int
	}{
		{"8 cells", DefaultConfig(), []int{2, 5}, 0},
		{"20 cells", DeepConfig(), []int{6, 13}, 0},
		{"3 cells", Config{C: 4, Layers: 3, Classes: 10, InputSize: 8}, []int{1, 2}, 0},
		{"imagenet", ImageNetConfig(), []int{4, 9}, 0},
	} {
		s, err := NewSpace(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var red []int
		for i, p := range s.cells {
			if p.Reduction {
				red = append(red, i)
			}
		}
		if !slices.Equal(red, tc.red) {
			t.Errorf("%s: reduction cells %v, want %v", tc.name, red, tc.red)
		}
		last := s.cells[len(s.cells)-1]
		if last.Out != 16*tc.cfg.C {
			t.Errorf("%s: last cell width %d, want 4*4C", tc.name, last.Out)
		}
		if tc.cfg.ImageNet && (s.cells[0].Size != 28 || last.OutSize != 7) {
			t.Errorf("%s: first cell sees %d, last outputs %d; want 28 and 7", tc.name, s.cells[0].Size, last.OutSize)
		}
	}
	// Alphas: two [14, 8] parameters, declared first.
	s, _ := NewSpace(Config{C: 4, Layers: 3, Classes: 10, InputSize: 8})
	specs, err := nn.Trace(nntest.Backend(t), nn.Options{DType: dtypes.Float32}, func(n *nn.Net) {
		if d := s.Forward(n, Zeros(n.Graph(), shapes.Make(dtypes.Float32, 1, 8, 8, 3))).Shape().Dimensions; !slices.Equal(d, []int{1, 10}) {
			t.Errorf("logits %v", d)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].Name != NormalAlpha || specs[1].Name != ReduceAlpha || !slices.Equal(specs[0].Shape, []int{NumEdges, NumOps}) ||
		len(nn.FindParams(specs, nn.Alpha)) != 2 {
		t.Errorf("alphas: %+v %+v", specs[0], specs[1])
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{C: 0, Layers: 8, Classes: 10, InputSize: 32}, "width C=0"},
		{Config{C: 16, Layers: 2, Classes: 10, InputSize: 32}, "want >= 3 cells"},
		{Config{C: 16, Layers: 8, Classes: 1, InputSize: 32}, "classes=1"},
		{Config{C: 16, Layers: 8, Classes: 10, InputSize: 30}, "divisible by 4"},
		{Config{C: 48, Layers: 14, Classes: 10, InputSize: 200, ImageNet: true}, "divisible by 32"},
		{Config{C: 47, Layers: 14, Classes: 10, InputSize: 224, ImageNet: true}, "even width"},
	} {
		if _, err := NewSpace(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSpace(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := NewNetwork(Config{C: 8, Layers: 8, Classes: 10, InputSize: 64}, v2, true); err == nil || !strings.Contains(err.Error(), "auxiliary head") {
		t.Errorf("aux head on 64x64: %v", err)
	}
	if _, err := NewNetwork(EvalConfig(), Genotype{}, false); err == nil {
		t.Error("empty genotype accepted")
	}
}
