//go:build !unix

package main

// stdoutClosed is false: outside Unix the runtime leaves a closed stdout
// closed, and the first write fails on its own.
func stdoutClosed() bool { return false }
