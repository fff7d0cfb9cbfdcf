package darts

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// TrainConfig configures Train. Zero values mean zero (off); start from
// DefaultTrainConfig for the DARTS train.py settings.
type TrainConfig struct {
	Epochs    int
	BatchSize int
	// LR is the initial learning rate; it follows a cosine schedule to 0,
	// stepped once per epoch: lr_e = LR/2 * (1 + cos(pi e / Epochs)).
	LR          float64
	Momentum    float64
	WeightDecay float64 // on every parameter, as DARTS (PyTorch SGD)
	// GradClip clips the global gradient norm (0: no clipping).
	GradClip float64
	// Cutout is the side of the square zeroed in every training image
	// (after normalisation, as DARTS); 0 disables it.
	Cutout int
	// Crop pads training images by this many pixels and crops them back at
	// a random offset (DARTS: 4); flips are random whenever Crop > 0.
	Crop int
	// DropPath is the final drop-path probability; epoch e uses
	// DropPath * e / Epochs, as DARTS.
	DropPath float64
	// AuxWeight weighs the auxiliary head's loss (networks with one).
	AuxWeight float64
	// EvalBatch is the batch size of evaluation.
	EvalBatch int
	// Seed seeds the weights, the shuffling, the augmentation and the
	// drop-path masks.
	Seed uint64
	// DType of training (Float32 or Float64).
	DType dtypes.DType
	// Log, if set, gets one line per epoch.
	Log io.Writer
	// Progress, if set, is called after every training step.
	Progress func(Progress)
	// Stop, if set, is asked before every training step; when it returns
	// true, Train returns the epochs finished so far with an error wrapping
	// ErrInterrupted (a command's Ctrl-C: signal.NotifyContext's ctx.Err).
	Stop func() bool
}

// ErrInterrupted is the error of a Train that Stop ended early.
var ErrInterrupted = errors.New("darts: training interrupted")

// Validate reports settings out of range, naming the field: NaN and
// infinities are rejected everywhere.
func (c TrainConfig) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, f := range []struct {
		name string
		v    float64
		ok   bool
		want string
	}{
		{"LR", c.LR, c.LR > 0, "> 0"},
		{"Momentum", c.Momentum, c.Momentum >= 0, ">= 0"},
		{"WeightDecay", c.WeightDecay, c.WeightDecay >= 0, ">= 0"},
		{"GradClip", c.GradClip, c.GradClip >= 0, ">= 0 (0: no clipping)"},
		{"DropPath", c.DropPath, c.DropPath >= 0 && c.DropPath < 1, "in [0, 1)"},
		{"AuxWeight", c.AuxWeight, c.AuxWeight >= 0, ">= 0"},
	} {
		if !finite(f.v) || !f.ok {
			return fmt.Errorf("darts: training %s %v, want a finite value %s", f.name, f.v, f.want)
		}
	}
	for _, f := range []struct {
		name   string
		v, min int
	}{{"Epochs", c.Epochs, 1}, {"BatchSize", c.BatchSize, 2}, {"EvalBatch", c.EvalBatch, 1}, {"Cutout", c.Cutout, 0}, {"Crop", c.Crop, 0}} {
		if f.v < f.min {
			return fmt.Errorf("darts: training %s %d, want >= %d", f.name, f.v, f.min)
		}
	}
	if c.DType != dtypes.InvalidDType && c.DType != dtypes.Float32 && c.DType != dtypes.Float64 {
		return fmt.Errorf("darts: training DType %s, want Float32 or Float64", c.DType)
	}
	return nil
}

// DefaultTrainConfig is DARTS train.py: batch 96, lr 0.025, momentum 0.9,
// weight decay 3e-4, gradient clipping at 5, cutout 16, drop-path 0.2,
// auxiliary weight 0.4, float32, 600 epochs.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Epochs: 600, BatchSize: 96, LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5,
		Cutout: 16, Crop: 4, DropPath: 0.2, AuxWeight: 0.4, EvalBatch: 250, DType: dtypes.Float32,
	}
}

// Progress reports one training step.
type Progress struct {
	Epoch, Epochs, Step, Steps int
	// Loss is the step's training loss (auxiliary term included).
	Loss float64
}

