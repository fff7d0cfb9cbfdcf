#!/usr/bin/env bash
# The first code cell of every notebook runs this (`!*bash "${GONB_DIR}/../scripts/setup/workspace.sh"`,
# then `%goworkfix`), in GoNB's temporary module ($GONB_TMP_DIR):
#
#   - it pins the third-party packages the notebooks import (github.com/janpfeifer/must, and
#     GoMLX, whose graph package a proxy of your own is written in: notebook 06) to the
#     versions this repository's go.mod requires, so that GoNB never asks the module proxy for a
#     version list (which some proxies refuse, and which needs the network);
#   - it puts this checkout and the temporary module in a go.work, whose `use` clauses %goworkfix
#     turns into replace rules: edits to the repository take effect at the next cell run.
set -euo pipefail
repo=$(cd "${GONB_DIR:?run from a GoNB cell}" && dirname "$(go env GOMOD)")
for mod in github.com/janpfeifer/must github.com/gomlx/gomlx; do
	version=$(cd "$repo" && go list -m -f '{{.Version}}' "$mod")
	# Quiet unless it fails: "go: added ..." on stderr would show as an error in the notebook.
	if ! out=$(go get "$mod@$version" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
done
rm -f go.work
go work init
go work use . "$repo"
echo "workspace: $repo, $(go env GOVERSION)"
