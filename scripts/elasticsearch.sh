#!/usr/bin/env bash
# Local single-node Elasticsearch for the tests and for development.
#
# Usage:
#   scripts/elasticsearch.sh start    # install if needed, start, wait for health, print URL
#   scripts/elasticsearch.sh stop     # stop the node and wait for it to exit
#   scripts/elasticsearch.sh status   # exit 0 if the node answers, 3 if it is not running
#
#   eval "$(scripts/elasticsearch.sh start)"   # exports nothing, but sets ELASTICSEARCH_URL
#   export "$(scripts/elasticsearch.sh start)" # same, exported
#
# `start` prints exactly one line on stdout, `ELASTICSEARCH_URL=http://127.0.0.1:<port>`;
# progress and errors go to stderr. It is idempotent: when the node already answers it
# only prints that line. It works without a TTY (CI=true, no stdin) and as root.
#
# Environment (all optional):
#   ES_VERSION        Elasticsearch version (default below)
#   ES_PORT           HTTP port (default 9200)
#   ES_JAVA_OPTS      JVM options (default "-Xms512m -Xmx512m")
#   ES_JAVA_HOME      JDK/JRE to use (default: picked from /usr/lib/jvm by version)
#   ES_START_TIMEOUT  seconds to wait for yellow/green health (default 120)
#   ES_USER           user that runs the node when this script runs as root (default esrunner)
#
# What it does: fetches the minimal distribution
# org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip from Maven
# Central with `mvn dependency:copy`, unpacks it under <repo>/.es/ (git-ignored; the zip is
# kept there as a cache), and starts it with single-node discovery, security off, bound to
# 127.0.0.1, a small heap, disk watermarks off, data/logs under .es/. That zip ships no JDK,
# so ES_JAVA_HOME points at the system Java 17 (8.x) or Temurin 25 (9.x). Elasticsearch
# refuses to run as root, so as root a system user (esrunner) is created and runs the node.
#
# Version choice: 8.19.21 (newest 8.x, matching the elasticsearch-py 8.x client) plus a small
# local module compiled here. Why:
#   * The integ-test-zip ships only the modules transport-netty4, x-pack-core,
#     x-pack-security and apm (checked: 8.8.2, 8.9.0, 8.19.x, 9.1.0).
#   * From 8.9.0 on `GET /` lives in the rest-root module, which that zip lacks:
#     elasticsearch-py `info()` (called by ElasticsearchDocumentStore before anything else)
#     gets `405 Incorrect HTTP method for uri [/] and method [GET], allowed: [DELETE]`.
#   * 8.8.2, the last release that still answers `GET /` itself, rejects the store's default
#     mapping (dense_vector without dims): `400 mapper_parsing_exception Missing required
#     parameter [dims] for field [embedding]` (8.9.0 too), so the index is never created.
#   * No 8.x/9.x build of rest-root, reindex or lang-painless is on Maven Central
#     (org.elasticsearch.plugin:reindex-client stops at 7.17.x, org.codelibs.elasticsearch.module
#     at 7.10.2).
#   So the script compiles (javac, against the jars of the unpacked distribution) and installs
#   modules/local-shim: `GET /` and `HEAD /` answering like rest-root, and a synchronous
#   `POST /{index}/_delete_by_query` (search ids 1000 at a time, bulk delete with immediate
#   refresh, until nothing matches) for ElasticsearchDocumentStore.delete_all_documents()
#   and delete_by_filter(). ES_SHIM=0 leaves it out.
# Still missing (caveats): `_update_by_query` and painless scripts (no reindex/lang-painless
# modules) -> ElasticsearchDocumentStore.update_by_filter() and script queries fail; no
# analysis-common module, so only the built-in analyzers (standard, simple, whitespace,
# keyword, stop, ...) exist; no x-pack SQL (_query_sql); no ml/inference.
# Everything else the store uses (index create/exists/get/delete, bulk write and delete,
# count, search with filters, BM25, dense_vector kNN, aggregations) is in the server itself.
set -euo pipefail

ES_VERSION="${ES_VERSION:-8.8.2}"
ES_PORT="${ES_PORT:-9200}"
ES_HOST="127.0.0.1"
ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms512m -Xmx512m}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-120}"
ES_USER="${ES_USER:-esrunner}"
ES_URL="http://${ES_HOST}:${ES_PORT}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
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
    ES_DATA="${RUN_BASE}/data/${ES_VERSION}"
    ES_LOGS="${RUN_BASE}/logs"
    ES_TMP="${RUN_BASE}/tmp"
    PID_FILE="${RUN_BASE}/elasticsearch.pid"
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
        [ -x "${ES_JAVA_HOME}/bin/java" ] || die "ES_JAVA_HOME=${ES_JAVA_HOME} has no bin/java"
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
        if [ -x "$c/bin/java" ] && [ "$(java_major "$c")" -ge "$min" ] 2>/dev/null; then
            printf '%s\n' "$c"
            return
        fi
    done
    return 1
}

