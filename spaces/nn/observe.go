package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"
)

// ActKind says where in a network an activation was observed. Kinds are
// bits, so that an Observer can ask for several.
type ActKind uint8

const (
	// ReLUInput is the input of a ReLU: NASWOT's binary code is its sign.
	ReLUInput ActKind = 1 << iota
	// LayerOutput is the output of a convolution or linear layer (before
	// batch norm), where zero-cost-nas measures Fisher information.
	LayerOutput
	// GateOutput is alpha[Index] * op(x) on a mixed edge of a supernet: the
	// activation that one architecture parameter gates.
	GateOutput
	// BNInput is the input of a batch norm that normalises with batch
	// statistics (not BNNone), whose variance Zen-NAS reads.
	BNInput
	// Features is the feature map a network's head pools (the input of its
	// global average pooling, ObserveFeatures): Zen-NAS's f(x).
	Features
	// CellOutput is the output of a network's stem and of each of its cells
	// (reduction blocks included), in order (ObserveCell): the feature maps
	// that AZ-NAS compares from one cell to the next.
	CellOutput
)

// Activation is one observed node.
type Activation struct {
	Kind ActKind
	// Name is where the node is: the layer's weight name (LayerOutput), the
	// ReLU's scope plus "relu" (ReLUInput), or the alpha's name (GateOutput).
	Name string
	Node *Node
	// Index is the flat index of the gating alpha entry (GateOutput only).
	Index int
	// GatedBy is the mixed-edge op that computes the node (see OpGate); a
	// GateOutput is outside the op it gates.
	GatedBy OpGate
}

// OpGate names the alpha entry that gates one op of a mixed edge (Mixed):
// the parameters and activations that op declares belong to it, so that a
// supernet scored as one of its cells (a one-hot alpha) can leave out the
// ones of the ops it drops. The zero OpGate (Alpha "") is the rest of the
// network, which every cell has.
type OpGate struct {
	// Alpha is the name of the architecture parameter.
	Alpha string
	// Index is the flat (row-major) index of the entry.
	Index int
}

// Gated reports whether g names an op (is not the zero OpGate).
func (g OpGate) Gated() bool { return g.Alpha != "" }

// Observer collects the activations of the kinds it asks for while a
// network builds its graph, in build order. The zero-cost proxies that look
// inside the network (Fisher, NASWOT) read them; without an observer the
// graph is exactly what the network code writes.
type Observer struct {
	Kinds ActKind
	Acts  []Activation
}

// Observe makes n (and every view derived from it, before or after) record
// into o. A nil o stops recording.
func (n *Net) Observe(o *Observer) { n.st.obs = o }

// observe records x under kind and name when asked to, and returns x.
func (n *Net) observe(kind ActKind, name string, index int, x *Node) *Node {
	if o := n.st.obs; o != nil && o.Kinds&kind != 0 {
		o.Acts = append(o.Acts, Activation{Kind: kind, Name: name, Node: x, Index: index, GatedBy: n.st.gate})
	}
	return x
}

// ReLU is ReLU(x), with its input visible to an Observer. Networks call it
// instead of the function ReLU wherever a proxy should see the unit.
func (n *Net) ReLU(x *Node) *Node {
	return ReLU(n.observe(ReLUInput, n.prefix+"relu", 0, x))
}

// ObserveFeatures records x, the feature map the head of a network pools
// into its classifier, as Features, and returns it. Networks call it on the
// input of their global average pooling.
func (n *Net) ObserveFeatures(x *Node) *Node {
	return n.observe(Features, n.prefix+"features", 0, x)
}

// ObserveCell records x, the output of the stem or of a cell of a
// network, as CellOutput, and returns it. Networks call it on the stem's
// output and on every cell's, in order.
func (n *Net) ObserveCell(x *Node) *Node {
	return n.observe(CellOutput, n.prefix+"cell_output", 0, x)
}

// Gate returns y, the output gated by entry index of the named alpha,
// recorded for an Observer.
func (n *Net) Gate(alpha string, index int, y *Node) *Node {
	return n.observe(GateOutput, alpha, index, y)
}

// Mixed is a supernet's mixed edge: the sum over the ops o of
// alpha[row, o] * op(o), in op order, each term gated (Gate, entry
// row*ops + o of the alpha called name) for the observers. op returns nil
// for an op that adds nothing ("none"): its term is left out, and its alpha
// entry gets a zero gradient. alpha is [rows, ops], raw (no softmax), as in
// the released FreeDARTS code. What op(o) declares and observes is GatedBy
// that entry (an op's own mixed edges, if any, take over for theirs).
func (n *Net) Mixed(name string, alpha *Node, row int, op func(o int) *Node) *Node {
	ops := alpha.Shape().Dimensions[1]
	var sum *Node
	for o := range ops {
		y := n.gatedOp(OpGate{Alpha: name, Index: row*ops + o}, func() *Node { return op(o) })
		if y == nil {
			continue
		}
		w := Reshape(Slice(alpha, AxisElem(row), AxisElem(o)))
		y = n.Gate(name, row*ops+o, Mul(y, w))
		if sum == nil {
			sum = y
		} else {
			sum = Add(sum, y)
		}
	}
	if sum == nil {
		exceptions.Panicf("nn: mixed edge %s[%d] has no op", name, row)
	}
	return sum
}

// gatedOp builds op with g as the gate of what it declares, and restores
// the enclosing gate afterwards, also when op panics (a trace that
// recovers, Trace's, may go on building).
func (n *Net) gatedOp(g OpGate, op func() *Node) *Node {
	prev := n.st.gate
	n.st.gate = g
	defer func() { n.st.gate = prev }()
	return op()
}
