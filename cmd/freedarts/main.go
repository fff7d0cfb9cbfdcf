// Command freedarts runs training-free architecture searches (FreeDARTS) and
// the tools around them.
//
//	freedarts search [flags]   score a supernet and pick an architecture
//	freedarts help COMMAND     flags of one command
//
// Every command runs on GoMLX's pure-Go backend unless -backend or
// $GOMLX_BACKEND names another ("xla:cpu", "xla:cuda", ...).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
)

// command is one subcommand; each lives in its own file and registers itself.
type command struct {
	Name, Summary string
	Run           func(args []string, out io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.Name] = c }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "freedarts:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(out)
		return nil
	}
	name := args[0]
	if name == "help" && len(args) > 1 {
		name, args = args[1], []string{args[1], "-h"}
	}
	c, ok := commands[name]
	if !ok {
		usage(os.Stderr)
		return fmt.Errorf("unknown command %q", name)
	}
	return c.Run(args[1:], out)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: freedarts COMMAND [flags]   (freedarts help COMMAND for its flags)")
	fmt.Fprintln(w, "commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting, so
// run() stays testable.
func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("freedarts "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// backendFlag adds the -backend flag every command shares.
func backendFlag(fs *flag.FlagSet) *string {
	return fs.String("backend", "", fmt.Sprintf("compute backend: go, xla:cpu, xla:cuda or xla:/path/to/plugin.so (default $%s, else %s)", backend.EnvVar, backend.Default))
}

// openBackend opens the backend a -backend flag names and returns it with
// its resolved configuration string, which results record.
func openBackend(flagValue string) (compute.Backend, string, error) {
	cfg := backend.Config(flagValue)
	b, err := backend.Open(cfg)
	return b, cfg, err
}

// existing returns the first path that exists, or "".
func existing(paths ...string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// parseSeeds reads "0,1,2" or "0-4" (or a mix: "0-2,7").
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
		if err1 != nil || err2 != nil || hi < lo || hi-lo > 1_000_000 {
			return nil, fmt.Errorf("-seeds %q: bad seed or range %q (want a list like 0,1,2 or a range like 0-4)", s, part)
		}
		for v := lo; v <= hi; v++ {
			seeds = append(seeds, v)
		}
	}
	return seeds, nil
}
