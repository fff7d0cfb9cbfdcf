// Package quote quotes user input for error messages, bounded, so that an
// error never repeats a huge flag value, field or line of a file.
package quote

import "strconv"

// Max is s quoted as by %q, cut to its first n runes and "…" when longer.
func Max(s string, n int) string {
	head, cut := prefix(s, n)
	if cut {
		return strconv.Quote(head) + "…"
	}
	return strconv.Quote(s)
}

// Cut is s cut to its first n runes and "…" when longer, unquoted: for a
// word of a message that is already quoted or not user text alone.
func Cut(s string, n int) string {
	head, cut := prefix(s, n)
	if cut {
		return head + "…"
	}
	return s
}

// prefix is s's first n runes, and whether s is longer.
func prefix(s string, n int) (string, bool) {
	k := 0
	for i := range s {
		if k == n {
			return s[:i], true
		}
		k++
	}
	return s, false
}
