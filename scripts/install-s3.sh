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

# shellcheck source=scripts/lib/maven-cache.sh
source "$(dirname "$0")/lib/maven-cache.sh"
JAR="s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
maven_cache_setup install-s3 s3 "s3proxy:$S3PROXY_VERSION" "$JAR"

maven_cache_lock
maven_cache_require_java 17 S3Proxy "$S3PROXY_VERSION"

say "fetching S3Proxy $S3PROXY_VERSION from Maven Central"
maven_cache_scratch .fetch

# Runs in the empty scratch folder, as a goal without a project (no pom.xml needed).
# --strict-checksums: a jar whose SHA-1 does not match Central's fails the install.
if ! (cd "$scratch" && mvn -B -q --strict-checksums -Dstyle.color=never \
  "$DEPENDENCY_PLUGIN:copy" \
  -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
  -DoutputDirectory="$scratch/libs") >>"$LOG" 2>&1; then
  die "mvn could not fetch org.gaul:s3proxy:$S3PROXY_VERSION (jar-with-dependencies)"
fi
maven_cache_commit "the fetch finished"
