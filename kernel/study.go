package kernel

import (
	"fmt"

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/freedarts/stats"
	"github.com/freedarts/freedarts-gonb/freedarts/study"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// StudyOptions configure StudySVG and ShowStudy; the zero value plots
// against the CIFAR-10 test accuracy with the x scale chosen from the
// scores.
type StudyOptions struct {
	// Target is the benchmark accuracy on the y axis (nb201.Metrics; zero:
	// CIFAR-10 test).
	Target nb201.Metric
	// Note is added to the title ("per-cell draw").
	Note string
	// Scale of the x axis.
	Scale Scale
}

// StudySVG plots a proxy's column of a study table against the benchmark
// accuracy of the same cells, one point per cell labelled with its arch,
// with the Spearman rho over every cell in the title. Cells without a
// plottable score are left out and counted in the title: a
// freedarts.Degenerate score (jacob_cov and NASWOT of a network whose
// output ignores its input) and, on a log axis, a score of 0 or below.
func StudySVG(tab *study.Table, bench *nb201.Bench, proxy string, opts ...StudyOptions) (string, error) {
	x, y, labels, title, opt, err := studyPoints(tab, bench, proxy, opts)
	if err != nil {
		return "", err
	}
	return Scatter(title, proxy+" score", opt.Target.Label+" test accuracy (%)", x, y, ScatterOptions{LogX: opt.Scale == ScaleLog, Labels: labels})
}

// ShowStudy displays StudySVG in the notebook, or a text summary outside GoNB.
func ShowStudy(tab *study.Table, bench *nb201.Bench, proxy string, opts ...StudyOptions) error {
	x, y, labels, title, opt, err := studyPoints(tab, bench, proxy, opts)
	if err != nil {
		return err
	}
	return ShowScatter(title, proxy+" score", opt.Target.Label+" test accuracy (%)", x, y, ScatterOptions{LogX: opt.Scale == ScaleLog, Labels: labels})
}

// studyPoints gathers the plotted points and the title; the returned
// options have the target and the scale resolved.
func studyPoints(tab *study.Table, bench *nb201.Bench, proxy string, opts []StudyOptions) (x, y []float64, labels []string, title string, opt StudyOptions, err error) {
	if tab == nil || bench == nil {
		return nil, nil, nil, "", opt, fmt.Errorf("study plot: no table or no benchmark")
	}
	if len(opts) > 1 {
		return nil, nil, nil, "", opt, fmt.Errorf("study plot: at most one StudyOptions, got %d", len(opts))
	}
	if len(opts) == 1 {
		opt = opts[0]
	}
	if opt.Target.Value == nil {
		opt.Target = nb201.Metrics[0]
	}
	scores, err := tab.Column(proxy)
	if err != nil {
		return nil, nil, nil, "", opt, err
	}
	recs, err := tab.Records(bench)
	if err != nil {
		return nil, nil, nil, "", opt, fmt.Errorf("study plot: %w", err)
	}
	acc := make([]float64, len(scores))
	for i, rec := range recs {
		acc[i] = opt.Target.Value(rec)
	}
	rho, err := stats.Spearman(scores, acc)
	if err != nil {
		return nil, nil, nil, "", opt, fmt.Errorf("study plot of %s: %w", proxy, err)
	}
	degenerate := func(i int) bool { return scores[i] == freedarts.Degenerate }
	if opt.Scale == ScaleAuto {
		opt.Scale = ScaleLinear
		if autoLog(scores, degenerate) {
			opt.Scale = ScaleLog
		}
	}
	for i, s := range scores {
		if !degenerate(i) && (opt.Scale != ScaleLog || s > 0) {
			x, y, labels = append(x, s), append(y, acc[i]), append(labels, tab.Rows[i].Arch)
		}
	}
	note := ""
	if opt.Note != "" {
		note = " (" + opt.Note + ")"
	}
	title = fmt.Sprintf("%s, %d cells%s: ρ = %.2f", proxy, len(scores), note, rho)
	if n := len(scores) - len(x); n > 0 {
		title += fmt.Sprintf(" (%d not shown)", n)
	}
	return x, y, labels, title, opt, nil
}

// ShowCorrelations shows the rank correlations (Spearman and Kendall) of
// every proxy of a study table, and of each ensemble of proxies
// (study.Correlate), with every benchmark target, next to the published
// values (study.PublishedRhos): study.CorrelationTable as a table.
func ShowCorrelations(tab *study.Table, bench *nb201.Bench, ensembles ...[]string) error {
	if tab == nil || bench == nil {
		return fmt.Errorf("correlations: no table or no benchmark")
	}
	cors, err := study.Correlate(tab, bench, ensembles)
	if err != nil {
		return err
	}
	return ShowTable(study.CorrelationTable(cors, study.PublishedRhos()))
}

// ShowStudySeconds shows what a study run (study.Run) cost: per proxy, the
// mean seconds per cell of the pass it ran in (study.Result.SecondsPerCell;
// proxies of one pass show the same time).
func ShowStudySeconds(res *study.Result) error {
	if res == nil || res.Table == nil {
		return fmt.Errorf("study seconds: no study result (nil, or without a table)")
	}
	if len(res.SecondsPerCell) != len(res.Table.Proxies) {
		return fmt.Errorf("study seconds: %d times for %d proxies (a run that scored no cell has none)", len(res.SecondsPerCell), len(res.Table.Proxies))
	}
	rows := make([][]string, len(res.Table.Proxies))
	for k, n := range res.Table.Proxies {
		rows[k] = []string{n, fmt.Sprintf("%.2f", res.SecondsPerCell[k])}
	}
	return ShowTable([]string{"proxy", "seconds per cell (its pass)"}, rows)
}
