"""The roofline model for a convolution layer, and the measurements Chapter 8 explains with it.

Introduced in Chapter 8. A processor can do at most P floating-point operations per
second (its compute ceiling) and move at most beta bytes per second to and from memory
(its bandwidth). A computation that does F FLOPs on Q bytes has the *arithmetic
intensity* I = F / Q FLOP/byte, and can run at most at ``min(P, I * beta)`` FLOP/s: the
roof. Below the ridge point I = P / beta it is memory-bound, above it compute-bound.

The model: :func:`conv_cost` (a layer's work and least traffic) and :func:`attainable`
(the roof). The measurements: :func:`memory_bandwidth` and :func:`matmul_ceiling` (the two
ceilings of this machine), :func:`time_layer` and :func:`roofline` (every method's
throughput on a few layers), :func:`speed_map` (which method wins on every layer of a
grid), and their plots. ``benchmarks/speed_map.py`` runs them from the command line.

>>> cost = conv_cost(64, 16, 32, 28, 3, padding=1)
>>> cost["flops"], cost["gemm"]
(462422016, (32, 144, 50176))
>>> round(attainable(1.0, peak=100.0, bandwidth=20.0), 1), attainable(50.0, 100.0, 20.0)
(20.0, 100.0)
"""
from __future__ import annotations

import itertools
import numbers
import time

import torch
import torch.nn.functional as F

from ._validate import check_int
from .conv import conv2d_fft, conv2d_unfold
from .timing import Timing, ratio, time_interleaved
from .winograd import conv2d_winograd

__all__ = ["conv_cost", "attainable", "METHODS", "GRID", "LAYERS", "memory_bandwidth",
           "matmul_ceiling", "time_layer", "speed_map", "roofline", "plot_speed_map",
           "plot_roofline"]

BYTES = 4  # float32


def conv_cost(n: int, c_in: int, c_out: int, size: int, k: int, padding: int = 0) -> dict:
    """Work and least memory traffic of one square convolution layer, float32, stride 1.

    Layer: input (n, c_in, size, size), weight (c_out, c_in, k, k), ``padding`` on
    every side. Returns a dict with

    * ``flops``: 2 per multiply-add of a direct convolution, 2 * n * c_out * L * c_in * k^2
      with L = out_size^2 output pixels;
    * ``bytes``: input, weight and output each read or written once (the least any
      method can move), and ``intensity`` = flops / bytes;
    * ``gemm``: im2col's matrix multiply (M, K, N) = (c_out, c_in * k^2, n * L), and
      ``gemm_bytes``/``gemm_intensity``: its three matrices read or written once, with the
      column matrix (K x N) written by im2col and read back by the multiply.
    """
    n, c_in, c_out, size, k = (check_int(v, name, minimum=1) for v, name in
                               ((n, "n"), (c_in, "c_in"), (c_out, "c_out"), (size, "size"), (k, "k")))
    padding = check_int(padding, "padding", minimum=0)
    out = size + 2 * padding - k + 1
    if out < 1:
        raise ValueError(f"k: a {k}x{k} kernel does not fit in a {size}x{size} input with padding {padding}")
    L = out * out
    flops = 2 * n * c_out * L * c_in * k * k
    data = BYTES * (n * c_in * size * size + c_out * c_in * k * k + n * c_out * L)
    M, K, N = c_out, c_in * k * k, n * L
    gemm_bytes = BYTES * (M * K + 2 * K * N + M * N)
    return {"flops": flops, "bytes": data, "intensity": flops / data, "out_size": out,
            "gemm": (M, K, N), "gemm_bytes": gemm_bytes, "gemm_intensity": flops / gemm_bytes}


def attainable(intensity: float, peak: float, bandwidth: float) -> float:
    """The roof: ``min(peak, intensity * bandwidth)``, in the units of ``peak``.

    ``intensity`` in FLOP/byte, ``peak`` in GFLOP/s and ``bandwidth`` in GB/s give GFLOP/s.
    """
    for name, v in (("intensity", intensity), ("peak", peak), ("bandwidth", bandwidth)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name}: expected a number, got {type(v).__name__} {v!r}")
        if not v > 0:
            raise ValueError(f"{name}: expected a positive number, got {v!r}")
    return min(peak, intensity * bandwidth)


