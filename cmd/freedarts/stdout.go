package main

import (
	"errors"
	"io"
)

// checkedWriter is the stdout every command prints to: it keeps the first
// write error (a full disk, /dev/full, a closed pipe or descriptor), so
// that run reports it and exits 1 even when the command, printing with
// fmt.Fprintf, did not look at the error. After the first error it writes
// nothing more: the output is lost from there on, and a long command
// should not spend its time writing into a dead stream.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// errStdoutClosed is the error of a stdout the process started without
// (`freedarts ... >&-`): see stdoutClosed.
var errStdoutClosed = errors.New("stdout is closed")

// newStdout wraps w; closed (see stdoutClosed) makes the first write fail.
func newStdout(w io.Writer, closed bool) *checkedWriter {
	c := &checkedWriter{w: w}
	if closed {
		c.err = errStdoutClosed
	}
	return c
}
