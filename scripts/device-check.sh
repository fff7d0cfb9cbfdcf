#!/usr/bin/env bash
# device-check.sh: check and time FreeDARTS on a GPU machine through the JAX
# CUDA PJRT plugin (xla_cuda_plugin.so of the Python package jax-cuda13-pjrt),
# against GoMLX's pure-Go backend on the same machine, in one run of about
# 8 minutes (TOTAL_BUDGET). Steps, most important first; each has its own
# time budget and every command in it its own time limit, so that one slow
# step (an XLA compilation, say) costs only itself:
#
#   setup      unpacks the binaries of --prepare, finds the plugin (python3's
#              jax_plugins.xla_cuda13, else find /), the GPU (nvidia-smi) and
#              the plugin version; starts the reference searches (go backend,
#              CPU) in the background
#   gradcheck  the finite-difference gradient tests (prebuilt test binaries of
#              spaces/nn, spaces/darts, spaces/mobile and freedarts, run with
#              -test.run in their package folder, GOMLX_BACKEND=device backend)
#   search     `freedarts search -json`, device against reference, same seeds:
#              NB201 synflow (seeds 0-4), snip and grasp (DATA_SEEDS), DARTS
#              20 cells synflow (seeds 0-4); largest |device - ref| / max|ref|
#              per score matrix within tolerance, and the same picks (SynFlow:
#              required; float32 proxies: a different pick warns)
#   bench      `freedarts bench` on the device, one process per case
#   correlate  `freedarts correlate` timing, seconds per cell: 300 cells of
#              synflow,params,flops and 100 of six data proxies, with
#              -supernet when the binary has it (else a note)
#   train      DARTS-V2 training throughput (C=36, 20 cells, batch 96,
#              auxiliary head, 40 steps): images/s from the steps' timestamps
#   xla-cpu    `freedarts bench` on a PJRT CPU plugin when the machine has one
#
# Outputs, in RESULTS (default $OUT when set, else /tmp/device-check): summary.md
# (the machine, the plugin, and a Markdown table of every check and timing with
# its command, ready for docs/benchmarks.md) and logs.tar.gz (every command's
# stdout, timestamped stderr and command line). Both are rewritten after every
# step, so a run cut short still leaves what it did. At most these two files:
# the device tool brings back 8.
#
# The GPU machine has no Go and no network. Here, with Go (GOTOOLCHAIN from
# scripts/setup/versions.env, cgo: XLA is only compiled into cgo builds):
#
#   scripts/device-check.sh --prepare     # .device/bin.tar.xz (CLI + test binaries), data
#
# then on the device machine, with .device carried (about 26 MiB):
#
#   RESULTS=$OUT bash scripts/device-check.sh
#
# Dry run without a GPU: the whole logic on the go backend, smaller sizes
# (1.5 to 4 minutes on the 2-core development machine, quiet to loaded):
#
#   scripts/device-check.sh --prepare
#   DEVICE_BACKEND=go CPU_BACKEND=go:ops_sequential DATA_SEEDS=0 DARTS_CELLS=8 DARTS_SEEDS=0-1 \
#     BENCH_CASES=nb201-synflow,darts8-synflow BENCH_REPEAT=1 CORRELATE_CELLS=6 \
#     CORRELATE_DATA_CELLS=2 TRAIN_CELLS=3 TRAIN_CHANNELS=8 TRAIN_BATCH=16 TRAIN_STEPS=4 \
#     CPU_BENCH_CASES=nb201-synflow TOTAL_BUDGET=900 scripts/device-check.sh
#
# Environment (all optional; defaults are the GPU run's):
#   DEVICE_BACKEND  backend to check (default xla:<abs path of xla_cuda_plugin.so>)
#   REF_BACKEND     reference backend (default go), REF_TIMEOUT s per reference search (180)
#   NVIDIA_LIBS     1 (default): append python3's nvidia/*/lib folders to LD_LIBRARY_PATH,
#                   as JAX preloads them for the plugin; 0: leave LD_LIBRARY_PATH alone
#   BIN_DIR         folder with freedarts and the *.test binaries (default: unpack
#                   .device/bin.tar.xz; without it, build them when Go is here)
#   DATA            CIFAR-10 binary (default .device/cifar10.bin, else ../shared/data/cifar10)
#   BENCH_CSV       NAS-Bench-201 accuracy CSV (default .device/nb201_accuracy.csv, else
#                   ../shared/data/nb201/nb201_accuracy.csv)
#   TOTAL_BUDGET    seconds for the whole run (480); each step also stops at its own
#                   budget: GRADCHECK_BUDGET (80), SEARCH_BUDGET (150), BENCH_BUDGET (120),
#                   CORRELATE_BUDGET (80), TRAIN_BUDGET (60), CPU_BUDGET (60)
#   GRADCHECK_TIMEOUT  s per test binary (60); GRADCHECK_PKGS (spaces/nn spaces/darts
#                   spaces/mobile freedarts)
#   PROXIES         NB201 proxies to compare ("synflow snip grasp"); DARTS_PROXIES ("synflow")
#   SEEDS           seeds of SynFlow searches (0-4); DATA_SEEDS of data proxies (0-1);
#                   DARTS_SEEDS (0-4); DARTS_CELLS (20, bench's darts20 case)
#   TOL_F64, TOL_F32  largest |device - ref| / max|ref| per matrix (1e-9, 5e-2: float32
#                   SNIP/GraSP scores move by a few percent with summation order, see
#                   docs/benchmarks.md); SEARCH_TIMEOUT s per device search (100)
#   BENCH_CASES     bench cases, comma-separated (all), BENCH_REPEAT (3), BENCH_TIMEOUT
#                   s per case (60)
#   CORRELATE_CELLS (300), CORRELATE_DATA_CELLS (100), CORRELATE_TIMEOUT s for the first
#                   run (45; the second gets the rest of the step), SUPERNET_FLAG (-supernet)
#   TRAIN_STEPS (40), TRAIN_BATCH (96), TRAIN_CELLS (20), TRAIN_CHANNELS (36); steps x
#                   batch images must be in DATA (the carried sample holds 4000)
#   CPU_BACKEND     backend of the xla-cpu step (default xla:<abs path of a PJRT CPU
#                   plugin>, found with find /; the step is skipped without one);
#                   CPU_BENCH_CASES (all)
#   RESULTS         output folder (default $OUT when set, else /tmp/device-check)
# Exit status: 0 when every comparison (gradcheck, search) was made and is within
# tolerance and no command failed; 1 when a comparison failed or a command
# errored; 2 when none failed but a comparison timed out or was skipped for lack
# of time. A timing (bench, correlate, train, xla-cpu) cut short by its limit is
# marked TIMEOUT or SKIPPED in the summary and does not change the status.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# GOTOOLCHAIN=go$GO_VERSION (scripts/setup/versions.env) for the go commands below.
# shellcheck source=scripts/setup/goenv.sh
. scripts/setup/goenv.sh
# have_go: a go command that runs GOTOOLCHAIN (fails fast without network and cache).
have_go() { command -v go >/dev/null && go version >/dev/null 2>&1; }

