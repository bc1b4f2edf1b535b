"""The book's benchmarks: `make bench` (or `.venv/bin/python benchmarks/run.py`).

Measures, on this machine:

1. the practical ceiling: float32 matrix-multiply throughput (GFLOP/s);
2. forward time and GFLOP/s of every convolution in `utils.conv` next to `F.conv2d`
   on one 28x28 digit, on a batch 64x16x28x28 -> 32 channels, and on a 256x256 image
   with kernels 3..63 (the FFT crossover), each ratio to `F.conv2d` measured
   interleaved in the same run (implementation A, B, C, A, B, C, ...);
3. forward+backward of the training chapter's network built with the book's `Conv2d`
   next to the same network with `nn.Conv2d` (and of two smaller networks), batch 64;
4. the cost of the book itself: the execution time of every notebook.

Prints a table, writes `benchmarks/results.json` and two plots (`benchmarks/crossover.png`,
`benchmarks/throughput.png`), Chapter 8's speed map and roofline
(`benchmarks/speed_map.py`), checks the targets and rewrites the README's measured tables
(`scripts/readme_tables.py`). Timing: `utils.timing`; executing the notebooks:
`scripts/execute_notebooks.py`. Options: `--quick` (fewer repeats), `--no-notebooks` (skip 4).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "scripts")]

import execute_notebooks  # noqa: E402
import readme_tables  # noqa: E402
import speed_map  # noqa: E402
from conv_speed import measure_module_ratio  # noqa: E402

from utils.conv import conv2d_fft, conv2d_loops, conv2d_toeplitz, conv2d_unfold, conv2d_unfold_naive  # noqa: E402
from utils.timing import fmt_time, ratio, time_interleaved  # noqa: E402

TARGETS = {"unfold_fraction_of_conv2d": 0.50, "module_fwd_bwd_ratio": 1.25, "book_seconds": 120.0}


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "python": platform.python_version(),
            "mkl": torch.backends.mkl.is_available(), "mkldnn": torch.backends.mkldnn.is_available()}


def conv_flops(x_shape, w_shape, out_shape) -> float:
    """Multiply-adds of a direct convolution, counted as 2 FLOPs each."""
    n, c_out, h_out, w_out = out_shape
    return 2.0 * n * c_out * h_out * w_out * w_shape[1] * w_shape[2] * w_shape[3]


def interleaved(fns: dict, rounds: int, warmup: int = 3, reference: str = "F.conv2d") -> dict:
    """``utils.timing.time_interleaved`` of ``fns``: per function the median/min/max seconds
    per call and the median of its per-round ratio to ``reference``."""
    t = time_interleaved(fns, rounds=rounds, warmup=warmup)
    return {k: {"median_s": r.median, "min_s": r.min, "max_s": r.max,
                "ratio_to_conv2d": ratio(t, k, reference) if reference in t else 1.0}
            for k, r in t.items()}


def matmul_ceiling(n: int = 2048, rounds: int = 10) -> dict:
    a, b = torch.randn(n, n), torch.randn(n, n)
    r = interleaved({"matmul": lambda: a @ b}, rounds, reference="matmul")["matmul"]
    return {"n": n, "median_s": r["median_s"], "gflops": 2 * n ** 3 / r["median_s"] / 1e9}


def forward_case(name, x, w, padding, impls, rounds) -> dict:
    with torch.no_grad():
        ref = F.conv2d(x, w, padding=padding)
        fns = {}
        for label, f in impls.items():
            out = f(x, w, padding)
            torch.testing.assert_close(out, ref, rtol=1e-3, atol=1e-3)   # same answer before timing it
            fns[label] = (lambda f=f: f(x, w, padding))
        res = interleaved(fns, rounds)
    flops = conv_flops(x.shape, w.shape, ref.shape)
    for r in res.values():
        r["gflops"] = flops / r["median_s"] / 1e9
    return {"case": name, "input": list(x.shape), "weight": list(w.shape), "padding": padding,
            "flops": flops, "results": res}


IMPLS = {
    "F.conv2d": lambda x, w, p: F.conv2d(x, w, padding=p),
    "conv2d_unfold": lambda x, w, p: conv2d_unfold(x, w, padding=p),
    "conv2d_unfold_naive": lambda x, w, p: conv2d_unfold_naive(x, w, padding=p),
    "conv2d_fft": lambda x, w, p: conv2d_fft(x, w, padding=p),
    "conv2d_toeplitz": lambda x, w, p: conv2d_toeplitz(x, w, padding=p),
    "conv2d_loops": lambda x, w, p: conv2d_loops(x, w, padding=p),
}


def pick(*names):
    return {n: IMPLS[n] for n in names}


def run_forward(quick: bool) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    cases = []
    x = torch.rand(1, 1, 28, 28, generator=g)
    w = torch.randn(1, 1, 3, 3, generator=g)
    cases.append(forward_case("one digit 1x1x28x28, 3x3", x, w, 0, pick(*IMPLS), 10 if quick else 30))
    x = torch.randn(64, 16, 28, 28, generator=g)
    w = torch.randn(32, 16, 3, 3, generator=g)
    # loops: ~50k Python iterations per call; Toeplitz: a dense 25088 x 12544 matrix (1.3 GB)
    cases.append(forward_case("batch 64x16x28x28 -> 32, 3x3, pad 1", x, w, 1,
                              pick("F.conv2d", "conv2d_unfold", "conv2d_unfold_naive", "conv2d_fft"),
                              20 if quick else 60))
    return cases


def run_crossover(quick: bool) -> list[dict]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 1, 256, 256, generator=g)
    rows = []
    for k in range(3, 64, 8 if quick else 4):
        w = torch.randn(1, 1, k, k, generator=g)
        case = forward_case(f"256x256, {k}x{k}", x, w, 0, pick("F.conv2d", "conv2d_fft"), 5 if quick else 15)
        rows.append({"k": k, **{name: r["median_s"] for name, r in case["results"].items()},
                     "fft_ratio": case["results"]["conv2d_fft"]["ratio_to_conv2d"]})
    return rows


def run_notebooks() -> dict:
    """Execute every notebook once (not written back), with scripts/execute_notebooks.py."""
    times = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        times[path.name] = execute_notebooks.execute(path, write=False)
        print(f"  {path.name}: {times[path.name]:.1f} s", flush=True)
    return {"per_notebook_s": times, "total_s": sum(times.values())}


def plot(results: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["crossover"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ks = [r["k"] for r in rows]
    ax.semilogy(ks, [r["F.conv2d"] * 1e3 for r in rows], "o-", label="F.conv2d (direct)")
    ax.semilogy(ks, [r["conv2d_fft"] * 1e3 for r in rows], "s-", label="conv2d_fft")
    if results.get("crossover_k"):
        k = results["crossover_k"]
        ax.axvline(k, color="grey", ls=":", label=f"FFT wins from {k}×{k}")
    ax.set_xlabel("kernel size k (k×k kernel, 256×256 image)")
    ax.set_ylabel("forward time (ms)")
    ax.legend()
    ax.set_title("Direct vs FFT convolution")
    fig.tight_layout()
    fig.savefig(HERE / "crossover.png", dpi=100)

    batch = next(c for c in results["forward"] if c["case"].startswith("batch"))
    names = list(batch["results"])
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ceiling = results["matmul"]["gflops"]
    vals = [batch["results"][n]["gflops"] for n in names]
    ax.barh(names, vals, color=["#1f77b4" if n == "F.conv2d" else "#ff7f0e" for n in names])
    ax.axvline(ceiling, color="k", ls="--", label=f"matmul ceiling {ceiling:.0f} GFLOP/s")
    ax.set_xlabel("GFLOP/s (batch 64×16×28×28 → 32, 3×3)")
    ax.legend(loc="lower right")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(HERE / "throughput.png", dpi=100)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a rough look in ~1 minute)")
    ap.add_argument("--no-notebooks", action="store_true", help="do not time the notebooks")
    args = ap.parse_args(argv)

    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "quick": args.quick}
    m = results["machine"]
    print(f"{m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['threads']} threads)\n")

    results["matmul"] = matmul_ceiling(rounds=5 if args.quick else 10)
    ceiling = results["matmul"]["gflops"]
    print(f"matmul ceiling: {results['matmul']['n']}x{results['matmul']['n']} float32 -> {ceiling:.1f} GFLOP/s\n")

    results["forward"] = run_forward(args.quick)
    for case in results["forward"]:
        print(f"forward, {case['case']}  ({case['flops'] / 1e6:.1f} MFLOP)")
        print(f"  {'implementation':22s} {'median':>10s} {'min':>10s} {'max':>10s} {'GFLOP/s':>9s} "
              f"{'% matmul':>9s} {'x F.conv2d':>10s}")
        for name, r in case["results"].items():
            print(f"  {name:22s} {fmt_time(r['median_s']):>10s} {fmt_time(r['min_s']):>10s} "
                  f"{fmt_time(r['max_s']):>10s} {r['gflops']:9.2f} {100 * r['gflops'] / ceiling:8.1f}% "
                  f"{r['ratio_to_conv2d']:10.2f}")
        print()

    results["crossover"] = run_crossover(args.quick)
    wins = [r["k"] for r in results["crossover"] if r["fft_ratio"] < 1]
    # the crossover: the smallest k from which the FFT stays ahead for every larger kernel
    ks = [r["k"] for r in results["crossover"]]
    results["crossover_k"] = next((k for i, k in enumerate(ks) if all(kk in wins for kk in ks[i:])), None)
    print("crossover, 256x256 image: k, F.conv2d, conv2d_fft, ratio")
    for r in results["crossover"]:
        print(f"  {r['k']:3d} {fmt_time(r['F.conv2d']):>10s} {fmt_time(r['conv2d_fft']):>10s} {r['fft_ratio']:6.2f}")
    print(f"  FFT faster from k = {results['crossover_k']}\n")

    results["module"] = {net: measure_module_ratio(net, repeats=60 if args.quick else 200)
                         for net in ("training", "bn", "simple")}
    for net, r in results["module"].items():
        print(f"fwd+bwd, {net:8s} MNIST network, batch 64: Conv2d {r['ours_ms']:.2f} ms, "
              f"nn.Conv2d {r['ref_ms']:.2f} ms, ratio {r['ratio']:.2f}")
    print()

    print("speed map and roofline (Chapter 8):")
    results["speed_map"] = speed_map.measure(rounds=2 if args.quick else 3)
    print()

    if not args.no_notebooks:
        print("executing the notebooks:")
        results["notebooks"] = run_notebooks()
        print(f"  whole book: {results['notebooks']['total_s']:.1f} s\n")

    batch = next(c for c in results["forward"] if c["case"].startswith("batch"))
    fraction = 1 / batch["results"]["conv2d_unfold"]["ratio_to_conv2d"]
    checks = [("conv2d_unfold throughput >= 50% of F.conv2d (batch case)",
               fraction >= TARGETS["unfold_fraction_of_conv2d"], f"{100 * fraction:.0f}%"),
              ("speed map within 30 s", results["speed_map"]["seconds"] <= 30,
               f"{results['speed_map']['seconds']:.1f} s"),
              ("Conv2d fwd+bwd <= 1.25x nn.Conv2d (Chapter 10's network)",
               results["module"]["training"]["ratio"] <= TARGETS["module_fwd_bwd_ratio"],
               f"{results['module']['training']['ratio']:.2f}x")]
    if "notebooks" in results:
        checks.append(("all notebooks execute in <= 120 s", results["notebooks"]["total_s"] <= TARGETS["book_seconds"],
                       f"{results['notebooks']['total_s']:.0f} s"))
    results["targets"] = [{"target": t, "met": bool(ok), "measured": v} for t, ok, v in checks]
    for t, ok, v in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {t}: {v}")

    old = json.loads((HERE / "results.json").read_text()) if (HERE / "results.json").exists() else {}
    if "make_test" in old:                      # recorded by `make readme-times`, not measured here
        results["make_test"] = old["make_test"]
    (HERE / "results.json").write_text(json.dumps(results, indent=1))
    plot(results)
    readme_tables.main([])
    print(f"\nwrote {HERE / 'results.json'}, {HERE / 'crossover.png'}, {HERE / 'throughput.png'}, README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
