#!/usr/bin/env bash
# The whole test suite again on the newest Haystack 3, in its own virtual environment (.venv-haystack3, git-ignored):
# the project installed (editable) with its test tools and the `haystack3` extra (haystack-ai 3.x and
# transformers-haystack, the stock reader's new home). CI runs it after scripts/test.sh (the 2.x run, which checks
# formatting and lint); like it, it starts a local Elasticsearch node for the integration tests and stops it again.
#   scripts/test_haystack3.sh                 # everything
#   scripts/test_haystack3.sh -k filters      # a subset (extra arguments go to pytest)
# Safe to run again: it reinstalls only when pyproject.toml changed. Needs Python >= 3.10 (PYTHON=... to choose).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="$root/.venv-haystack3"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing the project with Haystack 3 into $venv (torch comes from pip's cache)" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet --upgrade -e ".[test,haystack3]"
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
major="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("haystack-ai"))')"
case "$major" in
  3.*) echo "testing on haystack-ai $major" >&2 ;;
  *) echo "error: $venv has haystack-ai $major, not 3.x" >&2; exit 1 ;;
esac
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
"$venv/bin/python" -m pytest "$@"
