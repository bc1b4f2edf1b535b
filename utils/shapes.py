"""Output sizes and receptive fields of convolution and pooling layers (introduced in Chapter 6).

Chapter 6, "Shapes: padding, stride, dilation, pooling and receptive field",
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

:func:`receptive_field` follows a whole stack of layers and reports, after
each layer, how many input pixels one output unit sees (``rf``) and how far
apart in the input two neighbouring output units are (``jump``).
"""
from __future__ import annotations

from typing import NamedTuple

from torch import nn

from ._validate import as_pair

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "same_padding",
    "receptive_field",
    "LayerGeometry",
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
    """``as_pair`` with a learner-friendly reason appended to range errors."""
    try:
        return as_pair(value, name, minimum=minimum)
    except ValueError as err:
        if "must be >=" in str(err) and name in _MINIMUM_REASON:
            raise ValueError(f"{err} ({_MINIMUM_REASON[name]})") from None
        raise


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
    PyTorch, only allowed with stride 1). Introduced in Chapter 6.

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
    result is an int if every argument is an int, else a pair. Introduced in Chapter 6.

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
    is an int if every argument is an int, else a pair. Introduced in Chapter 6.

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
    Introduced in Chapter 6.

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


# --------------------------------------------------------------------------- receptive field

class LayerGeometry(NamedTuple):
    """One layer's row of :func:`receptive_field` (ints, or ``(h, w)`` pairs; see there)."""

    name: str           #: position in the model, e.g. "0" or "features.3" (or the dict's "name")
    kind: str           #: "Conv2d", "MaxPool2d", "AvgPool2d", or "conv"/"pool" for dict layers
    kernel_size: object
    stride: object
    padding: object     #: padding on the left/top (padding='same' resolved to a number)
    dilation: object
    rf: object          #: receptive field: input pixels seen by one output unit, along each axis
    jump: object        #: distance in input pixels between two neighbouring output units
    start: object       #: input coordinate (pixel index, float) of the centre of output (0, 0)'s field
    size: object        #: output size, or None when no input_size was given


# Modules that keep the spatial geometry (element-wise or per-channel): they are skipped.
_PASS_THROUGH = (
    nn.Identity,
    nn.modules.dropout._DropoutNd,
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
)


def _keeps_geometry(m: nn.Module) -> bool:
    if isinstance(m, _PASS_THROUGH):
        return True
    # ReLU, Sigmoid, Tanh, GELU, Softmax2d, ... all live in torch.nn.modules.activation
    return type(m).__module__ == "torch.nn.modules.activation" and not isinstance(m, nn.MultiheadAttention)


def _flatten(layers, prefix=""):
    """Yield (name, layer) pairs, descending into nested nn.Sequential / nn.ModuleList."""
    if isinstance(layers, (nn.Sequential, nn.ModuleList)):
        items = layers.named_children()
    elif isinstance(layers, (list, tuple)):
        items = ((str(i), layer) for i, layer in enumerate(layers))
    else:
        raise TypeError(
            f"layers: expected an nn.Sequential or a list of layers (modules or dicts), got "
            f"{type(layers).__name__}; for a custom nn.Module, list its layers in forward order"
        )
    for name, layer in items:
        full = f"{prefix}{name}"
        if isinstance(layer, (nn.Sequential, nn.ModuleList)):
            yield from _flatten(layer, full + ".")
        elif isinstance(layer, dict):
            yield layer.get("name", full), layer
        else:
            yield full, layer


_DICT_KEYS = {"kernel_size", "stride", "padding", "dilation", "ceil_mode", "kind", "name"}


def _layer_params(layer):
    """(kind, kernel, stride, padding, dilation, ceil_mode) of one layer, or None to skip it."""
    if isinstance(layer, dict):
        unknown = set(layer) - _DICT_KEYS
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_DICT_KEYS)}")
        if "kernel_size" not in layer:
            raise ValueError("missing 'kernel_size'")
        kind = layer.get("kind", "conv")
        if kind not in ("conv", "pool"):
            raise ValueError(f"kind: expected 'conv' or 'pool', got {kind!r}")
        k = layer["kernel_size"]
        default_stride = k if kind == "pool" else 1
        stride = layer.get("stride", default_stride)
        return (kind, k, default_stride if stride is None else stride, layer.get("padding", 0),
                layer.get("dilation", 1), layer.get("ceil_mode", False))
    if isinstance(layer, nn.Conv2d):
        return "conv", layer.kernel_size, layer.stride, layer.padding, layer.dilation, False
    if isinstance(layer, nn.MaxPool2d):
        return "pool", layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode
    if isinstance(layer, nn.AvgPool2d):
        return "pool", layer.kernel_size, layer.stride, layer.padding, 1, layer.ceil_mode
    if isinstance(layer, nn.Module) and _keeps_geometry(layer):
        return None
    if isinstance(layer, nn.Module):
        raise ValueError(
            f"a {type(layer).__name__} layer has no known spatial geometry (only Conv2d, "
            f"MaxPool2d, AvgPool2d and shape-keeping layers such as ReLU, BatchNorm2d or Dropout "
            f"are understood); pass only the layers before it, e.g. model[:i] for an nn.Sequential"
        )
    raise TypeError(f"expected an nn.Module or a dict, got {type(layer).__name__}")