// EpochStats summarise one epoch. Test figures are zero, and Tested false,
// without test data.
type EpochStats struct {
	Epoch     int     `json:"epoch"` // 1-based
	LR        float64 `json:"lr"`
	DropPath  float64 `json:"drop_path"`
	TrainLoss float64 `json:"train_loss"` // mean over steps, auxiliary term included
	TrainAcc  float64 `json:"train_acc"`  // percent, main head
	Tested    bool    `json:"tested"`
	TestLoss  float64 `json:"test_loss"`
	TestAcc   float64 `json:"test_acc"`
	Seconds   float64 `json:"seconds"`
}

// TrainResult is the outcome of Train: per-epoch statistics and the
// trained parameters (in Specs order) with the running batch-norm
// statistics (in BNNames order, mean then variance).
type TrainResult struct {
	Epochs  []EpochStats
	Specs   []nn.ParamSpec
	Params  []*tensors.Tensor
	BNNames []string
	Running []*tensors.Tensor
}

// Train trains net on train and, after every epoch, evaluates it on test
// (if not nil). The network's input must be 32x32 (CIFAR-10). A Train
// that cfg.Stop interrupts returns the finished epochs (and the weights as
// they are) with an error wrapping ErrInterrupted.
//
// Batch norm trains on batch statistics and keeps running averages
// (momentum 0.1, unbiased variance) that evaluation uses, as PyTorch. A
// training epoch drops the last incomplete batch; evaluation covers every
// test image.
func Train(b compute.Backend, net *Network, train, test *cifar10.Dataset, cfg TrainConfig) (*TrainResult, error) {
	switch {
	case b == nil:
		return nil, errors.New("darts: training on a nil backend, want a compute.Backend (backend.Shared(\"\") has one)")
	case net == nil:
		return nil, errors.New("darts: training a nil *Network, want one from NewNetwork")
	case net.cells == nil:
		return nil, errors.New("darts: training a Network not made by NewNetwork (it has no cells), want one from NewNetwork")
	case train == nil:
		// Before the graphs are built: a nil data set is known at once.
		return nil, errors.New("darts: training on a nil *cifar10.Dataset, want one from cifar10.Load")
	}
	t, err := newTrainer(b, net, cfg)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if train.Len() < cfg.BatchSize {
		return nil, fmt.Errorf("darts: %d training images, want at least one batch of %d", train.Len(), cfg.BatchSize)
	}
	res := &TrainResult{Specs: t.specs, BNNames: t.bnNames}
	steps := train.Len() / cfg.BatchSize
	for epoch := range cfg.Epochs {
		start := time.Now()
		st := EpochStats{Epoch: epoch + 1}
		st.LR = cfg.LR / 2 * (1 + math.Cos(math.Pi*float64(epoch)/float64(cfg.Epochs)))
		st.DropPath = cfg.DropPath * float64(epoch) / float64(cfg.Epochs)
		order := t.rng.Perm(train.Len())
		var lossSum float64
		correct := 0
		for step := range steps {
			if cfg.Stop != nil && cfg.Stop() {
				res.Params, res.Running = t.params, t.running
				t.params, t.running = nil, nil
				return res, fmt.Errorf("%w after %d steps (%d of %d epochs finished)", ErrInterrupted, epoch*steps+step, epoch, cfg.Epochs)
			}
			loss, c, err := t.step(train, order[step*cfg.BatchSize:(step+1)*cfg.BatchSize], st.LR, st.DropPath)
			if err != nil {
				return nil, fmt.Errorf("darts: epoch %d step %d: %w", epoch+1, step+1, err)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, fmt.Errorf("darts: epoch %d step %d: training loss is %v", epoch+1, step+1, loss)
			}
			lossSum += loss
			correct += c
			if cfg.Progress != nil {
				cfg.Progress(Progress{Epoch: epoch + 1, Epochs: cfg.Epochs, Step: step + 1, Steps: steps, Loss: loss})
			}
		}
		st.TrainLoss = lossSum / float64(steps)
		st.TrainAcc = 100 * float64(correct) / float64(steps*cfg.BatchSize)
		if test != nil {
			st.Tested = true
			if st.TestLoss, st.TestAcc, err = t.evaluate(test); err != nil {
				return nil, fmt.Errorf("darts: epoch %d evaluation: %w", epoch+1, err)
			}
		}
		st.Seconds = time.Since(start).Seconds()
		res.Epochs = append(res.Epochs, st)
		if cfg.Log != nil {
			line := fmt.Sprintf("epoch %d/%d  lr %.6f  drop-path %.3f  train loss %.4f acc %.2f%%", st.Epoch, cfg.Epochs, st.LR, st.DropPath, st.TrainLoss, st.TrainAcc)
			if test != nil {
				line += fmt.Sprintf("  test loss %.4f acc %.2f%%", st.TestLoss, st.TestAcc)
			}
			fmt.Fprintf(cfg.Log, "%s  %.1fs\n", line, st.Seconds)
		}
	}
	res.Params, res.Running = t.params, t.running
	t.params, t.running = nil, nil // handed over: close must not free them
	return res, nil
}

