package darts

import (
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces"
)

// TestShapes: the registry maps the shape options onto the CIFAR or the
// ImageNet supernet's config.
func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		in   spaces.Shape
		want Config
	}{
		{spaces.Shape{}, DefaultConfig()},
		{spaces.Shape{Cells: 20}, DeepConfig()},
		{spaces.Shape{ImageNet: true}, ImageNetConfig()},
		{spaces.Shape{ImageNet: true, Classes: 10}, Config{C: 48, Layers: 14, Classes: 10, InputSize: 224, ImageNet: true}},
		{spaces.Shape{Input: 224}, Config{C: 16, Layers: 8, Classes: 10, InputSize: 224}},
	} {
		s, err := spaces.New("darts", tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.(*Space).Config; got != tc.want {
			t.Errorf("%+v: config %+v, want %+v", tc.in, got, tc.want)
		}
	}
	g, err := spaces.ParseArch("darts", "DARTS_V2")
	if err != nil || g.String() != DARTSV2 {
		t.Errorf("ParseArch(DARTS_V2) = %v, %v", g, err)
	}
}
