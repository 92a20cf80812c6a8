#!/usr/bin/env bash
# Creates a virtual environment and installs the project (editable) with its test tools into it. The one owner of
# the venv + install step: scripts/test.sh and scripts/test_haystack3.sh call it.
#   scripts/setup.sh                                        # .venv on Haystack 2.x (the `haystack2` extra)
#   EQA_VENV=.venv-haystack3 EQA_EXTRA=haystack3 scripts/setup.sh   # the Haystack 3 environment
# Environment (all optional):
#   EQA_VENV    the virtual environment's directory, relative to the repository or absolute (default .venv)
#   EQA_EXTRA   the Haystack extra to install: haystack2 (default) or haystack3
#   PYTHON      the interpreter that creates it (default python3; needs Python >= 3.10)
# Safe to run again: it reinstalls only when pyproject.toml or the extra changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="${EQA_VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
extra="${EQA_EXTRA:-haystack2}"
case "$extra" in
  haystack2 | haystack3) ;;
  *) echo "error: EQA_EXTRA must be haystack2 or haystack3, not '$extra'" >&2; exit 2 ;;
esac
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$extra-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing the project with the $extra extra and its dependencies into $venv (torch is large: this takes a few minutes)" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  # --upgrade: an environment made for one Haystack major moves to the extra's (pip keeps what satisfies otherwise)
  "$venv/bin/python" -m pip install --quiet --upgrade --upgrade-strategy only-if-needed -e ".[test,$extra]"
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