// trainer holds the compiled graphs and the state of a training run.
type trainer struct {
	net        *Network
	cfg        TrainConfig
	opts       nn.Options
	specs      []nn.ParamSpec
	bnNames    []string
	bnDims     []int
	sites      int
	useDrop    bool
	trainExec  *Exec
	evalExec   *Exec
	params     []*tensors.Tensor
	momentum   []*tensors.Tensor
	running    []*tensors.Tensor // mean and variance per batch norm, interleaved
	rng        *rand.Rand
	imageShape []int
}

func newTrainer(b compute.Backend, net *Network, cfg TrainConfig) (*trainer, error) {
	switch {
	case net.InputSize != cifar10.Height:
		return nil, fmt.Errorf("darts: training reads CIFAR-10, 32x32 images; the network's input is %dx%d", net.InputSize, net.InputSize)
	case net.Classes < cifar10.NumClasses:
		return nil, fmt.Errorf("darts: %d classes, CIFAR-10 has %d", net.Classes, cifar10.NumClasses)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DType == dtypes.InvalidDType {
		cfg.DType = dtypes.Float32
	}
	t := &trainer{net: net, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x7a1)), sites: net.DropSites()}
	t.opts = nn.Options{DType: cfg.DType, BN: nn.BNBatch, Affine: true}
	t.useDrop = cfg.DropPath > 0 && t.sites > 0
	size := net.InputSize
	var err error
	t.specs, err = nn.Trace(b, t.opts, func(n *nn.Net) {
		bn := &BNStats{}
		net.Build(n, Zeros(n.Graph(), shapes.Make(cfg.DType, 2, size, size, 3)), BuildOptions{Train: true, BN: bn})
		for _, s := range bn.Batch {
			t.bnNames = append(t.bnNames, s.Name)
			t.bnDims = append(t.bnDims, s.Mean.Shape().Dimensions[0])
		}
	})
	if err != nil {
		return nil, err
	}
	// Parameters, momentum buffers (zero) and running statistics (0 and 1).
	for i, v := range nn.InitValues(t.specs, nn.InitOptions{Seed: cfg.Seed}) {
		p, err := nn.ToTensor(v, cfg.DType, t.specs[i].Shape...)
		if err != nil {
			return nil, err
		}
		m, _ := nn.ToTensor(make([]float64, len(v)), cfg.DType, t.specs[i].Shape...)
		t.params, t.momentum = append(t.params, p), append(t.momentum, m)
	}
	for _, c := range t.bnDims {
		ones := make([]float64, c)
		for i := range ones {
			ones[i] = 1
		}
		mean, _ := nn.ToTensor(make([]float64, c), cfg.DType, c)
		variance, _ := nn.ToTensor(ones, cfg.DType, c)
		t.running = append(t.running, mean, variance)
	}
	if t.trainExec, err = NewExec(b, t.trainGraph); err != nil {
		return nil, err
	}
	if t.evalExec, err = NewExec(b, t.evalGraph); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *trainer) close() {
	t.trainExec.Finalize()
	t.evalExec.Finalize()
	for _, ts := range [][]*tensors.Tensor{t.params, t.momentum, t.running} {
		for _, x := range ts {
			_ = x.FinalizeAll()
		}
	}
}

// crossEntropySum is the summed cross-entropy of logits [N,K] against
// labels [N] (int32).
func crossEntropySum(logits, labels *Node) *Node {
	oneHot := OneHot(labels, logits.Shape().Dimensions[1], logits.DType())
	return Neg(ReduceAllSum(Mul(oneHot, LogSoftmax(logits, -1))))
}

func countCorrect(logits, labels *Node) *Node {
	hit := Equal(ArgMax(logits, -1, dtypes.Int32), labels)
	return ReduceAllSum(ConvertDType(hit, dtypes.Int32))
}

