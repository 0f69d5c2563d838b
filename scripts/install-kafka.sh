#!/usr/bin/env bash
# Resolve and cache the Apache Kafka broker jars that the test harness runs
# (test/support/kafka-broker.ts starts a real single-node KRaft broker from them).
#
#   bash scripts/install-kafka.sh
#
# - Needs Java 17+ and Maven; the jars come from Maven Central through Maven's
#   ordinary resolution (so ~/.m2 caches them across runs and checkouts).
# - Idempotent: <repo>/.cache/kafka/libs/.version records what was resolved; when it
#   matches the pins below the script exits at once without starting Maven.
# - Quiet: Maven's output goes to .cache/kafka/install.log and is shown only on failure.
# - Atomic: jars are copied into a scratch folder and renamed into place, so an
#   interrupted run never leaves a half-filled libs folder behind a valid stamp.
set -euo pipefail

# ---- pinned versions --------------------------------------------------------
# Kafka 4.x is KRaft-only and runs on Java 17. kafka_2.13 (the broker, Scala 2.13
# build) pulls in the server, raft, metadata, storage and coordinator modules.
KAFKA_VERSION="4.1.1"
# Kafka logs through SLF4J 1.7 but its POM ships no binding (the release tarball
# adds one). This binding matches the log4j-core version that kafka_2.13 depends on.
LOG4J_SLF4J_VERSION="2.24.3"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# -----------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KAFKA_DIR="$REPO_ROOT/.cache/kafka"
LIBS_DIR="$KAFKA_DIR/libs"
STAMP="$LIBS_DIR/.version"
LOG="$KAFKA_DIR/install.log"
WANT="kafka_2.13:$KAFKA_VERSION log4j-slf4j-impl:$LOG4J_SLF4J_VERSION"

say() { printf 'install-kafka: %s\n' "$*"; }
die() {
  printf 'install-kafka: ERROR: %s\n' "$*" >&2
  if [[ -s "$LOG" ]]; then
    printf -- '---- last lines of %s ----\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

is_installed() {
  [[ -f "$STAMP" && "$(<"$STAMP")" == "$WANT" && -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

# Fast path: no lock, no Maven.
if is_installed; then
  exit 0
fi

mkdir -p "$KAFKA_DIR"
# One install at a time (two test runs may call this concurrently).
exec 9>"$KAFKA_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if is_installed; then
  exit 0
fi
: >"$LOG"

command -v java >/dev/null 2>&1 || die "java not found on PATH (Kafka needs Java 17+)"
command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH"
java_major="$(java -XshowSettings:properties -version 2>&1 |
  sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
[[ -n "$java_major" && "$java_major" -ge 17 ]] ||
  die "Kafka $KAFKA_VERSION needs Java 17+, found '${java_major:-unknown}'"

say "resolving Kafka $KAFKA_VERSION from Maven Central"
scratch="$(mktemp -d "$KAFKA_DIR/.resolve.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

cat >"$scratch/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tidemark.test</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF

if ! mvn -B -q -Dstyle.color=never -f "$scratch/pom.xml" \
  "$DEPENDENCY_PLUGIN:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$scratch/libs" >>"$LOG" 2>&1; then
  die "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
fi
[[ -f "$scratch/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
  die "resolution finished without kafka_2.13-$KAFKA_VERSION.jar"

printf '%s\n' "$WANT" >"$scratch/libs/.version"
rm -rf "$LIBS_DIR"
mv "$scratch/libs" "$LIBS_DIR"
