package freedarts

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/freedarts/freedarts-gonb/internal/quote"
)

// Preset is a search configuration with a name, so that a user names it
// (freedarts search -preset best, PresetOptions("best")) instead of
// copying a recipe of flags. Its Options set the search fields only; the
// data, backend and seed stay the caller's.
type Preset struct {
	Name string
	// Doc says what the configuration is and what it was measured to do.
	Doc     string
	Options Options
}

// BestPreset names the best configuration measured on NAS-Bench-201
// (docs/best-search.txt holds its flags; the README's search table, its
// measurements).
const BestPreset = "best"

var presets = map[string]Preset{
	BestPreset: {
		Name: BestPreset,
		Doc: "two stages: SynFlow on alpha (ten draws) shortlists four ops per edge; whole-network SynFlow ranks the cells they make, " +
			"and Zen picks among its best 16 (size first, then shape)",
		// Why these parts (README, "The best search"): SynFlow's alpha
		// scores put none last on every edge, and cannot tell skip_connect
		// from avg_pool_3x3 (on its all-ones input they compute the same
		// thing), so keeping four ops keeps the skip that edge 3<-0 needs.
		// Whole-network SynFlow ranks by size: the all-convolution cells and
		// those with one parameter-free op come first. Zen, on those 16,
		// prefers a skip on edge 3<-0 to a convolution there in every pair
		// of the 729 cells scored (and a convolution to a skip on every other
		// edge), as the benchmark does: the residual cell.
		Options: Options{
			Proxy: "synflow", Draws: 10,
			Rank: "synflow:16/zen", Keep: 4,
		},
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string { return slices.Sorted(maps.Keys(presets)) }

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %s (want one of %s)", quote.Max(name, 60), strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// PresetOptions returns the Options of the named preset, to which the
// caller adds Data (for a preset with a data proxy) and Backend.
func PresetOptions(name string) (Options, error) {
	p, err := LookupPreset(name)
	return p.Options, err
}
