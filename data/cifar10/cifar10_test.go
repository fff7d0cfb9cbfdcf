package cifar10

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freedarts/freedarts-gonb/internal/regular"
	"github.com/freedarts/freedarts-gonb/internal/shareddata"
)

// The shared data; tests that need it skip without it, or fail with CI=true.
const (
	testBin   = "../../../shared/data/cifar10/test_first1000.bin"
	trainBin  = "../../../shared/data/cifar10/train_first4000.bin"
	namesFile = "../../../shared/data/cifar10/batches.meta.txt"
)

func skipIfAbsent(t *testing.T, path string) {
	t.Helper()
	shareddata.Need(t, path)
}

// expectedImage normalises record i of the raw file bytes in float64, indexing the planes
// directly rather than through the package's lookup table.
func expectedImage(raw []byte, i int, layout Layout) []float64 {
	mean := [3]float64{0.4914, 0.4822, 0.4465}
	std := [3]float64{0.2470, 0.2435, 0.2616}
	img := raw[i*3073+1 : (i+1)*3073]
	out := make([]float64, 3072)
	for c := 0; c < 3; c++ {
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				v := (float64(img[c*1024+y*32+x])/255 - mean[c]) / std[c]
				if layout == NHWC {
					out[(y*32+x)*3+c] = v
				} else {
					out[c*1024+y*32+x] = v
				}
			}
		}
	}
	return out
}

func TestLoadReal(t *testing.T) {
	cases := []struct {
		path  string
		n     int
		label int32
		rgb00 [3]byte // hand-read from the file: pixel (0, 0) of record 0
		r00   float64 // its normalised red value, (rgb00[0]/255 - 0.4914) / 0.2470
	}{
		{testBin, 1000, 3, [3]byte{158, 112, 49}, 0.519060}, // a cat
		{trainBin, 4000, 6, [3]byte{59, 62, 63}, -1.052743}, // a frog
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			skipIfAbsent(t, c.path)
			raw, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Load(c.path, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != c.n || len(d.Pixels) != c.n*3072 {
				t.Fatalf("Len() = %d, %d pixel bytes; want %d, %d", d.Len(), len(d.Pixels), c.n, c.n*3072)
			}
			if got := [3]byte{d.Pixels[0], d.Pixels[1024], d.Pixels[2048]}; got != c.rgb00 {
				t.Errorf("record 0 pixel (0, 0) = %v, want %v", got, c.rgb00)
			}
			for _, layout := range []Layout{NHWC, NCHW} {
				for _, i := range []int{0, c.n - 1} {
					images, labels, err := d.Batch(i, 1, layout)
					if err != nil {
						t.Fatal(err)
					}
					if labels[0] != int32(raw[i*3073]) {
						t.Errorf("layout %d record %d: label %d, want %d", layout, i, labels[0], raw[i*3073])
					}
					want := expectedImage(raw, i, layout)
					for k := range want {
						if math.Abs(float64(images[k])-want[k]) > 1e-5 {
							t.Fatalf("layout %d record %d value %d = %v, want %v", layout, i, k, images[k], want[k])
						}
					}
				}
			}
			images, labels, _ := d.Batch(0, 1, NCHW)
			if labels[0] != c.label || math.Abs(float64(images[0])-c.r00) > 1e-5 {
				t.Errorf("record 0: label %d, R(0, 0) %v; want %d, %v", labels[0], images[0], c.label, c.r00)
			}

			// A limit reads the same leading records.
			first, err := Load(c.path, 10)
			if err != nil {
				t.Fatal(err)
			}
			if first.Len() != 10 || string(first.Labels) != string(d.Labels[:10]) || string(first.Pixels) != string(d.Pixels[:10*3072]) {
				t.Errorf("Load(%s, 10) differs from the first 10 records of the whole file", c.path)
			}
			_, err = Load(c.path, c.n+1)
			want := fmt.Sprintf("%d bytes hold %d records, want %d: record %d is missing", c.n*3073, c.n, c.n+1, c.n)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s, %d) error = %v, want %s", c.path, c.n+1, err, want)
			}
		})
	}
}

