// Package quote quotes user input for error messages, bounded, so that an
// error never repeats a huge flag value, field or line of a file.
package quote

import "strconv"

// Max is s quoted as by %q, cut to its first n runes and "…" when longer.
func Max(s string, n int) string {
	k := 0
	for i := range s {
		if k == n {
			return strconv.Quote(s[:i]) + "…"
		}
		k++
	}
	return strconv.Quote(s)
}
