#!/usr/bin/env bash
# scripts/notebook-test.sh: execute every notebooks/*.ipynb headless with the real GoNB
# kernel and check it (kernel/notebooktest): no error output, no "panic:" or
# "exit status" in the output, every `<!-- expect: … -->` met; then export each executed
# notebook to HTML and screenshot it with headless Chromium.
#
# Artifacts: build/notebooks/*.ipynb (executed), build/screenshots/*.html and NAME.png,
# NAME-1.png, ...: the whole notebook, one 1200x3000 window a page.
#
# Usage: scripts/notebook-test.sh [go test flags…]
#   SKIP_SETUP=1             do not run scripts/setup/setup.sh --with-chromium first
#   FREEDARTS_NOTEBOOKS=GLOB run only notebooks/GLOB (default *.ipynb)
#   FREEDARTS_SCREENSHOTS=0  skip the HTML export and screenshots
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# GOTOOLCHAIN=go$GO_VERSION (scripts/setup/versions.env) for go test; the kernel gets it
# from its kernel.json (scripts/setup/setup.sh).
# shellcheck source=scripts/setup/goenv.sh
. scripts/setup/goenv.sh

if [ "${SKIP_SETUP:-0}" != 1 ]; then
	scripts/setup/setup.sh --with-chromium
fi
# The tools setup.sh installed, for this shell too.
PATH="$(go env GOPATH)/bin:$PATH"
export PATH

echo "==> Running the notebooks (go test ./kernel/notebooktest/ -run Notebooks)"
FREEDARTS_NOTEBOOK_TEST=1 go test -count=1 -timeout 60m -v -run 'Notebooks$' ./kernel/notebooktest/ "$@"
echo "==> Executed notebooks: build/notebooks/   screenshots: build/screenshots/"