func TestBatchLayouts(t *testing.T) {
	// Two synthetic images whose byte encodes (image, channel, y, x) distinctly enough to check
	// every index mapping.
	d := &Dataset{Labels: []uint8{7, 2}, Pixels: make([]uint8, 2*3072)}
	for i := range d.Pixels {
		d.Pixels[i] = uint8(i * 7)
	}
	nhwc, labels, err := d.Batch(1, 1, NHWC)
	if err != nil {
		t.Fatal(err)
	}
	nchw, _, err := d.Batch(1, 1, NCHW)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1 || labels[0] != 2 || len(nhwc) != 3072 || len(nchw) != 3072 {
		t.Fatalf("Batch(1, 1): labels %v, %d and %d values; want [2], 3072", labels, len(nhwc), len(nchw))
	}
	for c := 0; c < 3; c++ {
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				b := d.Pixels[3072+c*1024+y*32+x]
				want := (float32(b)/255 - Mean[c]) / Std[c]
				if got := nhwc[(y*32+x)*3+c]; got != want {
					t.Fatalf("NHWC [0,%d,%d,%d] = %v, want %v", y, x, c, got, want)
				}
				if got := nchw[c*1024+y*32+x]; got != want {
					t.Fatalf("NCHW [0,%d,%d,%d] = %v, want %v", c, y, x, got, want)
				}
			}
		}
	}
}

// TestGatherAugmented checks each augmentation against its definition: output pixel (y, x) is
// source pixel (y+DY, x'+DX), x' = 31-x when flipped else x, and black outside the image.
func TestGatherAugmented(t *testing.T) {
	d := &Dataset{Labels: []uint8{3, 5}, Pixels: make([]uint8, 2*3072)}
	for i := range d.Pixels {
		d.Pixels[i] = uint8(i*11 + 1) // 0 nowhere in the first plane rows checked below
	}
	black := func(c int) float32 { return (0 - Mean[c]) / Std[c] }
	for _, a := range []Augmentation{{}, {DX: 1}, {DY: -4}, {DX: 4, DY: 4}, {Flip: true}, {DX: 2, DY: -1, Flip: true}} {
		img, labels, err := d.Gather([]int{1, 0}, []Augmentation{a, {}}, NHWC)
		if err != nil {
			t.Fatal(err)
		}
		if labels[0] != 5 || labels[1] != 3 {
			t.Fatalf("%+v: labels %v, want [5 3]", a, labels)
		}
		for c := range Channels {
			for y := range Height {
				for x := range Width {
					sx, sy := x, y+a.DY
					if a.Flip {
						sx = 31 - x
					}
					sx += a.DX
					want := black(c)
					if sx >= 0 && sx < 32 && sy >= 0 && sy < 32 {
						b := d.Pixels[3072+c*1024+sy*32+sx]
						want = (float32(b)/255 - Mean[c]) / Std[c]
					}
					if got := img[(y*32+x)*3+c]; got != want {
						t.Fatalf("%+v: [%d,%d,%d] = %v, want %v", a, y, x, c, got, want)
					}
				}
			}
		}
		plain, _, _ := d.Batch(0, 1, NHWC)
		if !slices.Equal(img[3072:], plain) {
			t.Fatalf("%+v: the second image, not augmented, differs from Batch", a)
		}
	}
	bad := []struct {
		indices []int
		augs    []Augmentation
		want    string
	}{
		{[]int{0, 1}, []Augmentation{{}}, "1 augmentations for 2 images"},
		{[]int{0}, []Augmentation{{DX: 5}}, "offsets (5, 0): want each in [-4, 4]"},
		{[]int{0}, []Augmentation{{DY: -5}}, "offsets (0, -5)"},
		{[]int{0, 2}, nil, "image 2 (entry 1): want an index in [0, 2)"},
		{[]int{-1}, nil, "image -1 (entry 0)"},
	}
	for _, c := range bad {
		if _, _, err := d.Gather(c.indices, c.augs, NHWC); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Gather(%v, %v) error = %v, want %s", c.indices, c.augs, err, c.want)
		}
	}
}

