package kernel

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/internal/nilcase"
	"github.com/freedarts/freedarts-gonb/spaces"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// nilArch is an architecture type whose methods read its fields, so that
// a nil *nilArch panics if it is used.
type nilArch struct{ cells []spaces.Cell }

func (a *nilArch) String() string            { return a.cells[0].Title }
func (a *nilArch) Kept() map[string][][]bool { return nil }
func (a *nilArch) Cells() []spaces.Cell      { return a.cells }

// TestNilInputs calls the notebook helpers with nil or zero inputs: each
// returns an error, never a panic.
func TestNilInputs(t *testing.T) {
	inGoNB(t)
	err1 := func(_ any, err error) error { return err }
	nilcase.Run(t, []nilcase.Case{
		nilcase.New("ScoresHTML(nil)", func() error { return err1(ScoresHTML(nil)) }, "no result"),
		nilcase.New("ScoresHTML(zero Result)", func() error { return err1(ScoresHTML(&freedarts.Result{})) }, "without scores"),
		nilcase.New("ShowScores(nil)", func() error { return ShowScores(nil) }, "no result"),
		nilcase.New("ScoresHTML(zero ScoreMatrix)", func() error {
			return err1(ScoresHTML(&freedarts.Result{Scores: []freedarts.ScoreMatrix{{}}}))
		}, "scores of"),
		nilcase.New("ShowResults()", func() error { return ShowResults() }, "no result to show"),
		nilcase.New("ShowResults(nil)", func() error { return ShowResults(nil) }, "result 0 is nil"),
		nilcase.New("ResultsTable(nil *T arch)", func() error {
			return err1(ResultsTable(&freedarts.Result{Arch: (*nilArch)(nil)}))
		}, "no architecture"),
		nilcase.New(`RecallRuns("")`, func() error { return err1(RecallRuns("")) }, "name"),
		nilcase.New("ShowResult(nil)", func() error { return ShowResult(nil) }, "no result"),
		nilcase.New("ShowResult(no arch)", func() error {
			return ShowResult(&freedarts.Result{Scores: []freedarts.ScoreMatrix{{Rows: []string{"e"}, Cols: []string{"o"}, Values: [][]float64{{1}}}}})
		}, "without an architecture"),
		nilcase.New("ArchHTML(nil)", func() error { return err1(ArchHTML(nil)) }, "no architecture"),
		nilcase.New("ArchHTML(nil *T)", func() error { return err1(ArchHTML((*nilArch)(nil))) }, "no architecture"),
		nilcase.New("ShowArch(nil)", func() error { return ShowArch(nil) }, "no architecture"),
		nilcase.New("CellSVG(zero Cell)", func() error { return err1(CellSVG(spaces.Cell{})) }, "node"),
		nilcase.New("CellsHTML(zero Cell)", func() error { return err1(CellsHTML(spaces.Cell{})) }, "node"),
		nilcase.New("HeatMap(nil)", func() error { return err1(HeatMap("", nil, nil, nil)) }, "heatmap: empty matrix"),
		nilcase.New("HeatMap(nil row)", func() error { return err1(HeatMap("", []string{"r"}, nil, [][]float64{nil})) }, "heatmap: empty matrix"),
		nilcase.New("ShowHeatMap(nil)", func() error { return ShowHeatMap("", nil, nil, nil) }, "heatmap: empty matrix"),
		nilcase.New("Scatter(nil)", func() error { return err1(Scatter("", "", "", nil, nil)) }, "scatter"),
		nilcase.New("ShowScatter(nil)", func() error { return ShowScatter("", "", "", nil, nil) }, "scatter"),
		nilcase.New("StudySVG(nil)", func() error { return err1(StudySVG(nil, nil, "")) }, "no table"),
		nilcase.New("StudySVG(zero Table, zero Bench)", func() error { return err1(StudySVG(&study.Table{}, &nb201.Bench{}, "synflow")) }, "synflow"),
		nilcase.New("ShowStudy(nil)", func() error { return ShowStudy(nil, nil, "") }, "no table"),
		nilcase.New("ShowBench(nil)", func() error { return ShowBench(nil) }, "no benchmark"),
		nilcase.New("ShowPicks(nil)", func() error { return ShowPicks(nil) }, "no benchmark"),
		nilcase.New("ShowPicks(zero Bench)", func() error { return ShowPicks(&nb201.Bench{}, &freedarts.Result{}) }, "no benchmark"),
		nilcase.New("ShowComparison(nil)", func() error { return ShowComparison(nil) }, "no runs"),
		nilcase.New("ShowComparison(nil, nil run)", func() error { return ShowComparison(nil, nil) }, "no benchmark"),
		nilcase.New("ShowPickCells(nil)", func() error { return ShowPickCells(nil) }, "no benchmark"),
		nilcase.New("ShowMargins(nil)", func() error { return ShowMargins(nil) }, "no score matrix"),
		nilcase.New("ShowMargins(zero ScoreMatrix)", func() error { return ShowMargins(&freedarts.ScoreMatrix{}) }, "no score matrix"),
		nilcase.New("ShowStudySeconds(nil)", func() error { return ShowStudySeconds(nil) }, "no study result"),
		nilcase.New("ShowStudySeconds(zero Result)", func() error { return ShowStudySeconds(&study.Result{}) }, "no study result"),
		nilcase.New(`Keep("")`, func() error { return Keep("", nil) }, "name"),
		nilcase.New(`Recall("", nil)`, func() error { return Recall("", nil) }, "name"),
		nilcase.New(`Recall(into nil)`, func() error {
			if err := Keep("v", 1); err != nil {
				return nil
			}
			return Recall("v", nil)
		}, "saved"),
	})
	nilcase.NoPanic(t, map[string]func(){
		"Table(nil, nil)":        func() { Table(nil, nil) },
		"OpColor(\"\")":          func() { OpColor("") },
		"nil Progress":           func() { var p *Progress; p.Add(1); p.Done(); _, _, _ = p.Count(), p.String(), p.HTML() },
		"zero Progress":          func() { p := &Progress{}; p.Add(1); p.Done(); _, _, _ = p.Count(), p.String(), p.HTML() },
		"CellsHTML()":            func() { _, _ = CellsHTML() },
		"NewProgressWriter(nil)": func() { NewProgressWriter(nil, 0, "").Done() },
	})
}