def receptive_field(layers, input_size=None) -> list[LayerGeometry]:
    """Receptive field, jump and (optionally) output size after each conv/pool layer.

    ``layers`` is an ``nn.Sequential`` (nested ones are flattened) or a list of
    ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d`` modules, or a list of dicts
    ``{"kernel_size": k, "stride": 1, "padding": 0, "dilation": 1}`` (only
    ``kernel_size`` is required; add ``"kind": "pool"`` to make the stride
    default to the kernel size and to allow ``"ceil_mode"``, and ``"name"`` to
    label the row). Layers that keep the geometry (ReLU and other activations,
    BatchNorm, Dropout, Identity, ...) are skipped. Any other module (Linear,
    Flatten, AdaptiveAvgPool2d, ConvTranspose2d, ...) raises ``ValueError``:
    pass only the convolutional part of the model, e.g. ``model[:6]``.

    Returns one :class:`LayerGeometry` per conv/pool layer. Starting from one
    input pixel (``rf = 1``, ``jump = 1``, ``start = 0``; pixel ``i`` is at
    coordinate ``i``), each layer with effective kernel ``k_eff = d*(k-1) + 1``,
    stride ``s`` and left padding ``p`` applies::

        rf    = rf_in + (k_eff - 1) * jump_in
        jump  = jump_in * s
        start = start_in + ((k_eff - 1)/2 - p) * jump_in

    so output unit ``j`` is centred on input coordinate ``start + j*jump`` and
    sees ``rf`` input pixels around it (some may be padding). ``size`` is the
    output size when ``input_size`` is given, else None.

    Convention: every field is an int (``start`` a float) when the whole stack
    and ``input_size`` are square -- the usual case -- and otherwise an
    ``(h, w)`` pair in every row. Introduced in Chapter 6.

    >>> two = [nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.Conv2d(1, 1, 3, stride=2, padding=1)]
    >>> [(r.rf, r.jump, r.size) for r in receptive_field(two, input_size=28)]
    [(3, 2, 14), (7, 4, 7)]
    """
    size = None if input_size is None else _pair(input_size, "input_size", 1)
    rf, jump, start = (1, 1), (1, 1), (0.0, 0.0)
    rows = []
    for name, layer in _flatten(layers):
        label = type(layer).__name__ if isinstance(layer, nn.Module) else "dict"
        try:
            params = _layer_params(layer)
            if params is None:
                continue
            kind, k, s, p, d, ceil_mode = params
            # Without input_size, still check the layer's arguments, on an input big enough for any kernel.
            given = size if size is not None else _BIG
            if kind == "conv":
                out = conv_output_size(given, k, s, p, d)
            else:
                out = pool_output_size(given, k, s, p, d, ceil_mode)
            size = None if size is None else _pair(out, "size", 1)
            k, s, d = _pair(k, "kernel_size", 1), _pair(s, "stride", 1), _pair(d, "dilation", 1)
            k_eff = _effective(k, d)
            if p == "same":  # PyTorch puts the odd extra pixel of 'same' padding at the right/bottom
                p = ((k_eff[0] - 1) // 2, (k_eff[1] - 1) // 2)
            p = _pair(0 if p == "valid" else p, "padding", 0)
        except (TypeError, ValueError) as err:
            raise type(err)(f"layer {name!r} ({label}): {err}") from None
        start = tuple(st + ((ke - 1) / 2 - pp) * j for st, ke, pp, j in zip(start, k_eff, p, jump))
        rf = tuple(r + (ke - 1) * j for r, ke, j in zip(rf, k_eff, jump))
        jump = (jump[0] * s[0], jump[1] * s[1])
        rows.append(LayerGeometry(name, kind if label == "dict" else label, k, s, p, d, rf, jump, start, size))
    return _squash_if_square(rows)


_BIG = (10**9, 10**9)


def _squash_if_square(rows: list[LayerGeometry]) -> list[LayerGeometry]:
    """Replace every (a, a) pair by a when all pairs of all rows are square."""
    pair_fields = LayerGeometry._fields[2:]
    square = all(
        getattr(r, f) is None or getattr(r, f)[0] == getattr(r, f)[1] for r in rows for f in pair_fields
    )
    if not square:
        return rows
    return [
        r._replace(**{f: getattr(r, f)[0] for f in pair_fields if getattr(r, f) is not None})
        for r in rows
    ]