func TestRandomAugmentation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[Augmentation]bool{}
	for range 5000 {
		a, err := RandomAugmentation(rng)
		if err != nil {
			t.Fatal(err)
		}
		if a.DX < -Pad || a.DX > Pad || a.DY < -Pad || a.DY > Pad {
			t.Fatalf("%+v: offsets outside [-4, 4]", a)
		}
		seen[a] = true
	}
	// 9 x 9 offsets x 2 flips, each drawn with probability 1/162.
	if len(seen) != 162 {
		t.Errorf("%d distinct augmentations in 5000 draws, want all 162", len(seen))
	}
}

func TestBatchErrors(t *testing.T) {
	d := &Dataset{Labels: make([]uint8, 4), Pixels: make([]uint8, 4*3072)}
	cases := []struct {
		start, n int
		layout   Layout
		wantErr  string
	}{
		{-1, 1, NHWC, "batch of 1 images from -1"},
		{0, 0, NHWC, "batch of 0 images from 0: want n > 0 and images within [0, 4)"},
		{3, 2, NHWC, "batch of 2 images from 3"},
		{0, math.MaxInt, NCHW, "images within [0, 4)"},
		{math.MaxInt, 1, NCHW, "images within [0, 4)"},
		{0, 1, Layout(2), "layout 2, want NHWC (0) or NCHW (1)"},
	}
	for _, c := range cases {
		if _, _, err := d.Batch(c.start, c.n, c.layout); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("Batch(%d, %d, %d) error = %v, want %s", c.start, c.n, c.layout, err, c.wantErr)
		}
	}
	bad := &Dataset{Labels: make([]uint8, 2), Pixels: make([]uint8, 3072)}
	if _, _, err := bad.Batch(0, 1, NHWC); err == nil || !strings.Contains(err.Error(), "2 labels and 3072 pixel bytes") {
		t.Errorf("inconsistent Dataset: Batch error = %v", err)
	}
}

// records builds n valid records, record i labelled i%10.
func records(n int) []byte {
	data := make([]byte, n*RecordSize)
	for i := range n {
		data[i*RecordSize] = byte(i % NumClasses)
	}
	return data
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "batch.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadErrors(t *testing.T) {
	badLabel := records(3)
	badLabel[1*RecordSize] = 10
	cases := []struct {
		name    string
		data    []byte
		limit   int
		wantErr string
	}{
		{"empty", nil, 0, "empty file, want 3073-byte records"},
		{"truncated", records(3)[:2*RecordSize+1000], 0, "7146 bytes is not a whole number of 3073-byte records: record 2 is cut after 1000 bytes"},
		{"truncated with limit", records(3)[:2*RecordSize+1000], 1, "record 2 is cut after 1000 bytes"},
		{"short of limit", records(3), 4, "9219 bytes hold 3 records, want 4: record 3 is missing"},
		{"huge limit", records(1), math.MaxInt, "record 1 is missing"},
		{"bad label", badLabel, 0, "record 1 has label 10, want 0 to 9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.data)
			d, err := Load(path, c.limit)
			if err == nil {
				t.Fatalf("Load succeeded with %d records, want an error", d.Len())
			}
			if !strings.HasPrefix(err.Error(), "cifar10: "+path+": ") || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Load error\n  %v\nwant it to name %s and contain\n  %s", err, path, c.wantErr)
			}
		})
	}

	// A bad label past the limit is not read.
	if d, err := Load(writeTemp(t, badLabel), 1); err != nil || d.Len() != 1 {
		t.Errorf("Load(limit 1) with a bad label in record 1: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "nope.bin")
	if _, err := Load(missing, 0); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(%s) error = %v, want one naming the path and wrapping os.ErrNotExist", missing, err)
	}
	dir := t.TempDir()
	if _, err := Load(dir, 0); !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), dir+" is a directory, not a regular file") {
		t.Errorf("Load(directory) error = %v, want not a regular file", err)
	}
	// A named pipe is refused at once: open(2) would wait for a writer.
	fifo := filepath.Join(dir, "data_batch_1.bin")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no named pipe: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(fifo, 0); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), fifo+" is a named pipe") {
			t.Errorf("Load(FIFO) error = %v, want a named pipe refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load(FIFO) blocks")
	}
}

