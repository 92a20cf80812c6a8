#!/usr/bin/env bash
# Local single-node Elasticsearch for the tests and for development.
#
# Usage:
#   scripts/elasticsearch.sh start    # install if needed, start, wait for health, print URL
#   scripts/elasticsearch.sh stop     # stop the node and wait for it to exit
#   scripts/elasticsearch.sh status   # exit 0 if the node answers, 3 if it is not running
#
#   export "$(scripts/elasticsearch.sh start)"   # sets ELASTICSEARCH_URL in the caller
#   # in .ci/run: start it, and stop it whatever happens
#   scripts/elasticsearch.sh start && trap 'scripts/elasticsearch.sh stop' EXIT
#
# `start` prints exactly one line on stdout, `ELASTICSEARCH_URL=http://127.0.0.1:<port>`;
# progress and errors go to stderr. It is idempotent: when the node already answers it
# only prints that line. It works without a TTY (CI=true, no stdin), as root or not.
# On failure it prints the errors and the tail of the node's log, stops a half-started
# node and exits 1.
#
# Environment (all optional):
#   ES_VERSION        Elasticsearch version (default below)
#   ES_PORT           HTTP port (default 9200)
#   ES_JAVA_OPTS      JVM options (default "-Xms512m -Xmx512m")
#   ES_JAVA_HOME      JDK to use (default: picked from /usr/lib/jvm; javac is needed for the shim)
#   ES_START_TIMEOUT  seconds that `start` may take until yellow/green health (default 120;
#                     the download and unpacking on a first start do not count)
#   ES_USER           user that runs the node when this script runs as root (default esrunner)
#   ES_SHIM           1 (default): build/install the local-shim module (see below); 0: do not
#
# What it does: fetches the minimal distribution
# org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip from Maven
# Central with `mvn dependency:copy` (the default version's zip is also checked against the
# SHA-256 pinned below), keeps it in <repo>/.es/dist (git-ignored) as a cache, unpacks it
# into <repo>/.es/, and starts it with single-node discovery, xpack security and ml off,
# bound to 127.0.0.1, a small heap, disk watermark checks off, and data, logs and pid file
# under .es/node-<port>/. That zip ships no JDK: ES_JAVA_HOME is the system JDK 17
# (/usr/lib/jvm/java-17-openjdk-*); an ES_VERSION=9.x would need a JDK 21+ such as
# /usr/lib/jvm/temurin-25-jdk-*, and ES_SHIM=0 or a port of the shim. Elasticsearch
# refuses to run as root, so as root a system user (esrunner) is created, owns the runtime
# files and runs the node (setpriv); if that user cannot reach the checkout (e.g. one under
# /root), the runtime files go to /var/tmp/elasticsearch-local<path>/ instead. Bootstrap
# checks (vm.max_map_count, file descriptors) are only warnings here, since the node binds
# to loopback only.
#
# Version choice: 8.19.21 (newest 8.x in Maven Central's metadata; matches the
# elasticsearch-py 8.x client) plus a small local module compiled here. Why:
#   * The integ-test-zip ships only the modules transport-netty4, x-pack-core,
#     x-pack-security and apm (checked: 8.8.2, 8.9.0, 8.19.0, 8.19.21, 9.1.0).
#   * From 8.9.0 on `GET /` lives in the rest-root module, which that zip lacks:
#     elasticsearch-py `info()` (called by ElasticsearchDocumentStore before anything else)
#     gets `405 Incorrect HTTP method for uri [/] and method [GET], allowed: [DELETE]`
#     (seen on 8.9.0, 8.19.21 and 9.1.0), and the store cannot be used at all.
#   * 8.8.2, the last release that still answers `GET /` itself, rejects the store's default
#     mapping (dense_vector without dims): `400 mapper_parsing_exception Missing required
#     parameter [dims] for field [embedding]` (8.9.0 too), so the index is never created.
#   * No 8.x/9.x build of rest-root, reindex or lang-painless is on Maven Central
#     (org.elasticsearch.plugin:reindex-client stops at 7.17.x, org.codelibs.elasticsearch.module
#     at 7.10.2).
#   So the script compiles scripts/elasticsearch-shim/src/local/es/LocalShimPlugin.java (javac,
#   against the jars of the unpacked distribution) and installs it as modules/local-shim: `GET /` and `HEAD /` answering like rest-root, and a synchronous
#   `POST /{index}/_delete_by_query` (search ids 1000 at a time, bulk delete with immediate
#   refresh, until nothing matches) for ElasticsearchDocumentStore.delete_all_documents()
#   and delete_by_filter(); and the prebuilt `english` analyzer (Lucene's EnglishAnalyzer, which
#   the analysis-common module would bring) that the project's mapping gives `content`.
#   ES_SHIM=0 leaves it out.
# Still missing (caveats): `_update_by_query` and painless scripts (no reindex/lang-painless
# modules) -> ElasticsearchDocumentStore.update_by_filter() and script queries fail; no
# analysis-common module, so besides the built-in analyzers (standard, simple, whitespace,
# keyword, stop, ...) only the shim's `english` exists; no x-pack SQL (_query_sql); no ml/inference.
# Everything else the store uses (index create/exists/get/delete, bulk write and delete,
# count, search with filters, BM25, dense_vector kNN, aggregations) is in the server itself.
set -euo pipefail

