package perf

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the report as the freedarts bench command does: the
// machine, the peak, one line per case, notes, and with ops each case's
// graph by op type.
func (rep *Report) WriteTable(out io.Writer, ops bool) error {
	if rep == nil || out == nil {
		return errors.New("bench table: no report or no writer (nil), want both")
	}
	exp := rep.GOEXPERIMENT
	if exp == "" {
		exp = "(none)"
	}
	fmt.Fprintf(out, "FreeDARTS bench %s: backend %s (%s), CPU %s (%d CPUs, GOMAXPROCS %d), %s, GOEXPERIMENT %s, fast ops %v\n",
		rep.Date, rep.Backend, rep.BackendDesc, rep.CPU, rep.NumCPU, rep.GOMAXPROCS, rep.GoVersion, exp, rep.FastPath)
	if p := rep.Peak; p.Size > 0 {
		fmt.Fprintf(out, "matmul peak (%dx%d): float32 %.1f GFLOP/s, float64 %.1f GFLOP/s", p.Size, p.Size, p.F32GFLOPS, p.F64GFLOPS)
		if p.Unsupported != "" {
			fmt.Fprintf(out, " (%s)", p.Unsupported)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "times: median of %d passes after a warm-up pass; cpu = process CPU time per pass; peak = VmHWM reset before each case; data: %s\n", rep.Repeat, rep.Data)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tproxy\tdtype\tbatch\tmedian s\tmin s\tcpu s\tcompile s\tpeak MiB\tfwd GFLOP\ttotal GFLOP\tGFLOP/s\t% peak\t")
	var notes []string
	for _, r := range rep.Results {
		if r.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Name, r.Proxy)
			notes = append(notes, fmt.Sprintf("%s skipped: %s", r.Name, r.Note))
			continue
		}
		scope := ""
		if r.PeakRSSScope != "case" {
			scope = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.2f\t%.0f%s\t%.3f\t%.3f\t%.1f\t%.1f\t\n",
			r.Name, r.Proxy, r.DType, r.Batch, r.Seconds, r.MinSeconds, r.CPUSeconds, r.CompileSeconds,
			float64(r.PeakRSS)/(1<<20), scope, float64(r.ForwardFLOPs)/1e9, float64(r.FLOPs)/1e9, r.GFLOPS, 100*r.PeakFraction)
	}
	tw.Flush()
	for _, r := range rep.Results {
		if !r.Skipped && r.PeakRSSScope != "case" {
			notes = append(notes, "* peak MiB is the process high-water mark so far (the kernel refused the per-case reset)")
			break
		}
	}
	for _, n := range notes {
		fmt.Fprintln(out, "note:", n)
	}
	if !ops {
		return nil
	}
	for _, r := range rep.Results {
		if r.Skipped {
			continue
		}
		fmt.Fprintf(out, "\n%s: scoring graph by op type\n", r.Name)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "op\tcount\toutput elems\tGFLOP\t")
		for _, o := range r.Ops {
			fmt.Fprintf(tw, "%s\t%d\t%.3g\t%.3f\t\n", o.Type, o.Count, float64(o.Elems), float64(o.FLOPs)/1e9)
		}
		tw.Flush()
	}
	return nil
}
