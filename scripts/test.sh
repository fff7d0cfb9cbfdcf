#!/usr/bin/env bash
# scripts/test.sh: the project's whole test suite, from a fresh Debian 12 machine.
#   1. scripts/setup/setup.sh --with-chromium: Jupyter, GoNB, goimports, gopls, Chromium
#      (idempotent; skip with SKIP_SETUP=1 when they are installed)
#   2. gofmt and go vet
#   3. go test ./... on the embedded pure-Go backend, never downloading a plugin,
#      then a short run of every fuzz target (FUZZ_TIME, default 10s each)
#   4. scripts/slurm-test.sh: deploy/slurm/ on a one-node SLURM cluster on localhost
#      (root; installs slurm-wlm and munge; skip with SKIP_SLURM=1)
#   5. every notebook executed headless with the GoNB kernel, then screenshotted
#      (skip with SKIP_NOTEBOOKS=1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# GOTOOLCHAIN=go$GO_VERSION (scripts/setup/versions.env) for every go command below: the
# machine's go (Go 1.26 on a fresh one) fetches Go $GO_VERSION from the module proxy.
# shellcheck source=scripts/setup/goenv.sh
. scripts/setup/goenv.sh
export GOMLX_BACKEND=go GOMLX_NO_AUTO_INSTALL=1
# The build users run: GoMLX's SIMD kernels need it (amd64 only); every buffer gets the
# room past its end that they read (freedarts/backend/simd_on.go).
if [ "$(go env GOARCH)" = amd64 ]; then
	export GOEXPERIMENT=simd
fi

if [ "${SKIP_SETUP:-0}" != 1 ]; then
	scripts/setup/setup.sh --with-chromium
fi
PATH="$(go env GOPATH)/bin:$PATH"
export PATH

echo "==> gofmt, go vet ($(go env GOVERSION))"
# The gofmt of the toolchain GOTOOLCHAIN selected: gofmt does not switch toolchains
# itself, and the one on PATH is the bootstrap's (Go 1.26 on a fresh machine).
gofmt=$(go env GOROOT)/bin/gofmt
unformatted=$(git ls-files -z '*.go' | xargs -0 "$gofmt" -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...

echo "==> go test ./... ($(go env GOVERSION), GOMLX_BACKEND=$GOMLX_BACKEND GOEXPERIMENT=${GOEXPERIMENT:-})"
# A crash is a failure: the SIMD fault that once killed test binaries now and then
# (README.md, Backends) is prevented in freedarts/backend and reproduced on purpose
# by its guard-page tests.
go test -count=1 -timeout 30m ./...

# The bootstrap that README.md's note on plain quotes, on the committed study.
python3 scripts/bootstrap-rho.py docs/study/nb201_per_cell_500_recent.csv plain cifar10valid_test 200 |
	grep -q '^plain vs cifar10valid_test, 500 cells: rho -0.148, 95% bootstrap interval'

# Every fuzz target (found by name, so a new one is run too) fuzzes for a short
# budget; -fuzzminimizetime bounds the minimisation of a new input, so that the
# budget is spent fuzzing. A failure leaves its input in testdata/fuzz/.
echo "==> fuzz targets, ${FUZZ_TIME:-10s} each"
git grep -n '^func Fuzz[A-Za-z0-9_]*(' -- '*_test.go' | while IFS=: read -r file _ decl; do
	name=${decl#func }
	name=${name%%(*}
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZ_TIME:-10s}" -fuzzminimizetime 2s "./$(dirname "$file")"
done

# The sharded study as a SLURM job array, a shard cancelled and resumed, the merge
# checked against one process. Without root it skips, except under CI=true, where it fails.
if [ "${SKIP_SLURM:-0}" != 1 ]; then
	echo "==> SLURM job array (scripts/slurm-test.sh)"
	bash scripts/slurm-test.sh
fi

if [ "${SKIP_NOTEBOOKS:-0}" != 1 ]; then
	SKIP_SETUP=1 scripts/notebook-test.sh
fi
