"""The roofline model for a convolution layer: work, memory traffic, arithmetic intensity.

Introduced in Chapter 7. A processor can do at most P floating-point operations per
second (its compute ceiling) and move at most B bytes per second to and from memory
(its bandwidth). A computation that does F FLOPs on Q bytes has the *arithmetic
intensity* I = F / Q FLOP/byte, and can run at most at ``min(P, I * B)`` FLOP/s: the
roof. Below the ridge point I = P / B it is memory-bound, above it compute-bound.

>>> cost = conv_cost(64, 16, 32, 28, 3, padding=1)
>>> cost["flops"], cost["gemm"]
(462422016, (32, 144, 50176))
>>> round(attainable(1.0, peak=100.0, bandwidth=20.0), 1), attainable(50.0, 100.0, 20.0)
(20.0, 100.0)
"""
from __future__ import annotations

from ._validate import check_int

__all__ = ["conv_cost", "attainable"]

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
