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

# shellcheck source=scripts/lib/maven-cache.sh
source "$(dirname "$0")/lib/maven-cache.sh"
WANT="kafka_2.13:$KAFKA_VERSION log4j-slf4j-impl:$LOG4J_SLF4J_VERSION"
maven_cache_setup install-kafka kafka "$WANT" "kafka_2.13-$KAFKA_VERSION.jar"

maven_cache_lock
maven_cache_require_java 17 Kafka "$KAFKA_VERSION"

say "resolving Kafka $KAFKA_VERSION from Maven Central"
maven_cache_scratch .resolve

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
maven_cache_commit "resolution finished"
