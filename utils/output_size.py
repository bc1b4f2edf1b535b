"""Output sizes of convolution and pooling layers (introduced in Chapter 2).

Chapter 2, "Sliding windows: padding, stride, dilation and pooling",
derives the one formula behind every layer's output size. Along one axis, with
input size ``i``, kernel size ``k``, stride ``s``, padding ``p`` (zeros added on
*each* side) and dilation ``d``::

    effective kernel   k_eff = d*(k - 1) + 1
    convolution        o = floor((i + 2p - k_eff) / s) + 1
    pooling            the same, or ceil instead of floor with ceil_mode=True
    transposed conv    o = (i - 1)*s - 2p + k_eff + output_padding

These are exactly the sizes PyTorch computes (``F.conv2d``, ``F.max_pool2d``,
``F.avg_pool2d``, ``F.conv_transpose2d``).

Argument conventions, shared by every function here:

* each size or layer argument is an int (the same along height and width) or a
  pair ``(h, w)`` of ints, like PyTorch's ``kernel_size=3`` or ``kernel_size=(3, 5)``;
* the result is an int when every argument is an int, otherwise an ``(h, w)`` pair;
* an impossible configuration (a kernel that does not fit in the padded input,
  a stride of 0, negative padding, ...) raises ``ValueError`` and a wrong kind of
  value (a float, a bool, an unknown string) raises ``TypeError``; both messages
  start with the argument's name and say why.

Receptive fields are in :mod:`utils.receptive_field`, the shape table in
:mod:`utils.shape_table`; :mod:`utils.shapes` gathers all three.
"""
from __future__ import annotations

from ._validate import as_pair

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "same_padding",
]

# Why each argument has its minimum; added to the message when it is violated.
_MINIMUM_REASON = {
    "size": "an input needs at least one pixel",
    "kernel_size": "a kernel covers at least one pixel",
    "stride": "the window must move by at least one pixel between two outputs",
    "dilation": "dilation 1 means neighbouring kernel taps with no gap; 0 or less has no meaning",
    "padding": "padding adds zeros around the input, it cannot remove pixels",
    "output_padding": "output_padding adds rows/columns, it cannot remove them",
}


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``as_pair`` with the learner-friendly reason for the argument's minimum."""
    return as_pair(value, name, minimum=minimum, reason=_MINIMUM_REASON.get(name))


def _all_scalar(*values) -> bool:
    return not any(isinstance(v, (tuple, list)) for v in values)


def _result(pair: tuple[int, int], scalar: bool):
    return pair[0] if scalar else pair


def _fmt(pair) -> str:
    """(5, 5) -> '5×5'; used in messages."""
    return f"{pair[0]}×{pair[1]}"


def _fmt_out(pair) -> str:
    """(-1, -1) -> '-1'; (-1, 2) -> '(-1, 2)' (a size that may be negative)."""
    return str(pair[0]) if pair[0] == pair[1] else str(tuple(pair))


