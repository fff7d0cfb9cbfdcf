package study

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// MaxShards is the most parts a study may be split into: far more than the
// array tasks of a cluster job, and it keeps every shard count exact.
const MaxShards = 100_000

// Shard is one of Count disjoint parts of a study's cells, as a job array
// runs it: task Index (0-based) of Count. The zero value is the whole study.
//
// The cells are split round-robin over their sorted list: the cell at
// position k belongs to shard k mod Count. So the parts are fixed by the
// list alone, differ in size by at most one cell, and mix small and large
// networks alike. Because every cell's draw depends only on Config.Seed and
// its index (see Draw), a cell scores the same in any shard, and the merged
// shards (Merge) equal the unsharded study row for row.
type Shard struct {
	Index, Count int
}

// String is "I/N", the form ParseShard reads; "" for the whole study.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// check refuses a shard out of range.
func (s Shard) check() error {
	switch {
	case s.Count < 1 || s.Count > MaxShards:
		return fmt.Errorf("shard count %d: want 1 to %d", s.Count, MaxShards)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("shard index %d of %d: want 0 to %d (shards count from 0, as array task ids)", s.Index, s.Count, s.Count-1)
	}
	return nil
}

// of returns the shard's part of cells (sorted, unique).
func (s Shard) of(cells []int) []int {
	if s.Count == 0 {
		return cells
	}
	var part []int
	for k := s.Index; k < len(cells); k += s.Count {
		part = append(part, cells[k])
	}
	return part
}

// size is the number of cells shard s has of a list of n.
func (s Shard) size(n int) int {
	if s.Index >= n {
		return 0
	}
	return (n-s.Index-1)/s.Count + 1
}

// Environment variables that ParseShard("env") reads: a SLURM job array's
// task, or a Kubernetes Indexed Job's completion index, whose completion
// count Kubernetes does not pass to the pod (the Job's manifest sets
// EnvShards to its spec.completions).
const (
	EnvSlurmTask  = "SLURM_ARRAY_TASK_ID"
	EnvSlurmMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmStep  = "SLURM_ARRAY_TASK_STEP"
	EnvK8sIndex   = "JOB_COMPLETION_INDEX"
	EnvShards     = "FREEDARTS_SHARDS"
)

// ParseShard reads a shard: "I/N" (0 <= I < N), "" for the whole study, or
// "env" for the task of the job array this process runs in, from getenv
// (os.Getenv):
//   - SLURM: I = $SLURM_ARRAY_TASK_ID - $SLURM_ARRAY_TASK_MIN (0 when
//     unset) of N = $SLURM_ARRAY_TASK_COUNT, so --array=0-15 and
//     --array=1-16 both give 16 shards; an array with a step or holes is
//     refused;
//   - Kubernetes: I = $JOB_COMPLETION_INDEX of N = $FREEDARTS_SHARDS.
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	if s == "env" {
		if getenv == nil {
			return Shard{}, fmt.Errorf("shard env: no environment to read (a nil getenv): want os.Getenv")
		}
		return shardFromEnv(getenv)
	}
	return parseFraction(s)
}

// parseFraction reads a shard "I/N".
func parseFraction(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %s: want I/N (the I-th of N parts, from 0) or env", quote(s))
	}
	var sh Shard
	var err error
	if sh.Index, err = strconv.Atoi(i); err != nil {
		return Shard{}, fmt.Errorf("shard %s: index %s is not an integer", quote(s), quote(i))
	}
	if sh.Count, err = strconv.Atoi(n); err != nil {
		return Shard{}, fmt.Errorf("shard %s: count %s is not an integer", quote(s), quote(n))
	}
	if err := sh.check(); err != nil {
		return Shard{}, fmt.Errorf("shard %s: %w", quote(s), err)
	}
	return sh, nil
}

