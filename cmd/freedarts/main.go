// Command freedarts runs training-free architecture searches (FreeDARTS) and
// the tools around them.
//
//	freedarts search [flags]   score a supernet and pick an architecture
//	freedarts help COMMAND     flags of one command
//
// Every command runs on GoMLX's pure-Go backend unless -backend or
// $GOMLX_BACKEND names another ("xla:cpu", "xla:cuda", ...). The commands
// parse flags and print; the work is done by the library packages that the
// notebooks call too (freedarts, freedarts/study, freedarts/perf, spaces).
//
// Exit status: 0 on success, 1 when a run fails (a write to stdout that
// fails, to a full disk or a closed stdout, included), 2 for bad usage
// (unknown command or flag, a flag value out of range).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/internal/memlimit"
	boundedquote "github.com/freedarts/freedarts-gonb/internal/quote"
	"github.com/freedarts/freedarts-gonb/spaces"
	_ "github.com/freedarts/freedarts-gonb/spaces/darts" // registers darts
	_ "github.com/freedarts/freedarts-gonb/spaces/mobile"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

// command is one subcommand; each lives in its own file and registers itself.
type command struct {
	Name, Summary string
	Run           func(args []string, out io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.Name] = c }

func main() {
	memlimit.Default()
	if w := memlimit.Check(); w != "" {
		fmt.Fprintln(os.Stderr, "freedarts: warning:", w)
	}
	os.Exit(run(os.Args[1:], newStdout(os.Stdout, stdoutClosed()), os.Stderr))
}

// run runs the command line args and returns the exit status; results go
// to stdout, usage and errors to stderr. A write to stdout that fails is
// exit status 1 with a message, whatever the command returned: a table
// lost to a full disk is a failure (stdout is wrapped in a checkedWriter
// unless it is one already, as main's is).
func run(args []string, stdout, stderr io.Writer) int {
	out, ok := stdout.(*checkedWriter)
	if !ok {
		out = newStdout(stdout, false)
	}
	err := dispatch(args, out, stderr)
	if out.err != nil {
		if err != nil && !errors.Is(err, out.err) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "freedarts:", err)
		}
		fmt.Fprintf(stderr, "freedarts: writing to stdout: %v (the output is lost)\n", out.err)
		return 1
	}
	var u usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		fmt.Fprintln(stderr, "freedarts:", err)
		fmt.Fprintln(stderr, "run 'freedarts help' for the commands, 'freedarts help COMMAND' for its flags")
		return 2
	default:
		fmt.Fprintln(stderr, "freedarts:", err)
		return 1
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return usageErrorf("no command")
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return nil
		}
		c, ok := commands[args[1]]
		if !ok {
			return usageErrorf("help: unknown command %s", quote(args[1]))
		}
		// The help asked for goes to stdout; -h on a command and flag errors
		// go to stderr.
		return c.Run([]string{"-h"}, withUsageTo(stdout))
	}
	c, ok := commands[name]
	if !ok {
		return usageErrorf("unknown command %s", quote(name))
	}
	return c.Run(args[1:], withUsageTo(stderr).withOut(stdout))
}

func usage(w io.Writer) {
	names := slices.Sorted(maps.Keys(commands))
	fmt.Fprintln(w, "usage: freedarts COMMAND [flags]   (freedarts help COMMAND for its flags)")
	fmt.Fprintln(w, "commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}

// usageError is bad usage: exit status 2.
type usageError struct{ error }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// usageOut is the writer a command prints to, carrying where its flag set
// writes usage text (stderr, or stdout for `help COMMAND`).
type usageOut struct {
	io.Writer
	usage io.Writer
}

func withUsageTo(w io.Writer) usageOut { return usageOut{Writer: w, usage: w} }

func (u usageOut) withOut(w io.Writer) usageOut { u.Writer = w; return u }

// progressOut is where a command writes progress and notes: the stderr run was
// given (the usage writer of a command's out), else os.Stderr.
func progressOut(out io.Writer) io.Writer {
	if u, ok := out.(usageOut); ok && u.usage != u.Writer {
		return u.usage
	}
	return os.Stderr
}

// newFlags returns a FlagSet that reports errors instead of exiting, writing
// usage where out says (see usageOut; stderr for a plain io.Writer).
func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("freedarts "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	if u, ok := out.(usageOut); ok {
		fs.SetOutput(u.usage)
	}
	return fs
}

// parse parses args and rejects positional arguments; errors are usage
// errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected arguments %s", fs.Name(), quote(strings.Join(fs.Args(), " ")))
	}
	return nil
}

