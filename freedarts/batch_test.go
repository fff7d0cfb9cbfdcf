package freedarts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/data/cifar10"
)

func TestSampleBatch(t *testing.T) {
	d := &cifar10.Dataset{}
	for i := range 10 {
		d.Labels = append(d.Labels, uint8(i))
		px := make([]uint8, 3072)
		px[0] = uint8(i)
		d.Pixels = append(d.Pixels, px...)
	}
	a, err := SampleBatch(d, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SampleBatch(d, 4, 1)
	c, _ := SampleBatch(d, 4, 2)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different batches")
	}
	if reflect.DeepEqual(a.Labels, c.Labels) {
		t.Errorf("seeds 1 and 2 drew the same images %v", a.Labels)
	}
	if a.N != 4 || len(a.Images) != 4*3072 || len(a.Labels) != 4 {
		t.Errorf("batch sizes: N %d, %d values, %d labels", a.N, len(a.Images), len(a.Labels))
	}
	seen := map[int32]bool{}
	for i, l := range a.Labels {
		if seen[l] || (i > 0 && l < a.Labels[i-1]) {
			t.Errorf("labels %v: want distinct images in file order", a.Labels)
		}
		seen[l] = true
	}
	for _, n := range []int{0, 11} {
		if _, err := SampleBatch(d, n, 0); err == nil {
			t.Errorf("batch of %d from 10 images accepted", n)
		}
	}
}

func TestSampleAugmentedBatch(t *testing.T) {
	d := &cifar10.Dataset{}
	for i := range 10 {
		d.Labels = append(d.Labels, uint8(i))
		px := make([]uint8, 3072)
		for j := range px {
			px[j] = uint8(i + j)
		}
		d.Pixels = append(d.Pixels, px...)
	}
	plain, _ := SampleBatch(d, 6, 3)
	a, err := SampleAugmentedBatch(d, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SampleAugmentedBatch(d, 6, 3)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different augmented batches")
	}
	if !reflect.DeepEqual(a.Labels, plain.Labels) {
		t.Errorf("augmented batch drew images %v, SampleBatch %v: want the same images", a.Labels, plain.Labels)
	}
	changed := 0
	for i := range a.N {
		if !reflect.DeepEqual(a.Images[i*3072:(i+1)*3072], plain.Images[i*3072:(i+1)*3072]) {
			changed++
		}
	}
	// Each image is left as it is with probability 1/162.
	if changed < a.N-1 {
		t.Errorf("%d of %d images augmented", changed, a.N)
	}
	if _, err := SampleAugmentedBatch(d, 11, 0); err == nil {
		t.Error("augmented batch of 11 from 10 images accepted")
	}
}

func TestClassCounts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       *Batch
		classes int
		want    []int
		err     string
	}{
		{"counts", &Batch{Labels: []int32{0, 2, 2, 1, 2}}, 3, []int{1, 1, 3}, ""},
		{"empty", &Batch{}, 2, []int{0, 0}, ""},
		{"nil", nil, 2, nil, "nil *Batch"},
		{"no classes", &Batch{}, 0, nil, "over 0 classes"},
		{"label out of range", &Batch{Labels: []int32{0, 3}}, 3, nil, "label 3 of image 1 is outside [0, 3)"},
		{"negative label", &Batch{Labels: []int32{-1}}, 3, nil, "label -1 of image 0"},
	} {
		got, err := tc.b.ClassCounts(tc.classes)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, %v, want %v", tc.name, got, err, tc.want)
		}
	}
}
