#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: Python packages and Debian's Chromium
# (the browser test uses /usr/bin/chromium; Playwright never downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
fi