// parseWithArgs parses args, leaving the positional ones in fs.Args();
// errors are usage errors.
//
// The flag package prints a parse error itself, value and all (a 120 KB
// -genotype whole), before the usage text: what it writes during Parse is
// held, and on an error passed on without that line; run prints the error,
// bounded (boundErr).
func parseWithArgs(fs *flag.FlagSet, args []string) error {
	output := fs.Output()
	var held strings.Builder
	fs.SetOutput(&held)
	err := fs.Parse(args)
	fs.SetOutput(output)
	text := held.String()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		text = strings.TrimPrefix(text, err.Error()+"\n")
	}
	io.WriteString(output, text)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{boundErr(err)}
	}
	return nil
}

// boundedError is an error of another package whose text repeats user
// input whole (a path, a proxy list, a flag value), bounded by boundText;
// errors.Is and As still see the original.
type boundedError struct{ err error }

func (e boundedError) Error() string { return boundText(e.err.Error()) }
func (e boundedError) Unwrap() error { return e.err }

// boundErr is err with its text bounded (see boundedError); nil stays nil.
func boundErr(err error) error {
	if err == nil {
		return nil
	}
	return boundedError{err}
}

// boundText bounds the user text in a message that quotes it whole (the
// flag package's errors: `invalid value "..." for flag -x`, `flag provided
// but not defined: -...`): every quoted string is quoted again by quote,
// and any other word longer than quote's limit is cut the same way.
func boundText(msg string) string {
	var b strings.Builder
	for msg != "" {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			break
		}
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			break
		}
		b.WriteString(boundWords(msg[:i]))
		u, _ := strconv.Unquote(q)
		b.WriteString(quote(u))
		msg = msg[i+len(q):]
	}
	b.WriteString(boundWords(msg))
	return b.String()
}

// boundWords cuts each space-separated word of s to quoteLimit characters
// and "…".
func boundWords(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		words[i] = boundedquote.Cut(w, quoteLimit)
	}
	return strings.Join(words, " ")
}

// backendFlag adds the -backend flag every command shares.
func backendFlag(fs *flag.FlagSet) *string {
	return fs.String("backend", "", fmt.Sprintf("compute backend: go, xla:cpu, xla:cuda or xla:/path/to/plugin.so (default $%s, else %s)", backend.EnvVar, backend.Default))
}

// progressFlag adds -progress: progress lines on stderr, on by default.
func progressFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("progress", true, "print progress on stderr")
}

// The defaults of -data and -bench, as help texts name them: the
// repository's sample data beside the checkout the command runs in, found
// from any directory inside it as the library finds it (cifar10.Find and
// nb201.FindBench given no path), and used when present.
const (
	defaultDataDir = "the checkout's ../shared/data/cifar10"
	defaultBench   = "the checkout's ../shared/data/nb201/" + nb201.BenchFile
)

// dataFlag adds -data, the CIFAR-10 images of the data proxies.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "CIFAR-10 binary file, or a directory holding data_batch_1.bin or train_first4000.bin (default "+defaultDataDir+" when present)")
}

// benchFlag adds -bench, the NAS-Bench-201 accuracy table.
func benchFlag(fs *flag.FlagSet) *string {
	return fs.String("bench", "", "NAS-Bench-201 accuracy CSV (default "+defaultBench+" when present; \"none\" to skip)")
}

