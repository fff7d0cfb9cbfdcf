//go:build linux

package backend

import (
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/internal/gomlxpriv"
)

// Go 1.27.4's simd package loads a slice's tail shorter than a vector by
// loading a whole vector from the tail's start and masking it afterwards
// (archsimd.LoadFloat32x16Part and its kin, slice_gen_amd64.go), so it reads
// up to 60 bytes past the slice's end. GoMLX's portable-SIMD element-wise
// kernels load their operands' tails that way. Where an operand ends just
// before an inaccessible page (the end of the Go heap's mapped part, where
// the newest large buffers lie), the read faults and the process dies:
// "unexpected fault address", on an executor goroutine, which nothing can
// recover.
//
// The tests below put operands there on purpose, with mmap and mprotect, so
// that the fault is reproduced every time rather than now and then.
// TestGuardPageOperands runs the ops of FreeDARTS's graphs on operands
// followed by just the slack that every buffer of an opened backend holds
// (simd_on.go: simdSlack) and then the inaccessible page: the slack must
// cover every kernel's reads. TestSIMDPartLoadFaults keeps the upstream
// cause in view: it fails when a Go release stops reading past the slice,
// the moment the slack can go.
// guardCaseEnv names, in a child test process, the case to run.
const guardCaseEnv = "FREEDARTS_GUARD_PAGE_CASE"

// guardN is a length one element past two AVX-512 vectors of float32 (four
// AVX2 ones), so that every vector loop has a tail of one.
const guardN = 33

// guardCase is a graph of float32 operands of the given shapes.
type guardCase struct {
	name   string
	shapes [][]int
	fn     func(xs []*Node) *Node
}

// guardCases are graphs of float32 operands of the given shapes, one per
// kernel family the searches and studies use (bench -ops lists them), with
// odd sizes so that every vector loop has a tail.
var guardCases = []guardCase{
	{"add", [][]int{{guardN}, {guardN}}, func(xs []*Node) *Node { return Add(xs[0], xs[1]) }},
	{"sub-div", [][]int{{guardN}, {guardN}}, func(xs []*Node) *Node { return Div(Sub(xs[0], xs[1]), AddScalar(Abs(xs[1]), 1)) }},
	{"mul-scalar", [][]int{{guardN}}, func(xs []*Node) *Node { return MulScalar(xs[0], 3) }},
	{"broadcast-mul", [][]int{{5, guardN}, {guardN}}, func(xs []*Node) *Node {
		return Mul(xs[0], BroadcastToShape(InsertAxes(xs[1], 0), xs[0].Shape()))
	}},
	{"broadcast-rows", [][]int{{guardN, 3}, {guardN, 1}}, func(xs []*Node) *Node {
		return Add(xs[0], BroadcastToShape(xs[1], xs[0].Shape()))
	}},
	{"relu-where", [][]int{{guardN}}, func(xs []*Node) *Node {
		return Where(GreaterOrEqual(xs[0], ZerosLike(xs[0])), xs[0], Max(xs[0], ZerosLike(xs[0])))
	}},
	{"exp-neg-sqrt", [][]int{{guardN}}, func(xs []*Node) *Node { return Add(Exp(Neg(xs[0])), Sqrt(Abs(xs[0]))) }},
	{"reduce", [][]int{{3, guardN}}, func(xs []*Node) *Node {
		return Concatenate([]*Node{ReduceSum(xs[0], 1), ReduceMax(xs[0], 1), ReduceSum(xs[0], 0)}, 0)
	}},
	{"matmul-row", [][]int{{1, guardN}, {guardN, 2}}, func(xs []*Node) *Node { return Dot(xs[0], xs[1]).Product() }},
	{"matmul-square", [][]int{{guardN, guardN}, {guardN, 17}}, func(xs []*Node) *Node { return Dot(xs[0], xs[1]).Product() }},
	{"matmul-large", [][]int{{67, 131}, {131, 73}}, func(xs []*Node) *Node { return Dot(xs[0], xs[1]).Product() }},
	{"matmul-transposed", [][]int{{67, guardN}, {29, guardN}}, func(xs []*Node) *Node {
		return DotGeneral(xs[0], []int{1}, nil, xs[1], []int{1}, nil)
	}},
	{"matmul-batched", [][]int{{3, 7, guardN}, {3, guardN, 5}}, func(xs []*Node) *Node {
		return DotGeneral(xs[0], []int{2}, []int{0}, xs[1], []int{1}, []int{0})
	}},
}