carry_dir=.device
read -ra gradcheck_pkgs <<<"${GRADCHECK_PKGS:-spaces/nn spaces/darts spaces/mobile freedarts}"

# Test names per package: the gradient and Hessian-vector checks against
# central differences (all of spaces/nn: its forward checks too).
gradcheck_tests() {
	case $1 in
	spaces/nn) echo . ;;
	spaces/darts | spaces/mobile) echo '^TestGradientCheck$' ;;
	freedarts) echo '^(TestNetworkScoresMatchFiniteDifferences|TestNetworkGraSP|TestJacobCov|TestSaliencyMatchesFiniteDifferences|TestGraSPHessianVectorProduct|TestAlphaGradNormAndFisher)$' ;;
	*) echo . ;;
	esac
}

# build_binaries DIR: the CLI and one test binary per gradcheck package, with
# cgo (XLA) and GOEXPERIMENT=simd, stripped; fails unless each is a cgo build.
build_binaries() {
	local dir=$1 pkg f
	mkdir -p "$dir"
	export CGO_ENABLED=1 GOEXPERIMENT=simd
	local flags=(-trimpath -ldflags=-s\ -w)
	echo "building $dir/freedarts and the test binaries (CGO_ENABLED=1 GOEXPERIMENT=simd, $GOTOOLCHAIN)"
	nice go build "${flags[@]}" -o "$dir/freedarts" ./cmd/freedarts || return 1
	for pkg in "${gradcheck_pkgs[@]}"; do
		nice go test -c "${flags[@]}" -o "$dir/$(basename "$pkg").test" "./$pkg" || return 1
	done
	for f in "$dir"/freedarts "$dir"/*.test; do
		if ! go version -m "$f" | grep -q 'CGO_ENABLED=1'; then
			echo "$f is not a cgo build: no XLA in it" >&2
			return 1
		fi
	done
	{
		echo "prepared $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
		go version -m "$dir/freedarts" | grep -E '^/|build\s+(CGO_ENABLED|GOEXPERIMENT|vcs)' | sed 's/^\s*//; s|^/.*/freedarts:|freedarts:|'
	} >"$dir/build-info.txt"
}