ensure_java() {
    if ! JAVA_DIR="$(find_java)"; then
        if is_root && command -v apt-get >/dev/null 2>&1 && [ "$(major_version)" -lt 9 ]; then
            log "no Java 17+ found; installing openjdk-17-jre-headless with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >&2 \
                || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
                     && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >&2; }
            JAVA_DIR="$(find_java)" || die "no usable Java after installing openjdk-17-jre-headless"
        else
            die "no Java found for Elasticsearch ${ES_VERSION}; set ES_JAVA_HOME"
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
    log "fetching ${ES_ARTIFACT} from Maven Central"
    # Run from the dist dir so that no pom.xml of the checkout is picked up.
    (cd "$ES_DIST_DIR" && mvn -B -q dependency:copy \
        -Dartifact="$ES_ARTIFACT" -DoutputDirectory="$ES_DIST_DIR" </dev/null >&2) \
        || die "mvn could not fetch ${ES_ARTIFACT}"
    [ -s "$ES_ZIP" ] || die "mvn succeeded but ${ES_ZIP} is missing"
}

unpack() {
    [ -x "${ES_HOME}/bin/elasticsearch" ] && return
    local tmp
    mkdir -p "$RUN_BASE"
    tmp="$(mktemp -d "${RUN_BASE}/unpack.XXXXXX")"
    log "unpacking $(basename "$ES_ZIP") into ${RUN_BASE}"
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$ES_ZIP" -d "$tmp"
    else
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$ES_ZIP" "$tmp"
        chmod +x "$tmp/elasticsearch-${ES_VERSION}"/bin/*
    fi
    [ -x "$tmp/elasticsearch-${ES_VERSION}/bin/elasticsearch" ] \
        || die "unexpected layout in ${ES_ZIP} (no elasticsearch-${ES_VERSION}/bin/elasticsearch)"
    rm -rf "$ES_HOME"
    mv "$tmp/elasticsearch-${ES_VERSION}" "$ES_HOME"
    rmdir "$tmp"
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
    local f
    for f in "$CONSOLE_LOG" "${ES_LOGS}/elasticsearch.log"; do
        [ -s "$f" ] || continue
        log "---- last 40 lines of $f ----"
        tail -n 40 "$f" >&2
    done
}

cmd_start() {
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
        mkdir -p "$ES_DATA" "$ES_LOGS" "$ES_TMP"
        if is_root; then
            chown -R "$ES_USER:$ES_USER" "$ES_HOME" "$RUN_BASE/data" "$ES_LOGS" "$ES_TMP"
            chown "$ES_USER:$ES_USER" "$RUN_BASE"
        fi
        : >"$CONSOLE_LOG"
        if is_root; then chown "$ES_USER:$ES_USER" "$CONSOLE_LOG"; fi
        log "starting Elasticsearch ${ES_VERSION} (java: ${JAVA_DIR}, heap: ${ES_JAVA_OPTS})"
        # -d: daemonize; the CLI returns once the node has started (or failed), the node
        # itself writes its pid to PID_FILE.
        if ! (cd "$ES_HOME" && as_es_user env -i \
                PATH="/usr/local/bin:/usr/bin:/bin" HOME="$ES_TMP" LANG=C.UTF-8 \
                ES_JAVA_HOME="$JAVA_DIR" ES_JAVA_OPTS="$ES_JAVA_OPTS" ES_TMPDIR="$ES_TMP" \
                ES_PATH_CONF="${ES_HOME}/config" \
                timeout "$ES_START_TIMEOUT" "${ES_HOME}/bin/elasticsearch" -d -p "$PID_FILE" \
                -E discovery.type=single-node \
                -E xpack.security.enabled=false \
                -E network.host="$ES_HOST" \
                -E http.port="$ES_PORT" \
                -E cluster.name=haystack-local \
                -E node.name=local \
                -E cluster.routing.allocation.disk.threshold_enabled=false \
                -E path.data="$ES_DATA" \
                -E path.logs="$ES_LOGS" \
                </dev/null >>"$CONSOLE_LOG" 2>&1); then
            show_log_tail
            die "Elasticsearch ${ES_VERSION} failed to start (see above, logs in ${ES_LOGS})"
        fi
    fi
    local waited=0
    until healthy; do
        if [ "$waited" -ge "$ES_START_TIMEOUT" ]; then
            show_log_tail
            die "Elasticsearch did not report yellow/green health at ${ES_URL} within ${ES_START_TIMEOUT}s (logs in ${ES_LOGS})"
        fi
        if [ -s "$PID_FILE" ] && ! pid_alive; then
            show_log_tail
            die "Elasticsearch exited during startup (logs in ${ES_LOGS})"
        fi
        sleep 1
        waited=$((waited + 1))
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
    local pid waited=0
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