func TestLoadClassNames(t *testing.T) {
	t.Run("real", func(t *testing.T) {
		skipIfAbsent(t, namesFile)
		names, err := LoadClassNames(namesFile)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 10 || names[0] != "airplane" || names[3] != "cat" || names[6] != "frog" || names[9] != "truck" {
			t.Errorf("LoadClassNames = %q", names)
		}
	})

	want := []string{"a", "b c", "d", "e", "f", "g", "h", "i", "j", "k"}
	path := writeTemp(t, []byte("\na\r\n b c \n\nd\ne\nf\ng\nh\ni\nj\nk"))
	if got, err := LoadClassNames(path); err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("LoadClassNames = %q, %v; want %q", got, err, want)
	}
	path = writeTemp(t, []byte("a\nb\n"))
	if _, err := LoadClassNames(path); err == nil || !strings.Contains(err.Error(), path+": 2 class names, want 10") {
		t.Errorf("LoadClassNames(2 names) error = %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope.txt")
	if _, err := LoadClassNames(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadClassNames(%s) error = %v, want os.ErrNotExist", missing, err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte{}, 0)
	f.Add(records(1), 0)
	f.Add(records(2), 1)
	f.Add(records(2)[:RecordSize+5], 0)
	f.Add(append([]byte{42}, make([]byte, RecordSize-1)...), 0)
	// One file per fuzz worker process, rewritten for each input: a fresh temporary directory
	// per input would slow the fuzzer twentyfold.
	path := filepath.Join(f.TempDir(), "batch.bin")
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Load(path, limit)
		if err != nil {
			return
		}
		whole := len(data) / RecordSize
		if len(data)%RecordSize != 0 || (limit > 0 && d.Len() != limit) || (limit <= 0 && d.Len() != whole) {
			t.Fatalf("Load(%d bytes, limit %d) = %d records", len(data), limit, d.Len())
		}
		for i, l := range d.Labels {
			if l >= NumClasses || data[i*RecordSize] != l {
				t.Fatalf("record %d: label %d, file byte %d", i, l, data[i*RecordSize])
			}
		}
		if _, _, err := d.Batch(0, d.Len(), NHWC); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "test_first1000.bin")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		names []string
		want  string
		err   string
	}{
		{file, TrainFiles, file, ""},
		{dir, TestFiles, file, ""},
		{dir, TrainFiles, "", "holds no data_batch_1.bin or train_first4000.bin"},
		{filepath.Join(dir, "nope"), TrainFiles, "", "nope"},
	} {
		got, err := Find(tc.path, tc.names)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Find(%q, %v) = %q, %v; want %q, error with %q", tc.path, tc.names, got, err, tc.want, tc.err)
		}
	}
}

// TestFindSample: an empty path is the repository's sample directory, found
// from this package's directory as from a notebook's.
func TestFindSample(t *testing.T) {
	want := shareddata.Path(t, "cifar10/train_first4000.bin")
	got, err := Find("", TrainFiles)
	if err != nil || filepath.Clean(got) != filepath.Clean(want) {
		t.Errorf("Find(\"\", TrainFiles) = %s, %v; want %s", got, err, want)
	}
}