prepare() {
	set -e
	rm -rf "$carry_dir"
	mkdir -p "$carry_dir"
	grep -qx "/$carry_dir/" .git/info/exclude 2>/dev/null || echo "/$carry_dir/" >>.git/info/exclude
	local kib
	prep_stage=$(mktemp -d /tmp/device-prepare.XXXXXX)
	trap 'rm -rf "$prep_stage"' EXIT
	build_binaries "$prep_stage"
	echo "packing $carry_dir/bin.tar.xz (xz -9: the binaries share most of their code)"
	tar -C "$prep_stage" -cf - . | nice xz -9 -T1 >"$carry_dir/bin.tar.xz"
	cp "$prep_stage/build-info.txt" "$carry_dir/"
	local src
	for src in ../shared/data/cifar10/data_batch_1.bin ../shared/data/cifar10/train_first4000.bin; do
		[[ -f "$src" ]] && cp "$src" "$carry_dir/cifar10.bin" && echo "copied $src to $carry_dir/cifar10.bin" && break
	done
	src=../shared/data/nb201/nb201_accuracy.csv
	[[ -f "$src" ]] && cp "$src" "$carry_dir/" && echo "copied $src to $carry_dir/"
	du -sh "$carry_dir"/*
	kib=$(du -sk "$carry_dir" | cut -f1)
	echo "$carry_dir: $((kib / 1024)) MiB in all (carry it: the device tool takes 64 MiB with the working tree)"
	if ((kib > 60 * 1024)); then
		echo "$carry_dir is over 60 MiB: the device tool carries 64 MiB with the working tree" >&2
		exit 1
	fi
	exit 0
}
if [[ "${1:-}" == "--prepare" ]]; then prepare; fi

# --- bookkeeping ---------------------------------------------------------------
results=${RESULTS:-${OUT:-/tmp/device-check}}
mkdir -p "$results"
work=$(mktemp -d /tmp/device-check.XXXXXX)
logs=$work/logs
mkdir -p "$logs"
rows=$work/rows.tsv # step, what, result, status, command
: >"$rows"
info=$work/info.tsv # key, value: the summary's machine table
: >"$info"
log() { printf '== %s\n' "$*"; }
total_end=$((SECONDS + ${TOTAL_BUDGET:-480}))
started=$(date -u '+%Y-%m-%d %H:%M UTC')

# row STEP WHAT RESULT STATUS COMMAND: one line of the summary table. STATUS:
# PASS/FAIL (a comparison), OK/ERROR (a timing), TIMEOUT, SKIPPED (no time
# left), n/a (not applicable here).
row() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$rows"
	printf '   %-8s %s: %s\n' "$4" "$2" "$3"
	publish
}
info() { printf '%s\t%s\n' "$1" "$2" >>"$info"; }

# show_cmd ARGS...: a command line for the summary, paths shortened.
show_cmd() {
	local a out="" special="[[:space:]'\"\$()|*?^]"
	for a in "$@"; do
		a=${a//$bin_dir\//}
		a=${a//$root\//}
		[[ $a =~ $special ]] && a="'$a'"
		out+="$a "
	done
	printf '%s' "${out% }"
}

# step NAME BUDGET: starts a step; its commands end by min(now + BUDGET, the
# run's end).
step() {
	step_name=$1
	step_end=$((SECONDS + $2))
	((step_end > total_end)) && step_end=$total_end
	log "$1 (budget $((step_end - SECONDS)) s, run $((total_end - SECONDS)) s left)"
}
# limit CAP: seconds the next command may run: min(CAP, the step's time left), 0 under 10.
limit() {
	local l=$((step_end - SECONDS))
	(($1 < l)) && l=$1
	((l < 10)) && l=0
	echo "$l"
}
# stamp: prefixes each line with the wall clock (seconds, microseconds).
stamp() {
	local line
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}
# timed SECS NAME CMD...: runs CMD under timeout SECS, stdout to logs/NAME.out,
# timestamped stderr to logs/NAME.err, the command line to logs/NAME.cmd; sets
# wall (seconds, one decimal) and t0 (start, EPOCHREALTIME); returns CMD's status.
timed() {
	local secs=$1 name=$2
	shift 2
	show_cmd "$@" >"$logs/$name.cmd"
	t0=$EPOCHREALTIME
	{ timeout -k 10 "$secs" "$@" 2>&1 >"$logs/$name.out"; } | stamp >"$logs/$name.err"
	local rc=${PIPESTATUS[0]}
	wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	echo "$rc" >"$logs/$name.rc"
	return "$rc"
}
timed_out() { [[ $1 == 124 || $1 == 137 ]]; }

# publish: (re)writes summary.md and logs.tar.gz in RESULTS.
publish() {
	python3 - "$info" "$rows" "$results/summary.md" "$started" <<'PY'
import sys
info_path, rows_path, out_path, started = sys.argv[1:5]
def cells(line):
    return [f.replace("|", "\\|") for f in line.rstrip("\n").split("\t")]
info = [cells(l) for l in open(info_path) if l.strip()]
rows = [cells(l) for l in open(rows_path) if l.strip()]
count = {}
for r in rows:
    count[r[3]] = count.get(r[3], 0) + 1
lines = [f"# FreeDARTS device check, {started}", "", "| | |", "|---|---|"]
lines += [f"| {k} | {v} |" for k, v in info]
lines += ["| outcome | " + ", ".join(f"{n} {s}" for s, n in sorted(count.items())) + " |", ""]
lines += ["| step | what | result | status | command |", "|---|---|---|---|---|"]
for r in rows:
    cmd = f"`{r[4]}`" if r[4] else ""
    lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {cmd} |")
lines += ["", "`freedarts` is the cgo build of `scripts/device-check.sh --prepare`; every command's output "
          "is in logs.tar.gz (NAME.cmd, NAME.out, NAME.err with wall-clock stamps, NAME.rc)."]
open(out_path, "w").write("\n".join(lines) + "\n")
PY
	cp "$rows" "$info" "$logs/"
	tar -czf "$results/logs.tar.gz.tmp" -C "$work" logs && mv "$results/logs.tar.gz.tmp" "$results/logs.tar.gz"
}

# --- setup -------------------------------------------------------------------
setup_binaries() {
	bin_dir=${BIN_DIR:-}
	if [[ -z "$bin_dir" && -f "$carry_dir/bin.tar.xz" ]]; then
		bin_dir=$work/bin
		mkdir -p "$bin_dir"
		trap 'rm -rf "$work/bin"' EXIT # 120 MiB unpacked; the logs stay in $work
		log "unpacking $carry_dir/bin.tar.xz"
		tar -xJf "$carry_dir/bin.tar.xz" -C "$bin_dir" 2>/dev/null ||
			python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$carry_dir/bin.tar.xz" "$bin_dir" ||
			return 1
		info binaries "$carry_dir/bin.tar.xz: $(tr '\n' ' ' <"$bin_dir/build-info.txt" | sed 's/\t/ /g')"
	elif [[ -z "$bin_dir" ]]; then
		if ! have_go; then
			echo "no binaries: run scripts/device-check.sh --prepare where Go is, and carry $carry_dir" >&2
			return 1
		fi
		bin_dir=$work/bin
		build_binaries "$bin_dir" >"$logs/build.log" 2>&1 || {
			tail -20 "$logs/build.log"
			return 1
		}
		info binaries "built by this run: $(tr '\n' ' ' <"$bin_dir/build-info.txt" | sed 's/\t/ /g')"
	else
		info binaries "$bin_dir"
	fi
	bin_dir=$(cd "$bin_dir" && pwd)
	bin=$bin_dir/freedarts
	[[ -x "$bin" ]]
}

# python_site_probe: the plugin's folder, the jax-cuda13-pjrt version and the
# nvidia/*/lib folders, from each python3 that has them (no jax import).
python_probe() {
	local py
	for py in python3 /opt/torch/.venv/bin/python3; do
		"$py" - <<'PY' 2>/dev/null && return 0
import glob, importlib.metadata as md, importlib.util as u, os, sys
s = u.find_spec("jax_plugins.xla_cuda13")
so = os.path.join(list(s.submodule_search_locations)[0], "xla_cuda_plugin.so")
if not os.path.isfile(so):
    sys.exit(1)
print("plugin", so)
for p in ("jax-cuda13-pjrt", "jax-cuda13-plugin", "jax", "jaxlib"):
    try:
        print("version", p, md.version(p))
    except md.PackageNotFoundError:
        pass
try:
    import nvidia
    for d in nvidia.__path__:
        for lib in sorted(glob.glob(os.path.join(d, "*", "lib"))):
            print("lib", lib)
except ImportError:
    pass
print("python", sys.executable)
PY
	done
	return 1
}

setup_backend() {
	# Every PJRT plugin on disk, in the background: the xla-cpu step's, and the
	# CUDA plugin's when no python3 knows it.
	timeout 90 find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o \
		-type f \( -name xla_cuda_plugin.so -o -name '*pjrt*cpu*.so' -o -name '*cpu*pjrt*.so' \) -print \
		>"$work/plugins.txt" 2>/dev/null &
	find_pid=$!
	backend=${DEVICE_BACKEND:-}
	local probe versions=""
	probe=$(python_probe) || probe=""
	printf '%s\n' "$probe" >"$logs/python-probe.txt"
	versions=$(awk '$1 == "version" { printf "%s%s %s", sep, $2, $3; sep = ", " }' <<<"$probe")
	[[ -n "$versions" ]] && info "plugin packages" "$versions"
	if [[ -z "$backend" ]]; then
		local plugin
		plugin=$(awk '$1 == "plugin" { print $2 }' <<<"$probe")
		if [[ -z "$plugin" ]]; then
			wait "$find_pid"
			plugin=$(grep '/xla_cuda_plugin.so$' "$work/plugins.txt" | head -1)
		fi
		if [[ -z "$plugin" ]]; then
			echo "no xla_cuda_plugin.so found (install jax-cuda13-pjrt, or set DEVICE_BACKEND)" >&2
			return 1
		fi
		backend="xla:$(readlink -f "$plugin")"
	fi
	if [[ ${NVIDIA_LIBS:-1} == 1 && $backend == xla:* ]]; then
		local libs
		libs=$(awk '$1 == "lib" { printf "%s%s", sep, $2; sep = ":" }' <<<"$probe")
		if [[ -n "$libs" ]]; then
			export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$libs
			info LD_LIBRARY_PATH "python3's nvidia/*/lib appended (NVIDIA_LIBS=0: not)"
		fi
	fi
	ref=${REF_BACKEND:-go}
	info "device backend" "\`$backend\` (DEVICE in the commands)"
	info "reference backend" "\`$ref\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
	if command -v nvidia-smi >/dev/null; then
		nvidia-smi >"$logs/nvidia-smi.txt" 2>&1
		info GPU "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | sed 's/, / (driver /; s/$/)/' | paste -sd';')"
	else
		info GPU "none (no nvidia-smi)"
	fi
}

# --- search comparisons: device against reference -----------------------------------
data=${DATA:-}
if [[ -z "$data" ]]; then
	if [[ -f "$carry_dir/cifar10.bin" ]]; then data=$carry_dir/cifar10.bin; else data=../shared/data/cifar10; fi
fi
bench_csv=${BENCH_CSV:-}
if [[ -z "$bench_csv" ]]; then
	if [[ -f "$carry_dir/nb201_accuracy.csv" ]]; then bench_csv=$carry_dir/nb201_accuracy.csv; else bench_csv=../shared/data/nb201/nb201_accuracy.csv; fi
fi
[[ -f "$bench_csv" ]] || bench_csv=none

# The comparisons, SPACE:PROXY.
searches=()
for p in ${PROXIES:-synflow snip grasp}; do searches+=("nb201:$p"); done
for p in ${DARTS_PROXIES:-synflow}; do searches+=("darts:$p"); done

# search_spec SPACE:PROXY: sets s_id, s_args (search flags but -backend), s_tol, s_strict.
search_spec() {
	local space=${1%%:*} proxy=${1#*:} seeds
	s_args=(search -json -progress=false -space "$space" -proxy "$proxy")
	if [[ $space == darts ]]; then
		s_args+=(-cells "${DARTS_CELLS:-20}")
		s_id=darts${DARTS_CELLS:-20}-$proxy
		seeds=${DARTS_SEEDS:-0-4}
	else
		s_args+=(-bench "$bench_csv")
		s_id=$space-$proxy
		seeds=${SEEDS:-0-4}
	fi
	s_tol=${TOL_F64:-1e-9}
	s_strict=1
	case $proxy in
	synflow*) ;;
	*)
		seeds=${DATA_SEEDS:-0-1}
		s_tol=${TOL_F32:-5e-2}
		s_strict=0
		s_args+=(-data "$data")
		;;
	esac
	s_args+=(-seed "$seeds")
}

