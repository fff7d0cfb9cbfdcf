package spaces_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces"
	_ "github.com/freedarts/freedarts-gonb/spaces/darts"
	_ "github.com/freedarts/freedarts-gonb/spaces/mobile"
	"github.com/freedarts/freedarts-gonb/spaces/nb201"
)

func TestRegistry(t *testing.T) {
	if got := spaces.Names(); !slices.Equal(got, []string{"darts", "mobile", "nb201"}) {
		t.Errorf("Names() = %v", got)
	}
	s, err := spaces.New("nb201", spaces.Shape{Cells: 1, Channels: 4, Input: 8})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.(*nb201.Space).Config; cfg.N != 1 || cfg.C != 4 || cfg.InputSize != 8 || cfg.Classes != 10 {
		t.Errorf("config %+v", cfg)
	}
	if s, err := spaces.New("nb201", spaces.Shape{ImageNet: true}); err != nil || s.InputSize() != 16 {
		t.Errorf("nb201 ImageNet16-120: %v, %v", s, err)
	}
	for _, tc := range []struct {
		name  string
		shape spaces.Shape
		want  string
	}{
		{"nope", spaces.Shape{}, `unknown space "nope" (want one of darts, mobile, nb201)`},
		{"nb201", spaces.Shape{Channels: -2}, "channels -2, want > 0"},
		{"nb201", spaces.Shape{Input: 2}, "input size 2"},
		{"mobile", spaces.Shape{Cells: 8}, "do not apply"},
	} {
		if _, err := spaces.New(tc.name, tc.shape); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %+v): %v, want %q", tc.name, tc.shape, err, tc.want)
		}
	}
	a, err := spaces.ParseArch("nb201", "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
	if err != nil {
		t.Fatal(err)
	}
	if k := a.Kept()[nb201.AlphaName]; !k[0][1] || k[0][0] || !k[5][3] {
		t.Errorf("kept %v", k)
	}
	if _, err := spaces.ParseArch("nb201", "nonsense"); err == nil {
		t.Error("a bad arch parsed")
	}
}

func TestRegisterRejects(t *testing.T) {
	for _, d := range []spaces.Def{{Name: "nb201", New: func(spaces.Shape) (spaces.Space, error) { return nil, nil },
		ParseArch: func(string) (spaces.Arch, error) { return nil, nil }}, {Name: "incomplete"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", d.Name)
				}
			}()
			spaces.Register(d)
		}()
	}
}

func TestKeptRows(t *testing.T) {
	k := spaces.KeptRows([]int{2, 0, -1}, 3)
	want := [][]bool{{false, false, true}, {true, false, false}, {false, false, false}}
	for r := range want {
		if !slices.Equal(k[r], want[r]) {
			t.Errorf("row %d: %v, want %v", r, k[r], want[r])
		}
	}
}

func TestArgmaxRows(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name       string
		scores     [][]float64
		rows, cols int
		want       []int
		wantErr    string
	}{
		{"largest per row", [][]float64{{1, 3, 2}, {-1, -2, -3}}, 2, 3, []int{1, 0}, ""},
		{"first on a tie", [][]float64{{2, 2, 1}}, 1, 3, []int{0}, ""},
		{"negative and zero", [][]float64{{-5, 0, -1}}, 1, 3, []int{1}, ""},
		{"too few rows", [][]float64{{1, 2}}, 2, 2, nil, "has 1 rows, want 2"},
		{"short row", [][]float64{{1, 2}, {1}}, 2, 2, nil, "score row 1 has 1 values, want 2"},
		{"NaN", [][]float64{{1, nan}}, 1, 2, nil, "score [0][1] is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spaces.ArgmaxRows("test", tc.scores, tc.rows, tc.cols)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "test: ") {
					t.Errorf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("= %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
