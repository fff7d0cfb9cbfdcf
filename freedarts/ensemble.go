package freedarts

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/freedarts/freedarts-gonb/freedarts/stats"
)

// Ensemble methods: how the scores of several proxies are combined, both to
// rank networks and to rank the ops of one edge. Both give a combined score
// where higher is better, like every proxy's own.
const (
	// RankAverage is the mean over proxies of each item's rank (1 = lowest,
	// ties share the mean rank): scale-free, so no proxy dominates by its
	// magnitude.
	RankAverage = "rank"
	// MajorityVote is pairwise majority (Copeland): item i beats item j when
	// more proxies score i above j than below, and scores one point per
	// item it beats and half a point per tie. Zero-cost NAS's "vote" is this
	// pairwise rule.
	MajorityVote = "vote"
	// LogRank is AZ-NAS's aggregation (Lee & Ham, CVPR 2024): the mean over
	// proxies of log(rank/n), n items, ranks 1 (lowest) to n, ties sharing
	// the mean rank (AZ-NAS sums them; the mean orders items alike). It is
	// the log of the geometric mean of the ranks: an item must rank well on
	// every proxy, one low rank costing more than a high one gains.
	LogRank = "logrank"
)

// EnsembleNames lists the methods.
func EnsembleNames() []string { return []string{RankAverage, MajorityVote, LogRank} }

// NamedEnsemble is a proxy that is an ensemble of others (AZ-NAS's
// az_nas, the log-rank of its four parts). Its score of a network depends
// on the other networks scored with it, so it has no per-network value:
// it exists where a population is scored, as a combination of its members'
// scores over that population (study.Correlate). A proxy file registers
// one in its init function (RegisterEnsemble), after its members.
type NamedEnsemble struct {
	Name string
	// Doc is one line for help texts.
	Doc string
	// Method is one of EnsembleNames.
	Method string
	// Members are the criteria combined, two or more.
	Members []string
	// Published are the correlations its sources report for the ensemble
	// (Criterion.Published).
	Published []Published
}

// namedEnsembles holds the registered ensembles by name
// (RegisterEnsemble), under the registry's lock.
var namedEnsembles = map[string]NamedEnsemble{}

// LookupEnsemble returns the named ensemble.
func LookupEnsemble(name string) (NamedEnsemble, bool) {
	registry.RLock()
	defer registry.RUnlock()
	e, ok := namedEnsembles[name]
	return e, ok
}

// NamedEnsembleNames lists the named ensembles, sorted.
func NamedEnsembleNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(namedEnsembles))
}

// ExpandEnsembles replaces every named ensemble in a comma-separated list
// of proxies by its members, keeping the first mention of each proxy, and
// returns the named ensembles it replaced, in order: "az_nas,synflow" is
// the four AZ-NAS parts and synflow, and [az_nas].
func ExpandEnsembles(list string) (proxies string, named []string) {
	var out []string
	add := func(n string) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		e, ok := LookupEnsemble(name)
		if !ok {
			add(name)
			continue
		}
		for _, m := range e.Members {
			add(m)
		}
		if !slices.Contains(named, name) {
			named = append(named, name)
		}
	}
	return strings.Join(out, ","), named
}

// Combine merges scores[proxy][item] into one score per item.
func Combine(method string, scores [][]float64) ([]float64, error) {
	if len(scores) == 0 {
		return nil, fmt.Errorf("ensemble %s: no proxies", method)
	}
	n := len(scores[0])
	for p, s := range scores {
		if len(s) != n {
			return nil, fmt.Errorf("ensemble %s: proxy %d scores %d items, proxy 0 scores %d", method, p, len(s), n)
		}
		for i, v := range s {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("ensemble %s: proxy %d scores item %d NaN", method, p, i)
			}
		}
	}
	out := make([]float64, n)
	switch method {
	case RankAverage:
		for _, s := range scores {
			for i, r := range stats.Ranks(s) {
				out[i] += r / float64(len(scores))
			}
		}
	case MajorityVote:
		for i := range n {
			for j := i + 1; j < n; j++ {
				votes := 0 // for i, minus for j
				for _, s := range scores {
					switch {
					case s[i] > s[j]:
						votes++
					case s[i] < s[j]:
						votes--
					}
				}
				switch {
				case votes > 0:
					out[i]++
				case votes < 0:
					out[j]++
				default:
					out[i] += 0.5
					out[j] += 0.5
				}
			}
		}
	case LogRank:
		for _, s := range scores {
			for i, r := range stats.Ranks(s) {
				out[i] += math.Log(r/float64(n)) / float64(len(scores))
			}
		}
	default:
		return nil, fmt.Errorf("unknown ensemble %q (want one of %s)", method, strings.Join(EnsembleNames(), ", "))
	}
	return out, nil
}

// CombineMatrices merges score matrices mats[proxy][row][col] of one
// alpha into one matrix. The entries are ranked against each other across
// the whole matrix, not row by row, so that the combined scores still order
// the edges too (the DARTS rule ranks edges by their best op); within a row
// the order is what per-edge selection needs.
func CombineMatrices(method string, mats [][][]float64) ([][]float64, error) {
	if len(mats) == 0 {
		return nil, fmt.Errorf("ensemble %s: no score matrices", method)
	}
	flat := make([][]float64, len(mats))
	for p, m := range mats {
		if len(m) != len(mats[0]) {
			return nil, fmt.Errorf("ensemble %s: matrix %d has %d rows, matrix 0 has %d", method, p, len(m), len(mats[0]))
		}
		for r, row := range m {
			if len(row) != len(mats[0][r]) {
				return nil, fmt.Errorf("ensemble %s: matrix %d row %d has %d values, matrix 0 has %d", method, p, r, len(row), len(mats[0][r]))
			}
			flat[p] = append(flat[p], row...)
		}
	}
	c, err := Combine(method, flat)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(mats[0]))
	for r, row := range mats[0] {
		out[r], c = c[:len(row):len(row)], c[len(row):]
	}
	return out, nil
}
