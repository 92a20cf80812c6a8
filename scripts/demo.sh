#!/usr/bin/env bash
# The main job on the embedded default: set up, index the bundled documents (data/) into the embedded store (a
# tantivy index directory, .cache/demo-index in the repository unless EQA_STORE_PATH says otherwise), and answer a
# few questions from them. The model is deepset/roberta-base-squad2, downloaded from the Hugging Face hub on first
# use; set EQA_MODEL to a local model directory to work offline (a relative path is read from the folder you run
# this script in, e.g. EQA_MODEL=../shared/models/minilm-squad-mini from the repository's root).
# Extra arguments are asked as questions instead of the built-in ones.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# paths given relative to the caller's folder still name the same place after the cd below (a model that is no
# local folder is a Hugging Face hub id, left as it is; a store may not exist yet, its parent folder does)
for name in EQA_MODEL EQA_STORE_PATH EQA_QUERY_PIPELINE; do
  value="${!name:-}"
  [ -n "$value" ] && [ "${value#/}" = "$value" ] || continue
  if { [ "$name" = EQA_MODEL ] && [ -e "$value" ]; } || { [ "$name" != EQA_MODEL ] && [ -d "$(dirname "$value")" ]; }; then
    export "$name=$(cd "$(dirname "$value")" && pwd)/$(basename "$value")"
  fi
done
cd "$root"
scripts/setup.sh
export EQA_STORE_PATH="${EQA_STORE_PATH:-$root/.cache/demo-index}"
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
