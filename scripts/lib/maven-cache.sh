# shellcheck shell=bash
# The machinery shared by the scripts that cache Java artifacts from Maven Central under
# <repo>/.cache/<name>/libs (install-kafka.sh, install-s3.sh). Source it after
# `set -euo pipefail`, then:
#
#   maven_cache_setup install-kafka kafka "$WANT" "kafka_2.13-$KAFKA_VERSION.jar"
#   maven_cache_lock                        # exits 0 at once when the stamp matches
#   maven_cache_require_java 17 Kafka "$KAFKA_VERSION"
#   maven_cache_scratch .resolve            # sets $scratch; mvn writes to $scratch/libs
#   mvn ... >>"$LOG" 2>&1 || die "..."
#   maven_cache_commit "resolution finished"
#
# Each script's header says what that gives: an idempotent, quiet and atomic install.

# maven_cache_setup PREFIX NAME WANT MARKER
# PREFIX starts every message; the cache is <repo>/.cache/NAME; WANT is the stamp's text;
# MARKER is the jar whose presence in libs/ proves the install finished.
maven_cache_setup() {
  MAVEN_CACHE_PREFIX="$1"
  CACHE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/$2"
  WANT="$3"
  MAVEN_CACHE_MARKER="$4"
  LIBS_DIR="$CACHE_DIR/libs"
  STAMP="$LIBS_DIR/.version"
  LOG="$CACHE_DIR/install.log"
}

say() { printf '%s: %s\n' "$MAVEN_CACHE_PREFIX" "$*"; }
die() {
  printf '%s: ERROR: %s\n' "$MAVEN_CACHE_PREFIX" "$*" >&2
  if [[ -s "$LOG" ]]; then
    printf -- '---- last lines of %s ----\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

maven_cache_is_installed() {
  [[ -f "$STAMP" && "$(<"$STAMP")" == "$WANT" && -f "$LIBS_DIR/$MAVEN_CACHE_MARKER" ]]
}

# Exits 0 when the cache is already filled; otherwise holds the cache's lock (fd 9) for
# the rest of the script and starts a fresh install.log.
maven_cache_lock() {
  # Fast path: no lock, no Maven.
  if maven_cache_is_installed; then
    exit 0
  fi
  mkdir -p "$CACHE_DIR"
  # One install at a time (two test runs may call this concurrently).
  exec 9>"$CACHE_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock 9
  fi
  if maven_cache_is_installed; then
    exit 0
  fi
  : >"$LOG"
}

# maven_cache_require_java MIN_MAJOR PRODUCT VERSION
# Dies unless java (at least MIN_MAJOR) and mvn are on PATH.
maven_cache_require_java() {
  local min_major="$1" product="$2" version="$3" java_major
  command -v java >/dev/null 2>&1 ||
    die "java not found on PATH ($product needs Java $min_major+)"
  command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH"
  java_major="$(java -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
  [[ -n "$java_major" && "$java_major" -ge "$min_major" ]] ||
    die "$product $version needs Java $min_major+, found '${java_major:-unknown}'"
}

# maven_cache_scratch PREFIX
# Creates the scratch folder $scratch in the cache, removed however the script ends.
maven_cache_scratch() {
  scratch="$(mktemp -d "$CACHE_DIR/$1.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
}

# maven_cache_commit WHAT
# Dies ("WHAT without MARKER") unless $scratch/libs holds the marker jar; then stamps
# $scratch/libs and renames it into place.
maven_cache_commit() {
  [[ -f "$scratch/libs/$MAVEN_CACHE_MARKER" ]] || die "$1 without $MAVEN_CACHE_MARKER"
  printf '%s\n' "$WANT" >"$scratch/libs/.version"
  rm -rf "$LIBS_DIR"
  mv "$scratch/libs" "$LIBS_DIR"
}
