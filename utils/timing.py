"""Timing on the reader's machine: interleaved repeats, medians and readable units.

Introduced in Chapter 3. Every chapter that says "A is faster than B" measures it with
:func:`time_interleaved`, which runs the candidates in turn (A, B, C, A, B, C, ...) so
that a burst of background load hits all of them alike, and reports per candidate the
median, min and max seconds per call. :func:`ratio` compares two candidates round by
round, which is steadier than dividing two medians. ``benchmarks/`` uses the same code.

>>> t = time_interleaved({"sum": lambda: sum(range(100))}, rounds=3)
>>> t["sum"].median > 0
True
>>> fmt_time(0.0123), fmt_time(4.2e-5), fmt_time(2.5)
('12.3 ms', '42.0 µs', '2.50 s')
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

from ._validate import check_int

__all__ = ["Timing", "time_interleaved", "median_time", "ratio", "fmt_time"]


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one candidate: one entry per round in ``times``."""
    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    def __str__(self) -> str:
        return fmt_time(self.median)


def _calibrate(fn: Callable[[], object], min_block: float) -> int:
    """How many calls of ``fn`` make one timed block of at least ``min_block`` seconds."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_block or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * min_block / max(elapsed, 1e-9)) + 1)


def time_interleaved(fns: dict[str, Callable[[], object]], *, rounds: int = 7,
                     warmup: int = 1, min_block: float = 0.01) -> dict[str, Timing]:
    """Time every function of ``fns`` (name -> zero-argument callable), interleaved.

    Each function is first called ``warmup`` times and calibrated so that one timed block
    (``number`` back-to-back calls) lasts at least ``min_block`` seconds; then ``rounds``
    rounds each time one block of every function in turn. Returns name -> :class:`Timing`
    (seconds per call).
    """
    if not isinstance(fns, dict) or not fns:
        raise TypeError("fns: expected a non-empty dict of name -> zero-argument callable")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns: the value for {name!r} is not callable")
    rounds = check_int(rounds, "rounds", minimum=1)
    warmup = check_int(warmup, "warmup", minimum=0)
    if not isinstance(min_block, (int, float)) or isinstance(min_block, bool) or min_block < 0:
        raise ValueError(f"min_block: expected a number of seconds >= 0, got {min_block!r}")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    numbers = {name: _calibrate(fn, min_block) for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = numbers[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    return {name: Timing(tuple(t)) for name, t in times.items()}


def median_time(fn: Callable[[], object], *, rounds: int = 7, min_block: float = 0.01) -> float:
    """Median seconds per call of one zero-argument callable."""
    return time_interleaved({"fn": fn}, rounds=rounds, min_block=min_block)["fn"].median


def ratio(timings: dict[str, Timing], numerator: str, denominator: str) -> float:
    """Median over rounds of ``numerator``'s time / ``denominator``'s time in the same round."""
    for arg, key in (("numerator", numerator), ("denominator", denominator)):
        if key not in timings:
            raise ValueError(f"{arg}: {key!r} is not one of the timed names {sorted(timings)}")
    a, b = timings[numerator].times, timings[denominator].times
    return statistics.median(x / y for x, y in zip(a, b))


def fmt_time(seconds: float) -> str:
    """Seconds as a short string in the unit that suits them: ns, µs, ms or s."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds: expected a number, got {type(seconds).__name__}")
    if seconds < 0:
        raise ValueError(f"seconds: must be >= 0, got {seconds}")
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"
