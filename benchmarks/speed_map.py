"""Which convolution algorithm wins where, on this machine: a speed map and a roofline.

`python benchmarks/speed_map.py` (add `--rounds 5` for steadier numbers, `--device cuda`
on a GPU) measures

1. the roofline's two ceilings: memory bandwidth (a large copy) and float32 matmul
   throughput, then every method's throughput on a few layer shapes (:func:`roofline`);
2. the speed map (:func:`speed_map`): direct (`F.conv2d`), the book's im2col
   (`conv2d_unfold`), FFT (`conv2d_fft`) and Winograd F(2x2, 3x3) and F(4x4, 3x3)
   (`conv2d_winograd`, 3x3 kernels only) on every layer of a grid -- channels 1/16/64
   (in = out), image 7/28/112, kernel 1/3/7/15 ("same" padding), batch 1/64 -- timed
   interleaved shape by shape;

and writes `benchmarks/speed_map.json` and `benchmarks/speed_map.png`. Chapter 7 imports
these functions. To finish in well under 30 s on a 2-core CPU, repeats adapt to the
cost: each layer is timed with batch 1 first (1 to ``rounds`` interleaved rounds, as its
time budget allows); for batch 64, a method whose batch-1 call was slow is timed on a
slice of the batch (64 -> 16 -> 4 images) and scaled, or reuses its batch-1 time times 64.
The work per image is large there, so time is proportional to the batch. Such cells are
marked "*" on the map; no layer is skipped, and a method is left out only where it does
not apply (Winograd for kernels other than 3x3).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from utils.conv import conv2d_fft, conv2d_unfold  # noqa: E402
from utils.roofline import conv_cost  # noqa: E402
from utils.timing import Timing, ratio, time_interleaved  # noqa: E402
from utils.winograd import conv2d_winograd  # noqa: E402

METHODS = {
    "direct": lambda x, w, p: F.conv2d(x, w, padding=p),
    "im2col": lambda x, w, p: conv2d_unfold(x, w, padding=p),
    "fft": lambda x, w, p: conv2d_fft(x, w, padding=p),
    "winograd2": lambda x, w, p: conv2d_winograd(x, w, padding=p, tile=2),
    "winograd4": lambda x, w, p: conv2d_winograd(x, w, padding=p, tile=4),
}
GRID = {"channels": (1, 16, 64), "image": (7, 28, 112), "kernel": (1, 3, 7, 15), "batch": (1, 64)}
LAYERS = {  # the roofline's layers: (batch, c_in, c_out, image, kernel), "same" padding
    "one digit 1→1": (1, 1, 1, 28, 3),
    "first layer 1→16": (64, 1, 16, 28, 3),
    "batch 16→32": (64, 16, 32, 28, 3),
    "deep 64→64, 7×7": (64, 64, 64, 7, 3),
    "wide 64→64": (16, 64, 64, 28, 3),
}


def applies(method: str, k: int) -> bool:
    """Winograd F(m x m, 3x3) exists for 3x3 kernels only; the other methods take any k."""
    return k == 3 or not method.startswith("winograd")


def _synced(fn, device):
    if device.type != "cuda":
        return fn
    return lambda: (fn(), torch.cuda.synchronize())


def memory_bandwidth(mib: int = 128, rounds: int = 7, device="cpu") -> dict:
    """GB/s of ``dst.copy_(src)`` on two float32 buffers of ``mib`` MiB: bytes read + written.

    A ceiling is what the machine *can* do, so it is the best round (the fastest copy), not
    the median: background load only ever slows a round down.
    """
    device = torch.device(device)
    n = mib * 2**20 // 4
    src, dst = torch.ones(n, device=device), torch.empty(n, device=device)
    t = time_interleaved({"copy": _synced(lambda: dst.copy_(src), device)}, rounds=rounds)["copy"]
    return {"mib": mib, "best_s": t.min, "median_s": t.median, "gbs": 2 * 4 * n / t.min / 1e9}


def matmul_ceiling(n: int = 1024, rounds: int = 7, device="cpu") -> dict:
    """GFLOP/s of an n x n float32 matrix multiply (2 n^3 FLOPs), best round: the practical compute roof."""
    device = torch.device(device)
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=g).to(device) for _ in range(2))
    t = time_interleaved({"mm": _synced(lambda: a @ b, device)}, rounds=rounds)["mm"]
    return {"n": n, "best_s": t.min, "median_s": t.median, "gflops": 2 * n**3 / t.min / 1e9}


def _layer(n, c_in, c_out, size, k, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, size, size, generator=g).to(device)
    w = (torch.randn(c_out, c_in, k, k, generator=g) / (c_in * k * k) ** 0.5).to(device)
    return x, w


def time_layer(n, c_in, c_out, size, k, methods=None, rounds=3, budget=0.5, device="cpu") -> dict:
    """Time every applicable method on one layer ("same" padding k // 2), interleaved.

    Returns name -> utils.timing.Timing (seconds per call), with 1 to ``rounds`` rounds as
    ``budget`` seconds allow. Every method's output is first compared with ``F.conv2d``'s
    (a wrong fast answer is no answer).
    """
    device = torch.device(device)
    methods = {m: METHODS[m] for m in (methods or METHODS) if applies(m, k)}
    x, w = _layer(n, c_in, c_out, size, k, device)
    p = k // 2
    with torch.no_grad():
        ref = F.conv2d(x, w, padding=p)
        fns = {}
        for name, f in methods.items():
            torch.testing.assert_close(f(x, w, p), ref, rtol=1e-3, atol=1e-3)
            fns[name] = _synced(lambda f=f: f(x, w, p), device)
        return _timed(fns, rounds, budget)


def _timed(fns: dict, rounds: int, budget: float) -> dict:
    """Interleaved timings with as many rounds (1 to ``rounds``) as ``budget`` seconds allow.

    One round first (its calibration call doubles as the warm-up); more rounds only if
    the first says they fit in the budget.
    """
    timing = time_interleaved(fns, rounds=1, warmup=0, min_block=0.002)
    per_round = sum(t.median for t in timing.values())
    more = min(rounds - 1, int(budget / max(per_round, 1e-9)) - 2)
    if more > 0:
        extra = time_interleaved(fns, rounds=more, warmup=0, min_block=0.002)
        timing = {name: Timing(t.times + extra[name].times) for name, t in timing.items()}
    return timing


def speed_map(rounds: int = 3, device="cpu", grid=None, call_budget: float = 0.01,
              layer_budget: float = 0.15, progress=None) -> dict:
    """Time every method on every layer of ``grid`` (default :data:`GRID`), interleaved per layer.

    Each layer is timed for batch 1 first, with 1 to ``rounds`` rounds as ``layer_budget``
    seconds allow. For a larger batch, a method whose batch-1 call took t is timed on the
    largest slice of the batch (n, n/4, n/16, ...) with slice * t <= ``call_budget``
    seconds, and its time scaled to the whole batch; a method for which even 4 images
    exceed the budget reuses its batch-1 time, times n. Returns {"grid", "device",
    "threads", "seconds" (wall time), "rows": [...]} with one row per layer: channels,
    image, kernel, batch, ``measured_batch`` (method -> images actually timed), ``times``
    (method -> median seconds for the full batch), ``winner`` and ``slower``: for each
    method, how many times the winner's time it took (median over rounds of the per-round
    ratio for methods timed together, else the ratio of medians).
    """
    grid = grid or GRID
    device = torch.device(device)
    t0 = time.perf_counter()
    rows = []
    for c, size, k in itertools.product(grid["channels"], grid["image"], grid["kernel"]):
        x, w = _layer(max(grid["batch"]), c, c, size, k, device)
        p = k // 2
        methods = {m: f for m, f in METHODS.items() if applies(m, k)}
        with torch.no_grad():
            crop = x[:1, :, :28, :28]        # a wrong fast answer is no answer: check on a crop
            ref = F.conv2d(crop, w, padding=p)
            for f in methods.values():
                torch.testing.assert_close(f(crop, w, p), ref, rtol=1e-3, atol=1e-3)
            n0, per_image = None, None
            for n in sorted(grid["batch"]):
                if per_image is None:        # the smallest batch: time every method on it
                    batch = {m: n for m in methods}
                else:
                    batch = {}
                    for m, t in per_image.items():
                        b = n
                        while b > 1 and b * t > call_budget:
                            b //= 4
                        batch[m] = max(b, 1)
                measure = {m: b for m, b in batch.items() if per_image is None or b > n0}
                fns = {m: _synced(lambda f=methods[m], xb=x[:b]: f(xb, w, p), device) for m, b in measure.items()}
                timing = _timed(fns, rounds, layer_budget) if fns else {}
                times, together = {}, set(timing)
                for m in methods:
                    if m in timing:
                        times[m] = timing[m].median * n / batch[m]
                    else:                    # reuse the smallest batch's time, scaled
                        batch[m] = n0
                        times[m] = per_image[m] * n
                winner = min(times, key=times.get)
                # per-round ratios where both were timed together (scaled by the images each timed)
                slower = {m: (ratio(timing, m, winner) * batch[winner] / batch[m] if {m, winner} <= together
                              else times[m] / times[winner]) for m in methods}
                if per_image is None:
                    n0, per_image = n, {m: times[m] / n for m in methods}
                rows.append({"channels": c, "image": size, "kernel": k, "batch": n, "measured_batch": batch,
                             "times": times, "winner": winner, "slower": slower})
                if progress:
                    progress(rows[-1])
    return {"grid": {k: list(v) for k, v in grid.items()}, "device": str(device),
            "threads": torch.get_num_threads(), "seconds": time.perf_counter() - t0, "rows": rows}


def roofline(layers=None, rounds: int = 5, budget: float = 0.5, device="cpu",
             bandwidth: float | None = None, peak: float | None = None) -> dict:
    """Both ceilings and every method's throughput on ``layers`` (default :data:`LAYERS`).

    Returns {"bandwidth_gbs", "peak_gflops", "ridge" (FLOP/byte), "layers": {name: {...}}}
    where each layer has its :func:`utils.roofline.conv_cost` entries and ``gflops``:
    method -> useful GFLOP/s (the direct convolution's FLOPs / measured time; FFT and
    Winograd do fewer multiplies, so they can beat a roof drawn for the direct count).
    """
    layers = layers or LAYERS
    bw = bandwidth or memory_bandwidth(device=device)["gbs"]          # GB/s, measured unless given
    peak = peak or matmul_ceiling(device=device)["gflops"]             # GFLOP/s, likewise
    out = {"bandwidth_gbs": bw, "peak_gflops": peak, "ridge": peak / bw, "layers": {}}
    for name, (n, c_in, c_out, size, k) in layers.items():
        cost = conv_cost(n, c_in, c_out, size, k, k // 2)
        timing = time_layer(n, c_in, c_out, size, k, rounds=rounds, budget=budget, device=device)
        out["layers"][name] = {**cost, "shape": [n, c_in, c_out, size, k],
                               "seconds": {m: t.median for m, t in timing.items()},
                               "gflops": {m: cost["flops"] / t.median / 1e9 for m, t in timing.items()}}
    return out


COLOURS = {"direct": "#4c72b0", "im2col": "#dd8452", "fft": "#55a868",
           "winograd2": "#c44e52", "winograd4": "#8172b3"}


def plot_speed_map(result: dict, ax=None):
    """Heat map: rows channels x image, columns kernel x batch; colour = winner, text = margin.

    A cell's number is how many times longer the runner-up took (median over rounds);
    "*" marks a cell whose winner or runner-up was timed on a slice of the batch and scaled.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    grid = result["grid"]
    row_keys = list(itertools.product(grid["channels"], grid["image"]))
    col_keys = list(itertools.product(grid["kernel"], grid["batch"]))
    names = list(COLOURS)
    index = {}
    for r in result["rows"]:
        index[(r["channels"], r["image"]), (r["kernel"], r["batch"])] = r
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5.6))
    codes = [[names.index(index[rk, ck]["winner"]) for ck in col_keys] for rk in row_keys]
    ax.imshow(codes, cmap=ListedColormap([COLOURS[n] for n in names]), vmin=-0.5,
              vmax=len(names) - 0.5, aspect="auto")
    for i, rk in enumerate(row_keys):
        for j, ck in enumerate(col_keys):
            r = index[rk, ck]
            others = {name: v for name, v in r["slower"].items() if name != r["winner"]}
            second = min(others, key=others.get) if others else None
            label = f"{others[second]:.1f}×" if others else ""
            if any(r["measured_batch"][m] < r["batch"] for m in (r["winner"], second) if m):
                label += "*"
            ax.text(j, i, label, ha="center", va="center", fontsize=8, color="white")
    ax.set_xticks(range(len(col_keys)), [f"k{k}\nN{n}" for k, n in col_keys], fontsize=8)
    ax.set_yticks(range(len(row_keys)), [f"C{c}, {s}×{s}" for c, s in row_keys], fontsize=8)
    ax.set_xlabel("kernel k×k, batch N")
    ax.set_ylabel("channels in = out, image")
    used = sorted({r["winner"] for r in result["rows"]}, key=names.index)
    ax.legend(handles=[Patch(color=COLOURS[n], label=n) for n in used], loc="upper left",
              bbox_to_anchor=(1.01, 1), fontsize=8, title="fastest")
    ax.set_title(f"fastest method per layer ({result['device']}, {result['threads']} threads)", fontsize=10)
    return ax


