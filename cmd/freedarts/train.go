package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/perf"
	"github.com/freedarts/freedarts-gonb/spaces/darts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

func init() {
	register(command{Name: "train", Summary: "train the evaluation network of a DARTS genotype on CIFAR-10", Run: runTrain})
}

type trainReport struct {
	Genotype  string             `json:"genotype"`
	Backend   string             `json:"backend"`
	Data      string             `json:"data"`
	Test      string             `json:"test,omitempty"`
	Images    int                `json:"images"`
	Params    int                `json:"params"`
	Epochs    []darts.EpochStats `json:"epochs"`
	PeakRSSMB float64            `json:"peak_rss_mb,omitempty"`
}

func runTrain(args []string, out io.Writer) error {
	def := darts.DefaultTrainConfig()
	fs := newFlags("train", out)
	genotype := fs.String("genotype", "", genotypeFlagDoc+" (required)")
	dataFlag := fs.String("data", "", "CIFAR-10 training file, or a directory holding data_batch_1.bin or train_first4000.bin (default "+defaultDataDir+")")
	testFlag := fs.String("test", "", "CIFAR-10 test file (default: test_batch.bin or test_first1000.bin next to the training data, if present; \"none\" to skip)")
	limit := fs.Int("limit", 0, "use only the first N training images (0 = all)")
	testLimit := fs.Int("test-limit", 0, "use only the first N test images (0 = all)")
	epochs := fs.Int("epochs", 1, "epochs (DARTS: 600)")
	cells := fs.Int("cells", 20, "cells")
	channels := fs.Int("channels", 36, "initial width C")
	aux := fs.Bool("auxiliary", false, "train with the auxiliary head (DARTS runs use it)")
	cfg := def
	fs.IntVar(&cfg.BatchSize, "batch", def.BatchSize, "batch size")
	fs.IntVar(&cfg.EvalBatch, "eval-batch", def.EvalBatch, "evaluation batch size")
	fs.Float64Var(&cfg.LR, "lr", def.LR, "initial learning rate (cosine schedule to 0)")
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", def.WeightDecay, "weight decay")
	fs.IntVar(&cfg.Cutout, "cutout", def.Cutout, "cutout length (0 = off)")
	fs.Float64Var(&cfg.DropPath, "drop-path", def.DropPath, "final drop-path probability (0 = off)")
	fs.Float64Var(&cfg.AuxWeight, "aux-weight", def.AuxWeight, "auxiliary loss weight")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the weights, shuffling, augmentation and drop-path")
	progress := progressFlag(fs)
	backendName := backendFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object at the end instead of a line per epoch")
	if err := parse(fs, args); err != nil {
		return err
	}
	// Every value is checked before anything is read or allocated.
	for _, err := range []error{
		checkIntFlag("limit", *limit, 0, math.MaxInt, "0 = all"),
		checkIntFlag("test-limit", *testLimit, 0, math.MaxInt, "0 = all"),
		checkIntFlag("epochs", *epochs, 1, math.MaxInt, ""),
		checkShapeFlags(darts.EvalConfig(), *cells, *channels, 10, 32, false),
		checkIntFlag("batch", cfg.BatchSize, 2, math.MaxInt, "batch norm needs two images"),
		checkIntFlag("eval-batch", cfg.EvalBatch, 1, math.MaxInt, ""),
		checkIntFlag("cutout", cfg.Cutout, 0, math.MaxInt, "0 = off"),
		checkFloatFlag("lr", cfg.LR, cfg.LR > 0, "> 0"),
		checkFloatFlag("weight-decay", cfg.WeightDecay, cfg.WeightDecay >= 0, ">= 0"),
		checkFloatFlag("drop-path", cfg.DropPath, cfg.DropPath >= 0 && cfg.DropPath < 1, "in [0, 1)"),
		checkFloatFlag("aux-weight", cfg.AuxWeight, cfg.AuxWeight >= 0, ">= 0"),
	} {
		if err != nil {
			return err
		}
	}
	if *genotype == "" {
		return usageErrorf("train: -genotype is required (a Genotype(...) string, or DARTS_V2)")
	}
	g, err := darts.LookupGenotype(*genotype)
	if err != nil {
		return usageError{fmt.Errorf("-genotype: %w", boundErr(err))}
	}
	netCfg := darts.EvalConfig()
	netCfg.Layers, netCfg.C = *cells, *channels
	net, err := darts.NewNetwork(netCfg, g, *aux)
	if err != nil {
		return usageError{err}
	}
	params, err := darts.ParamCount(netCfg, g, *aux)
	if err != nil {
		return err
	}
	cfg.Epochs = *epochs
	// Ctrl-C or SIGTERM stops before the next step; the finished epochs
	// are printed (their lines already, or the JSON object). A second
	// signal ends the process at once (stopOnSignal). The handler is in
	// place before the data is read and the network compiled.
	ctx, stop := stopOnSignal(progressOut(out))
	defer stop()
	b, err := backend.Open(*backendName)
	if err != nil {
		return err
	}
	// Refuse a network that cannot fit before anything of its size is
	// allocated, as search does (freedarts/memcheck.go); the trace is
	// symbolic. The options are the trainer's (darts.Train): float32, batch
	// statistics, affine batch norms.
	trainOpts := nn.Options{DType: dtypes.Float32, BN: nn.BNBatch, Affine: true}
	what := fmt.Sprintf("train: %d cells, C=%d, %d parameters, -batch %d", netCfg.Layers, netCfg.C, params, cfg.BatchSize)
	if err := freedarts.CheckTrainMemory(b.Backend, what, net, trainOpts, netCfg.InputSize, cfg.BatchSize); err != nil {
		return usageError{err}
	}

	train, dataPath, err := loadData(*dataFlag, *limit)
	if err != nil {
		return err
	}
	testPath := *testFlag
	switch testPath {
	case "":
		testPath, _ = cifar10.Find(filepath.Dir(dataPath), cifar10.TestFiles) // none: no test set
	case "none":
		testPath = ""
	}
	var test *cifar10.Dataset
	if testPath != "" {
		if test, err = cifar10.Load(testPath, *testLimit); err != nil {
			return fmt.Errorf("-test %s: %w", quote(testPath), boundErr(err))
		}
	}
	bcfg := b.Config
	rep := trainReport{Genotype: g.String(), Backend: bcfg, Data: dataPath, Test: testPath, Images: train.Len(), Params: params}
	if !*asJSON {
		cfg.Log = out
		fmt.Fprintf(out, "training %d cells, C=%d, %d parameters (auxiliary head: %v) on %d images of %s, backend %s\n",
			netCfg.Layers, netCfg.C, params, *aux, train.Len(), dataPath, bcfg)
		if test == nil {
			fmt.Fprintln(out, "note: no test file: accuracy on training batches only")
		}
	}
	if *progress {
		cfg.Progress = func(p darts.Progress) {
			fmt.Fprintf(os.Stderr, "epoch %d/%d step %d/%d loss %.4f\n", p.Epoch, p.Epochs, p.Step, p.Steps, p.Loss)
		}
	}
	cfg.Stop = func() bool { return ctx.Err() != nil }
	res, err := darts.Train(b.Backend, net, train, test, cfg)
	if err != nil && !errors.Is(err, darts.ErrInterrupted) {
		return err
	}
	interrupted := err
	rep.Epochs = res.Epochs
	rep.PeakRSSMB = float64(perf.PeakRSS()) / (1 << 20)
	if *asJSON {
		if err := json.NewEncoder(out).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "peak RSS %.0f MiB\n", rep.PeakRSSMB)
	}
	if interrupted != nil {
		return fmt.Errorf("train: %w (the finished epochs are printed)", interrupted)
	}
	return nil
}
