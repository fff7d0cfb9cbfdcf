package darts

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// Sample data shared by the repository, from this package's directory.
const (
	trainFile = "../../../shared/data/cifar10/train_first4000.bin"
	testFile  = "../../../shared/data/cifar10/test_first1000.bin"
)

func loadCIFAR(t *testing.T, path string, limit int) *cifar10.Dataset {
	t.Helper()
	shareddata.Need(t, path) // skips without it, fails with CI=true
	d, err := cifar10.Load(path, limit)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTrainSmoke trains a 2-cell C=8 network of DARTS-V2 with the
// auxiliary head for two short epochs on 256 real images: every loss is
// finite, the training loss falls, and the accuracies are printed.
func TestTrainSmoke(t *testing.T) {
	train := loadCIFAR(t, trainFile, 256)
	test := loadCIFAR(t, testFile, 200)
	g, err := ParseGenotype(DARTSV2)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(Config{C: 8, Layers: 2, Classes: 10, InputSize: 32}, g, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultTrainConfig()
	cfg.Epochs, cfg.BatchSize, cfg.EvalBatch, cfg.Seed = 2, 32, 100, 1
	var log bytes.Buffer
	steps := 0
	cfg.Log = &log
	cfg.Progress = func(p Progress) { steps++ }
	res, err := Train(nntest.Backend(t), net, train, test, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("training log:\n%s", log.String())
	if steps != 2*256/32 {
		t.Errorf("progress called %d times, want %d", steps, 2*256/32)
	}
	if len(res.Epochs) != 2 || strings.Count(log.String(), "\n") != 2 {
		t.Fatalf("%d epochs, log %q", len(res.Epochs), log.String())
	}
	for _, e := range res.Epochs {
		for _, v := range []float64{e.TrainLoss, e.TrainAcc, e.TestLoss, e.TestAcc} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("epoch %d: %+v has a non-finite value", e.Epoch, e)
			}
		}
	}
	if a, b := res.Epochs[0].TrainLoss, res.Epochs[1].TrainLoss; !(b < a) {
		t.Errorf("training loss did not fall: %.4f then %.4f", a, b)
	}
}
