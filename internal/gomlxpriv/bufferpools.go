package gomlxpriv

import (
	"fmt"
	"math/bits"
	"reflect"
	"sync"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support"
)

// The go backend's fields PadBufferPools relies on, as named in
// github.com/gomlx/compute v0.1.14 (internal/gobackend).
const (
	// backendBufferPools is Backend.bufferPools, a sync.Map from a
	// bufferPoolKey (a struct of one int, the bucketed size in bytes that
	// support.TwoBitBucketLen gives) to the *sync.Pool of *Buffer of that
	// storage size. GetBuffer takes a buffer from the pool of its bucket
	// and allocates one (make([]byte, size)) only when Get returns nil.
	backendBufferPools = "bufferPools"
)

// maxBucketBits bounds the bucket sizes PadBufferPools installs pools for:
// every size support.TwoBitBucketLen gives up to 2^maxBucketBits bytes.
const maxBucketBits = 48

// PadBufferPools makes every buffer that the go backend b allocates from now
// on hold slack bytes of storage beyond its end: it installs, for every
// bucket size of the backend's buffer pools, a pool whose New allocates the
// storage with that capacity to spare (the length, which the backend keys
// its pools by and computes on, is unchanged). Every buffer of the go
// backend, outputs, constants and uploaded data alike, comes from these
// pools (Backend.GetBuffer), so a kernel that reads up to slack bytes past
// an operand's end reads the buffer's own memory. It must run before b
// executes anything. An error, with nothing changed, means b is not the go
// backend of the expected layout.
func PadBufferPools(b compute.Backend, slack int) error {
	if slack < 0 {
		return fmt.Errorf("slack %d bytes, want >= 0", slack)
	}
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("backend is a %T, not a pointer to the go backend's Backend struct", b)
	}
	field := v.Elem().FieldByName(backendBufferPools)
	if !field.IsValid() || field.Type() != reflect.TypeFor[sync.Map]() {
		return fmt.Errorf("%s has no sync.Map field %s", v.Elem().Type(), backendBufferPools)
	}
	pools := (*sync.Map)(unsafe.Pointer(field.UnsafeAddr()))

	// One buffer gives the Buffer type, and makes the backend create a
	// pool, whose key gives the key type.
	probe, err := b.BufferFromFlatData(0, []float32{0}, shapes.Make(dtypes.Float32, 1))
	if err != nil {
		return fmt.Errorf("a probe buffer: %w", err)
	}
	bufType := reflect.TypeOf(probe)
	_ = probe.Finalize()
	if bufType.Kind() != reflect.Pointer || bufType.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("a buffer is a %s, not a pointer to a struct", bufType)
	}
	raw, ok := bufType.Elem().FieldByName(bufferRawBytes)
	if !ok || raw.Type != reflect.TypeFor[[]byte]() || !raw.IsExported() {
		return fmt.Errorf("%s has no exported []byte field %s", bufType.Elem(), bufferRawBytes)
	}
	var keyType reflect.Type
	pools.Range(func(k, _ any) bool {
		keyType = reflect.TypeOf(k)
		return false
	})
	if keyType == nil || keyType.Kind() != reflect.Struct || keyType.NumField() != 1 || keyType.Field(0).Type.Kind() != reflect.Int {
		return fmt.Errorf("the keys of %s are %v, not a struct of one int", backendBufferPools, keyType)
	}
	for _, size := range bucketSizes() {
		key := reflect.New(keyType)
		*(*int)(key.UnsafePointer()) = size // the key's one field, at offset 0
		pools.Store(key.Elem().Interface(), &sync.Pool{New: func() any {
			buf := reflect.New(bufType.Elem())
			buf.Elem().FieldByIndex(raw.Index).Set(reflect.ValueOf(make([]byte, size, size+slack)))
			return buf.Interface()
		}})
	}
	return nil
}

// bucketSizes are the sizes support.TwoBitBucketLen gives, up to
// 2^maxBucketBits: 0 to 3, then 2^k and 1.5 * 2^k.
func bucketSizes() []int {
	seen := map[int]bool{}
	var sizes []int
	add := func(n int) {
		if s := support.TwoBitBucketLen(n); !seen[s] {
			seen[s] = true
			sizes = append(sizes, s)
		}
	}
	for n := range 4 {
		add(n)
	}
	for k := 2; k <= maxBucketBits && k < bits.UintSize-2; k++ {
		add(1 << k)
		add(1<<k + 1<<(k-1))
	}
	return sizes
}

// BufferSlack is the storage buf, a go backend buffer, holds past its end
// (the capacity of its storage beyond its length), for the tests that check
// PadBufferPools took effect.
func BufferSlack(buf compute.Buffer) (int, error) {
	v := reflect.ValueOf(buf)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, fmt.Errorf("buffer is a %T, not a pointer to the go backend's Buffer struct", buf)
	}
	raw := v.Elem().FieldByName(bufferRawBytes)
	if !raw.IsValid() || raw.Type() != reflect.TypeFor[[]byte]() {
		return 0, fmt.Errorf("%s has no []byte field %s", v.Elem().Type(), bufferRawBytes)
	}
	return raw.Cap() - raw.Len(), nil
}
