#!/usr/bin/env bash
# Every test of the book. Each notebook executes once: nbval runs it and compares with the
# committed outputs; the book is built from those committed (so verified) outputs without
# executing again (`make book` executes).
#
# nbval takes one worker per core; the unit tests and the book render, which time nothing,
# run beside it at the lowest CPU priority (SCHED_IDLE), in the time nbval leaves a core idle
# (starting kernels, its last notebook alone), and their output is shown after nbval's.
# Then the real-browser tests run on the built book and in JupyterLab. Any failure fails
# the run. Called by `make test` (after the venv and the vendored assets are in place).
# Writes the time of each stage to _build/logs/test_times.json (`make readme-times` puts it
# in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
source "${VENV:-.venv}/bin/activate"
mkdir -p _build/logs _build/screenshots
PYTEST="python -m pytest -p no:cacheprovider"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
T0=$(date +%s)
TIMES=_build/logs/stage_times.txt
: > "$TIMES"
stage() {
    local key=$1 name=$2; shift 2
    local s=$(date +%s)
    echo; echo "=== $name"
    "$@"
    local took=$(( $(date +%s) - s ))
    echo "\"$key\": $took" >> "$TIMES"
    echo "=== $name: $took s"
}
kill_tree() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
    kill "$1" 2>/dev/null || true
}
browser_stage() {
    local chromium=${CHROMIUM:-/usr/bin/chromium}
    if [ ! -x "$chromium" ]; then
        echo "The browser tests need Chromium at $chromium." >&2
        echo "Install it with: sudo apt-get install chromium   (or set CHROMIUM=/path/to/chromium)" >&2
        return 1
    fi
    # a worker per core (a static server and a Chromium each), each taking whole files (the
    # JupyterLab tests share one server), in the order tests/browser/conftest.py puts them
    $PYTEST tests/browser -q -n "${BROWSER_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder
}
render_book() {
    # _config.yml stays the one place for execution settings: this copy differs only in
    # execute_notebooks: off, so the book shows the outputs nbval verifies
    python - <<'PY'
import yaml
config = yaml.safe_load(open("_config.yml"))
config["execute"]["execute_notebooks"] = "off"
open("_build/_config.render.yml", "w").write(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
PY
    jupyter-book build . --config _build/_config.render.yml --all -W -n --keep-going -q
}
unit_and_book() {
    # the lowest CPU priority (SCHED_IDLE; nice 19 where chrt cannot), inherited by every
    # process this subshell starts
    chrt --idle -p 0 $BASHPID 2> /dev/null || renice -n 19 -p $BASHPID > /dev/null
    stage unit "unit tests and doctests" $PYTEST tests utils --ignore=tests/browser --doctest-modules -q -p no:playwright
    stage book "book build from the committed outputs (-W)" render_book
}

BESIDE=_build/logs/unit_and_book.log
( unit_and_book ) > "$BESIDE" 2>&1 &
BG=$!
trap 'kill_tree $BG' EXIT
echo "unit tests, doctests and the book render run beside nbval at the lowest priority (log: $BESIDE)"
# one worker per core, each taking whole notebooks (--dist loadfile: a notebook's cells share
# one kernel, in order), the slowest first (benchmarks/results.json), so that no long notebook
# runs alone at the end. Each kernel computes on one thread, so that the workers do not
# compete for the cores inside the notebooks' timing comparisons (every assert must hold at
# 1 thread: make test-other-cpu)
NOTEBOOKS=$(python scripts/execute_notebooks.py --print-order notebooks/*.ipynb)
stage nbval "notebooks match a fresh run (nbval)" \
    env OMP_NUM_THREADS="${NBVAL_THREADS:-1}" $PYTEST --nbval $NOTEBOOKS --nbval-current-env \
    --nbval-sanitize-with nbval_sanitize.cfg -q -p no:playwright -p no:hypothesispytest \
    -n "${NBVAL_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder
status=0
wait $BG || status=$?
trap - EXIT
cat "$BESIDE"
[ $status -eq 0 ] || { echo "the unit tests or the book render failed (above)" >&2; exit $status; }
stage browser "real browser: built book and JupyterLab" browser_stage
TOTAL=$(( $(date +%s) - T0 ))
CPU=$(grep -m1 "model name" /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo "?")
echo "{\"date\": \"$(date -u +%Y-%m-%d)\", \"machine\": \"$CPU, $(nproc) cores\", \"load\": \"$LOAD\", \"total_s\": $TOTAL, \"stages\": {$(paste -sd, "$TIMES" | sed 's/,/, /g')}}" > _build/logs/test_times.json
echo; echo "all tests passed in $TOTAL s (stage times in _build/logs/test_times.json)"
