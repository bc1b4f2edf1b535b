"""Small argument checks shared by the public helpers.

Every public function of :mod:`utils` checks what it is given and raises a
``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong shape or
value) whose message starts with the argument's name, so a reader sees at once
which argument to fix.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch


def as_tensor(x, name: str, *, ndim: int | tuple[int, ...] | None = None,
              floating: bool = True, finite: bool = True) -> torch.Tensor:
    """Return ``x`` as a tensor (numpy arrays are converted, not copied when possible).

    Raises ``TypeError`` unless ``x`` is a tensor or numpy array of numbers, and
    ``ValueError`` if its number of dimensions is not ``ndim`` (an int or a tuple
    of allowed ints) or it contains NaN/inf (unless ``finite=False``: scanning every
    value costs as much as a small convolution, so hot paths skip it).
    """
    if isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise TypeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(f"{name}: complex tensors are not supported (dtype {x.dtype})")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name}: expected {want} dimensions, got shape {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        x = x.float()
    if finite and x.is_floating_point() and x.numel() and not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def _why(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def as_pair(v, name: str, *, minimum: int = 0, reason: str | None = None) -> tuple[int, int]:
    """Turn an int or a pair of ints into a pair, checking each is an int >= ``minimum``.

    ``reason``, if given, says why the minimum exists; it is added to the range error.
    """
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name}: expected an int or a pair of ints, got {v!r}")
        pair = tuple(v)
    else:
        pair = (v, v)
    for p in pair:
        if isinstance(p, bool) or not isinstance(p, numbers.Integral):
            raise TypeError(f"{name}: expected an int or a pair of ints, got {v!r}")
        if p < minimum:
            raise ValueError(f"{name}: must be >= {minimum}, got {v!r}{_why(reason)}")
    return int(pair[0]), int(pair[1])


def check_int(v, name: str, *, minimum: int | None = None, reason: str | None = None) -> int:
    """Check ``v`` is an int (not a bool), optionally ``>= minimum`` (``reason``: why); return it."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__} {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {v}{_why(reason)}")
    return int(v)
