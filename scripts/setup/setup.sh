#!/usr/bin/env bash
# scripts/setup/setup.sh: set up Jupyter + the GoNB Go kernel for the FreeDARTS notebooks on
# Debian 12 (bookworm). Idempotent: it installs only what is missing or at another
# version, then (re-)registers the kernel. Versions come from scripts/setup/versions.env.
#
# Usage: scripts/setup/setup.sh [--with-chromium] [--with-pjrt] [--system-only]
#   --with-chromium  also install chromium (screenshots of scripts/notebook-test.sh)
#   --with-pjrt      also install the XLA CPU PJRT plugin for GoMLX (downloads from GitHub)
#   --system-only    only the steps that need root (Debian packages) and a check of
#                    the bootstrap go; run the script again without it as the notebook user
#
# Steps: Debian packages (apt, as root or with sudo) -> Go: needs a go command >= 1.21
# on PATH (or in $GO_INSTALL_DIR/bin, default /usr/local/go/bin); with
# GOTOOLCHAIN=go$GO_VERSION (scripts/setup/goenv.sh) it fetches Go $GO_VERSION from the Go
# module proxy, never from go.dev -> gonb built from this module (a `tool` of go.mod,
# which pins its version), goimports, gopls into $(go env GOBIN) or $(go env GOPATH)/bin
# -> `gonb --install`, with that bin directory and Go's on the kernel's PATH and
# GOTOOLCHAIN (and GOEXPERIMENT=simd on amd64) in its environment (kernel.json "env").
set -euo pipefail

# This script lives in scripts/setup/ of the checkout: the repository is two levels up.
SETUP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SETUP_DIR/../.." && pwd)
# versions.env, and GOTOOLCHAIN=go$GO_VERSION exported for every go command below.
# shellcheck source=scripts/setup/goenv.sh
. "$SETUP_DIR/goenv.sh"

JUPYTER=${JUPYTER:-/usr/bin/jupyter}
PYTHON=${PYTHON:-/usr/bin/python3}
GO_INSTALL_DIR=${GO_INSTALL_DIR:-/usr/local/go}
# The oldest go command that understands GOTOOLCHAIN (toolchain switching).
GO_BOOTSTRAP_MIN=1.21
# Debian's ipykernel imports debugpy, which warns about frozen modules on every
# `jupyter kernelspec list` whose output is captured; the warning is harmless.
export PYDEVD_DISABLE_FILE_VALIDATION=1

with_chromium=0 with_pjrt=0 system_only=0
for arg in "$@"; do
	case "$arg" in
	--with-chromium) with_chromium=1 ;;
	--with-pjrt) with_pjrt=1 ;;
	--system-only) system_only=1 ;;
	-h | --help)
		sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "setup.sh: unknown argument: $arg (see --help)" >&2
		exit 2
		;;
	esac
done

log() { printf '==> %s\n' "$*"; }
die() {
	printf 'setup.sh: error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "needs root (or sudo) for: $*"
	fi
}