// trainGraph: inputs params, momentum, running stats, images, labels, lr
// [, drop mask]; outputs the new params, momentum and running stats, the
// loss and the number of correct predictions.
func (t *trainer) trainGraph(in []*Node) []*Node {
	np, nr := len(t.specs), len(t.running)
	params, mom, running := in[:np], in[np:2*np], in[2*np:2*np+nr]
	rest := in[2*np+nr:]
	images, labels, lr := rest[0], rest[1], rest[2]
	g := images.Graph()
	n := nn.Bind(g, t.opts, t.specs, params)
	opts := BuildOptions{Train: true, BN: &BNStats{}}
	if t.useDrop {
		opts.Drop = &DropPath{Mask: rest[3]}
	}
	logits, aux := t.net.Build(n, images, opts)
	batch := float64(images.Shape().Dimensions[0])
	loss := DivScalar(crossEntropySum(logits, labels), batch)
	if aux != nil && t.cfg.AuxWeight > 0 {
		loss = Add(loss, MulScalar(DivScalar(crossEntropySum(aux, labels), batch), t.cfg.AuxWeight))
	}
	grads := Gradient(loss, params...)
	scale := ScalarOne(g, t.cfg.DType)
	if t.cfg.GradClip > 0 {
		var sq *Node
		for _, gr := range grads {
			s := ReduceAllSum(Square(gr))
			if sq == nil {
				sq = s
			} else {
				sq = Add(sq, s)
			}
		}
		coef := Div(Scalar(g, t.cfg.DType, t.cfg.GradClip), AddScalar(Sqrt(sq), 1e-6))
		scale = Min(coef, scale)
	}
	out := make([]*Node, 0, 2*np+nr+2)
	newMom := make([]*Node, np)
	for i, p := range params {
		d := Add(Mul(grads[i], scale), MulScalar(p, t.cfg.WeightDecay))
		newMom[i] = Add(MulScalar(mom[i], t.cfg.Momentum), d)
		out = append(out, Sub(p, Mul(lr, newMom[i])))
	}
	out = append(out, newMom...)
	byName := map[string]BatchStat{}
	for _, s := range opts.BN.Batch {
		byName[s.Name] = s
	}
	for k, name := range t.bnNames {
		s := byName[name]
		unbiased := float64(s.Count) / float64(max(s.Count-1, 1))
		out = append(out,
			Add(MulScalar(running[2*k], 0.9), MulScalar(StopGradient(s.Mean), 0.1)),
			Add(MulScalar(running[2*k+1], 0.9), MulScalar(StopGradient(s.Variance), 0.1*unbiased)))
	}
	return append(out, loss, countCorrect(logits, labels))
}

// evalGraph: inputs params, running stats, images, labels; outputs the
// summed loss and the number of correct predictions.
func (t *trainer) evalGraph(in []*Node) []*Node {
	np, nr := len(t.specs), len(t.running)
	images, labels := in[np+nr], in[np+nr+1]
	n := nn.Bind(images.Graph(), t.opts, t.specs, in[:np])
	bn := &BNStats{Running: map[string][2]*Node{}}
	for k, name := range t.bnNames {
		bn.Running[name] = [2]*Node{in[np+2*k], in[np+2*k+1]}
	}
	logits, _ := t.net.Build(n, images, BuildOptions{BN: bn})
	return []*Node{crossEntropySum(logits, labels), countCorrect(logits, labels)}
}

// step runs one training step on the images idx of d.
func (t *trainer) step(d *cifar10.Dataset, idx []int, lr, dropProb float64) (float64, int, error) {
	images, labels, err := t.augmentedBatch(d, idx)
	if err != nil {
		return 0, 0, err
	}
	args := make([]any, 0, 2*len(t.params)+len(t.running)+4)
	for _, p := range t.params {
		args = append(args, p)
	}
	for _, m := range t.momentum {
		args = append(args, m)
	}
	for _, r := range t.running {
		args = append(args, r)
	}
	img, err := nn.ToTensor(images, t.cfg.DType, len(idx), t.net.InputSize, t.net.InputSize, 3)
	if err != nil {
		return 0, 0, err
	}
	lrT, _ := nn.ToTensor([]float64{lr}, t.cfg.DType)
	args = append(args, img, tensors.FromFlatDataAndDimensions(labels, len(idx)), lrT)
	if t.useDrop {
		mask := make([]float64, t.sites*len(idx))
		keep := 1 - dropProb
		for i := range mask {
			if dropProb == 0 || t.rng.Float64() < keep {
				mask[i] = 1 / keep
			}
		}
		m, _ := nn.ToTensor(mask, t.cfg.DType, t.sites, len(idx))
		args = append(args, m)
	}
	outs, err := t.trainExec.Exec(args...)
	if err != nil {
		return 0, 0, err
	}
	np, nr := len(t.params), len(t.running)
	for _, old := range [][]*tensors.Tensor{t.params, t.momentum, t.running} {
		for _, x := range old {
			_ = x.FinalizeAll()
		}
	}
	t.params = outs[:np]
	t.momentum = outs[np : 2*np]
	t.running = outs[2*np : 2*np+nr]
	lossV, err := nn.FromTensor(outs[2*np+nr])
	if err != nil {
		return 0, 0, err
	}
	c := tensors.ToScalar[int32](outs[2*np+nr+1])
	return lossV[0], int(c), nil
}

