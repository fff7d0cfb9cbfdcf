package stats

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/internal/nilcase"
)

// TestNilInputs: the correlations of nil or empty samples are errors, and
// the helpers of such samples give empty results, never a panic.
func TestNilInputs(t *testing.T) {
	err1 := func(_ any, err error) error { return err }
	var cases []nilcase.Case
	for name, f := range map[string]func(x, y []float64) (float64, error){"Pearson": Pearson, "Spearman": Spearman, "KendallTau": KendallTau} {
		cases = append(cases,
			nilcase.New(name+"(nil, nil)", func() error { return err1(f(nil, nil)) }, name),
			nilcase.New(name+"(empty, empty)", func() error { return err1(f([]float64{}, []float64{})) }, name),
			nilcase.New(name+"(one, nil)", func() error { return err1(f([]float64{1}, nil)) }, name),
		)
	}
	nilcase.Run(t, cases)
	nilcase.NoPanic(t, map[string]func(){
		"Ranks(nil)":    func() { Ranks(nil) },
		"Constant(nil)": func() { Constant(nil) },
	})
}
