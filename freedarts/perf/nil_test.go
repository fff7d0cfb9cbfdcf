package perf

import (
	"io"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces/nn/nntest"
)

// TestNilInputs calls the package's entry points with nil or zero inputs:
// each must return an error, not panic.
func TestNilInputs(t *testing.T) {
	var s *freedarts.Search
	var rep *Report
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("Run(zero Options)", func() error { return err1(Run(Options{}, nil, false)) }, "no backend"),
		nilcase.New("Run(zero Backend)", func() error { return err1(Run(Options{Backend: &backend.Backend{}, Repeat: 1}, nil, false)) }, "no backend"),
		nilcase.New("SyntheticBatch(0 images)", func() error { return err1(SyntheticBatch(0, 8, 10, 0)) }, "0 images of 8x8"),
		nilcase.New("SyntheticBatch(-1 size)", func() error { return err1(SyntheticBatch(1, -1, 10, 0)) }, "-1x-1"),
		nilcase.New("SyntheticBatch(0 classes)", func() error { return err1(SyntheticBatch(1, 8, 0, 0)) }, "0 classes"),
		nilcase.New("MeasurePeak(nil backend)", func() error { return err1(MeasurePeak(nil, 8, 1)) }, "backend is nil"),
		nilcase.New("MeasurePeak(size 0)", func() error { return err1(MeasurePeak(nntest.Backend(t), 0, 1)) }, "size 0"),
		nilcase.New("Measure(nil Search)", func() error { _, _, err := Measure(s, []uint64{0}); return err }, "nil *Search"),
		nilcase.New("Measure(zero Search)", func() error { _, _, err := Measure(&freedarts.Search{}, nil); return err }, "not made by freedarts.New"),
		nilcase.New("MeasureSpace(nil space)", func() error { _, _, err := MeasureSpace(nil, freedarts.Options{}, 0); return err }, "space is nil"),
		nilcase.New("CountSearch(nil Search)", func() error { _, _, err := CountSearch(s, 1); return err }, "nil *Search"),
		nilcase.New("nil Report.WriteTable", func() error { return rep.WriteTable(io.Discard, false) }, "no report"),
		nilcase.New("Report.WriteTable(nil writer)", func() error { return (&Report{}).WriteTable(nil, false) }, "no writer"),
		nilcase.New(`Cases("nope")`, func() error { return err1(Cases("nope")) }, "unknown case"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"Build(nil)":      func() { Build(nil) },
		"Build(zero def)": func() { Build([]CaseDef{{}}) },
		"NeedsData(nil)":  func() { NeedsData(nil) },
		"CountGraph()":    func() { CountGraph() },
		"CountGraph(nil)": func() { CountGraph(nil) },
	})
}