// evaluate returns the mean loss and the accuracy (percent) on d.
func (t *trainer) evaluate(d *cifar10.Dataset) (float64, float64, error) {
	if d.Len() == 0 {
		return 0, 0, errors.New("no test images")
	}
	var lossSum float64
	correct := 0
	for start := 0; start < d.Len(); start += t.cfg.EvalBatch {
		n := min(t.cfg.EvalBatch, d.Len()-start)
		images, labels, err := d.Batch(start, n, cifar10.NHWC)
		if err != nil {
			return 0, 0, err
		}
		args := make([]any, 0, len(t.params)+len(t.running)+2)
		for _, p := range t.params {
			args = append(args, p)
		}
		for _, r := range t.running {
			args = append(args, r)
		}
		img, err := toDType(images, t.cfg.DType, n, cifar10.Height, cifar10.Width, 3)
		if err != nil {
			return 0, 0, err
		}
		outs, err := t.evalExec.Exec(append(args, img, tensors.FromFlatDataAndDimensions(labels, n))...)
		if err != nil {
			return 0, 0, err
		}
		l, err := nn.FromTensor(outs[0])
		if err != nil {
			return 0, 0, err
		}
		lossSum += l[0]
		correct += int(tensors.ToScalar[int32](outs[1]))
	}
	return lossSum / float64(d.Len()), 100 * float64(correct) / float64(d.Len()), nil
}

func toDType(v []float32, dtype dtypes.DType, shape ...int) (*tensors.Tensor, error) {
	if dtype == dtypes.Float32 {
		return tensors.FromFlatDataAndDimensions(v, shape...), nil
	}
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return nn.ToTensor(f, dtype, shape...)
}

// augmentedBatch returns the images idx of d, NHWC and normalised, with
// DARTS's training augmentation: random crop of the image padded by Crop
// black pixels, random horizontal flip, then cutout.
func (t *trainer) augmentedBatch(d *cifar10.Dataset, idx []int) ([]float64, []int32, error) {
	const h, w, c = cifar10.Height, cifar10.Width, cifar10.Channels
	const plane = h * w
	if len(d.Pixels) != d.Len()*c*plane {
		return nil, nil, fmt.Errorf("dataset has %d pixel bytes for %d images", len(d.Pixels), d.Len())
	}
	out := make([]float64, len(idx)*plane*c)
	labels := make([]int32, len(idx))
	pad := t.cfg.Crop
	for k, i := range idx {
		labels[k] = int32(d.Labels[i])
		src := d.Pixels[i*c*plane : (i+1)*c*plane]
		dy, dx, flip := 0, 0, false
		if pad > 0 {
			dy, dx = t.rng.IntN(2*pad+1)-pad, t.rng.IntN(2*pad+1)-pad
			flip = t.rng.IntN(2) == 1
		}
		img := out[k*plane*c : (k+1)*plane*c]
		for y := range h {
			for x := range w {
				sx := x
				if flip {
					sx = w - 1 - x
				}
				sy, sx := y+dy, sx+dx
				for ch := range c {
					v := 0.0 // black padding
					if sy >= 0 && sy < h && sx >= 0 && sx < w {
						v = float64(src[ch*plane+sy*w+sx]) / 255
					}
					img[(y*w+x)*c+ch] = (v - float64(cifar10.Mean[ch])) / float64(cifar10.Std[ch])
				}
			}
		}
		if t.cfg.Cutout > 0 {
			cy, cx := t.rng.IntN(h), t.rng.IntN(w)
			half := t.cfg.Cutout / 2
			for y := max(cy-half, 0); y < min(cy+half, h); y++ {
				for x := max(cx-half, 0); x < min(cx+half, w); x++ {
					for ch := range c {
						img[(y*w+x)*c+ch] = 0
					}
				}
			}
		}
	}
	return out, labels, nil
}
