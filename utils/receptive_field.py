"""Receptive fields of a stack of convolution and pooling layers (introduced in Chapter 9).

:func:`receptive_field` follows a whole stack of layers and reports, after each layer, how
many input pixels one output unit sees (``rf``) and how far apart in the input two
neighbouring output units are (``jump``). Its sizes come from :mod:`utils.output_size`.
"""
from __future__ import annotations

from typing import NamedTuple

from torch import nn

from .output_size import _effective, _pair, conv_output_size, pool_output_size

__all__ = ["receptive_field", "LayerGeometry"]


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
    ``(h, w)`` pair in every row. Introduced in Chapter 9.

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