DEFAULT_ES_VERSION="8.19.21"
DEFAULT_ES_ZIP_SHA256="215d5f3dbf0609a149f6218a9e47b6ae2df34ebbff3c5754e35f15a5e5393c8a"
ES_VERSION="${ES_VERSION:-$DEFAULT_ES_VERSION}"
ES_PORT="${ES_PORT:-9200}"
ES_HOST="127.0.0.1"
ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms512m -Xmx512m}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-120}"
ES_USER="${ES_USER:-esrunner}"
ES_SHIM="${ES_SHIM:-1}"
ES_CLUSTER_NAME="haystack-local"
ES_URL="http://${ES_HOST}:${ES_PORT}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
SHIM_SOURCE="${SCRIPT_DIR}/elasticsearch-shim/src/local/es/LocalShimPlugin.java"  # the local-shim module (see above)
ES_BASE="${REPO_ROOT}/.es"                       # download cache, and runtime dir when usable
ES_DIST_DIR="${ES_BASE}/dist"
ES_ZIP="${ES_DIST_DIR}/elasticsearch-${ES_VERSION}.zip"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"

log() { printf '[elasticsearch.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runtime directory (install, data, logs, pid file). It is .es/ unless the script runs as
# root and the unprivileged ES user cannot reach .es/ (e.g. a checkout under /root, mode
# 700); then a directory under /var/tmp keyed by the checkout path is used instead.
runtime_base() {
    if is_root && id -u "$ES_USER" >/dev/null 2>&1 \
        && ! runuser -u "$ES_USER" -- test -x "$REPO_ROOT" 2>/dev/null; then
        printf '/var/tmp/elasticsearch-local%s\n' "$(printf '%s' "$REPO_ROOT" | tr -c 'A-Za-z0-9._\n-' '_')"
    else
        printf '%s\n' "$ES_BASE"
    fi
}

set_paths() {
    RUN_BASE="$(runtime_base)"
    ES_HOME="${RUN_BASE}/elasticsearch-${ES_VERSION}"
    NODE_DIR="${RUN_BASE}/node-${ES_PORT}"          # one node per port
    ES_DATA="${NODE_DIR}/data/${ES_VERSION}"
    ES_LOGS="${NODE_DIR}/logs"
    ES_TMP="${NODE_DIR}/tmp"
    PID_FILE="${NODE_DIR}/elasticsearch.pid"
    CONSOLE_LOG="${ES_LOGS}/console.log"
}

http_get() {  # prints the body; non-zero exit when no HTTP answer
    if command -v curl >/dev/null 2>&1; then
        curl -sS --max-time 5 "$1" 2>/dev/null
    else
        python3 - "$1" <<'EOF' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode())
EOF
    fi
}

healthy() {  # node answers and the cluster is yellow or green
    local body
    body="$(http_get "${ES_URL}/_cluster/health?wait_for_status=yellow&timeout=2s")" || return 1
    printf '%s' "$body" | grep -Eq '"status" *: *"(green|yellow)"'
}