// guardSink keeps the probing read of guarded from being optimised away.
var guardSink byte

// guarded returns a copy of values followed by slack bytes, after which an
// inaccessible page begins: reading slack+1 bytes past the last element
// faults.
func guarded(t *testing.T, values []float32, slack int) []byte {
	t.Helper()
	n := 4 * len(values)
	page := syscall.Getpagesize()
	size := ((n+slack)/page + 2) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap %d bytes: %v", size, err)
	}
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect the guard page: %v", err)
	}
	raw := mem[size-page-slack-n : size-page-slack]
	copy(raw, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(values))), n))
	// The guard is real: a read just past the slack faults (a panic here, by
	// SetPanicOnFault, instead of the crash).
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a read past the guarded operand did not fault: no guard page")
			}
		}()
		guardSink = *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(raw)), n+slack))
	}()
	return raw
}

// TestGuardPageOperands runs each case in a child process of its own (a
// fault kills the process), on operands whose simdSlack bytes past the end
// are followed by an inaccessible page, and checks that it computes what it
// computes on ordinary buffers.
func TestGuardPageOperands(t *testing.T) {
	if name := os.Getenv(guardCaseEnv); name != "" {
		runGuardCase(t, name)
		return
	}
	for _, c := range guardCases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestGuardPageOperands$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), guardCaseEnv+"="+c.name)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "guarded "+c.name+": same result") {
				t.Errorf("%s on operands against a guard page (build GOEXPERIMENT=%q): %v\n%s", c.name, GoExperiment(), err, head(out))
			}
		})
	}
}

// runGuardCase is the child: it runs case name on guarded operands and on
// ordinary ones, and says whether the results are the same.
func runGuardCase(t *testing.T, name string) {
	i := slices.IndexFunc(guardCases, func(c guardCase) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no case %q", name)
	}
	c := guardCases[i]
	b, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	be := b.Backend
	var plain, onGuard []any
	for k, dims := range c.shapes {
		shape := shapes.Make(dtypes.Float32, dims...)
		values := make([]float32, shape.Size())
		for j := range values {
			values[j] = float32((j*7+k*3)%13-6) / 4
		}
		plain = append(plain, tensors.FromFlatDataAndDimensions(values, dims...))
		buf, err := be.BufferFromFlatData(0, values, shape)
		if err != nil {
			t.Fatal(err)
		}
		restore, err := gomlxpriv.SetBufferStorage(buf, guarded(t, values, simdSlack))
		if err != nil {
			t.Fatal(err)
		}
		defer restore()
		x, err := tensors.FromBuffer(buf)
		if err != nil {
			t.Fatal(err)
		}
		onGuard = append(onGuard, x)
	}
	exe, err := NewExec(be, c.fn)
	if err != nil {
		t.Fatal(err)
	}
	run := func(inputs []any) []float32 {
		outs, err := exe.Exec(inputs...)
		if err != nil {
			t.Fatal(err)
		}
		var flat []float32
		if err := tensors.ConstFlatData(outs[0], func(f []float32) { flat = slices.Clone(f) }); err != nil {
			t.Fatal(err)
		}
		return flat
	}
	want, got := run(plain), run(onGuard)
	if !slices.Equal(got, want) {
		t.Fatalf("guarded %s: %v, on ordinary buffers %v", name, got, want)
	}
	fmt.Printf("guarded %s: same result\n", name)
}

// head is the first lines of a child's output, enough to show its fault.
func head(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 15 {
		lines = lines[:15]
	}
	return strings.Join(lines, "\n")
}
