// Package nntest checks graph functions against float64 finite differences.
// The network code of every space and every FreeDARTS criterion is tested
// with it.
package nntest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// Backend is the backend the tests run on ($GOMLX_BACKEND or the default),
// the process's shared one (backend.Shared), which searches given no
// backend use too.
func Backend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backend.Shared("")
	if err != nil {
		t.Fatal(err)
	}
	return b.Backend
}

// Input is a float64 tensor.
type Input struct {
	Values []float64
	Shape  []int
}

// tensorArgs are the inputs as graph arguments.
func tensorArgs(inputs []Input) []any {
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = tensors.FromFlatDataAndDimensions(in.Values, in.Shape...)
	}
	return args
}

// Random returns an input of the given shape with N(0,1) values.
func Random(rng *rand.Rand, shape ...int) Input {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return Input{v, shape}
}

// Func builds a scalar from graph inputs, in the order given to Eval.
type Func func(inputs []*Node) *Node

// Eval runs f once in float64 and returns its value and, when grad is
// true, its gradient with respect to every input.
func Eval(b compute.Backend, f Func, inputs []Input, grad bool) (float64, [][]float64, error) {
	exec, err := NewExec(b, func(in []*Node) []*Node {
		y := f(in)
		if !grad {
			return []*Node{y}
		}
		return append([]*Node{y}, Gradient(y, in...)...)
	})
	if err != nil {
		return 0, nil, err
	}
	defer exec.Finalize()
	outs, err := exec.Exec(tensorArgs(inputs)...)
	if err != nil {
		return 0, nil, err
	}
	vals := make([][]float64, len(outs))
	for i, o := range outs {
		if vals[i], err = nn.FromTensor(o); err != nil {
			return 0, nil, err
		}
	}
	return vals[0][0], vals[1:], nil
}

// CheckGradient compares the autodiff gradient of f with respect to input
// which against central differences with step h, at up to maxCoords
// coordinates chosen by rng. It fails when |auto - numeric| exceeds
// tol * max(1, |numeric|).
func CheckGradient(t testing.TB, b compute.Backend, f Func, inputs []Input, which int, h, tol float64, maxCoords int, rng *rand.Rand) {
	t.Helper()
	_, grads, err := Eval(b, f, inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	numeric, err := NumericGradient(b, f, inputs, which, h, maxCoords, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range numeric {
		got := grads[which][i]
		if math.IsNaN(got) || math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
			t.Errorf("input %d coordinate %d: autodiff %.10g, finite differences %.10g", which, i, got, want)
		}
	}
}

// NumericGradient is the central-difference gradient of f with respect to
// input which, at up to maxCoords coordinates (the map is keyed by
// coordinate).
func NumericGradient(b compute.Backend, f Func, inputs []Input, which int, h float64, maxCoords int, rng *rand.Rand) (map[int]float64, error) {
	x := inputs[which].Values
	coords := rng.Perm(len(x))
	if len(coords) > maxCoords {
		coords = coords[:maxCoords]
	}
	out := make(map[int]float64, len(coords))
	for _, i := range coords {
		orig := x[i]
		x[i] = orig + h
		fp, _, err := Eval(b, f, inputs, false)
		if err != nil {
			return nil, err
		}
		x[i] = orig - h
		fm, _, err := Eval(b, f, inputs, false)
		x[i] = orig
		if err != nil {
			return nil, err
		}
		out[i] = (fp - fm) / (2 * h)
	}
	return out, nil
}

// Project is sum(x * r) for a fixed random r: a scalar whose gradient exercises
// every element of x.
func Project(x *Node, seed uint64) *Node {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := make([]float64, x.Shape().Size())
	for i := range r {
		r[i] = rng.NormFloat64()
	}
	c := Const(x.Graph(), tensors.FromFlatDataAndDimensions(r, x.Shape().Dimensions...))
	return ReduceAllSum(Mul(x, ConvertDType(c, x.DType())))
}

// Run evaluates f on the inputs and returns its (single) output as float64s.
func Run(b compute.Backend, f func(in []*Node) *Node, inputs ...Input) ([]float64, []int, error) {
	exec, err := NewExec(b, f)
	if err != nil {
		return nil, nil, err
	}
	defer exec.Finalize()
	outs, err := exec.Exec(tensorArgs(inputs)...)
	if err != nil {
		return nil, nil, err
	}
	if outs[0].DType() != dtypes.Float64 && outs[0].DType() != dtypes.Float32 {
		return nil, nil, fmt.Errorf("output dtype %s", outs[0].DType())
	}
	v, err := nn.FromTensor(outs[0])
	return v, outs[0].Shape().Dimensions, err
}
