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
# The build's own output is kept (not shown): it must carry no setuptools warning about package data.
"$root/.venv/bin/python" -m pip wheel --verbose --no-deps --no-build-isolation -w "$work/dist" "$root" \
  >"$work/build.log" 2>&1 \
  || "$python" -m pip wheel --verbose --no-deps -w "$work/dist" "$root" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; say "the wheel did not build"; exit 1; }
if grep -q "Package would be ignored\|is absent from the \`packages\` configuration" "$work/build.log"; then
  grep "is absent from the" "$work/build.log" >&2
  say "setuptools warns that package data would be ignored: declare it in pyproject.toml's [tool.setuptools]"
  exit 1
fi
wheel="$(ls "$work"/dist/extractive_qa-*.whl)"
# Every file the application reads beside its code is in the wheel: the page, the hayhooks wrappers, the pipelines.
missing="$("$python" - "$wheel" "$root" <<'PY'
import sys, zipfile
from pathlib import Path

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
root = Path(sys.argv[2])
wanted = [f"extractive_qa/http/static/{p.name}" for p in (root / "extractive_qa/http/static").iterdir() if p.is_file()]
wanted += [f"extractive_qa/http/{p.relative_to(root / 'extractive_qa/http')}" for p in (root / "extractive_qa/http/wrappers").glob("*/pipeline_wrapper.py")]
wanted += [f"extractive_qa/pipelines/{p.name}" for p in (root / "pipelines").glob("*.yml")]
print(" ".join(sorted(set(wanted) - names)))
PY
)"
if [ -n "$missing" ]; then say "the wheel lacks files the application reads: $missing"; exit 1; fi
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
