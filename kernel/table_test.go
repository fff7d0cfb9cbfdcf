package kernel

import (
	"strings"
	"testing"
)

// TestTableNowrap: short body cells stay on one line, long ones and the
// headers may wrap.
func TestTableNowrap(t *testing.T) {
	long := strings.Repeat("x", nowrapRunes+1)
	for _, tc := range []struct {
		name, cell string
		nowrap     bool
	}{
		{"a name", "synflow-bn", true},
		{"a cell's ops", "3x3 3x3 3x3 3x3 3x3 3x3", true},
		{"as long as allowed, in runes", strings.Repeat("…", nowrapRunes), true},
		{"longer", long, false},
		{"empty", "", false},
	} {
		html := Table([]string{"a header"}, [][]string{{tc.cell}})
		_, body, _ := strings.Cut(html, "<tbody>")
		if got := strings.Contains(body, "white-space:nowrap"); got != tc.nowrap {
			t.Errorf("%s: nowrap %v, want %v in %s", tc.name, got, tc.nowrap, body)
		}
		if head, _, _ := strings.Cut(html, "<tbody>"); strings.Contains(head, "nowrap") {
			t.Errorf("%s: a header that cannot wrap: %s", tc.name, head)
		}
	}
}
