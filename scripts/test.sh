#!/usr/bin/env bash
# Every test of the book, in order of cost; stops at the first failing stage.
# Called by `make test` (after the venv and the vendored assets are in place).
set -euo pipefail
cd "$(dirname "$0")/.."
source "${VENV:-.venv}/bin/activate"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "The browser tests need Chromium at $CHROMIUM." >&2
    echo "Install it with: sudo apt-get install chromium   (or set CHROMIUM=/path/to/chromium)" >&2
    exit 1
fi
mkdir -p _build/logs _build/screenshots
PYTEST="python -m pytest -p no:cacheprovider"
T0=$(date +%s)
stage() {
    local name=$1; shift
    local s=$(date +%s)
    echo; echo "=== $name"
    "$@"
    echo "=== $name: $(( $(date +%s) - s )) s"
}
stage "unit tests" $PYTEST tests --ignore=tests/browser -q -p no:playwright
stage "notebooks match a fresh run (nbval)" \
    $PYTEST --nbval notebooks --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg -q -p no:playwright
stage "book build (-W, every notebook executed)" jupyter-book build . --all -W -n --keep-going -q
stage "real browser: built book and JupyterLab" $PYTEST tests/browser -q
echo; echo "all tests passed in $(( $(date +%s) - T0 )) s"
