package quote

import "testing"

func TestMax(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, `"abc"`},
		{"abcd", 3, `"abc"…`},
		{"ééé é", 2, `"éé"…`},
		{"", 5, `""`},
		{"a\nb", 5, `"a\nb"`},
	} {
		if got := Max(tc.s, tc.n); got != tc.want {
			t.Errorf("Max(%q, %d) = %s, want %s", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"ééé é", 2, "éé…"},
		{"", 5, ""},
	} {
		if got := Cut(tc.s, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %s, want %s", tc.s, tc.n, got, tc.want)
		}
	}
}
