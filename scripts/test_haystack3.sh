#!/usr/bin/env bash
# The whole test suite again on the newest Haystack 3: scripts/test.sh in its own virtual environment
# (.venv-haystack3, git-ignored), with the `haystack3` extra (haystack-ai 3.x and transformers-haystack, the stock
# reader's new home). CI (.ci/run) runs it after the 2.x run. Extra arguments go to pytest:
#   scripts/test_haystack3.sh                 # everything
#   scripts/test_haystack3.sh -k filters      # a subset
set -euo pipefail
export EQA_VENV="${EQA_VENV_HAYSTACK3:-.venv-haystack3}" EQA_EXTRA=haystack3
exec "$(dirname "${BASH_SOURCE[0]}")/test.sh" "$@"
