#!/usr/bin/env bash
# Fetch and cache the S3-compatible server that the test harness runs
# (test/support/s3-server.ts starts a real S3Proxy on 127.0.0.1 from this jar).
#
#   bash scripts/install-s3.sh
#
# - S3Proxy (Apache-2.0) serves the S3 API over a local-filesystem blobstore. Maven
#   Central carries its self-contained "jar-with-dependencies" build, so the install is
#   one checksum-verified download and nothing is compiled. Needs Java 17+ and Maven;
#   ~/.m2 caches the jar across runs and checkouts.
# - Idempotent: <repo>/.cache/s3/libs/.version records what was fetched; when it
#   matches the pin below the script exits at once without starting Maven.
# - Quiet: Maven's output goes to .cache/s3/install.log and is shown only on failure.
# - Atomic: the jar is copied into a scratch folder and renamed into place, so an
#   interrupted run never leaves a half-written jar behind a valid stamp.
set -euo pipefail

# ---- pinned versions --------------------------------------------------------
# S3Proxy 4.x needs Java 17 and ships Jetty 12 shaded inside the jar.
S3PROXY_VERSION="4.1.0"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# -----------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
S3_DIR="$REPO_ROOT/.cache/s3"
LIBS_DIR="$S3_DIR/libs"
STAMP="$LIBS_DIR/.version"
LOG="$S3_DIR/install.log"
JAR="s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
WANT="s3proxy:$S3PROXY_VERSION"

say() { printf 'install-s3: %s\n' "$*"; }
die() {
  printf 'install-s3: ERROR: %s\n' "$*" >&2
  if [[ -s "$LOG" ]]; then
    printf -- '---- last lines of %s ----\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

is_installed() {
  [[ -f "$STAMP" && "$(<"$STAMP")" == "$WANT" && -f "$LIBS_DIR/$JAR" ]]
}

# Fast path: no lock, no Maven.
if is_installed; then
  exit 0
fi

mkdir -p "$S3_DIR"
# One install at a time (two test runs may call this concurrently).
exec 9>"$S3_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if is_installed; then
  exit 0
fi
: >"$LOG"

command -v java >/dev/null 2>&1 || die "java not found on PATH (S3Proxy needs Java 17+)"
command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH"
java_major="$(java -XshowSettings:properties -version 2>&1 |
  sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
[[ -n "$java_major" && "$java_major" -ge 17 ]] ||
  die "S3Proxy $S3PROXY_VERSION needs Java 17+, found '${java_major:-unknown}'"

say "fetching S3Proxy $S3PROXY_VERSION from Maven Central"
scratch="$(mktemp -d "$S3_DIR/.fetch.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# Runs in the empty scratch folder, as a goal without a project (no pom.xml needed).
# --strict-checksums: a jar whose SHA-1 does not match Central's fails the install.
if ! (cd "$scratch" && mvn -B -q --strict-checksums -Dstyle.color=never \
  "$DEPENDENCY_PLUGIN:copy" \
  -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
  -DoutputDirectory="$scratch/libs") >>"$LOG" 2>&1; then
  die "mvn could not fetch org.gaul:s3proxy:$S3PROXY_VERSION (jar-with-dependencies)"
fi
[[ -f "$scratch/libs/$JAR" ]] || die "the fetch finished without $JAR"

printf '%s\n' "$WANT" >"$scratch/libs/.version"
rm -rf "$LIBS_DIR"
mv "$scratch/libs" "$LIBS_DIR"