def _check_seconds(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a number of seconds, got {type(v).__name__} {v!r}")
    if not v > 0:
        raise ValueError(f"{name}: expected a positive number of seconds, got {v!r}")
    return float(v)


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
    mib, rounds, device = check_int(mib, "mib", minimum=1), check_int(rounds, "rounds", minimum=1), torch.device(device)
    n = mib * 2**20 // 4
    src, dst = torch.ones(n, device=device), torch.empty(n, device=device)
    t = time_interleaved({"copy": _synced(lambda: dst.copy_(src), device)}, rounds=rounds)["copy"]
    return {"mib": mib, "best_s": t.min, "median_s": t.median, "gbs": 2 * 4 * n / t.min / 1e9}


def matmul_ceiling(n: int = 1024, rounds: int = 7, device="cpu") -> dict:
    """GFLOP/s of an n x n float32 matrix multiply (2 n^3 FLOPs), best round: the practical compute roof."""
    n, rounds, device = check_int(n, "n", minimum=1), check_int(rounds, "rounds", minimum=1), torch.device(device)
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

    Layer: input (n, c_in, size, size), weight (c_out, c_in, k, k); ``methods``: names in
    :data:`METHODS` (default all). Returns name -> utils.timing.Timing (seconds per call),
    with 1 to ``rounds`` rounds as
    ``budget`` seconds allow. Every method's output is first compared with ``F.conv2d``'s
    (a wrong fast answer is no answer).
    """
    conv_cost(n, c_in, c_out, size, k, k // 2)             # checks the layer's numbers
    rounds, budget = check_int(rounds, "rounds", minimum=1), _check_seconds(budget, "budget")
    unknown = set(methods or ()) - set(METHODS)
    if unknown:
        raise ValueError(f"methods: unknown {sorted(unknown)}; expected some of {list(METHODS)}")
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

    Every candidate is first called once, timed: that call is the warm-up, and if the calls
    together already exceed ``budget`` it is also the measurement (one call each is all the
    budget allows). Otherwise one interleaved round, and more only if the first says they
    fit in the budget.
    """
    first = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - t0
    if sum(first.values()) > budget:
        return {name: Timing((t,)) for name, t in first.items()}
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
    if not isinstance(grid, dict) or set(grid) != set(GRID):
        raise ValueError(f"grid: expected a dict with the keys {list(GRID)}, got {grid!r}")
    for key, values in grid.items():
        for v in values:
            check_int(v, f"grid[{key!r}]", minimum=1)
    rounds = check_int(rounds, "rounds", minimum=1)
    call_budget, layer_budget = _check_seconds(call_budget, "call_budget"), _check_seconds(layer_budget, "layer_budget")
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
    where each layer has its :func:`conv_cost` entries, ``timing`` (method ->
    :class:`utils.timing.Timing`, for :func:`utils.timing.ratio`), ``seconds`` and ``gflops``:
    method -> useful GFLOP/s (the direct convolution's FLOPs / measured time; FFT and
    Winograd do fewer multiplies, so they can beat a roof drawn for the direct count).
    """
    layers = layers or LAYERS
    rounds, budget = check_int(rounds, "rounds", minimum=1), _check_seconds(budget, "budget")
    bw = bandwidth or memory_bandwidth(device=device)["gbs"]          # GB/s, measured unless given
    peak = peak or matmul_ceiling(device=device)["gflops"]             # GFLOP/s, likewise
    out = {"bandwidth_gbs": bw, "peak_gflops": peak, "ridge": peak / bw, "layers": {}}
    for name, (n, c_in, c_out, size, k) in layers.items():
        cost = conv_cost(n, c_in, c_out, size, k, k // 2)
        timing = time_layer(n, c_in, c_out, size, k, rounds=rounds, budget=budget, device=device)
        out["layers"][name] = {**cost, "shape": [n, c_in, c_out, size, k],
                               "timing": timing, "seconds": {m: t.median for m, t in timing.items()},
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


