package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop a long command.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// exitNow ends the process; a variable for the tests.
var exitNow = os.Exit

// stopOnSignal is the one signal handler of the long commands (search,
// correlate, train). The context it returns is cancelled by the first
// SIGINT or SIGTERM, which asks the command to stop cleanly (after the seed,
// cells or step in progress, printing what is done); a note on progress
// says so. A second one ends the process at once, from the handler's own
// goroutine, with exit status 128+signal as a shell reports a killed
// command (130 for SIGINT, 143 for SIGTERM): nothing the main goroutine is
// stuck in (a long compilation, a blocking open or write) can keep it
// alive, and a signal the parent ignored (`nohup`, `cmd &` in a script),
// which Notify turned on, is still handled. stop releases the signals
// (their default action again) and the handler's goroutine.
func stopOnSignal(progress io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sigs, stopSignals...)
	go func() {
		first := true
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if !first {
					fmt.Fprintf(progress, "freedarts: %v again: ending now\n", sig)
					exitNow(signalStatus(sig))
					return
				}
				first = false
				fmt.Fprintf(progress, "freedarts: %v: stopping after the work in progress (send it again to end now)\n", sig)
				cancel()
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// signalStatus is the exit status of a command ended by sig: 128 plus its
// number (130 for SIGINT, 143 for SIGTERM), else 1.
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok && s > 0 && s < 128 {
		return 128 + int(s)
	}
	return 1
}
