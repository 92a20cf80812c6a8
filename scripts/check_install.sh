#!/usr/bin/env bash
# Proves the install as a user meets it: builds the wheel, installs it into a fresh virtual environment (the
# dependencies come from pip's cache, filled by scripts/setup.sh, so nothing large is downloaded again), and from a
# temporary folder outside the clone indexes a folder of documents and answers a question with the shared small
# model (skipped, with a line saying so, where ../shared is absent).
#   scripts/check_install.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
model="${EQA_SHARED_DIR:-$root/../shared}/models/minilm-squad-mini"
work="$(mktemp -d "${TMPDIR:-/tmp}/eqa-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say() { printf '[check_install] %s\n' "$*" >&2; }

say "building the wheel"
"$root/.venv/bin/python" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/dist" "$root" 2>/dev/null \
  || "$python" -m pip wheel --quiet --no-deps -w "$work/dist" "$root"
wheel="$(ls "$work"/dist/extractive_qa-*.whl)"
tops="$("$python" -c 'import sys, zipfile; print(" ".join(sorted({n.split("/")[0] for n in zipfile.ZipFile(sys.argv[1]).namelist()})))' "$wheel")"
case " $tops " in
  *" components "*|*" pipelines "*|*" serving "*) say "the wheel installs top-level folders besides the package: $tops"; exit 1 ;;
esac

say "installing $(basename "$wheel") into a fresh virtual environment"
started=$SECONDS
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip  # the resolver scripts/setup.sh uses too
"$work/venv/bin/python" -m pip install --quiet "$wheel[haystack2]"  # the default line, Haystack 2.x
say "installed in $((SECONDS - started)) s"

mkdir -p "$work/somewhere/docs"
cp "$root/data/Oxygen.txt" "$root/data/Normans.txt" "$work/somewhere/docs/"
cd "$work/somewhere"  # outside the clone: everything must come from the installed package
export EQA_STORE_PATH="$work/store/store.json" HF_HUB_OFFLINE=1
eqa="$work/venv/bin/extractive-qa"
"$eqa" --version
"$eqa" index docs --no-progress
test "$("$eqa" count)" -gt 0
if [ -f "$model/config.json" ]; then
  answer="$("$eqa" ask "What is the atomic number of oxygen?" --model "$model" --threshold 100 --top-k 1)"
  printf '%s\n' "$answer"
  case "$answer" in
    "1. 8 "*) say "ok: the installed package indexed a folder and answered from it" ;;
    *) say "unexpected answer from the installed package"; exit 1 ;;
  esac
else
  say "skipped the question: no shared small model at $model (only on the project's machines)"
fi
