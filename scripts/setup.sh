#!/usr/bin/env bash
# Creates the project's virtual environment in .venv and installs the project (editable) with its test tools, on
# Haystack 2.x (the `haystack2` extra).
# Safe to run again: it reinstalls only when pyproject.toml changed. Needs Python >= 3.10 (PYTHON=... to choose).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing the project and its dependencies into $venv (torch is large: this takes a few minutes)" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e ".[test,haystack2]"  # the 2.x line (scripts/test_haystack3.sh: 3.x)
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