pid_alive() {
    local pid
    [ -s "$PID_FILE" ] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

major_version() { printf '%s\n' "${ES_VERSION%%.*}"; }

java_major() {  # java_major JAVA_HOME -> major version number
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1
}

find_java() {
    local min=17 candidates=() c
    [ "$(major_version)" -ge 9 ] && min=21
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        printf '%s\n' "$ES_JAVA_HOME"
        return
    fi
    if [ "$min" -ge 21 ]; then
        candidates+=(/usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/temurin-2[1-9]-* /usr/lib/jvm/java-2[1-9]-openjdk-*)
    else
        candidates+=(/usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/temurin-17-* /usr/lib/jvm/java-2[1-9]-openjdk-* /usr/lib/jvm/temurin-2[1-9]-*)
    fi
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
    for c in "${candidates[@]}"; do
        if [ -x "$c/bin/java" ] && { [ "$ES_SHIM" != 1 ] || [ -x "$c/bin/javac" ]; } \
            && [ "$(java_major "$c")" -ge "$min" ] 2>/dev/null; then
            printf '%s\n' "$c"
            return
        fi
    done
    return 1
}

ensure_java() {
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        [ -x "${ES_JAVA_HOME}/bin/java" ] || die "ES_JAVA_HOME=${ES_JAVA_HOME} has no bin/java"
    fi
    if ! JAVA_DIR="$(find_java)"; then
        if is_root && command -v apt-get >/dev/null 2>&1 && [ "$(major_version)" -lt 9 ]; then
            log "no JDK 17+ found; installing openjdk-17-jdk-headless with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jdk-headless >&2 \
                || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
                     && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jdk-headless >&2; }
            JAVA_DIR="$(find_java)" || die "no usable JDK after installing openjdk-17-jdk-headless"
        else
            die "no JDK found for Elasticsearch ${ES_VERSION} (javac is needed for the local-shim module); set ES_JAVA_HOME"
        fi
    fi
}

ensure_maven() {
    command -v mvn >/dev/null 2>&1 && return
    if is_root && command -v apt-get >/dev/null 2>&1; then
        log "mvn not found; installing maven with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven >&2; }
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven) is needed to fetch ${ES_ARTIFACT}"
}

download() {
    [ -s "$ES_ZIP" ] && return
    ensure_maven
    mkdir -p "$ES_DIST_DIR"
    local tmp sum
    tmp="$(mktemp -d "${ES_DIST_DIR}/download.XXXXXX")"
    log "fetching ${ES_ARTIFACT} from Maven Central"
    # Run from the temp dir so that no pom.xml of the checkout is picked up.
    # (Debian's Maven 3.8 prints colour resets even with -B -q: strip them.)
    if ! (cd "$tmp" && mvn -B -q -Dstyle.color=never dependency:copy \
            -Dartifact="$ES_ARTIFACT" -DoutputDirectory="$tmp" </dev/null 2>&1 \
            | sed 's/\x1b\[[0-9;]*m//g' >&2); then
        rm -rf "$tmp"
        die "mvn could not fetch ${ES_ARTIFACT}"
    fi
    [ -s "${tmp}/$(basename "$ES_ZIP")" ] || { rm -rf "$tmp"; die "mvn succeeded but fetched no $(basename "$ES_ZIP")"; }
    if [ "$ES_VERSION" = "$DEFAULT_ES_VERSION" ] && command -v sha256sum >/dev/null 2>&1; then
        sum="$(sha256sum "${tmp}/$(basename "$ES_ZIP")" | cut -d' ' -f1)"
        if [ "$sum" != "$DEFAULT_ES_ZIP_SHA256" ]; then
            rm -rf "$tmp"
            die "SHA-256 mismatch for $(basename "$ES_ZIP"): got ${sum}, expected ${DEFAULT_ES_ZIP_SHA256}"
        fi
    fi
    mv "${tmp}/$(basename "$ES_ZIP")" "$ES_ZIP"
    rm -rf "$tmp"
}

extract_zip() {  # extract_zip ZIP DIR
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$1" -d "$2"
    else
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2" \
            && chmod +x "$2/elasticsearch-${ES_VERSION}"/bin/*
    fi
}

