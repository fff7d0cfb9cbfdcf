package freedarts

import (
	"testing"
)

func TestArchs(t *testing.T) {
	a := recordedArch{text: "a"}
	got := Archs([]*Result{{Arch: a}, nil})
	if len(got) != 2 || got[0].String() != "a" || got[1] != nil {
		t.Fatalf("Archs = %v, want [a <nil>]", got)
	}
}
