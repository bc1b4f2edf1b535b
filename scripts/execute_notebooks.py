"""Execute notebooks in place, the way nbval and the book build will run them.

Usage: python scripts/execute_notebooks.py notebooks/01_kernels_by_hand.ipynb [...]

Each notebook runs in a fresh kernel with its own folder as the working directory;
outputs and execution counts are saved into the file (nbval compares against them).
Cell timing metadata is not recorded, so re-running an unchanged notebook leaves a
small diff (only the outputs that legitimately vary, such as timings).
"""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - t0
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    for p in paths:
        print(f"{p}: executed in {execute(p):.1f} s", flush=True)