unpack() {
    [ -x "${ES_HOME}/bin/elasticsearch" ] && return
    local tmp
    mkdir -p "$RUN_BASE"
    tmp="$(mktemp -d "${RUN_BASE}/unpack.XXXXXX")"
    log "unpacking $(basename "$ES_ZIP") into ${RUN_BASE}"
    if ! extract_zip "$ES_ZIP" "$tmp"; then
        rm -rf "$tmp" "$ES_ZIP"
        die "could not unpack ${ES_ZIP} (removed it; the next start fetches it again)"
    fi
    [ -x "$tmp/elasticsearch-${ES_VERSION}/bin/elasticsearch" ] \
        || die "unexpected layout in ${ES_ZIP} (no elasticsearch-${ES_VERSION}/bin/elasticsearch)"
    rm -rf "$ES_HOME"
    mv "$tmp/elasticsearch-${ES_VERSION}" "$ES_HOME"
    rmdir "$tmp"
}

# Build and install modules/local-shim (see the header): GET|HEAD / and POST
# /{index}/_delete_by_query, which this distribution lacks. Compiled against the jars of the
# unpacked distribution, so the source must match its plugin API (written for 8.19.x).
install_shim() {
    local mod="${ES_HOME}/modules/local-shim" build
    if [ "$ES_SHIM" != 1 ]; then
        rm -rf "$mod"
        return 0
    fi
    [ -s "${mod}/local-shim.jar" ] && [ "${mod}/local-shim.jar" -nt "$SHIM_SOURCE" ] && return
    [ -x "${JAVA_DIR}/bin/javac" ] || die "${JAVA_DIR} has no javac (needed for the local-shim module; ES_SHIM=0 skips it)"
    log "building the local-shim module (GET /, _delete_by_query)"
    build="$(mktemp -d "${RUN_BASE}/shim.XXXXXX")"
    mkdir -p "${build}/classes"
    if ! "${JAVA_DIR}/bin/javac" --release 17 -nowarn -cp "${ES_HOME}/lib/*" -d "${build}/classes" \
            "$SHIM_SOURCE" >&2; then
        rm -rf "$build"
        die "could not compile the local-shim module for Elasticsearch ${ES_VERSION} (ES_SHIM=0 skips it)"
    fi
    mkdir -p "$mod"
    "${JAVA_DIR}/bin/jar" cf "${mod}/local-shim.jar.tmp" -C "${build}/classes" .
    cat >"${mod}/plugin-descriptor.properties" <<EOF
description=Local stand-ins for GET / (rest-root) and _delete_by_query (reindex)
version=${ES_VERSION}
name=local-shim
classname=local.es.LocalShimPlugin
java.version=17
elasticsearch.version=${ES_VERSION}
EOF
    mv "${mod}/local-shim.jar.tmp" "${mod}/local-shim.jar"
    rm -rf "$build"
}


ensure_user() {
    id -u "$ES_USER" >/dev/null 2>&1 && return
    log "creating system user ${ES_USER} (Elasticsearch refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$ES_USER" 2>/dev/null \
        || adduser --system --group --no-create-home --home /nonexistent "$ES_USER" >&2 \
        || die "could not create user ${ES_USER}"
}

# Run a command as the ES user when root, as is otherwise.
as_es_user() {
    if is_root; then
        setpriv --reuid "$ES_USER" --regid "$ES_USER" --init-groups -- "$@"
    else
        "$@"
    fi
}

show_log_tail() {
    local f="$CONSOLE_LOG"
    [ -s "$f" ] || f="${ES_LOGS}/${ES_CLUSTER_NAME}.log"
    [ -s "$f" ] || { log "no log output in ${ES_LOGS}"; return 0; }
    if grep -qE '\]\[(ERROR|FATAL) *\]|^ERROR|Exception' "$f"; then
        log "---- errors in $f ----"
        grep -E '\]\[(ERROR|FATAL) *\]|^ERROR|Exception' "$f" | head -n 10 | cut -c1-400 >&2
    fi
    log "---- last 30 lines of $f ----"
    tail -n 30 "$f" | cut -c1-400 >&2
}

# Start failed: show the log tail, stop a half-started node, exit non-zero.
fail_start() {
    show_log_tail
    stop_node || true
    die "$* (logs in ${ES_LOGS})"
}

