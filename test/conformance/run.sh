#!/usr/bin/env bash
# Run the OCI distribution-spec conformance suite against a registry.
#
#   test/conformance/run.sh URL RESULTS_DIR [NAMESPACE]
#
#   URL          http://127.0.0.1:5000 (plain HTTP) or https://host:port
#   RESULTS_DIR  receives junit.xml, report.html, results.yaml and conformance.log
#   NAMESPACE    repository prefix (default "conformance"); the suite uses
#                NAMESPACE/repo1 and NAMESPACE/repo2 (the second for cross-repo mounts)
#
# Every API test and data type the pinned suite knows is switched on (see
# README.md beside this file). Prints one summary line and exits non-zero when
# any test failed or errored (or when no report was produced).
#
# Environment knobs:
#   CONFORMANCE_BIN        conformance binary (default <repo>/.cache/tools/bin/conformance,
#                          built by scripts/install-tools.sh)
#   CONFORMANCE_FAIL_ON_SKIP=1  also exit non-zero when any test was skipped
#                          (the suite skips tests whose feature the registry
#                          reports as unsupported, e.g. 404/405 on an optional API)
#   CONFORMANCE_VERBOSE=1  echo the suite's full output (~1500 lines) while it runs;
#                          by default it only goes to RESULTS_DIR/conformance.log and
#                          the first failing tests are listed (all in RESULTS_DIR/failed.txt)
#   OCI_*                  any variable set by the caller overrides the defaults below
#                          (e.g. OCI_FILTER_TEST, OCI_LOG=debug, OCI_TLS=insecure)
set -euo pipefail

usage() {
  echo "usage: $0 URL RESULTS_DIR [NAMESPACE]" >&2
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage

URL="$1"
RESULTS_DIR="$2"
NAMESPACE="${3:-conformance}"
NAMESPACE="${NAMESPACE%/}"

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${CONFORMANCE_BIN:-$REPO_ROOT/.cache/tools/bin/conformance}"
if [[ ! -x "$BIN" ]]; then
  echo "conformance: $BIN not found; run scripts/install-tools.sh first" >&2
  exit 2
fi

# URL -> registry host:port + TLS mode
url="${URL%/}"
case "$url" in
  http://*) reg="${url#http://}" tls_mode="disabled" ;;
  https://*) reg="${url#https://}" tls_mode="enabled" ;;
  *://*) echo "conformance: unsupported URL scheme in $URL" >&2; exit 2 ;;
  *) reg="$url" tls_mode="enabled" ;;