def plot_roofline(result: dict, ax=None):
    """The roofline: the two ceilings, and every method's throughput at each layer's intensity."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.4))
    bw, peak = result["bandwidth_gbs"], result["peak_gflops"]
    layers = result["layers"].values()
    intensities = [x["gemm_intensity"] for x in layers] + [x["intensity"] for x in layers]
    lo, hi = min(intensities + [result["ridge"]]) / 2, max(intensities + [result["ridge"]]) * 2
    xs = [lo * (hi / lo) ** (i / 99) for i in range(100)]
    ax.loglog(xs, [min(peak, x * bw) for x in xs], "k-", lw=2)
    ax.text(lo, lo * bw * 1.3, f"memory {bw:.0f} GB/s", fontsize=8, rotation=28)
    ax.text(hi, peak * 1.15, f"matmul {peak:.0f} GFLOP/s", fontsize=8, ha="right", va="bottom")
    markers = "osvD^<>p"
    for (name, layer), marker in zip(result["layers"].items(), markers):
        for method, gflops in layer["gflops"].items():
            ax.plot(layer["intensity"], gflops, marker, color=COLOURS[method], ms=7, mfc="none", mew=1.5)
        ax.plot(layer["gemm_intensity"], layer["gflops"]["im2col"], marker, color=COLOURS["im2col"], ms=7)
        ax.plot([], [], marker, color="k", mfc="none", label=name)         # legend: shape = layer
    for method, colour in COLOURS.items():
        ax.plot([], [], "s", color=colour, ms=8, label=method)             # legend: colour = method
    ax.plot([], [], "o", color=COLOURS["im2col"], label="im2col at its GEMM's intensity")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("useful GFLOP/s")
    return ax


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per layer (default 3)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    args = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roof = roofline(device=args.device)
    print(f"memory bandwidth {roof['bandwidth_gbs']:.1f} GB/s, matmul {roof['peak_gflops']:.0f} GFLOP/s, "
          f"ridge {roof['ridge']:.1f} FLOP/byte")
    for name, layer in roof["layers"].items():
        print(f"  {name:18s} I={layer['intensity']:6.1f} (GEMM {layer['gemm_intensity']:5.1f})  " +
              "  ".join(f"{m} {g:6.1f}" for m, g in layer["gflops"].items()))
    result = speed_map(rounds=args.rounds, device=args.device)
    result["roofline"] = roof
    wins = {}
    for r in result["rows"]:
        wins[r["winner"]] = wins.get(r["winner"], 0) + 1
    print(f"speed map: {len(result['rows'])} layers in {result['seconds']:.1f} s; wins: {wins}")
    (HERE / "speed_map.json").write_text(json.dumps(result, indent=1))
    fig, axs = plt.subplots(1, 2, figsize=(15, 5.6), gridspec_kw={"width_ratios": [1.25, 1]})
    plot_speed_map(result, axs[0])
    plot_roofline(roof, axs[1])
    fig.tight_layout()
    fig.savefig(HERE / "speed_map.png", dpi=90)
    print(f"wrote {HERE / 'speed_map.json'} and {HERE / 'speed_map.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