cmd_start() {
    SECONDS=0  # ES_START_TIMEOUT bounds the CLI start and the health wait together
    if healthy; then
        log "already running at ${ES_URL}"
        echo "ELASTICSEARCH_URL=${ES_URL}"
        return 0
    fi
    if is_root; then ensure_user; fi
    set_paths
    if pid_alive; then
        log "a node (pid $(cat "$PID_FILE")) is starting or unhealthy; waiting for it"
    else
        rm -f "$PID_FILE"
        ensure_java
        download
        unpack
        install_shim
        mkdir -p "$ES_DATA" "$ES_LOGS" "$ES_TMP"
        if is_root; then
            chown -R "$ES_USER:$ES_USER" "$ES_HOME" "$NODE_DIR"
            chown "$ES_USER:$ES_USER" "$RUN_BASE"
        fi
        : >"$CONSOLE_LOG"
        if is_root; then chown "$ES_USER:$ES_USER" "$CONSOLE_LOG"; fi
        SECONDS=0
        log "starting Elasticsearch ${ES_VERSION} (java: ${JAVA_DIR}, heap: ${ES_JAVA_OPTS})"
        # -d: daemonize; the CLI returns once the node has started (or failed), the node
        # itself writes its pid to PID_FILE.
        local rc=0
        (cd "$ES_HOME" && as_es_user env -i \
                PATH="/usr/local/bin:/usr/bin:/bin" HOME="$ES_TMP" LANG=C.UTF-8 \
                ES_JAVA_HOME="$JAVA_DIR" ES_JAVA_OPTS="$ES_JAVA_OPTS" ES_TMPDIR="$ES_TMP" \
                ES_PATH_CONF="${ES_HOME}/config" \
                timeout "$ES_START_TIMEOUT" "${ES_HOME}/bin/elasticsearch" -d -p "$PID_FILE" \
                -E discovery.type=single-node \
                -E xpack.security.enabled=false \
                -E xpack.ml.enabled=false \
                -E network.host="$ES_HOST" \
                -E http.port="$ES_PORT" \
                -E cluster.name="$ES_CLUSTER_NAME" \
                -E node.name=local \
                -E cluster.routing.allocation.disk.threshold_enabled=false \
                -E path.data="$ES_DATA" \
                -E path.logs="$ES_LOGS" \
                </dev/null >>"$CONSOLE_LOG" 2>&1) || rc=$?
        if [ "$rc" -eq 124 ]; then
            fail_start "Elasticsearch ${ES_VERSION} did not finish starting within ${ES_START_TIMEOUT}s"
        elif [ "$rc" -ne 0 ]; then
            fail_start "Elasticsearch ${ES_VERSION} failed to start (exit status ${rc})"
        fi
    fi
    until healthy; do
        if [ "$SECONDS" -ge "$ES_START_TIMEOUT" ]; then
            fail_start "Elasticsearch did not report yellow/green health at ${ES_URL} within ${ES_START_TIMEOUT}s"
        fi
        if ! pid_alive; then
            fail_start "Elasticsearch exited during startup"
        fi
        sleep 1
    done
    log "Elasticsearch ${ES_VERSION} is up at ${ES_URL} (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))"
    echo "ELASTICSEARCH_URL=${ES_URL}"
}

cmd_stop() {
    set_paths
    if ! pid_alive; then
        rm -f "$PID_FILE"
        if healthy; then
            die "something answers at ${ES_URL} but it was not started by this script (no live pid in ${PID_FILE})"
        fi
        log "not running"
        return 0
    fi
    stop_node
}

stop_node() {  # stop the node of PID_FILE, if alive; wait for it to exit
    local pid waited=0
    pid_alive || { rm -f "$PID_FILE"; return 0; }
    pid="$(cat "$PID_FILE")"
    log "stopping Elasticsearch (pid ${pid})"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 60 ]; then
            log "still alive after 60s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    set_paths
    if healthy; then
        log "running at ${ES_URL} (pid $(cat "$PID_FILE" 2>/dev/null || echo 'unknown'))"
        http_get "${ES_URL}/_cluster/health" >&2 && echo >&2
        echo "ELASTICSEARCH_URL=${ES_URL}"
        return 0
    fi
    if pid_alive; then
        log "process $(cat "$PID_FILE") is alive but ${ES_URL} is not healthy"
        return 1
    fi
    log "not running"
    return 3
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
