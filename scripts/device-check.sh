#!/usr/bin/env bash
# device-check.sh: check and time FreeDARTS on a GPU machine through the JAX
# CUDA PJRT plugin (xla_cuda_plugin.so from the Python package
# jax-cuda13-pjrt), against GoMLX's pure-Go backend on the same machine.
#
#   1. finds the plugin (or takes DEVICE_BACKEND) and the CLI binary;
#   2. runs the gradient-check tests of spaces/nn on that backend when a Go
#      toolchain with the module cache is there (skipped otherwise);
#   3. runs `freedarts search -json` for each proxy on the device backend
#      and on the go backend, same seeds, and compares the score matrices
#      (relative to each matrix's largest score) and the selected archs;
#   4. runs `freedarts bench` on the device backend and prints its table.
#
# The GPU machine has no Go and no network: build the binary here (with Go $GO_VERSION
# of kernel/versions.env, through GOTOOLCHAIN), with cgo
# (XLA is only compiled into cgo builds), and carry it with a data file:
#
#   scripts/device-check.sh --prepare      # builds .device/freedarts, copies CIFAR-10
#   (device) scripts/device-check.sh       # with .device carried
#
# Dry run without a GPU (exercises the whole logic on the go backend):
#
#   DEVICE_BACKEND=go scripts/device-check.sh
#
# Environment (all optional):
#   DEVICE_BACKEND  backend to check (default: xla:<abs path of xla_cuda_plugin.so>)
#   REF_BACKEND     reference backend (default go)
#   FD_BIN          CLI binary (default .device/freedarts, else a fresh go build)
#   DATA            CIFAR-10 binary for snip/grasp (default .device/cifar10.bin, else ../shared/data/cifar10)
#   PROXIES         proxies to compare (default "synflow snip grasp")
#   SEEDS           seeds of data-free proxies (default 0-4); DATA_SEEDS of data proxies (default 0-1)
#   TOL_F64, TOL_F32  largest |device - ref| / max|ref| per matrix (default 1e-9, 5e-2: float32
#                   SNIP/GraSP scores move by a few percent with summation order, see docs/benchmarks.md)
#   BENCH_CASES     bench cases, comma-separated (default all), BENCH_REPEAT (default 3),
#                   BENCH_TIMEOUT seconds per case (default 300)
#   RESULTS         output folder (default $OUT when set, else /tmp/device-check)
# Exit status: 0 when every comparison is within tolerance, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
# GOTOOLCHAIN=go$GO_VERSION (kernel/versions.env) for the go commands below (go.mod
# needs it; the machine's go fetches it from the module proxy, or finds it in the
# module cache).
# shellcheck source=kernel/goenv.sh
. kernel/goenv.sh
# have_go: a go command that runs GOTOOLCHAIN (fails fast without network and cache).
have_go() { command -v go >/dev/null && go version >/dev/null 2>&1; }

carry_dir=.device
if [[ "${1:-}" == "--prepare" ]]; then
	set -e
	mkdir -p "$carry_dir"
	grep -qx "/$carry_dir/" .git/info/exclude 2>/dev/null || echo "/$carry_dir/" >>.git/info/exclude
	echo "building $carry_dir/freedarts (cgo, GOEXPERIMENT=simd)"
	CGO_ENABLED=1 GOEXPERIMENT=simd go build -o "$carry_dir/freedarts" ./cmd/freedarts
	src=$(ls ../shared/data/cifar10/data_batch_1.bin ../shared/data/cifar10/train_first4000.bin 2>/dev/null | head -1 || true)
	if [[ -n "$src" ]]; then
		cp "$src" "$carry_dir/cifar10.bin"
		echo "copied $src to $carry_dir/cifar10.bin"
	fi
	du -sh "$carry_dir"
	exit 0
fi

results=${RESULTS:-${OUT:-/tmp/device-check}}
mkdir -p "$results"
log() { printf '== %s\n' "$*"; }
failures=0

# --- binary -----------------------------------------------------------------
bin=${FD_BIN:-}
if [[ -z "$bin" && -x "$carry_dir/freedarts" ]]; then
	bin=$carry_dir/freedarts
