//go:build !unix

package study

import "errors"

func mkfifo(string) error { return errors.New("no named pipes here") }
