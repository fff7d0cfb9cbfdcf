// Package cifar10 reads CIFAR-10 in its official binary format and turns it into normalised
// float32 batches, the labelled input of the SNIP and GraSP proxies.
package cifar10

import (
	"github.com/freedarts/freedarts-gonb/internal/datadir"

	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/freedarts/freedarts-gonb/internal/regular"
)

// Image shape and the size of one record of the binary format: a label byte, then the image.
const (
	Height     = 32
	Width      = 32
	Channels   = 3
	RecordSize = 1 + imageSize

	// NumClasses is the number of labels, 0 to NumClasses-1.
	NumClasses = 10

	planeSize = Height * Width
	imageSize = Channels * planeSize
)

// Mean and Std are the per-channel (R, G, B) statistics of the training set, on the 0-1 scale,
// used to normalise pixels.
var (
	Mean = [Channels]float32{0.4914, 0.4822, 0.4465}
	Std  = [Channels]float32{0.2470, 0.2435, 0.2616}
)

// Layout is the axis order of the image tensors Batch returns.
type Layout int

const (
	// NHWC is [batch, height, width, channel], GoMLX's default for images.
	NHWC Layout = iota
	// NCHW is [batch, channel, height, width], the PyTorch order.
	NCHW
)

// Dataset holds records as stored on disk, so that a batch is normalised only when it is asked for.
type Dataset struct {
	Labels []uint8 // one per image, 0 to NumClasses-1
	Pixels []uint8 // len(Labels) images of 3072 bytes each: R, G and B planes of 32x32, row-major
}

// TrainFiles and TestFiles are the names Find looks for in a directory:
// the official first training batch and test batch, then the samples of
// this repository's shared/data.
var (
	TrainFiles = []string{"data_batch_1.bin", "train_first4000.bin"}
	TestFiles  = []string{"test_batch.bin", "test_first1000.bin"}
)

