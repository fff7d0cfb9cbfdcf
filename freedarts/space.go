package freedarts

import "github.com/freedarts/freedarts-gonb/spaces"

// Space is a search space (spaces.Space): a supernet, the size of its input
// and the rule that turns scores into an Arch. Implement it to search a
// space of your own.
type Space = spaces.Space

// Supernet is a network whose mixed edges are weighted by nn.Alpha
// parameters (spaces.Supernet).
type Supernet = spaces.Supernet

// Arch is the architecture a space's rule selects (spaces.Arch).
type Arch = spaces.Arch
