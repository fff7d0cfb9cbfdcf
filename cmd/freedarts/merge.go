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
		fmt.Fprintln(fs.Output(), "usage: freedarts merge -out STUDY.csv [-complete] [-force] [-bench FILE] SHARD.csv...")
		fs.PrintDefaults()
	}
	outFile := fs.String("out", "", "the merged study table (required), with its settings in OUT.settings; correlate -out reads and resumes it. "+
		"An existing file is replaced only when it is a merge of the same study holding no cell the new merge lacks (see -force)")
	complete := fs.Bool("complete", false, "refuse (exit 1, nothing written) when a cell of the study is missing: a shard without its file, or one interrupted")
	force := fs.Bool("force", false, "merge all the same a shard whose writer is still running (as its file is now), and replace a merge of the same study "+
		"that holds cells the new one lacks (fewer shards given); never a file of another study")
	benchPath := benchFlag(fs)
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if *outFile == "" {
		return usageErrorf("merge: -out is required: the file of the merged study")
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: no shard files: give the -out files of correlate -shard, e.g. shard-*.csv")
	}
	// The benchmark, when there is one, checks every row's arch at its index.
	bench, _, _, err := loadBench(*benchPath)
	if err != nil {
		return err
	}
	rep, err := study.Merge(*outFile, fs.Args(), study.MergeOptions{Complete: *complete, Force: *force, Bench: bench})
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
