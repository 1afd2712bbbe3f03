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

# poppler-utils (pdftotext, pdfinfo, pdftoppm) lets the tests read the PDF like a person would;
# chromium lets them open the public index and report.html in a real (headless) browser.
if [ "$kind" = dev ]; then
  missing=()
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}") >/dev/null 2>&1 \
        || echo "note: could not install ${missing[*]}; the tests that need them will be skipped" >&2
    else
      echo "note: install ${missing[*]} (as root: apt-get install ${missing[*]}) for the PDF and browser tests" >&2
    fi
  fi
  # axe-core (the accessibility checker the browser tests run in the page), pinned by
  # tests/browser/package-lock.json and installed into tests/browser/node_modules.
  if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    if command -v npm >/dev/null 2>&1; then
      npm ci --prefix tests/browser --no-audit --no-fund --silent >/dev/null 2>&1 \
        || echo "note: npm could not install axe-core; the browser tests will be skipped" >&2
    else
      echo "note: install node and npm for the browser tests' accessibility check" >&2
    fi
  fi
fi
