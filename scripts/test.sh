#!/usr/bin/env bash
# The test command: sets everything up on a fresh machine, starts a local Elasticsearch node for the
# integration tests, runs the whole test suite, and stops the node again (a node that was already running is left
# running). Extra arguments go to pytest.
#   scripts/test.sh                 # everything, on Haystack 2.x in .venv
#   scripts/test.sh -k dedup        # a subset
#   scripts/test_haystack3.sh       # everything again on Haystack 3, in .venv-haystack3 (this script, with the
#                                   # environment below)
# Environment (all optional): EQA_VENV and EQA_EXTRA choose the virtual environment and the Haystack line
# (scripts/setup.sh: .venv and haystack2 by default); EQA_SKIP_ELASTICSEARCH=1 and EQA_SKIP_BROWSER=1 leave those out;
# EQA_TEST_WORKERS sets the number of test processes (default: the cores, at most 4; 1: no parallel run).
# Tests that need ../shared (the small QA model and SQuAD data) skip with a reason when it is absent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
venv="${EQA_VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
extra="${EQA_EXTRA:-haystack2}"
haystack="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("haystack-ai"))')"
case "$extra:$haystack" in
  haystack2:2.* | haystack3:3.*) echo "testing on haystack-ai $haystack ($venv)" >&2 ;;
  *) echo "error: $venv has haystack-ai $haystack, not the ${extra#haystack}.x line" >&2; exit 1 ;;
esac
# The page's browser tests (tests/http/test_page_browser.py) drive Debian's headless Chromium; they run where the
# shared small model is, so that is where the browser is installed (once: only while /usr/bin/chromium is missing).
shared_model="${EQA_SHARED_DIR:-$root/../shared}/models/minilm-squad-mini/config.json"
if [ ! -x /usr/bin/chromium ] && [ -f "$shared_model" ] && [ "${EQA_SKIP_BROWSER:-0}" != "1" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "installing Debian's chromium and chromium-driver for the page's browser tests" >&2
    $sudo apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null \
      || echo "warning: chromium did not install; the browser tests will be skipped" >&2
  else
    echo "warning: no apt-get (or sudo) to install chromium; the browser tests will be skipped" >&2
  fi
fi
started_es=0
if [ -x scripts/elasticsearch.sh ] && [ "${EQA_SKIP_ELASTICSEARCH:-0}" != "1" ]; then
  if scripts/elasticsearch.sh status >/dev/null 2>&1; then
    export EQA_TEST_ELASTICSEARCH_URL="${EQA_TEST_ELASTICSEARCH_URL:-http://127.0.0.1:${ES_PORT:-9200}}"
  elif scripts/elasticsearch.sh start >/dev/null; then
    started_es=1  # stopped again on exit
    export EQA_TEST_ELASTICSEARCH_URL="${EQA_TEST_ELASTICSEARCH_URL:-http://127.0.0.1:${ES_PORT:-9200}}"
  elif [ -n "${CI:-}" ]; then
    echo "error: Elasticsearch did not start (see above); CI needs it for the integration tests" >&2
    exit 1
  else
    echo "warning: Elasticsearch did not start; its tests will be skipped" >&2
  fi
fi
stop_es() { if [ "$started_es" = 1 ]; then scripts/elasticsearch.sh stop || true; fi; }
trap stop_es EXIT
"$venv/bin/ruff" format --check . >/dev/null || { echo "ruff format: files need formatting (run $venv/bin/ruff format .)" >&2; exit 1; }
"$venv/bin/ruff" check --quiet .
# The suite runs on several processes (pytest-xdist), one test file per process so that a file's fixtures (its
# server, its index) stay together: as many as there are cores, at most 4 (most tests wait on processes, servers or
# Elasticsearch, so two processes nearly halve the time on 2 cores). EQA_TEST_WORKERS=1 runs it in one process.
cores="$(nproc 2>/dev/null || echo 1)"
workers="${EQA_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}"
parallel=()
if [ "$workers" -gt 1 ]; then parallel=(-n "$workers" --dist loadfile); fi
"$venv/bin/python" -m pytest "${parallel[@]}" "$@"
