package bench

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func TestOpCost(t *testing.T) {
	if os.Getenv("FD_OPCOST") == "" {
		t.Skip("set FD_OPCOST=1")
	}
	b, err := backend.Open(backend.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	dt := dtypes.Float32
	if os.Getenv("FD_OPCOST") == "f64" {
		dt = dtypes.Float64
	}
	N, H, C := 64, 32, 16
	mk := func(dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i%7) - 3
		}
		tt, _ := nn.ToTensor(v, dt, dims...)
		return tt
	}
	x := mk(N, H, H, C)
	xp := mk(N, H+2, H+2, C)
	w9 := mk(9*C, C)
	w1 := mk(C, C)
	cases := []struct {
		name string
		f    func(in []*Node) *Node
		args []*tensors.Tensor
	}{
		{"identity(copy via Add0)", func(in []*Node) *Node { return in[0] }, []*tensors.Tensor{x}},
		{"add same shape", func(in []*Node) *Node { return Add(in[0], in[0]) }, []*tensors.Tensor{x}},
		{"mul scalar const", func(in []*Node) *Node { return MulScalar(in[0], 0.5) }, []*tensors.Tensor{x}},
		{"mul bcast [1,1,1,C]", func(in []*Node) *Node { return Mul(in[0], Reshape(Slice(in[1], AxisElem(0)), 1, 1, 1, C)) }, []*tensors.Tensor{x, w1}},
		{"max relu", func(in []*Node) *Node { return nn.ReLU(in[0]) }, []*tensors.Tensor{x}},
		{"reduce sum 0,1,2", func(in []*Node) *Node { return ReduceSum(in[0], 0, 1, 2) }, []*tensors.Tensor{x}},
		{"reduce sum all", func(in []*Node) *Node { return ReduceAllSum(in[0]) }, []*tensors.Tensor{x}},
		{"reduce sum 0 of reshaped", func(in []*Node) *Node { return ReduceSum(Reshape(in[0], N*H*H, C), 0) }, []*tensors.Tensor{x}},
		{"slice shift(1,1) of padded", func(in []*Node) *Node {
			return Slice(in[0], AxisRange(), AxisRange(1, 1+H), AxisRange(1, 1+H), AxisRange())
		}, []*tensors.Tensor{xp}},
		{"slice rows(1) of padded", func(in []*Node) *Node {
			return Slice(in[0], AxisRange(), AxisRange(1, 1+H), AxisRange(), AxisRange())
		}, []*tensors.Tensor{xp}},
		{"pad 1 (Pad op)", func(in []*Node) *Node {
			return Pad(in[0], ScalarZero(in[0].Graph(), dt), PadAxis{}, PadAxis{Start: 1, End: 1}, PadAxis{Start: 1, End: 1}, PadAxis{})
		}, []*tensors.Tensor{x}},
		{"pad 1 (concat)", func(in []*Node) *Node { return nn.ZeroPad(in[0], 1) }, []*tensors.Tensor{x}},
		{"concat 9 on axis 3", func(in []*Node) *Node {
			v := make([]*Node, 9)
			for i := range v {
				v[i] = in[0]
			}
			return Concatenate(v, 3)
		}, []*tensors.Tensor{x}},
		{"transpose 0<->3", func(in []*Node) *Node { return TransposeAllAxes(in[0], 3, 1, 2, 0) }, []*tensors.Tensor{x}},
		{"matmul [M,9C]x[9C,C]", func(in []*Node) *Node { return MatMul(Reshape(in[0], N*H*H, 9*C), in[1]) }, []*tensors.Tensor{mk(N, H, H, 9*C), w9}},
		{"matmul [M,C]x[C,C]", func(in []*Node) *Node { return MatMul(Reshape(in[0], N*H*H, C), in[1]) }, []*tensors.Tensor{x, w1}},
		{"matmul [M,C]x[C,9C]", func(in []*Node) *Node { return MatMul(Reshape(in[0], N*H*H, C), in[1]) }, []*tensors.Tensor{x, mk(C, 9*C)}},
		{"dX: dY[M,C] . W[9C,C]^T (transposed)", func(in []*Node) *Node {
			return DotGeneral(Reshape(in[0], N*H*H, C), []int{1}, nil, in[1], []int{1}, nil)
		}, []*tensors.Tensor{x, w9}},
		{"dX: dY[M,C] . WT[C,9C]", func(in []*Node) *Node {
			return MatMul(Reshape(in[0], N*H*H, C), Transpose(in[1], 0, 1))
		}, []*tensors.Tensor{x, w9}},
		{"dW: P[M,9C]^T dY[M,C]", func(in []*Node) *Node {
			return DotGeneral(Reshape(in[0], N*H*H, 9*C), []int{0}, nil, Reshape(in[1], N*H*H, C), []int{0}, nil)
		}, []*tensors.Tensor{mk(N, H, H, 9*C), x}},
		{"conv2d im2col 3x3", func(in []*Node) *Node { return nn.Conv2D(in[0], in[1], 3, 1, 1) }, []*tensors.Tensor{x, w9}},
		{"native Convolve 3x3", func(in []*Node) *Node {
			return Convolve(in[0], Reshape(in[1], 3, 3, C, C)).PadSame().Done()
		}, []*tensors.Tensor{x, w9}},
		{"avgpool 3x3", func(in []*Node) *Node { return nn.AvgPool2D(in[0], 3, 1, 1) }, []*tensors.Tensor{x}},
		{"BN", func(in []*Node) *Node { return nn.Bind(in[0].Graph(), nn.Options{DType: dt}, nil, nil).BatchNorm("bn", in[0]) }, []*tensors.Tensor{x}},
		{"grad conv2d im2col 3x3 wrt x", func(in []*Node) *Node {
			y := nn.Conv2D(in[0], in[1], 3, 1, 1)
			return Gradient(ReduceAllSum(Mul(y, y)), in[0])[0]
		}, []*tensors.Tensor{x, w9}},
		{"grad native conv wrt x", func(in []*Node) *Node {
			y := Convolve(in[0], Reshape(in[1], 3, 3, C, C)).PadSame().Done()
			return Gradient(ReduceAllSum(Mul(y, y)), in[0])[0]
		}, []*tensors.Tensor{x, w9}},
	}
	for _, c := range cases {
		R := 1
		if os.Getenv("FD_OPCOST_R") != "" {
			R = 10
		}
		exec, err := NewExec(b, func(in []*Node) *Node {
			var outs []*Node
			for r := range R {
				in2 := append([]*Node(nil), in...)
				in2[0] = Add(in[0], Scalar(in[0].Graph(), in[0].DType(), float64(r)))
				outs = append(outs, ReduceAllMax(c.f(in2)))
			}
			return Stack(outs, 0)
		})
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, len(c.args))
		for i, a := range c.args {
			args[i] = a
		}
		if _, err := exec.Exec(args...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		reps := 10
		start := time.Now()
		for range reps {
			outs, err := exec.Exec(args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outs {
				o.FinalizeAll()
			}
		}
		el := time.Since(start).Seconds() / float64(reps) / float64(R)
		fmt.Printf("%-40s %8.3f ms  (%.2f ns/elem of x)\n", c.name, el*1e3, el*1e9/float64(N*H*H*C))
		exec.Finalize()
	}
}