esac
if [[ "$reg" == */* ]]; then
  echo "conformance: URL must be scheme://host[:port] without a path: $URL" >&2
  exit 2
fi

mkdir -p "$RESULTS_DIR"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
rm -f "$RESULTS_DIR/junit.xml" "$RESULTS_DIR/report.html" "$RESULTS_DIR/results.yaml" "$RESULTS_DIR/failed.txt"

# Everything on. Caller-set OCI_* values win (": ${VAR:=default}").
# The suite would also read ./oci-conformance.yaml if present; point it at an
# empty file so only these variables count.
empty_conf="$(mktemp)"
trap 'rm -f "$empty_conf"' EXIT
export OCI_CONFIGURATION="${OCI_CONFIGURATION:-$empty_conf}"

export OCI_REGISTRY="$reg"
export OCI_TLS="${OCI_TLS:-$tls_mode}"
export OCI_REPO1="${OCI_REPO1:-$NAMESPACE/repo1}"
export OCI_REPO2="${OCI_REPO2:-$NAMESPACE/repo2}"
export OCI_RESULTS_DIR="$RESULTS_DIR"
: "${OCI_VERSION:=1.1}"          # the spec version Tidemark implements
: "${OCI_LOG:=warn}"
: "${OCI_CACHE_AUTH:=true}"
# API tests
: "${OCI_API_PING:=true}"
: "${OCI_API_PULL:=true}"
: "${OCI_API_PUSH:=true}"
: "${OCI_API_BLOBS_ATOMIC:=true}"
: "${OCI_API_BLOBS_DELETE:=true}"
: "${OCI_API_BLOBS_DIGEST_HEADER:=true}"
: "${OCI_API_BLOBS_MOUNT_ANONYMOUS:=true}"
: "${OCI_API_BLOBS_UPLOAD_CANCEL:=true}"
: "${OCI_API_MANIFESTS_ATOMIC:=true}"
: "${OCI_API_MANIFESTS_DELETE:=true}"
: "${OCI_API_MANIFESTS_DIGEST_HEADER:=true}"
: "${OCI_API_MANIFESTS_TAG_PARAM:=true}"
: "${OCI_API_TAGS_ATOMIC:=true}"
: "${OCI_API_TAGS_DELETE:=true}"
: "${OCI_API_TAGS_LIST:=true}"
: "${OCI_API_REFERRER:=true}"
# data types
: "${OCI_DATA_IMAGE:=true}"
: "${OCI_DATA_INDEX:=true}"
: "${OCI_DATA_INDEX_LIST:=true}"
# Off: Tidemark rejects image manifests whose layers were never pushed
# (MANIFEST_BLOB_UNKNOWN), which DS v1.1 allows and garbage collection relies on.
: "${OCI_DATA_SPARSE:=false}"
: "${OCI_DATA_ARTIFACT:=true}"
: "${OCI_DATA_SUBJECT:=true}"
: "${OCI_DATA_SUBJECT_MISSING:=true}"
: "${OCI_DATA_ARTIFACT_LIST:=true}"
: "${OCI_DATA_SUBJECT_LIST:=true}"
: "${OCI_DATA_DATA_FIELD:=true}"
: "${OCI_DATA_NONDISTRIBUTABLE:=true}"
: "${OCI_DATA_CUSTOM_FIELDS:=true}"
: "${OCI_DATA_NO_LAYERS:=true}"
: "${OCI_DATA_EMPTY_BLOB:=true}"
: "${OCI_DATA_SHA512:=true}"
export OCI_VERSION OCI_LOG OCI_CACHE_AUTH \
  OCI_API_PING OCI_API_PULL OCI_API_PUSH \
  OCI_API_BLOBS_ATOMIC OCI_API_BLOBS_DELETE OCI_API_BLOBS_DIGEST_HEADER \
  OCI_API_BLOBS_MOUNT_ANONYMOUS OCI_API_BLOBS_UPLOAD_CANCEL \
  OCI_API_MANIFESTS_ATOMIC OCI_API_MANIFESTS_DELETE OCI_API_MANIFESTS_DIGEST_HEADER \
  OCI_API_MANIFESTS_TAG_PARAM \
  OCI_API_TAGS_ATOMIC OCI_API_TAGS_DELETE OCI_API_TAGS_LIST OCI_API_REFERRER \
  OCI_DATA_IMAGE OCI_DATA_INDEX OCI_DATA_INDEX_LIST OCI_DATA_SPARSE OCI_DATA_ARTIFACT \
  OCI_DATA_SUBJECT OCI_DATA_SUBJECT_MISSING OCI_DATA_ARTIFACT_LIST OCI_DATA_SUBJECT_LIST \
  OCI_DATA_DATA_FIELD OCI_DATA_NONDISTRIBUTABLE OCI_DATA_CUSTOM_FIELDS OCI_DATA_NO_LAYERS \
  OCI_DATA_EMPTY_BLOB OCI_DATA_SHA512
# Legacy (pre-rewrite) variables would override the above with a warning; drop them.
unset OCI_ROOT_URL OCI_NAMESPACE OCI_CROSSMOUNT_NAMESPACE OCI_TEST_PULL OCI_TEST_PUSH \
  OCI_TEST_CONTENT_DISCOVERY OCI_TEST_CONTENT_MANAGEMENT OCI_DEBUG OCI_TAG_NAME \
  OCI_MANIFEST_DIGEST OCI_BLOB_DIGEST 2>/dev/null || true

LOGFILE="$RESULTS_DIR/conformance.log"
suite_rc=0
# Run from RESULTS_DIR so nothing is written into the caller's cwd.
if [[ "${CONFORMANCE_VERBOSE:-0}" == "1" ]]; then
  set +e
  (cd "$RESULTS_DIR" && "$BIN") 2>&1 | tee "$LOGFILE"
  suite_rc="${PIPESTATUS[0]}"
  set -e
else
  (cd "$RESULTS_DIR" && "$BIN") >"$LOGFILE" 2>&1 || suite_rc=$?
fi

JUNIT="$RESULTS_DIR/junit.xml"
if [[ ! -s "$JUNIT" ]]; then
  echo "conformance: FAILED: no junit.xml produced (suite exit $suite_rc); see $LOGFILE" >&2
  tail -n 20 "$LOGFILE" >&2 || true
  exit 1
fi

# Count leaf test cases by their status attribute (passed/failure/error/skipped):
# the suite marks each <testcase> with status="..." instead of child elements.
# Failed/errored test names (+ first error line) go to RESULTS_DIR/failed.txt.
FAILED_TXT="$RESULTS_DIR/failed.txt"
read -r passed failed errors skipped total < <(
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$JUNIT" "$FAILED_TXT" <<'PY'
import sys, xml.etree.ElementTree as ET
c = {"passed": 0, "failure": 0, "error": 0, "skipped": 0}
n = 0
bad = []
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    n += 1
    st = tc.get("status")
    if not st:
        st = ("failure" if tc.find("failure") is not None else
              "error" if tc.find("error") is not None else
              "skipped" if tc.find("skipped") is not None else "passed")
    st = st if st in c else "error"
    c[st] += 1
    if st in ("failure", "error"):
        msg = (tc.findtext("system-out") or "").strip().splitlines()
        bad.append("%s [%s]%s" % (tc.get("name"), st, (": " + msg[0][:200]) if msg else ""))
with open(sys.argv[2], "w") as f:
    f.write("".join(line + "\n" for line in bad))
print(c["passed"], c["failure"], c["error"], c["skipped"], n)
PY
  else
    grep -o '<testcase [^>]*status="\(failure\|error\)"' "$JUNIT" |
      sed 's/.* name="\([^"]*\)".*status="\([a-z]*\)"/\1 [\2]/' >"$FAILED_TXT" || true
    grep -o '<testcase [^>]*' "$JUNIT" | sed -n 's/.* status="\([a-z]*\)".*/\1/p' |
      awk '{c[$1]++; n++} END {printf "%d %d %d %d %d\n", c["passed"], c["failure"], c["error"], c["skipped"], n}'
  fi
)

if [[ -s "$FAILED_TXT" && "${CONFORMANCE_VERBOSE:-0}" != "1" ]]; then
  nbad=$(wc -l <"$FAILED_TXT")
  echo "conformance: failing tests (first 30 of $nbad; all in $FAILED_TXT, details in report.html):"
  head -n 30 "$FAILED_TXT" | sed 's/^/  /'
fi

echo "conformance: ${passed} passed, ${failed} failed, ${errors} errors, ${skipped} skipped (${total} total) -> $RESULTS_DIR"

rc=0
if ((failed > 0 || errors > 0)); then
  rc=1
elif ((total == 0 || passed == 0)); then
  echo "conformance: no test passed" >&2
  rc=1
elif ((suite_rc != 0)); then
  echo "conformance: suite exited $suite_rc although junit.xml shows no failure" >&2
  rc=1
elif [[ "${CONFORMANCE_FAIL_ON_SKIP:-0}" == "1" ]] && ((skipped > 0)); then
  echo "conformance: $skipped skipped tests and CONFORMANCE_FAIL_ON_SKIP=1" >&2
  rc=1
fi
exit "$rc"
