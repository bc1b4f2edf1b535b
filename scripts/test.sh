#!/usr/bin/env bash
# Every test of the book, in order of cost; stops at the first failing stage. Each notebook
# executes once: nbval runs it and compares with the committed outputs, then the book is
# built from those verified outputs without executing again (`make book` executes).
# Called by `make test` (after the venv and the vendored assets are in place). Writes the
# time of each stage to _build/logs/test_times.json (`make readme-times` puts it in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
source "${VENV:-.venv}/bin/activate"
mkdir -p _build/logs _build/screenshots
PYTEST="python -m pytest -p no:cacheprovider"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
T0=$(date +%s)
TIMES=()
stage() {
    local key=$1 name=$2; shift 2
    local s=$(date +%s)
    echo; echo "=== $name"
    "$@"
    local took=$(( $(date +%s) - s ))
    TIMES+=("\"$key\": $took")
    echo "=== $name: $took s"
}
browser_stage() {
    local chromium=${CHROMIUM:-/usr/bin/chromium}
    if [ ! -x "$chromium" ]; then
        echo "The browser tests need Chromium at $chromium." >&2
        echo "Install it with: sudo apt-get install chromium   (or set CHROMIUM=/path/to/chromium)" >&2
        return 1
    fi
    # a worker per core, each taking whole test files (one JupyterLab, one static server each)
    $PYTEST tests/browser -q -n "${BROWSER_WORKERS:-auto}" --dist loadfile
}
render_book() {
    # _config.yml stays the one place for execution settings: this copy differs only in
    # execute_notebooks: off, so the book shows the outputs nbval has just verified
    python - <<'PY'
import yaml
config = yaml.safe_load(open("_config.yml"))
config["execute"]["execute_notebooks"] = "off"
open("_build/_config.render.yml", "w").write(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
PY
    jupyter-book build . --config _build/_config.render.yml --all -W -n --keep-going -q
}
stage unit "unit tests and doctests" $PYTEST tests utils --ignore=tests/browser --doctest-modules -q -p no:playwright
# one worker per core, each taking whole notebooks (--dist loadfile: a notebook's cells share
# one kernel, in order); the notebooks with the most cells are handed out first. Each kernel
# computes on one thread, so that the workers do not compete for the cores inside the
# notebooks' timing comparisons (every assert must hold at 1 thread: make test-other-cpu)
stage nbval "notebooks match a fresh run (nbval)" \
    env OMP_NUM_THREADS="${NBVAL_THREADS:-1}" $PYTEST --nbval notebooks --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg -q -p no:playwright \
    -n "${NBVAL_WORKERS:-auto}" --dist loadfile
stage book "book build from the verified outputs (-W)" render_book
stage browser "real browser: built book and JupyterLab" browser_stage
TOTAL=$(( $(date +%s) - T0 ))
CPU=$(grep -m1 "model name" /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo "?")
IFS=,; echo "{\"date\": \"$(date -u +%Y-%m-%d)\", \"machine\": \"$CPU, $(nproc) cores\", \"load\": \"$LOAD\", \"total_s\": $TOTAL, \"stages\": {${TIMES[*]}}}" > _build/logs/test_times.json; unset IFS
echo; echo "all tests passed in $TOTAL s (stage times in _build/logs/test_times.json)"
