// Package kernel holds the notebook helpers of FreeDARTS for GoNB: one-line calls that
// render search results (score heat maps, cell diagrams, scatter plots, tables and
// progress bars) inside a GoNB (Go kernel for Jupyter) notebook.
//
// Everything renders offline: the helpers produce self-contained inline SVG or HTML
// strings, with no CDN, no JavaScript and no external fonts, so executed notebooks
// (and their HTML exports) display the same anywhere.
//
// Every helper comes in two layers:
//
//   - a pure function that returns the SVG/HTML string (HeatMap, CellSVG, Scatter,
//     Table), which is what the tests check;
//   - a Show… function (ShowHeatMap, ShowCells, ShowScatter, ShowTable) that displays
//     it with gonbui.DisplayHTML when the program runs inside GoNB (gonbui.IsNotebook),
//     and otherwise writes a plain-text rendering to TextOutput (os.Stdout by
//     default). Show… functions never panic and are harmless outside a notebook.
//
// Progress is a progress bar safe for concurrent use: inside GoNB it updates one cell
// output in place, outside it rewrites one line of text on os.Stderr (or a given
// io.Writer).
//
// The inputs are generic (strings, float64 matrices, plain edge lists), so the package
// does not depend on the search-space packages. Generated SVG elements carry stable
// CSS classes ("freedarts-heatmap", "freedarts-cell", "freedarts-scatter",
// "freedarts-table", "freedarts-progress") that tests and notebook checks can look for.
//
// The kernel set-up (Jupyter, GoNB, goimports, gopls) lives next to this package in
// kernel/setup.sh, with the pinned versions in kernel/versions.env.
package kernel
