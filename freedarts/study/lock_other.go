//go:build !unix

package study

// processAlive cannot tell here: every lock is held (remove a stale one by
// hand).
func processAlive(int) bool { return true }
