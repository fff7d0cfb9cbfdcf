# scripts/setup/goenv.sh: the Go toolchain of every entry point, in one place. Sourced (bash)
# by scripts/setup/setup.sh, scripts/test.sh, scripts/notebook-test.sh, scripts/device-check.sh
# and .ci/run before their first go command; it only sets variables.
#
# It exports GOTOOLCHAIN=go$GO_VERSION (scripts/setup/versions.env). Any go command >= 1.21 on
# the machine (Go 1.26 on a fresh one) then runs Go $GO_VERSION, which it fetches once
# from the Go module proxy (the golang.org/toolchain module, ~10 s) into the module
# cache and runs from there afterwards, offline too. Nothing is downloaded from go.dev.
# An exact version (not "+auto"/"path"/"local") so that every build, test and notebook
# cell runs the same Go whatever GOTOOLCHAIN the caller had set.
#
# When no go is on PATH, $GO_INSTALL_DIR/bin (default /usr/local/go/bin, where the
# official tarball and the golang Docker image put it) is appended to PATH.

# shellcheck source=scripts/setup/versions.env
. "$(dirname "${BASH_SOURCE[0]}")/versions.env"
export GOTOOLCHAIN="go$GO_VERSION"
if ! command -v go >/dev/null 2>&1 && [ -x "${GO_INSTALL_DIR:-/usr/local/go}/bin/go" ]; then
	export PATH="$PATH:${GO_INSTALL_DIR:-/usr/local/go}/bin"
fi
