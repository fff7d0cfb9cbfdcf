# kernel/goenv.sh: the Go toolchain of every entry point, in one place. Sourced (bash)
# by kernel/setup.sh, scripts/test.sh, scripts/notebook-test.sh, scripts/device-check.sh
# and .ci/run before their first go command; it only sets variables.
#
# It exports GOTOOLCHAIN=go$GO_VERSION (kernel/versions.env). Any go command >= 1.21 on
# the machine (Go 1.26 on a fresh one) then runs Go $GO_VERSION, which it fetches once
# from the Go module proxy (the golang.org/toolchain module, ~10 s) into the module
# cache and runs from there afterwards, offline too. Nothing is downloaded from go.dev.
# An exact version (not "+auto"/"path"/"local") so that every build, test and notebook
# cell runs the same Go whatever GOTOOLCHAIN the caller had set.
#
# When no go is on PATH, $GO_INSTALL_DIR/bin (default /usr/local/go/bin, where the
# official tarball and the golang Docker image put it) is appended to PATH.

# shellcheck source=kernel/versions.env
. "$(dirname "${BASH_SOURCE[0]}")/versions.env"
export GOTOOLCHAIN="go$GO_VERSION"
if ! command -v go >/dev/null 2>&1 && [ -x "${GO_INSTALL_DIR:-/usr/local/go}/bin/go" ]; then
	export PATH="$PATH:${GO_INSTALL_DIR:-/usr/local/go}/bin"
fi

# The AVX-512 variants of the go backend's SIMD kernels (GoMLX compute v0.1.14 on Go 1.27.4's
# GOEXPERIMENT=simd) can read past the end of a buffer that ends on a page boundary:
# `fatal error: fault` in ops.simdV2V1SubFloat32@simd512 (archsimd.LoadFloat32x16Part), seen
# twice in one test run on an AVX-512 Xeon on 2026-12-02, never on AVX2 machines. Until that is
# fixed upstream, every entry point runs the AVX2 kernels (cpu.avx512f=off); set
# FREEDARTS_AVX512=1 to keep AVX-512.
if [ "${FREEDARTS_AVX512:-0}" != 1 ]; then
	case ",${GODEBUG:-}," in
	*,cpu.avx512f=*) ;;
	*) export GODEBUG="${GODEBUG:+$GODEBUG,}cpu.avx512f=off" ;;
	esac
fi
