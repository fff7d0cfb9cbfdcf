package freedarts

import "testing"

// TestDrawSeed checks that draw 0 is the seed itself and that other draws
// and other seeds give distinct seeds.
func TestDrawSeed(t *testing.T) {
	if DrawSeed(7, 0) != 7 || DrawSeed(7, 1) == DrawSeed(7, 2) || DrawSeed(7, 1) == DrawSeed(8, 1) {
		t.Error("DrawSeed: want the seed itself for draw 0 and distinct seeds otherwise")
	}
}