# version_ge A B: true if version A >= version B (dotted, optional leading "v"/"go").
version_ge() {
	local a=${1#go} b=${2#go}
	a=${a#v} b=${b#v}
	[ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n1)" = "$b" ]
}

# --- 1. Debian packages -------------------------------------------------------
apt_updated=0
ensure_debs() {
	local missing=() p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "Debian packages already installed: $*"
		return
	fi
	log "Installing Debian packages: ${missing[*]}"
	if [ "$apt_updated" -eq 0 ]; then
		as_root apt-get update
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

command -v dpkg-query >/dev/null 2>&1 || die "this script targets Debian 12 (dpkg/apt not found)"
# shellcheck disable=SC2086 # word splitting of the package lists is intended
ensure_debs $DEBIAN_PACKAGES
if [ "$with_chromium" -eq 1 ]; then
	# shellcheck disable=SC2086
	ensure_debs $DEBIAN_TEST_PACKAGES
fi
[ -x "$JUPYTER" ] || die "$JUPYTER not found after installing $DEBIAN_PACKAGES"

# --- 2. Go ---------------------------------------------------------------------
# No download from go.dev: any go >= $GO_BOOTSTRAP_MIN (Debian 12's golang-1.19 is too
# old; bookworm-backports' golang-1.23, the golang Docker image or an official tarball
# do) runs Go $GO_VERSION through GOTOOLCHAIN, fetched from the Go module proxy.
command -v go >/dev/null 2>&1 ||
	die "no go command on PATH (nor in $GO_INSTALL_DIR/bin): install any Go >= $GO_BOOTSTRAP_MIN (e.g. Debian's golang-1.23 from bookworm-backports, or /usr/local/go from the golang:1.26 image) and re-run; Go $GO_VERSION itself is then fetched from the Go module proxy"
# The bootstrap's own version: GOTOOLCHAIN=local, outside this module (whose go.mod
# would make an older local go refuse to start).
bootstrap_go=$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)
[ -n "$bootstrap_go" ] && version_ge "$bootstrap_go" "$GO_BOOTSTRAP_MIN" ||
	die "$(command -v go) is ${bootstrap_go:-an unknown version}: GOTOOLCHAIN needs go >= $GO_BOOTSTRAP_MIN to fetch Go $GO_VERSION; install a newer bootstrap Go (see --help)"
if [ "$system_only" -eq 0 ]; then
	# The first go command with GOTOOLCHAIN set fetches the toolchain (module cache).
	log "Go: bootstrap $bootstrap_go ($(command -v go)), GOTOOLCHAIN=$GOTOOLCHAIN"
	if ! go_out=$(cd "$REPO_DIR" && go env GOVERSION 2>&1) || [ "$go_out" != "go$GO_VERSION" ]; then
		die "with GOTOOLCHAIN=$GOTOOLCHAIN, 'go env GOVERSION' did not report go$GO_VERSION but: ${go_out:-nothing}
(the go command fetches the toolchain module golang.org/toolchain from GOPROXY=$(cd / && GOTOOLCHAIN=local go env GOPROXY 2>/dev/null): check network access and proxy settings)"
	fi
	log "Go: $go_out ($(go env GOROOT))"
else
	log "Go: bootstrap $bootstrap_go ($(command -v go)); Go $GO_VERSION is fetched as the notebook user"
fi

if [ "$system_only" -eq 1 ]; then
	log "--system-only: done (run scripts/setup/setup.sh again as the notebook user)"
	exit 0
fi

# --- 3. gonb, goimports, gopls -------------------------------------------------
GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
mkdir -p "$GOBIN_DIR"
export PATH="$GOBIN_DIR:$PATH"
GO_BIN_DIR=$(dirname "$(command -v go)")

# has_module BINARY MODULE VERSION: the binary was built with MODULE at VERSION, by
# Go $GO_VERSION (so that goimports and gopls parse what this Go compiles). The first
# line of `go version -m` is "BINARY: go1.27.4", or "BINARY: go1.27.4-X:simd" when
# built with GOEXPERIMENT set.
has_module() {
	[ -x "$1" ] && go version -m "$1" 2>/dev/null |
		awk -v m="$2" -v v="$3" -v g="go$GO_VERSION" 'NR == 1 { goversion = $NF; sub(/-X:.*$/, "", goversion); built = goversion == g }
			($1 == "mod" || $1 == "dep") && $2 == m && $3 == v { found = 1 } END { exit !(built && found) }'
}

mod_gonb=$(cd "$REPO_DIR" && go list -m -f '{{.Version}}' github.com/janpfeifer/gonb) ||
	die "cannot read the github.com/janpfeifer/gonb requirement from $REPO_DIR/go.mod"
[ "$mod_gonb" = "$GONB_VERSION" ] ||
	die "scripts/setup/versions.env has GONB_VERSION=$GONB_VERSION but go.mod requires github.com/janpfeifer/gonb $mod_gonb"

if has_module "$GOBIN_DIR/gonb" github.com/janpfeifer/gonb "$GONB_VERSION"; then
	log "gonb $GONB_VERSION already in $GOBIN_DIR"
else
	log "Building gonb $GONB_VERSION from this module (a tool of go.mod, which pins it; go.mod is not changed)"
	(cd "$REPO_DIR" && go build -mod=readonly -o "$GOBIN_DIR/gonb" github.com/janpfeifer/gonb)
fi

# go install pkg@version runs outside any module, so it never touches this go.mod.
install_tool() { # NAME PACKAGE MODULE VERSION
	if has_module "$GOBIN_DIR/$1" "$3" "$4"; then
		log "$1 $4 already in $GOBIN_DIR"
	else
		log "Installing $1 ($2@$4)"
		(cd / && GOBIN="$GOBIN_DIR" GOFLAGS='' go install "$2@$4")
	fi
}
install_tool goimports golang.org/x/tools/cmd/goimports golang.org/x/tools "$GOIMPORTS_VERSION"
install_tool gopls golang.org/x/tools/gopls golang.org/x/tools/gopls "$GOPLS_VERSION"

# --- 4. Register the kernel ----------------------------------------------------
log "Registering the GoNB kernel (gonb --install)"
"$GOBIN_DIR/gonb" --install --logtostderr

# gonb --install records no PATH: the kernel inherits the PATH of whoever starts
# Jupyter. Prepend the Go tool directories in kernel.json ("${PATH}" is expanded by
# jupyter_client >= 7), so go, goimports and gopls are found however Jupyter starts,
# and set GOTOOLCHAIN, so that the go found there (the bootstrap) runs Go $GO_VERSION
# for the cells as for the CLI and the tests (go.mod needs it).
data_dir=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}
kernel_json="$data_dir/kernels/gonb/kernel.json"
[ -f "$kernel_json" ] || die "gonb --install did not write $kernel_json"
# On amd64 the cells are built with GOEXPERIMENT=simd, as the CLI is: GoMLX's
# SIMD kernels exist only in such builds (docs/benchmarks.md); freedarts/backend gives
# every buffer the room past its end that they read, in a cell as in the CLI (README.md,
# Backends: without it they can crash the kernel).
goexperiment=""
[ "$(go env GOARCH)" = amd64 ] && goexperiment=simd
"$PYTHON" - "$kernel_json" "$GOBIN_DIR:$GO_BIN_DIR" "$GOTOOLCHAIN" "$goexperiment" <<'PY'
import json, sys
path, prefix, gotoolchain, goexperiment = sys.argv[1:5]
with open(path) as f:
    spec = json.load(f)
env = spec.setdefault("env", {})
env["PATH"] = prefix + ":${PATH}"
env["GOTOOLCHAIN"] = gotoolchain
env.pop("GOEXPERIMENT", None)
if goexperiment:
    env["GOEXPERIMENT"] = goexperiment
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
    f.write("\n")
PY
log "Kernel spec: $kernel_json (PATH += $GOBIN_DIR:$GO_BIN_DIR, GOTOOLCHAIN=$GOTOOLCHAIN${goexperiment:+, GOEXPERIMENT=$goexperiment})"
specs=$("$JUPYTER" kernelspec list)
grep -qE '^\s*gonb\s' <<<"$specs" || die "gonb not in '$JUPYTER kernelspec list':
$specs"

# --- 5. Optional: XLA CPU PJRT plugin ------------------------------------------
if [ "$with_pjrt" -eq 1 ]; then
	log "Installing the XLA CPU PJRT plugin (version pinned by go.mod's go-xla)"
	(cd "$REPO_DIR" && go run -mod=readonly ./cmd/pjrtinstall)
fi

log "Done: gonb $GONB_VERSION, goimports $GOIMPORTS_VERSION, $(gopls version | head -n1), $(go env GOVERSION) in $GOBIN_DIR"
log "Run the notebooks with: $JUPYTER notebook $REPO_DIR/notebooks   (kernel: \"Go (gonb)\")"