// shardFromEnv is ParseShard("env").
func shardFromEnv(getenv func(string) string) (Shard, error) {
	num := func(name string) (int, error) {
		v, err := strconv.Atoi(getenv(name))
		if err != nil || v < 0 {
			return 0, fmt.Errorf("shard env: $%s=%s: want an integer >= 0", name, quote(getenv(name)))
		}
		return v, nil
	}
	var sh Shard
	var err error
	switch {
	case getenv(EnvSlurmTask) != "":
		if step := getenv(EnvSlurmStep); step != "" && step != "1" {
			return Shard{}, fmt.Errorf("shard env: $%s=%s: want an array without a step (--array=0-15), "+
				"or give -shard I/N", EnvSlurmStep, quote(step))
		}
		if getenv(EnvSlurmCount) == "" {
			return Shard{}, fmt.Errorf("shard env: $%s is set but $%s is not: run as a job array (sbatch --array=0-N)",
				EnvSlurmTask, EnvSlurmCount)
		}
		id, err := num(EnvSlurmTask)
		if err != nil {
			return Shard{}, err
		}
		low := 0
		if getenv(EnvSlurmMin) != "" {
			if low, err = num(EnvSlurmMin); err != nil {
				return Shard{}, err
			}
		}
		if sh.Count, err = num(EnvSlurmCount); err != nil {
			return Shard{}, err
		}
		sh.Index = id - low
		if sh.Index < 0 || sh.Index >= sh.Count {
			return Shard{}, fmt.Errorf("shard env: task %d of an array from %d with %d tasks: want contiguous task ids "+
				"(--array=0-%d), or give -shard I/N", id, low, sh.Count, sh.Count-1)
		}
	case getenv(EnvK8sIndex) != "":
		if getenv(EnvShards) == "" {
			return Shard{}, fmt.Errorf("shard env: $%s is set but $%s is not: set it to the Job's spec.completions",
				EnvK8sIndex, EnvShards)
		}
		if sh.Index, err = num(EnvK8sIndex); err != nil {
			return Shard{}, err
		}
		if sh.Count, err = num(EnvShards); err != nil {
			return Shard{}, err
		}
	default:
		return Shard{}, fmt.Errorf("shard env: neither $%s (a SLURM job array) nor $%s (a Kubernetes Indexed Job) is set",
			EnvSlurmTask, EnvK8sIndex)
	}
	if err := sh.check(); err != nil {
		return Shard{}, fmt.Errorf("shard env: %w", err)
	}
	return sh, nil
}

// Shard keys of a settings protocol: " shard=I/N cells=M@H" follows the
// study's protocol in a shard's settings, M being the number of cells of
// the whole study and H a hash of their sorted list, so that only shards of
// one cell list merge, and Merge knows how many cells each should hold.
const (
	shardKey = " shard="
	cellsKey = " cells="
)

// shardProtocol is the protocol of shard sh of the study of protocol base
// over cells (sorted, unique).
func shardProtocol(base string, sh Shard, cells []int) string {
	if sh.Count == 0 {
		return base
	}
	return base + shardKey + sh.String() + cellsKey + cellList(cells)
}

// cellList is the cell-list key "M@H" of cells (sorted, unique): their
// number and a hash of them.
func cellList(cells []int) string {
	h := fnv.New64a()
	var b [8]byte
	for _, c := range cells {
		binary.LittleEndian.PutUint64(b[:], uint64(c))
		h.Write(b[:])
	}
	return fmt.Sprintf("%d@%016x", len(cells), h.Sum64())
}

// shardOf splits a settings protocol into the study's protocol, its shard
// and the cell-list key ("M@H"); ok is false for a protocol of no shard.
func shardOf(protocol string) (base string, sh Shard, cells string, n int, ok bool) {
	i := strings.LastIndex(protocol, shardKey)
	if i < 0 {
		return protocol, Shard{}, "", 0, false
	}
	spec, list, found := strings.Cut(protocol[i+len(shardKey):], cellsKey)
	if !found {
		return protocol, Shard{}, "", 0, false
	}
	sh, err := parseFraction(spec)
	count, _, _ := strings.Cut(list, "@")
	n, nerr := strconv.Atoi(count)
	if err != nil || nerr != nil || n < 1 {
		return protocol, Shard{}, "", 0, false
	}
	return protocol[:i], sh, list, n, true
}
