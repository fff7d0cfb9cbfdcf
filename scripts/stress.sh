#!/usr/bin/env bash
# scripts/stress.sh: runs the commands that the go backend's SIMD fault once killed
# (issue 24: `train` at 60 cells in 4 of 6 runs) many times in a row and counts the
# runs that crash. Exit status 1 if any did.
#
#   bash scripts/stress.sh                 # builds freedarts as README.md does, 20 rounds
#   ROUNDS=5 FREEDARTS=/tmp/old/freedarts bash scripts/stress.sh   # another binary, 5 rounds
#
# A round is one `train` of DARTS-V2 at 60 cells and width 4 on 4 images, and the
# searches the notebooks run (NAS-Bench-201 SNIP, DARTS 8 cells); each is a process of
# its own, since a fault ends the process. Not part of scripts/test.sh: 20 rounds take
# about 10 minutes on the 2-core machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup/goenv.sh
. scripts/setup/goenv.sh
export GOMLX_BACKEND=go GOMLX_NO_AUTO_INSTALL=1
if [ -z "${FREEDARTS:-}" ]; then
	if [ "$(go env GOARCH)" = amd64 ]; then
		export GOEXPERIMENT=simd
	fi
	FREEDARTS=$(mktemp -d)/freedarts
	go build -o "$FREEDARTS" ./cmd/freedarts
fi
rounds=${ROUNDS:-20}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

runs=0 crashes=0
run() {
	runs=$((runs + 1))
	if ! "$FREEDARTS" "$@" -progress=false >"$log" 2>&1; then
		crashes=$((crashes + 1))
		echo "round $round: freedarts $* failed:" >&2
		grep -m3 -E 'fatal error|unexpected fault|panic|^freedarts' "$log" >&2 || tail -3 "$log" >&2
	fi
}

echo "stress: $FREEDARTS ($(go version -m "$FREEDARTS" | grep -oE 'GOEXPERIMENT=[a-z,]*' || echo 'no GOEXPERIMENT')), $rounds rounds"
start=$SECONDS
for round in $(seq 1 "$rounds"); do
	run train -genotype DARTS_V2 -cells 60 -channels 4 -limit 4 -batch 2 -test none
	run search -proxy snip -seed "$round"
	run search -space darts -cells 8 -seed "$round"
done
echo "stress: $crashes of $runs runs failed, $((SECONDS - start)) s"
[ "$crashes" = 0 ]