def _fmt_each(pair) -> str:
    """(1, 1) -> '1'; (1, 2) -> '1 (rows) and 2 (columns)'."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (rows) and {pair[1]} (columns)"


def _effective(k: tuple[int, int], d: tuple[int, int]) -> tuple[int, int]:
    return d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1


def _check_fits(what, size, k, d, p, out) -> None:
    """Raise the 'kernel does not fit' ValueError if any output size is < 1."""
    if min(out) >= 1:
        return
    k_eff = _effective(k, d)
    eff = f" (effective size {_fmt(k_eff)} with dilation {_fmt_each(d)})" if d != (1, 1) else ""
    padded = (size[0] + 2 * p[0], size[1] + 2 * p[1])
    raise ValueError(
        f"kernel_size: a {_fmt(k)} {what}{eff} does not fit in the {_fmt(size)} input "
        f"padded by {_fmt_each(p)} on each side ({_fmt(padded)} after padding); "
        f"output size would be {_fmt_out(out)}. Use a smaller kernel or dilation, "
        f"more padding, or a larger input."
    )


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a convolution (``nn.Conv2d``/``F.conv2d``), as PyTorch computes it.

    Along each axis: ``o = floor((size + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``.

    Every argument is an int or an ``(h, w)`` pair; the result is an int if
    every argument is an int, else an ``(h, w)`` pair. ``padding`` may also be
    ``"valid"`` (no padding) or ``"same"`` (output size = input size; like
    PyTorch, only allowed with stride 1). Introduced in Chapter 2.

    >>> conv_output_size(28, 3, stride=2, padding=1)
    14
    >>> conv_output_size((32, 64), 5, padding="same")
    (32, 64)
    """
    scalar = _all_scalar(size, kernel_size, stride, padding, dilation)
    size = _pair(size, "size", 1)
    k = _pair(kernel_size, "kernel_size", 1)
    s = _pair(stride, "stride", 1)
    d = _pair(dilation, "dilation", 1)
    if isinstance(padding, str):
        if padding == "same":
            if s != (1, 1):
                raise ValueError(
                    f"padding: padding='same' needs stride 1 (PyTorch refuses it otherwise): "
                    f"with stride {_fmt_each(s)} the output is about 1/stride of the input, so it "
                    f"cannot have the same size. Give an int padding instead, e.g. "
                    f"padding=kernel_size//2."
                )
            return _result(size, scalar)
        if padding != "valid":
            raise TypeError(
                f"padding: expected an int, a pair of ints, 'same' or 'valid', got {padding!r}"
            )
        padding = 0
    p = _pair(padding, "padding", 0)
    out = tuple((i + 2 * pp - ke) // ss + 1 for i, pp, ke, ss in zip(size, p, _effective(k, d), s))
    _check_fits("kernel", size, k, d, p, out)
    return _result(out, scalar)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Output size of max or average pooling (``nn.MaxPool2d``, ``nn.AvgPool2d``), as PyTorch computes it.

    Same formula as :func:`conv_output_size`, with two pooling rules:

    * ``stride`` defaults to ``kernel_size`` (non-overlapping windows), as in PyTorch;
    * ``ceil_mode=True`` rounds up instead of down, so a last, partial window
      is kept, but only if it starts inside the input or the left padding: if
      ``(o - 1)*stride >= size + padding`` the last window would start in the
      right padding and is dropped (``o -= 1``).

    PyTorch also requires ``padding <= kernel_size / 2`` for pooling; larger
    padding raises ``ValueError``. Arguments are ints or ``(h, w)`` pairs; the
    result is an int if every argument is an int, else a pair. Introduced in Chapter 2.

    >>> pool_output_size(7, 2)
    3
    >>> pool_output_size(7, 2, ceil_mode=True)
    4
    """
    if stride is None:
        stride = kernel_size
    scalar = _all_scalar(size, kernel_size, stride, padding, dilation)
    size = _pair(size, "size", 1)
    k = _pair(kernel_size, "kernel_size", 1)
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    d = _pair(dilation, "dilation", 1)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode: expected True or False, got {ceil_mode!r}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(
            f"padding: pooling with a {_fmt(k)} window allows at most {_fmt_each((k[0] // 2, k[1] // 2))} "
            f"padding on each side (half the window, as PyTorch requires), got {_fmt_each(p)}; "
            f"otherwise a window could cover more padding than input."
        )
    out = []
    for i, kk, ss, pp in zip(size, _effective(k, d), s, p):
        o = (i + 2 * pp - kk + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and (o - 1) * ss >= i + pp:
            o -= 1  # the last window would start in the right padding
        out.append(o)
    out = tuple(out)
    _check_fits("pooling window", size, k, d, p, out)
    return _result(out, scalar)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output size of a transposed convolution (``nn.ConvTranspose2d``), as PyTorch computes it.

    Along each axis: ``o = (size - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1``.

    A convolution with stride ``s`` maps ``s`` different input sizes to the same
    output size; ``output_padding`` (which must be smaller than the stride or
    than the dilation, as PyTorch requires) picks which one the transposed
    convolution gives back. Arguments are ints or ``(h, w)`` pairs; the result
    is an int if every argument is an int, else a pair. Introduced in Chapter 2.

    >>> conv_transpose_output_size(14, 3, stride=2, padding=1, output_padding=1)
    28
    """
    scalar = _all_scalar(size, kernel_size, stride, padding, output_padding, dilation)
    size = _pair(size, "size", 1)
    k = _pair(kernel_size, "kernel_size", 1)
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    op = _pair(output_padding, "output_padding", 0)
    d = _pair(dilation, "dilation", 1)
    for a in range(2):
        if op[a] >= s[a] and op[a] >= d[a]:
            raise ValueError(
                f"output_padding: must be smaller than the stride or the dilation (as PyTorch "
                f"requires), got output_padding {_fmt_each(op)} with stride {_fmt_each(s)} and "
                f"dilation {_fmt_each(d)}; it only chooses among the input sizes a strided "
                f"convolution maps to the same output."
            )
    full = tuple((i - 1) * ss + ke + o for i, ss, ke, o in zip(size, s, _effective(k, d), op))
    out = (full[0] - 2 * p[0], full[1] - 2 * p[1])
    if min(out) < 1:
        raise ValueError(
            f"padding: the transposed convolution produces {_fmt(full)} before padding is "
            f"removed; cropping {_fmt_each(p)} from each side would leave {_fmt_out(out)}. "
            f"Use less padding, a larger kernel or a larger input."
        )
    return _result(out, scalar)


def same_padding(kernel_size, dilation=1):
    """Padding that keeps the size unchanged for a stride-1 convolution: ``dilation*(kernel_size - 1) // 2``.

    Only exists when the effective kernel ``dilation*(kernel_size - 1) + 1`` is
    odd (an even one would need half a pixel more on one side; PyTorch's
    ``padding='same'`` then pads one extra row/column at the bottom/right).
    Returns an int if both arguments are ints, else an ``(h, w)`` pair.
    Introduced in Chapter 2.

    >>> same_padding(3), same_padding(3, dilation=2), same_padding((1, 5))
    (1, 2, (0, 2))
    """
    scalar = _all_scalar(kernel_size, dilation)
    k = _pair(kernel_size, "kernel_size", 1)
    d = _pair(dilation, "dilation", 1)
    k_eff = _effective(k, d)
    even = [ke for ke in k_eff if ke % 2 == 0]
    if even:
        raise ValueError(
            f"kernel_size: a {_fmt(k)} kernel has an even effective size ({_fmt(k_eff)}), so no "
            f"equal padding on both sides keeps the size (it would need "
            f"{(even[0] - 1) / 2:g} pixels on each side); use an odd kernel, or "
            f"padding='same', which pads one more pixel at the bottom/right."
        )
    return _result(((k_eff[0] - 1) // 2, (k_eff[1] - 1) // 2), scalar)
