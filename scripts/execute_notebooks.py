"""Execute notebooks the way nbval and the book build run them.

Usage:
    python scripts/execute_notebooks.py notebooks/01_kernels_by_hand.ipynb [...]
    python scripts/execute_notebooks.py --no-write --report times.json notebooks/*.ipynb
    python scripts/execute_notebooks.py --no-write --jobs 2 notebooks/*.ipynb
    python scripts/execute_notebooks.py --print-order notebooks/*.ipynb

Each notebook runs in a fresh kernel with its own folder as the working directory. By
default outputs and execution counts are saved into the file (nbval compares against them);
with ``--no-write`` the file is left alone (a check that every cell runs, used by
``make test-other-cpu`` and ``make bench``). The time of each notebook is printed and, with
``--report FILE``, written as JSON. A cell that raises stops that notebook and the script
exits non-zero after trying the others. ``--jobs N`` runs N notebooks at a time, each in its
own process; timings then include the competition for the cores. Several at a time start
with the slowest (``slowest_first``), so that no long notebook is left running alone at the
end; ``--print-order`` only prints that order (scripts/test.sh hands nbval's notebooks to its
workers in it).

The kernel manager provisions CurveZMQ keys for the kernel (``transport_encryption``), so
the kernel talks over encrypted sockets and prints no "running over TCP without
encryption" warning. Cell timing metadata is not recorded, so re-running an unchanged
notebook leaves a small diff (only the outputs that legitimately vary, such as timings).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "results.json"


def slowest_first(paths: list[Path]) -> list[Path]:
    """``paths`` ordered by the seconds each notebook took in the last `make bench`
    (benchmarks/results.json), slowest first; a notebook it did not time counts as the
    median of those it did."""
    try:
        known = json.loads(BENCH.read_text())["notebooks"]["per_notebook_s"]
    except (OSError, KeyError, ValueError):
        known = {}
    times = sorted(known.values())
    default = times[len(times) // 2] if times else 0.0
    return sorted(paths, key=lambda p: -known.get(p.name, default))


def kernel_config() -> Config:
    """Configuration of the kernel manager nbclient starts: encrypted kernel sockets."""
    return Config({"KernelManager": {"transport_encryption": "auto"}})


def execute(path: Path, *, timeout: int = 600, write: bool = True) -> float:
    """Run every cell of the notebook at ``path`` in a fresh kernel; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   config=kernel_config(), resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - t0
    if write:
        nbformat.write(nb, path)
    return elapsed


def _run(path: Path, timeout: int, write: bool) -> tuple[float | None, str | None]:
    """``execute`` for a worker process: (seconds, None), or (None, the error's text)."""
    try:
        return execute(path, timeout=timeout, write=write), None
    except CellExecutionError as err:
        return None, str(err)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--no-write", action="store_true", help="do not save the outputs into the notebooks")
    ap.add_argument("--report", type=Path, help="write {notebook: seconds} as JSON to this file")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks run at a time (default 1)")
    ap.add_argument("--print-order", action="store_true",
                    help="print the notebooks slowest first (as --jobs runs them) and exit")
    args = ap.parse_args(argv)
    if args.print_order:
        print(" ".join(str(p) for p in slowest_first(args.notebooks)))
        return 0
    if args.jobs < 1:
        ap.error(f"--jobs: expected at least 1, got {args.jobs}")
    times, failed = {}, []
    order = slowest_first(args.notebooks) if args.jobs > 1 else args.notebooks
    with ProcessPoolExecutor(args.jobs) as pool:      # a fresh process per worker, even for one
        futures = {p: pool.submit(_run, p, args.timeout, not args.no_write) for p in order}
        for p in args.notebooks:
            elapsed, error = futures[p].result()
            if error is None:
                times[p.name] = elapsed
                print(f"{p}: executed in {elapsed:.1f} s", flush=True)
            else:
                failed.append(p.name)
                print(f"{p}: FAILED\n{error}", flush=True)
    print(f"total: {sum(times.values()):.1f} s for {len(times)} notebook(s)"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"per_notebook_s": times, "total_s": sum(times.values()),
                                           "failed": failed}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
