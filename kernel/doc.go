// Package kernel holds the notebook helpers of FreeDARTS for GoNB (the Go kernel for
// Jupyter): one-line calls that show a search's results inside a notebook.
//
// The FreeDARTS-aware helpers take the library's own types, so a notebook writes no glue:
//
//	space := must.M1(nb201.NewSpace(nb201.DefaultConfig()))
//	res := must.M1(freedarts.Run(space, freedarts.Options{Proxy: "synflow"}, 0))
//	must.M(kernel.ShowScores(res))
//
// They are:
//
//   - ShowScores draws every score matrix of a freedarts.Result as a heat map, labelled as
//     the result labels it, the entries its architecture keeps outlined, pruned ops grey,
//     on a log colour scale when the scores span decades;
//   - ShowResult shows one search: ShowScores, then the pick and what the pass
//     cost; ShowResults tables several searches side by side (ResultsTable: proxy, seed,
//     pass, alpha scale, score range, cost and selected ops);
//   - ShowArch draws an architecture's cells (a spaces.CellArch: the NAS-Bench-201 cell,
//     the DARTS normal and reduction cells), or its encoding;
//   - ShowMargins tables a score matrix's kept op per row, its runner-up and the margin;
//   - with the NAS-Bench-201 table: ShowBench (the mean and best cell per dataset),
//     ShowPicks (every pick's accuracies and rank), ShowComparison (the mean of each set of
//     picks beside the references), ShowPickCells (the picks' cells, titled with their
//     accuracy);
//   - ShowStudy plots a proxy's column of a study table against benchmark accuracy;
//     ShowCorrelations tables its correlations, ShowStudySeconds its cost per cell;
//   - Keep and Recall hand values from one cell to the next (GoNB runs every cell as a new
//     program); RecallRuns recalls several kept sets of results at once.
//
// Under them are generic helpers on plain strings and float64 matrices: HeatMap, CellSVG
// (of a spaces.Cell), Scatter (which can plot a seeded sample of many points), Table, and
// Progress, a progress bar safe for concurrent use.
// Every drawing helper comes in two layers:
//
//   - a pure function that returns the SVG/HTML string (ScoresHTML, ArchHTML, StudySVG,
//     HeatMap, CellSVG, Scatter, Table), which is what the tests check;
//   - a Show… function that displays it with gonbui.DisplayHTML when the program runs
//     inside GoNB (gonbui.IsNotebook), and otherwise writes a plain-text rendering to
//     TextOutput (os.Stdout by default). Show… functions never panic and are harmless
//     outside a notebook.
//
// Everything renders offline: self-contained inline SVG or HTML, with no CDN, no JavaScript
// and no external fonts, so executed notebooks (and their HTML exports) display the same
// anywhere. Generated elements carry stable CSS classes ("freedarts-heatmap",
// "freedarts-cell", "freedarts-scatter", "freedarts-table", "freedarts-progress") that tests
// and notebook checks look for.
//
// Importing the package gives the cell's program the soft memory limit of the freedarts
// command (60% of the machine's memory, unless $GOMEMLIMIT is set), so that a long study in
// a cell stays near its live size.
//
// The kernel set-up (Jupyter, GoNB, goimports, gopls) is shell, not Go, so it lives
// outside this package, in scripts/setup/: setup.sh, with the pinned versions in
// versions.env; workspace.sh is the first cell of every notebook.
package kernel