fi
if [[ -z "$bin" ]]; then
	if have_go; then
		bin=$results/freedarts
		log "building $bin"
		CGO_ENABLED=1 go build -o "$bin" ./cmd/freedarts || exit 1
	else
		echo "no CLI binary (and no go running $GOTOOLCHAIN): run scripts/device-check.sh --prepare where Go is, and carry $carry_dir" >&2
		exit 1
	fi
fi

# --- backend ----------------------------------------------------------------
backend=${DEVICE_BACKEND:-}
if [[ -z "$backend" ]]; then
	plugin=""
	for py in python3 /opt/torch/.venv/bin/python3; do
		dir=$("$py" -c 'import jax_plugins.xla_cuda13 as m; print(list(m.__path__)[0])' 2>/dev/null) || continue
		[[ -f "$dir/xla_cuda_plugin.so" ]] && plugin="$dir/xla_cuda_plugin.so" && break
	done
	if [[ -z "$plugin" ]]; then
		plugin=$(find / -name xla_cuda_plugin.so -not -path '/proc/*' 2>/dev/null | head -1)
	fi
	if [[ -z "$plugin" ]]; then
		echo "no xla_cuda_plugin.so found (install jax-cuda13-pjrt, or set DEVICE_BACKEND)" >&2
		exit 1
	fi
	backend="xla:$(readlink -f "$plugin")"
fi
ref=${REF_BACKEND:-go}
log "binary $bin; device backend $backend; reference $ref; results in $results"
command -v nvidia-smi >/dev/null && nvidia-smi -L

# --- gradient checks ----------------------------------------------------------
if command -v go >/dev/null; then
	log "gradient checks (spaces/nn) on $backend ($GOTOOLCHAIN)"
	if GOMLX_BACKEND=$backend GOFLAGS=-mod=readonly GOPROXY=off go test -count=1 ./spaces/nn/... >"$results/gradcheck.log" 2>&1; then
		tail -3 "$results/gradcheck.log"
	elif grep -qE 'GOPROXY=off|cannot find module|missing go.sum entry|module lookup disabled|toolchain not available' "$results/gradcheck.log"; then
		echo "skipped: the Go module cache (or $GOTOOLCHAIN in it) is not on this machine ($results/gradcheck.log)"
	else
		tail -30 "$results/gradcheck.log"
		echo "FAIL: gradient checks"
		failures=$((failures + 1))
	fi
else
	log "gradient checks skipped: no go command on this machine"
fi

# --- search comparison --------------------------------------------------------
data=${DATA:-}
if [[ -z "$data" ]]; then
	if [[ -f "$carry_dir/cifar10.bin" ]]; then data=$carry_dir/cifar10.bin; else data=../shared/data/cifar10; fi
fi
compare() { # compare REF.json DEVICE.json TOL STRICT_ARCH
	python3 - "$@" <<'PY'
import json, math, sys
ref, dev = (json.load(open(p)) for p in sys.argv[1:3])
tol, strict = float(sys.argv[3]), sys.argv[4] == "1"
bad = 0
worst = 0.0
for r, d in zip(ref["runs"], dev["runs"]):
    dms = {m["name"]: m["values"] for m in d["scores"]}
    for m in r["scores"]:
        name, rm, dm = m["name"], m["values"], dms[m["name"]]
        flat_r = [v for row in rm for v in row]
        flat_d = [v for row in dm for v in row]
        if any(not math.isfinite(v) for v in flat_d):
            print(f"  seed {r['seed']} {name}: non-finite device score"); bad += 1; continue
        scale = max(abs(v) for v in flat_r) or 1.0
        diff = max(abs(a - b) for a, b in zip(flat_r, flat_d)) / scale
        worst = max(worst, diff)
        if diff > tol:
            print(f"  seed {r['seed']} {name}: max |diff|/max|score| = {diff:.3g} > {tol:g}"); bad += 1
    if r["arch"] != d["arch"]:
        kind = "FAIL" if strict else "warning"
        print(f"  seed {r['seed']}: arch differs ({kind})\n    ref    {r['arch']}\n    device {d['arch']}")
        bad += strict
print(f"  {len(ref['runs'])} seeds, worst max|diff|/max|score| {worst:.3g} (tolerance {tol:g}); "
      f"device {sum(x['seconds'] for x in dev['runs'])/len(dev['runs']):.3f}s/seed (compile {dev['compile_seconds']:.1f}s), "
      f"ref {sum(x['seconds'] for x in ref['runs'])/len(ref['runs']):.3f}s/seed (compile {ref['compile_seconds']:.1f}s)")
sys.exit(1 if bad else 0)
PY
}
for proxy in ${PROXIES:-synflow snip grasp}; do
	seeds=${SEEDS:-0-4}
	tol=${TOL_F64:-1e-9}
	strict=1
	extra=()
	case $proxy in
	synflow*) ;;
	*)
		seeds=${DATA_SEEDS:-0-1}
		tol=${TOL_F32:-5e-2}
		strict=0
		extra=(-data "$data")
		;;
	esac
	log "search -proxy $proxy -seed $seeds: $backend against $ref"
	ok=1
	for which in device ref; do
		be=$backend
		[[ $which == ref ]] && be=$ref
		if ! "$bin" search -json -proxy "$proxy" -seed "$seeds" -backend "$be" "${extra[@]}" \
			>"$results/search-$proxy-$which.json" 2>"$results/search-$proxy-$which.err"; then
			echo "FAIL: search on $be:"
			tail -5 "$results/search-$proxy-$which.err"
			ok=0
		fi
	done
	if [[ $ok == 1 ]]; then
		compare "$results/search-$proxy-ref.json" "$results/search-$proxy-device.json" "$tol" "$strict" || ok=0
	fi
	[[ $ok == 1 ]] || failures=$((failures + 1))
