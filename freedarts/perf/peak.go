package perf

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// MeasurePeak times a [size,size] x [size,size] MatMul in float32 and in
// float64 on b (best of reps, after one warm-up). The operands are made in
// the graph from a scalar input, so no transfer is timed but the product
// cannot be folded into a constant.
func MeasurePeak(b compute.Backend, size, reps int) (Peak, error) {
	if b == nil {
		return Peak{}, errors.New("peak matmul: backend is nil, want a compute.Backend")
	}
	if size < 1 {
		return Peak{}, fmt.Errorf("peak matmul: size %d, want >= 1", size)
	}
	p := Peak{Size: size}
	var errs []string
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		sec, err := timeMatMul(b, dt, size, max(reps, 1))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", dt, err))
			continue
		}
		gflops := 2 * float64(size) * float64(size) * float64(size) / sec / 1e9
		if dt == dtypes.Float32 {
			p.F32Seconds, p.F32GFLOPS = sec, gflops
		} else {
			p.F64Seconds, p.F64GFLOPS = sec, gflops
		}
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("peak matmul: %s", strings.Join(errs, "; "))
	}
	return p, nil
}

func timeMatMul(b compute.Backend, dt dtypes.DType, n, reps int) (sec float64, err error) {
	err = exceptions.TryCatch[error](func() {
		exec, e := NewExec(b, func(s *Node) *Node {
			g := s.Graph()
			sh := shapes.Make(dt, n, n)
			a := Mul(ConvertDType(Iota(g, sh, 0), dt), s)
			c := Sub(ConvertDType(Iota(g, sh, 1), dt), s)
			return ReduceAllSum(MatMul(a, c))
		})
		if e != nil {
			panic(e)
		}
		defer exec.Finalize()
		arg, e := scalarTensor(dt, 1e-3)
		if e != nil {
			panic(e)
		}
		for i := range reps + 1 {
			start := time.Now()
			outs, e := exec.Exec(arg)
			if e != nil {
				panic(e)
			}
			for _, o := range outs {
				o.FinalizeAll()
			}
			if el := time.Since(start).Seconds(); i > 0 && (sec == 0 || el < sec) {
				sec = el
			}
		}
	})
	return sec, err
}

func scalarTensor(dt dtypes.DType, v float64) (*tensors.Tensor, error) {
	switch dt {
	case dtypes.Float32:
		return tensors.FromScalar(float32(v)), nil
	case dtypes.Float64:
		return tensors.FromScalar(v), nil
	}
	return nil, fmt.Errorf("unsupported dtype %s", dt)
}