// shapeFlags adds -space and the shape flags every space understands.
func shapeFlags(fs *flag.FlagSet) (*string, *spaces.Shape) {
	var b strings.Builder
	b.WriteString("search space:")
	for _, n := range spaces.Names() {
		d, _ := spaces.Lookup(n)
		fmt.Fprintf(&b, "\n    %s: %s", n, d.Doc)
	}
	name := fs.String("space", "nb201", b.String())
	var sh spaces.Shape
	fs.IntVar(&sh.Cells, "cells", 0, "depth: cells per stage (nb201) or total cells (darts); 0 = the space's default")
	fs.IntVar(&sh.Channels, "channels", 0, "initial width C; 0 = the space's default")
	fs.IntVar(&sh.Input, "input", 0, "input height and width; 0 = the space's default")
	fs.IntVar(&sh.Classes, "classes", 0, "classifier outputs; 0 = the space's default")
	fs.BoolVar(&sh.ImageNet, "imagenet", false, "the space's ImageNet-sized network (see -space); the flags above still override it")
	return name, &sh
}

// newSpace builds the space the shape flags name; an unknown space or a
// shape it cannot take is a usage error (spaces.New names the space and the
// option: "space nb201: channels 100000, want at most 16384").
func newSpace(name string, sh spaces.Shape) (spaces.Space, error) {
	s, err := spaces.New(name, sh)
	if err != nil {
		return nil, usageError{err}
	}
	return s, nil
}

// loadData reads the CIFAR-10 training file that -data names (a file, or
// a directory: cifar10.Find), its first limit images (0: all); "" is the
// repository's sample. Errors name the flag.
func loadData(flagValue string, limit int) (*cifar10.Dataset, string, error) {
	flagName := "-data" // the default names its own path in errors
	if flagValue != "" {
		flagName += " " + quote(flagValue)
	}
	path, err := cifar10.Find(flagValue, cifar10.TrainFiles)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", flagName, boundErr(err))
	}
	d, err := cifar10.Load(path, limit)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", flagName, boundErr(err))
	}
	return d, path, nil
}

// loadBench reads the table -bench names: "" is the default when it exists
// (else nil, with a note), "none" is nil.
func loadBench(flagValue string) (b *nb201.Bench, path, note string, err error) {
	switch {
	case flagValue == "none":
		return nil, "", "", nil
	case flagValue == "":
		found, err := nb201.FindBench("")
		if err != nil || !exists(found) {
			return nil, "", "no benchmark table (-bench): accuracies not looked up", nil
		}
		flagValue = found
	}
	b, err = nb201.LoadBench(flagValue)
	if err != nil {
		return nil, "", "", fmt.Errorf("-bench: %w", err)
	}
	return b, flagValue, "", nil
}

// quoteLimit is the most characters of a user's text a message repeats.
const quoteLimit = 60

// quote quotes s for a message, at most its first quoteLimit characters.
func quote(s string) string { return boundedquote.Max(s, quoteLimit) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// maxSeeds bounds the seeds of one command line (a search a seed).
const maxSeeds = 1_000_000

// parseSeeds reads "0,1,2" or "0-4" (or a mix: "0-2,7"), at most maxSeeds
// seeds in all.
func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		a, b, isRange := strings.Cut(part, "-")
		if !isRange {
			b = a
		}
		lo, err1 := strconv.ParseUint(a, 10, 64)
		hi, err2 := strconv.ParseUint(b, 10, 64)
		if err1 != nil || err2 != nil || hi < lo {
			return nil, usageErrorf("-seed %s: bad seed or range %s (want a list like 0,1,2 or a range like 0-4)", quote(s), quote(part))
		}
		if hi-lo >= maxSeeds-uint64(len(seeds)) {
			return nil, usageErrorf("-seed %s: more than %d seeds", quote(s), maxSeeds)
		}
		for v := lo; ; v++ {
			seeds = append(seeds, v)
			if v == hi {
				break
			}
		}
	}
	return seeds, nil
}
