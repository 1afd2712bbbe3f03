#!/usr/bin/env bash
# Set up everything on a fresh machine (Python 3.11 and nothing else): a virtual environment with the
# package and its requirements, and the system packages the tests use when they can be installed.
# Usage: scripts/setup.sh [build|dev]   (dev adds pytest, hypothesis and ruff)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-build}"
req=requirements.txt
[ "$kind" = dev ] && req=requirements-dev.txt
PYTHON="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".setup-stamp-$kind"
want="$(cat requirements*.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req" -e .
  echo "$want" > "$stamp"
fi

# poppler-utils (pdftotext, pdfinfo, pdftoppm) lets the tests read the PDF like a person would.
if [ "$kind" = dev ] && ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq poppler-utils) >/dev/null 2>&1 \
      || echo "note: could not install poppler-utils; PDF text checks will be skipped" >&2
  else
    echo "note: install poppler-utils for the PDF text checks" >&2
  fi
fi
