package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/freedarts/freedarts-gonb/freedarts/study"
)

func init() {
	register(command{Name: "merge", Summary: "join the shard files of correlate -shard into one study table", Run: runMerge})
}

func runMerge(args []string, out io.Writer) error {
	fs := newFlags("merge", out)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: freedarts merge -out STUDY.csv [-complete] SHARD.csv...")
		fs.PrintDefaults()
	}
	outFile := fs.String("out", "", "the merged study table (required), with its settings in OUT.settings; correlate -out reads and resumes it. "+
		"An existing file is replaced only when it is a merge of the same study")
	complete := fs.Bool("complete", false, "refuse (exit 1, nothing written) when a cell of the study is missing: a shard without its file, or one interrupted")
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if *outFile == "" {
		return usageErrorf("merge: -out is required: the file of the merged study")
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: no shard files: give the -out files of correlate -shard, e.g. shard-*.csv")
	}
	rep, err := study.Merge(*outFile, fs.Args(), study.MergeOptions{Complete: *complete})
	if rep != nil {
		for _, l := range rep.Lines() {
			fmt.Fprintf(os.Stderr, "merge: %s\n", l)
		}
	}
	if err != nil {
		if errors.Is(err, study.ErrNotRegular) {
			return usageError{fmt.Errorf("merge: %w", err)}
		}
		return err
	}
	fmt.Fprintf(out, "%s: %d cells of %d, settings %s\n", *outFile, rep.Cells, rep.Want, rep.Settings)
	return nil
}