done

# --- timing -------------------------------------------------------------------
# One bench process per case, each with its own time limit, so that a case
# that compiles for too long costs only itself.
log "bench on $backend"
bench_data=()
[[ -e "$data" ]] && bench_data=(-data "$data")
cases=${BENCH_CASES:-all}
if [[ $cases == all ]]; then
	cases=$("$bin" bench -list | paste -sd, -)
fi
peak=0
for c in ${cases//,/ }; do
	timeout "${BENCH_TIMEOUT:-300}" "$bin" bench -backend "$backend" -cases "$c" -repeat "${BENCH_REPEAT:-3}" \
		-peak-size "$peak" "${bench_data[@]}" -json >"$results/bench-$c.json" 2>"$results/bench-$c.err"
	rc=$?
	if [[ $rc != 0 ]]; then
		echo "bench $c failed or timed out (exit $rc): $(tail -1 "$results/bench-$c.err")"
		rm -f "$results/bench-$c.json"
		failures=$((failures + 1))
	fi
	peak=-1 # the peak is measured once, with the first case
done
python3 - "$results" <<'PY'
import glob, json, os, sys
reports = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(sys.argv[1], "bench-*.json")), key=os.path.getmtime)]
if not reports:
    sys.exit(0)
r = reports[0]
peaks = [x["peak"] for x in reports if x["peak"]["size"] > 0]
p = peaks[0] if peaks else {"size": 0, "f32_gflops": 0, "f64_gflops": 0}
print(f"backend {r['backend']} ({r['backend_desc']}); CPU {r['cpu']}; GOEXPERIMENT {r['goexperiment'] or '(none)'}; "
      f"matmul peak {p['size']}^3: f32 {p['f32_gflops']:.0f} GFLOP/s, f64 {p['f64_gflops']:.0f} GFLOP/s")
print(f"{'case':24} {'proxy':8} {'batch':>5} {'median s':>9} {'min s':>8} {'compile s':>9} {'peak MiB':>8} {'GFLOP':>8} {'GFLOP/s':>9} {'% peak':>7}")
for x in reports:
    for c in x["results"]:
        if c["skipped"]:
            print(f"{c['name']:24} {c['proxy']:8} skipped: {c.get('note','')}")
            continue
        ref = p["f64_gflops"] if c["dtype"] == "Float64" else p["f32_gflops"]
        frac = 100 * c["gflops"] / ref if ref else 0
        print(f"{c['name']:24} {c['proxy']:8} {c['batch']:5d} {c['seconds']:9.4f} {c['min_seconds']:8.4f} {c['compile_seconds']:9.2f} "
              f"{c['peak_rss_bytes']/2**20:8.0f} {c['flops']/1e9:8.2f} {c['gflops']:9.1f} {frac:7.2f}")
PY

log "done: $failures failure(s); files in $results"
[[ $failures == 0 ]]