# reference_searches: every comparison's search on the reference backend, one
# after the other (run in the background from the start: they use the CPUs).
# Each ends by the run's end at the latest (SECONDS counts on in a subshell).
reference_searches() {
	local s t
	for s in "${searches[@]}"; do
		search_spec "$s"
		t=$((total_end - SECONDS))
		((t > ${REF_TIMEOUT:-180})) && t=${REF_TIMEOUT:-180}
		((t < 10)) && break
		timed "$t" "search-$s_id-ref" "$bin" "${s_args[@]}" -backend "$ref"
	done
}

compare() { # compare REF.json DEVICE.json TOL STRICT_ARCH SUMMARY_FILE
	python3 - "$@" <<'PY'
import json, math, sys
ref, dev = (json.load(open(p)) for p in sys.argv[1:3])
tol, strict, out = float(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
bad = 0
worst = 0.0
same = 0
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
    if r["arch"] == d["arch"]:
        same += 1
    else:
        kind = "FAIL" if strict else "warning"
        print(f"  seed {r['seed']}: arch differs ({kind})\n    ref    {r['arch']}\n    device {d['arch']}")
        bad += strict
n = len(ref["runs"])
if len(dev["runs"]) != n:
    print(f"  {len(dev['runs'])} device runs, {n} reference runs"); bad += 1
def per_seed(x):
    return sum(r["seconds"] for r in x["runs"]) / max(1, len(x["runs"]))
line = (f"{n} seeds: worst max|diff|/max|score| {worst:.2g} (tol {tol:g}), same pick {same}/{n}"
        f"{'' if strict else ' (a float32 pick may differ)'}; device {per_seed(dev):.3g} s/seed, compile "
        f"{dev['compile_seconds']:.1f} s; ref {per_seed(ref):.3g} s/seed, compile {ref['compile_seconds']:.1f} s")
print("  " + line)
open(out, "w").write(line)
sys.exit(1 if bad else 0)
PY
}

step_search() {
	step search "${SEARCH_BUDGET:-150}"
	local s rc t cmd
	for s in "${searches[@]}"; do
		search_spec "$s"
		t=$(limit "${SEARCH_TIMEOUT:-100}")
		if ((t == 0)); then
			row search "$s_id" "no time left" SKIPPED "$(show_cmd freedarts "${s_args[@]}" -backend DEVICE)"
			continue
		fi
		timed "$t" "search-$s_id-device" "$bin" "${s_args[@]}" -backend "$backend"
		rc=$?
		cmd=$(show_cmd freedarts "${s_args[@]}" -backend DEVICE)
		if timed_out "$rc"; then
			row search "$s_id" "device search over ${t} s" TIMEOUT "$cmd"
			continue
		elif [[ $rc != 0 ]]; then
			row search "$s_id" "device search failed (exit $rc): $(tail -1 "$logs/search-$s_id-device.err" | cut -d' ' -f2-)" ERROR "$cmd"
			continue
		fi
		wait_reference
		rc=$(cat "$logs/search-$s_id-ref.rc" 2>/dev/null || echo missing)
		if [[ $rc != 0 ]]; then
			row search "$s_id" "reference search ($ref) failed (exit $rc)" ERROR "$cmd"
			continue
		fi
		if compare "$logs/search-$s_id-ref.out" "$logs/search-$s_id-device.out" "$s_tol" "$s_strict" "$work/cmp" \
			>"$logs/compare-$s_id.txt" 2>&1; then
			row search "$s_id vs $ref" "$(cat "$work/cmp")" PASS "$cmd"
		else
			cat "$logs/compare-$s_id.txt"
			row search "$s_id vs $ref" "$(cat "$work/cmp" 2>/dev/null || tail -1 "$logs/compare-$s_id.txt")" FAIL "$cmd"
		fi
	done
}
# wait_reference: waits for the reference searches (started first, in the background).
wait_reference() {
	[[ -n "${ref_pid:-}" ]] || return 0
	wait "$ref_pid"
	ref_pid=""
}

# --- gradient checks --------------------------------------------------------------
step_gradcheck() {
	step gradcheck "${GRADCHECK_BUDGET:-80}"
	local pkg name re t rc cmd
	for pkg in "${gradcheck_pkgs[@]}"; do
		name=$(basename "$pkg")
		re=$(gradcheck_tests "$pkg")
		cmd="(cd $pkg && GOMLX_BACKEND=DEVICE ./$name.test -test.run '$re' -test.v)"
		t=$(limit "${GRADCHECK_TIMEOUT:-60}")
		if ((t == 0)); then
			row gradcheck "$pkg" "no time left" SKIPPED "$cmd"
			continue
		fi
		if [[ ! -x "$bin_dir/$name.test" ]]; then
			row gradcheck "$pkg" "no test binary $name.test (rerun --prepare)" ERROR "$cmd"
			continue
		fi
		# -test.timeout a little under the limit: a hung test is named in the log.
		timed "$t" "gradcheck-$name" env -C "$pkg" GOMLX_BACKEND="$backend" "$bin_dir/$name.test" \
			-test.run "$re" -test.v -test.timeout "$((t - 3))s"
		rc=$?
		# The test binary's whole output (a timeout's panic goes to stderr).
		local out=$work/gradcheck-$name.txt passed failed
		{ cat "$logs/gradcheck-$name.out"; cut -d' ' -f2- "$logs/gradcheck-$name.err"; } >"$out"
		passed=$(grep -c -- '--- PASS' "$logs/gradcheck-$name.out")
		failed=$(grep -c -- '--- FAIL' "$logs/gradcheck-$name.out")
		if [[ $rc == 0 ]]; then
			row gradcheck "$pkg" "$passed tests passed in $wall s" PASS "$cmd"
		elif timed_out "$rc" || grep -q 'panic: test timed out' "$out"; then
			local running
			running=$(awk '/running tests:/ { getline; sub(/^[ \t]+/, ""); print; exit }' "$out")
			row gradcheck "$pkg" "over ${t} s ($passed passed, $failed failed before${running:+; running $running})" TIMEOUT "$cmd"
		else
			grep -E -- '--- FAIL|_test.go:[0-9]+:|^panic' "$out" | head -20
			row gradcheck "$pkg" "$failed failed, $passed passed (exit $rc): $(grep -m1 -E -- '--- FAIL|^panic' "$out" | sed 's/^ *//')" FAIL "$cmd"
		fi
	done
}

# --- bench ------------------------------------------------------------------------
# bench_cases BACKEND LABEL CASES: one bench process per case, each with its own
# time limit; the matmul peak is measured with the first case only.
bench_cases() {
	local be=$1 label=$2 cases=$3 c t rc peak=0 cmd
	local bench_data=()
	[[ -e "$data" ]] && bench_data=(-data "$data")
	[[ $cases == all ]] && cases=$("$bin" bench -list | paste -sd, -)
	local args
	for c in ${cases//,/ }; do
		args=(bench -cases "$c" -repeat "${BENCH_REPEAT:-3}" "${bench_data[@]}" -json)
		cmd=$(show_cmd freedarts "${args[@]}" -backend "$label")
		t=$(limit "${BENCH_TIMEOUT:-60}")
		if ((t == 0)); then
			row "$step_name" "$c" "no time left" SKIPPED "$cmd"
			continue
		fi
		timed "$t" "$step_name-$c" "$bin" "${args[@]}" -backend "$be" -peak-size "$peak"
		rc=$?
		peak=-1
		if [[ $rc == 0 ]]; then
			bench_row "$logs/$step_name-$c.out" "$cmd"
		elif timed_out "$rc"; then
			row "$step_name" "$c" "over $t s (compile and passes): $(tail -1 "$logs/$step_name-$c.err" | cut -d' ' -f2-)" TIMEOUT "$cmd"
		else
			row "$step_name" "$c" "failed (exit $rc): $(tail -1 "$logs/$step_name-$c.err" | cut -d' ' -f2-)" ERROR "$cmd"
		fi
	done
}
# bench_row JSON CMD: the case's row (and the peak's, when measured).
bench_row() {
	python3 - "$1" "$2" "$step_name" "$rows" <<'PY'
import json, sys
path, cmd, step, rows = sys.argv[1:5]
r = json.load(open(path))
out = open(rows, "a")
p = r.get("peak") or {}
if p.get("size", 0) > 0:
    peak = f"{p['size']}^3 MatMul: f32 {p['f32_gflops']:.0f} GFLOP/s, f64 {p['f64_gflops']:.0f} GFLOP/s"
    out.write(f"{step}\tmatmul peak\t{peak}\tOK\t{cmd}\n")
    print(f"   OK       matmul peak: {peak}")
for c in r["results"]:
    if c["skipped"]:
        res, status = "skipped: " + c.get("note", ""), "n/a"
    else:
        res = (f"median {c['seconds']:.4g} s, min {c['min_seconds']:.4g} s, compile {c['compile_seconds']:.2f} s, "
               f"{c['flops']/1e9:.2f} GFLOP, {c['gflops']:.1f} GFLOP/s, batch {c['batch']}")
        status = "OK"
    out.write(f"{step}\t{c['name']}\t{res}\t{status}\t{cmd}\n")
    print(f"   {status:8} {c['name']}: {res}")
PY
}

step_bench() {
	step bench "${BENCH_BUDGET:-120}"
	bench_cases "$backend" DEVICE "${BENCH_CASES:-all}"
}

# --- correlate -------------------------------------------------------------------
step_correlate() {
	step correlate "${CORRELATE_BUDGET:-80}"
	local supernet=() note=""
	if "$bin" help correlate 2>&1 | grep -qE '^\s+-supernet\b'; then
		read -ra supernet <<<"${SUPERNET_FLAG:--supernet}"
	else
		note="this binary's correlate has no -supernet: each cell is its own network (one compilation per cell)"
		row correlate "-supernet" "$note" n/a ""
	fi
	local common=(correlate "${supernet[@]}" -sample-seed 0 -bench "$bench_csv" -json)
	correlate_run correlate-free "$(limit "${CORRELATE_TIMEOUT:-45}")" \
		"${common[@]}" -sample "${CORRELATE_CELLS:-300}" -proxy synflow,params,flops
	correlate_run correlate-data "$(limit 100000)" \
		"${common[@]}" -sample "${CORRELATE_DATA_CELLS:-100}" -proxy snip,grad_norm,fisher,jacob_cov,naswot,grasp -data "$data"
}
# correlate_run NAME SECS ARGS...: one correlate; seconds per cell from its JSON,
# else (cut short) from its progress lines.
correlate_run() {
	local name=$1 t=$2 rc status
	shift 2
	local cmd
	cmd=$(show_cmd freedarts "$@" -backend DEVICE)
	if ((t == 0)); then
		row correlate "$name" "no time left" SKIPPED "$cmd"
		return
	fi
	timed "$t" "$name" "$bin" "$@" -backend "$backend"
	rc=$?
	status=OK
	if timed_out "$rc"; then status=TIMEOUT; elif [[ $rc != 0 ]]; then status=ERROR; fi
	local res
	res=$(python3 - "$logs/$name.out" "$logs/$name.err" "$t0" "$wall" "$rc" <<'PY'
import json, re, sys
out, err, t0, wall, rc = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
prog = []  # (time, done, total, {proxy: s})
for line in open(err):
    stamp, _, text = line.partition(" ")
    m = re.search(r"correlate: (\d+)/(\d+) cell \d+ \((.*)\)", text)
    if m:
        secs = dict((k, float(v)) for k, v in re.findall(r"(\w+) ([\d.]+)s", m.group(3)))
        prog.append((float(stamp), int(m.group(1)), int(m.group(2)), secs))
parts = []
try:
    rep = json.load(open(out))
    spc = rep["seconds_per_cell"]
    parts.append(f"{rep['cells']} cells, s/cell " + ", ".join(f"{k} {v:.3g}" for k, v in spc.items()))
    corr = {c["proxy"]: c["spearman"] for c in rep["correlations"] if c["target"] == "cifar10_test"}
    parts.append("Spearman (cifar10_test) " + ", ".join(f"{k} {v:.3f}" for k, v in corr.items()))
except Exception:
    if prog:
        t, done, total, _ = prog[-1]
        mean = {}
        for _, _, _, s in prog:
            for k, v in s.items():
                mean[k] = mean.get(k, 0) + v / len(prog)
        parts.append(f"cut short after {done}/{total} cells; progress lines' mean s/cell " +
                     ", ".join(f"{k} {v:.2g}" for k, v in mean.items()))
if len(prog) >= 2:
    (ta, da, _, _), (tb, db, _, _) = prog[0], prog[-1]
    if db > da:
        parts.append(f"wall {(tb - ta) / (db - da):.3g} s/cell after the first cell (first done at {ta - t0:.1f} s)")
parts.append(f"{wall:.1f} s in all")
print("; ".join(parts))
PY
)
	row correlate "$name" "$res" "$status" "$cmd"
}

# --- train -------------------------------------------------------------------------
step_train() {
	step train "${TRAIN_BUDGET:-60}"
	local steps=${TRAIN_STEPS:-40} batch=${TRAIN_BATCH:-96} t rc status
	local args=(train -genotype DARTS_V2 -cells "${TRAIN_CELLS:-20}" -channels "${TRAIN_CHANNELS:-36}" -batch "$batch"
		-auxiliary -epochs 1 -limit "$((steps * batch))" -test none -data "$data" -json)
	local cmd
	cmd=$(show_cmd freedarts "${args[@]}" -backend DEVICE)
	t=$(limit 100000)
	if ((t == 0)); then
		row train "DARTS-V2 throughput" "no time left" SKIPPED "$cmd"
		return
	fi
	timed "$t" train "$bin" "${args[@]}" -backend "$backend"
	rc=$?
	status=OK
	if timed_out "$rc"; then status=TIMEOUT; elif [[ $rc != 0 ]]; then status=ERROR; fi
	local res
	res=$(python3 - "$logs/train.err" "$t0" "$batch" "$wall" <<'PY'
import re, sys
err, t0, batch, wall = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
steps = []
for line in open(err):
    stamp, _, text = line.partition(" ")
    m = re.search(r"epoch \d+/\d+ step (\d+)/(\d+) loss ([\d.eE+-]+|NaN|[+-]?Inf)", text)
    if m:
        steps.append((float(stamp), int(m.group(1)), int(m.group(2)), m.group(3)))
if len(steps) < 2:
    last = open(err).read().strip().splitlines()[-1:] or [""]
    print(f"{len(steps)} steps in {wall:.0f} s: {last[0].partition(' ')[2]}")
    sys.exit()
(ta, sa, n, _), (tb, sb, _, loss) = steps[0], steps[-1]
ips = (sb - sa) * batch / (tb - ta)
print(f"{ips:.0f} images/s ({(tb - ta) / (sb - sa):.3f} s/step of {batch}, steps {sa + 1}-{sb} of {n}); "
      f"first step done at {ta - t0:.1f} s (start, data, compile); last loss {loss}; {wall:.1f} s in all")
PY
)
	row train "DARTS-V2 C=${TRAIN_CHANNELS:-36} ${TRAIN_CELLS:-20} cells batch $batch" "$res" "$status" "$cmd"
}

# --- xla:cpu -----------------------------------------------------------------------
step_cpu() {
	step xla-cpu "${CPU_BUDGET:-60}"
	local be=${CPU_BACKEND:-}
	if [[ -z "$be" ]]; then
		wait "$find_pid" 2>/dev/null
		local plugin
		plugin=$(grep -v '/xla_cuda_plugin.so$' "$work/plugins.txt" | head -1)
		cp "$work/plugins.txt" "$logs/"
		if [[ -z "$plugin" ]]; then
			row xla-cpu "PJRT CPU plugin" "none on this machine (find / -name '*pjrt*cpu*.so'; jax/jaxlib hold none)" n/a ""
			return
		fi
		be="xla:$(readlink -f "$plugin")"
	fi
	info "CPU backend" "\`$be\` (CPU in the commands)"
	bench_cases "$be" CPU "${CPU_BENCH_CASES:-all}"
}

# --- main ------------------------------------------------------------------------
log "results in $results, logs in $logs"
if ! setup_binaries 2> >(tee "$logs/setup.err" >&2); then
	row setup binaries "none: $(tail -1 "$logs/setup.err")" ERROR ""
	exit 1
fi
if ! setup_backend 2> >(tee "$logs/setup.err" >&2); then
	row setup "device backend" "none: $(tail -1 "$logs/setup.err")" ERROR ""
	exit 1
fi
info data "$(show_cmd "$data"), NAS-Bench-201 table $(show_cmd "$bench_csv")"
log "binaries in $bin_dir; device backend $backend; reference $ref"
reference_searches &
ref_pid=$!
publish
step_gradcheck
step_search
step_bench
publish
step_correlate
step_train
step_cpu
publish
wait_reference
[[ -n "${find_pid:-}" ]] && kill "$find_pid" 2>/dev/null

fails=$(awk -F'\t' '$4 == "FAIL" || $4 == "ERROR"' "$rows" | wc -l)
short=$(awk -F'\t' '($1 == "gradcheck" || $1 == "search") && ($4 == "TIMEOUT" || $4 == "SKIPPED")' "$rows" | wc -l)
status=0
((short > 0)) && status=2
((fails > 0)) && status=1
info "run" "$SECONDS s; exit status $status (0: every comparison made and within tolerance, 1: a failure or error, 2: a comparison cut short)"
publish
log "summary ($results/summary.md):"
cat "$results/summary.md"
log "done: $fails failed or errored, $short comparisons cut short; exit status $status"
exit "$status"
