#!/usr/bin/env bash
# The main job on the embedded default: set up, index the bundled documents (data/) into the in-memory store,
# and answer a few questions from them. The model is deepset/roberta-base-squad2, downloaded from the Hugging Face
# hub on first use; set EQA_MODEL to a local model directory to work offline.
# Extra arguments are asked as questions instead of the built-in ones.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
export EQA_STORE_PATH="${EQA_STORE_PATH:-$root/.cache/demo-store.json}"
.venv/bin/extractive-qa index data/
if [ "$#" -gt 0 ]; then
  .venv/bin/extractive-qa ask "$@"
else
  .venv/bin/extractive-qa ask \
    "In what country is Normandy located?" \
    "What is the capital of Victoria?" \
    "When did the Black Death reach Europe?" \
    "What is the atomic number of oxygen?" \
    "Who was the first president of the Moon?"
fi
