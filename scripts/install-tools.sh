#!/usr/bin/env bash
# Install and cache the registry clients that Tidemark's test suites use.
#
#   bash scripts/install-tools.sh
#
# - Idempotent: a Go tool is rebuilt only when its pinned version below changes
#   (a stamp file .cache/tools/bin/.<tool>.version records what was built).
# - Go binaries go to <repo>/.cache/tools/bin (computed from this script's path);
#   the default Go module and build caches are used, so they persist across runs.
# - Debian packages: skopeo, podman and buildah always; nginx as well when
#   TIDEMARK_INSTALL_ALL=1. apt is not touched at all when they are already present.
# - Quiet: build/apt output goes to .cache/tools/install.log and is shown only on failure.
#
# Source scripts/tools.env afterwards to put the binaries on PATH.
set -euo pipefail

# ---- pinned versions --------------------------------------------------------
CRANE_VERSION="v0.22.1"          # github.com/google/go-containerregistry/cmd/crane
ORAS_VERSION="v1.3.6"            # oras.land/oras/cmd/oras
REGCTL_VERSION="v0.11.7"         # github.com/regclient/regclient/cmd/regctl
HELM_VERSION="v3.22.0"           # helm.sh/helm/v3/cmd/helm
COSIGN_VERSION="v2.6.5"          # github.com/sigstore/cosign/v2/cmd/cosign
# OCI distribution-spec conformance suite (the module has no tags on the proxy;
# this is the pseudo-version of main as of 2026-08-31, commit 97274622c111).
CONFORMANCE_VERSION="v0.0.0-20260831232431-97274622c111"

CRANE_PKG="github.com/google/go-containerregistry/cmd/crane"
ORAS_PKG="oras.land/oras/cmd/oras"
REGCTL_PKG="github.com/regclient/regclient/cmd/regctl"
HELM_PKG="helm.sh/helm/v3/cmd/helm"
COSIGN_PKG="github.com/sigstore/cosign/v2/cmd/cosign"
CONFORMANCE_PKG="github.com/opencontainers/distribution-spec/conformance"

APT_BASE_PKGS=(skopeo podman buildah)
APT_ALL_PKGS=(nginx)
# -----------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.cache/tools"
TOOLS_BIN="$TOOLS_DIR/bin"
LOG="$TOOLS_DIR/install.log"
mkdir -p "$TOOLS_BIN"

say() { printf 'install-tools: %s\n' "$*"; }
die() {
  printf 'install-tools: ERROR: %s\n' "$*" >&2
  if [[ -s "$LOG" ]]; then
    printf -- '---- last lines of %s ----\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

# One install at a time (two test suites may call this concurrently).
exec 9>"$TOOLS_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
: >"$LOG"

# ---- Debian packages (runs in the background while Go tools build) ----------
apt_pid=""
apt_log="$TOOLS_DIR/apt.log"
apt_wanted=("${APT_BASE_PKGS[@]}")
if [[ "${TIDEMARK_INSTALL_ALL:-0}" == "1" ]]; then
  apt_wanted+=("${APT_ALL_PKGS[@]}")
fi
apt_missing=()
for p in "${apt_wanted[@]}"; do
  # nginx lives in /usr/sbin, which may be missing from a non-root PATH.
  if ! command -v "$p" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$p" ]]; then
    apt_missing+=("$p")
  fi
done

if ((${#apt_missing[@]} > 0)); then
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: ${apt_missing[*]}"
  SUDO=()
  if [[ "$(id -u)" != "0" ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${apt_missing[*]}"
    SUDO=(sudo -n)
  fi
  say "apt-get install ${apt_missing[*]}"
  (
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq &&
      "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Use-Pty=0 "${apt_missing[@]}"
  ) >"$apt_log" 2>&1 &
  apt_pid=$!
fi

# ---- Go tools ---------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go not found on PATH"

# go_tool NAME PKG VERSION [extra go install args...]
# Builds PKG@VERSION into $TOOLS_BIN unless the stamp says it is already there.
go_tool() {
  local name="$1" pkg="$2" version="$3"
  shift 3
  local bin="$TOOLS_BIN/$name" stamp="$TOOLS_BIN/.$name.version"
  local want="$pkg@$version"
  if [[ -x "$bin" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    return 0
  fi
  say "building $name $version"
  rm -f "$stamp"
  if ! GOBIN="$TOOLS_BIN" CGO_ENABLED=0 go install -trimpath "$@" "$want" >>"$LOG" 2>&1; then
    die "go install $want failed"
  fi
  [[ -x "$bin" ]] || die "go install $want did not produce $bin"
  printf '%s\n' "$want" >"$stamp"
}

go_tool crane "$CRANE_PKG" "$CRANE_VERSION" -ldflags "-s -w"
go_tool oras "$ORAS_PKG" "$ORAS_VERSION" -ldflags "-s -w"
go_tool regctl "$REGCTL_PKG" "$REGCTL_VERSION" -ldflags "-s -w"
# helm prints, and sends as its User-Agent, the version set here (else only "v3.22").
go_tool helm "$HELM_PKG" "$HELM_VERSION" \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
go_tool cosign "$COSIGN_PKG" "$COSIGN_VERSION" -ldflags "-s -w"
# The conformance module is a main package (newer versions replaced the old
# "go test" suite with a program; "go test" still works but is deprecated), so
# it builds straight into $TOOLS_BIN/conformance. main.Version is what the
# reports show as the conformance commit when no VCS info is embedded.
go_tool conformance "$CONFORMANCE_PKG" "$CONFORMANCE_VERSION" \
  -ldflags "-s -w -X main.Version=$CONFORMANCE_VERSION"

# Sanity check: each binary reports the module version it was built from.
for name in crane oras regctl helm cosign conformance; do
  if ! go version -m "$TOOLS_BIN/$name" >/dev/null 2>&1; then
    rm -f "$TOOLS_BIN/.$name.version"
    die "$TOOLS_BIN/$name is not a runnable Go binary (stamp removed; rerun)"
  fi
done

# ---- wait for apt -----------------------------------------------------------
if [[ -n "$apt_pid" ]]; then
  if ! wait "$apt_pid"; then
    cat "$apt_log" >>"$LOG"
    die "apt-get install ${apt_missing[*]} failed"
  fi
  cat "$apt_log" >>"$LOG"
  for p in "${apt_missing[@]}"; do
    command -v "$p" >/dev/null 2>&1 || [[ -x "/usr/sbin/$p" ]] ||
      die "package $p installed but command '$p' not found"
  done
fi
rm -f "$apt_log"

if [[ "${TIDEMARK_TOOLS_VERBOSE:-0}" == "1" ]]; then
  say "tools in $TOOLS_BIN: crane $CRANE_VERSION, oras $ORAS_VERSION, regctl $REGCTL_VERSION," \
    "helm $HELM_VERSION, cosign $COSIGN_VERSION, conformance $CONFORMANCE_VERSION"
fi