// Find returns path when it is a file, else the first of names that the
// directory path holds. The error names the path and what was looked for.
// An empty path is the repository's sample directory, ../shared/data/cifar10
// beside the module root, found from the working directory upwards (so a
// notebook, a test and the repository root all reach it).
func Find(path string, names []string) (string, error) {
	if path == "" {
		shared, err := datadir.Shared()
		if err != nil {
			return "", fmt.Errorf("cifar10: no path given, and no sample data: %w", err)
		}
		path = filepath.Join(shared, "cifar10")
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cifar10: %w (want CIFAR-10 in the official binary format)", err)
	}
	if !st.IsDir() {
		return path, nil
	}
	for _, n := range names {
		p := filepath.Join(path, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("cifar10: %s holds no %s", path, strings.Join(names, " or "))
}

// Load reads the first limit records (all of them if limit <= 0) of a CIFAR-10 binary file such
// as test_batch.bin. The whole file must be a sequence of complete records, so that a cut
// download is caught even when only its first records are asked for.
func Load(path string, limit int) (*Dataset, error) {
	// A named pipe or a device is refused at once, not waited on.
	f, err := regular.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cifar10: %w (want a CIFAR-10 binary file)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cifar10: %w", err)
	}
	size := info.Size()
	records := size / RecordSize
	switch {
	case size == 0:
		return nil, fmt.Errorf("cifar10: %s: empty file, want %d-byte records", path, RecordSize)
	case size%RecordSize != 0:
		return nil, fmt.Errorf("cifar10: %s: %d bytes is not a whole number of %d-byte records: record %d is cut after %d bytes",
			path, size, RecordSize, records, size%RecordSize)
	case int64(limit) > records:
		return nil, fmt.Errorf("cifar10: %s: %d bytes hold %d records, want %d: record %d is missing",
			path, size, records, limit, records)
	}
	n := int(records)
	if limit > 0 {
		n = limit
	}

	d := &Dataset{Labels: make([]uint8, n), Pixels: make([]uint8, n*imageSize)}
	r := bufio.NewReader(f)
	rec := make([]byte, RecordSize)
	for i := range n {
		if _, err := io.ReadFull(r, rec); err != nil {
			// The size was checked, so only a file changing under us gets here.
			return nil, fmt.Errorf("cifar10: %s: record %d: %w", path, i, err)
		}
		if rec[0] >= NumClasses {
			return nil, fmt.Errorf("cifar10: %s: record %d has label %d, want 0 to %d", path, i, rec[0], NumClasses-1)
		}
		d.Labels[i] = rec[0]
		copy(d.Pixels[i*imageSize:], rec[1:])
	}
	return d, nil
}

// Len is the number of images (0 for a nil Dataset).
func (d *Dataset) Len() int {
	if d == nil {
		return 0
	}
	return len(d.Labels)
}

// errNilDataset is what the methods that read images say of a nil
// Dataset, rather than panic on its first field.
var errNilDataset = errors.New("cifar10: the data set is a nil *Dataset, want one from Load")

// Batch returns images start to start+n-1 normalised to (x/255 - Mean)/Std, with shape
// [n, 32, 32, 3] (NHWC) or [n, 3, 32, 32] (NCHW), and their labels.
func (d *Dataset) Batch(start, n int, layout Layout) (images []float32, labels []int32, err error) {
	if d == nil {
		return nil, nil, errNilDataset
	}
	if start < 0 || n <= 0 || start > d.Len()-n {
		return nil, nil, fmt.Errorf("cifar10: batch of %d images from %d: want n > 0 and images within [0, %d)", n, start, d.Len())
	}
	indices := make([]int, n)
	for i := range indices {
		indices[i] = start + i
	}
	return d.Gather(indices, nil, layout)
}

// Pad is the zero padding, in pixels on each side, of the standard CIFAR random crop.
const Pad = 4

// Augmentation is one draw of the standard CIFAR training augmentation: the 32x32 window at
// offset (DX, DY), each in [-Pad, Pad], of the image zero-padded by Pad pixels, then mirrored
// left to right when Flip is set. The zero value leaves the image as it is.
type Augmentation struct {
	DX, DY int
	Flip   bool
}

// RandomAugmentation draws an Augmentation as a training data loader does
// (torchvision's RandomCrop(32, padding=4) then RandomHorizontalFlip): offsets uniform in
// [-Pad, Pad], a flip with probability 1/2. rng is required: a draw from a
// generator of the caller's is what makes a batch reproducible.
func RandomAugmentation(rng *rand.Rand) (Augmentation, error) {
	if rng == nil {
		return Augmentation{}, errors.New("cifar10: random augmentation from a nil *rand.Rand, want a seeded generator")
	}
	return Augmentation{DX: rng.IntN(2*Pad+1) - Pad, DY: rng.IntN(2*Pad+1) - Pad, Flip: rng.IntN(2) == 1}, nil
}

// Gather returns the images at indices, normalised as Batch does, each transformed by its
// entry of augs (nil: none; else one per index), and their labels. Padding pixels are black
// before normalisation, as in the reference pipeline.
func (d *Dataset) Gather(indices []int, augs []Augmentation, layout Layout) (images []float32, labels []int32, err error) {
	if d == nil {
		return nil, nil, errNilDataset
	}
	if len(d.Pixels) != len(d.Labels)*imageSize {
		return nil, nil, fmt.Errorf("cifar10: dataset has %d labels and %d pixel bytes, want %d bytes per label",
			len(d.Labels), len(d.Pixels), imageSize)
	}
	if layout != NHWC && layout != NCHW {
		return nil, nil, fmt.Errorf("cifar10: layout %d, want NHWC (%d) or NCHW (%d)", layout, NHWC, NCHW)
	}
	if augs != nil && len(augs) != len(indices) {
		return nil, nil, fmt.Errorf("cifar10: %d augmentations for %d images, want one each", len(augs), len(indices))
	}
	for k, i := range indices {
		if i < 0 || i >= d.Len() {
			return nil, nil, fmt.Errorf("cifar10: image %d (entry %d): want an index in [0, %d)", i, k, d.Len())
		}
		if augs != nil {
			if a := augs[k]; a.DX < -Pad || a.DX > Pad || a.DY < -Pad || a.DY > Pad {
				return nil, nil, fmt.Errorf("cifar10: augmentation %d offsets (%d, %d): want each in [-%d, %d]", k, a.DX, a.DY, Pad, Pad)
			}
		}
	}

	// A table of the 256 values per channel replaces 3072 divisions per image by lookups; it is
	// built per call so that it follows any change a caller makes to Mean and Std.
	var norm [Channels][256]float32
	for c := range Channels {
		for v := range 256 {
			norm[c][v] = (float32(v)/255 - Mean[c]) / Std[c]
		}
	}
	images = make([]float32, len(indices)*imageSize)
	labels = make([]int32, len(indices))
	for k, i := range indices {
		var a Augmentation
		if augs != nil {
			a = augs[k]
		}
		labels[k] = int32(d.Labels[i])
		src := d.Pixels[i*imageSize : (i+1)*imageSize]
		dst := images[k*imageSize : (k+1)*imageSize]
		for c := range Channels {
			for y := range Height {
				for x := range Width {
					sx, sy := x, y+a.DY
					if a.Flip {
						sx = Width - 1 - x
					}
					sx += a.DX
					var v uint8 // black outside the image
					if sx >= 0 && sx < Width && sy >= 0 && sy < Height {
						v = src[c*planeSize+sy*Width+sx]
					}
					if p := y*Width + x; layout == NCHW {
						dst[c*planeSize+p] = norm[c][v]
					} else {
						dst[p*Channels+c] = norm[c][v]
					}
				}
			}
		}
	}
	return images, labels, nil
}

// LoadClassNames reads batches.meta.txt: the NumClasses class names in label order, one a line.
// Blank lines and surrounding spaces are ignored.
func LoadClassNames(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cifar10: %w", err)
	}
	var names []string
	for line := range strings.Lines(string(data)) {
		if name := strings.TrimSpace(line); name != "" {
			names = append(names, name)
		}
	}
	if len(names) != NumClasses {
		return nil, fmt.Errorf("cifar10: %s: %d class names, want %d, one a line", path, len(names), NumClasses)
	}
	return names, nil
}
