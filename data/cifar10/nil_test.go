package cifar10

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
)

// TestNilInputs calls the loader's entry points with nil or zero inputs:
// each returns an error (Len of a nil Dataset is 0), never a panic.
func TestNilInputs(t *testing.T) {
	var d *Dataset
	err1 := func(_ any, err error) error { return err }
	err2 := func(_, _ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("nil Dataset.Batch", func() error { return err2(d.Batch(0, 1, NHWC)) }, "nil *Dataset"),
		nilcase.New("nil Dataset.Gather", func() error { return err2(d.Gather([]int{0}, nil, NHWC)) }, "nil *Dataset"),
		nilcase.New("zero Dataset.Batch", func() error { return err2((&Dataset{}).Batch(0, 1, NHWC)) }, "want n > 0 and images within [0, 0)"),
		nilcase.New("zero Dataset.Gather", func() error { return err2((&Dataset{}).Gather([]int{0}, nil, NHWC)) }, "want an index in [0, 0)"),
		nilcase.New("Dataset.Batch(0 images)", func() error { return err2((&Dataset{}).Batch(0, 0, NHWC)) }, "batch of 0 images"),
		nilcase.New("RandomAugmentation(nil)", func() error { _, err := RandomAugmentation(nil); return err }, "nil *rand.Rand"),
		nilcase.New(`Find("", nil)`, func() error { return err1(Find("", nil)) }, "cifar10"),
		nilcase.New(`Load("", 0)`, func() error { return err1(Load("", 0)) }, "cifar10"),
		nilcase.New(`LoadClassNames("")`, func() error { return err1(LoadClassNames("")) }, "cifar10"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"nil Dataset.Len":          func() { d.Len() },
		"zero Dataset.Gather(nil)": func() { _, _, _ = (&Dataset{}).Gather(nil, nil, NHWC) },
	})
}
