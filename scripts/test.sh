#!/usr/bin/env bash
# The test command: sets everything up on a fresh machine, starts a local Elasticsearch node for the
# integration tests, runs the whole test suite, and stops the node again. Extra arguments go to pytest.
#   scripts/test.sh                 # everything
#   scripts/test.sh -k dedup        # a subset
# Tests that need ../shared (the small QA model and SQuAD data) skip with a reason when it is absent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
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
  if scripts/elasticsearch.sh start; then
    started_es=1
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
.venv/bin/ruff format --check . >/dev/null || { echo "ruff format: files need formatting (run .venv/bin/ruff format .)" >&2; exit 1; }
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
