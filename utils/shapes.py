"""Output sizes and receptive fields of convolution and pooling layers (introduced in Chapter 8).

Chapter 8, "Shapes: padding, stride, dilation, pooling and receptive field",
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
    PyTorch, only allowed with stride 1). Introduced in Chapter 8.

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
    result is an int if every argument is an int, else a pair. Introduced in Chapter 8.

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
    is an int if every argument is an int, else a pair. Introduced in Chapter 8.

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
    Introduced in Chapter 8.

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
    ``(h, w)`` pair in every row. Introduced in Chapter 8.

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


# --------------------------------------------------------------------------- shape table
# (added for Chapter 8: a shape calculator for any model, by running it once on zeros)

import copy as _copy  # noqa: E402

import torch as _torch  # noqa: E402
from torch.overrides import TorchFunctionMode as _TorchFunctionMode  # noqa: E402

__all__ += ["shape_table", "ShapeReport", "ShapeRow"]


class ShapeRow(NamedTuple):
    """One row of :func:`shape_table`: a layer, or a shape-changing function called between layers."""

    name: str            #: module name ("conv1", "features.0"), or "max_pool2d()" for a function call
    kind: str            #: the module's class ("Conv2d"), or "function"
    input_shape: tuple   #: shape of the first tensor it received
    output_shape: tuple  #: shape of the tensor it returned
    num_params: object   #: the module's own parameter count; None for a function


class ShapeReport:
    """What :func:`shape_table` found: ``rows``, and ``output_shape`` or an explained ``error``.

    ``print(report)`` shows the table and, if the model failed, the error, where
    it happened (``failed_at``) and a hint (``explanation``).
    """

    def __init__(self, model_name, input_shape, rows, output_shape, error, failed_at, explanation):
        self.model_name = model_name
        self.input_shape = input_shape
        self.rows = rows
        self.output_shape = output_shape
        self.error = error              #: the exception the forward raised, or None
        self.failed_at = failed_at      #: e.g. "fc1 (Linear)" or "view() in the forward of Net"; None if ok
        self.explanation = explanation  #: a few lines saying what went wrong, "" if ok

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self):
        header = ("layer", "type", "input shape", "output shape", "params")
        cells = [header] + [
            (r.name, r.kind, _shape_str(r.input_shape), _shape_str(r.output_shape),
             "" if r.num_params is None else f"{r.num_params:,}")
            for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(5)]
        lines = [f"{self.model_name} on an input of shape {_shape_str(self.input_shape)}"]
        for n, c in enumerate(cells):
            lines.append("  ".join(c[i].ljust(widths[i]) if i < 4 else c[i].rjust(widths[i]) for i in range(5)).rstrip())
            if n == 0:
                lines.append("-" * len(lines[-1]))
        if self.ok:
            lines.append(f"output shape: {_shape_str(self.output_shape)}")
        else:
            import textwrap

            lines.append(f"FAILED at {self.failed_at}")
            for line in [f"{type(self.error).__name__}: {self.error}"] + self.explanation.splitlines():
                lines.append(textwrap.fill(line, 88, initial_indent="  ", subsequent_indent="    ",
                                           break_on_hyphens=False, break_long_words=False))
        return "\n".join(lines)

    __repr__ = __str__


def _shape_str(shape):
    return "-" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def _first_tensor(args):
    for a in args:
        if isinstance(a, _torch.Tensor):
            return a
        if isinstance(a, (tuple, list)):
            t = _first_tensor(a)
            if t is not None:
                return t
    return None


def _describe_args(args, kwargs):
    parts = [_shape_str(a.shape) if isinstance(a, _torch.Tensor) else repr(a) for a in args]
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, _torch.Tensor)]
    return ", ".join(parts)


class _Recorder(_TorchFunctionMode):
    """Records shape-changing torch functions called in a forward *between* layers, and the first failure."""

    def __init__(self, stack, rows, label):
        super().__init__()
        self.stack, self.rows, self.label = stack, rows, label
        self.failure = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        try:
            out = func(*args, **kwargs)
        except Exception:
            if self.failure is None:
                self.failure = (func, args, kwargs, list(self.stack))
            raise
        if self.stack and not self.stack[-1][1] and isinstance(out, _torch.Tensor):
            # inside a forward that is not a leaf layer's: code between layers
            first = _first_tensor(args)
            try:  # an uninitialised (lazy) parameter has no shape yet
                changed = first is not None and tuple(first.shape) != tuple(out.shape)
            except (RuntimeError, ValueError):
                changed = False
            if changed:
                name = getattr(func, "__name__", str(func))
                parent = self.stack[-1][0]
                where = "" if parent == "" else f" in {parent}"
                self.rows.append(ShapeRow(f"{name}(){where}", "function", tuple(first.shape),
                                          tuple(out.shape), None))
        return out


def _hint(module, x, func_name, args):
    """A sentence of advice for the commonest shape errors, or ''."""
    if isinstance(module, nn.Linear) and x is not None and x.shape[-1] != module.in_features:
        return (f"nn.Linear({module.in_features}, {module.out_features}) needs inputs whose last dimension is "
                f"in_features={module.in_features}, but it got {x.shape[-1]} ({_shape_str(x.shape)}): set "
                f"in_features={x.shape[-1]}, or use nn.LazyLinear({module.out_features}), which infers it.")
    if isinstance(module, nn.Conv2d) and x is not None and x.ndim in (3, 4) and x.shape[-3] != module.in_channels:
        return (f"{type(module).__name__} expects {module.in_channels} input channels but its input "
                f"{_shape_str(x.shape)} has {x.shape[-3]} (dimension -3 is the channel axis in NCHW).")
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and x is not None and x.ndim >= 2:
        return (f"check the spatial size {_shape_str(x.shape[-2:])} against the window: "
                f"conv_output_size/pool_output_size say why it does not fit.")
    if func_name in ("view", "reshape") and x is not None:
        return (f"{func_name} must keep the number of elements ({x.numel():,} = "
                f"{' × '.join(str(s) for s in x.shape)}); to flatten each example keep the batch axis: "
                f"x.flatten(1), x.view(x.size(0), -1) or nn.Flatten(), and size the next Linear from the table.")
    return ""


def shape_table(model, input_shape, *, dtype=_torch.float32) -> ShapeReport:
    """Run ``model`` once on zeros of ``input_shape`` and report every layer's input and output shape.

    ``input_shape`` includes the batch axis, e.g. ``(16, 3, 32, 32)``. The model
    is deep-copied and put in eval mode, the forward runs under ``torch.no_grad()``
    and with the random number generator's state restored afterwards, so the
    model you pass (lazy layers included) and the rest of your notebook are left
    untouched.

    Rows are, in call order: every leaf module (a layer with no sub-modules), and
    every torch function called in a forward *between* layers that changes the
    shape (``F.max_pool2d``, ``x.view``, ``torch.flatten``, ``F.interpolate``,
    ...), which hook-based summaries such as torchinfo do not see. A layer used
    twice appears twice.

    If the forward raises, the report keeps the rows up to the failure and says
    where it happened (which layer, or which function between layers, with the
    shapes it received) and, for the commonest mistakes (a Linear whose
    ``in_features`` does not match, a wrong channel count, a ``view`` that
    does not keep the number of elements), what to change. It never raises
    because of the model; only bad arguments raise (``TypeError``/``ValueError``).

    Returns a :class:`ShapeReport`; ``print`` it. Introduced in Chapter 8.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, _torch.Tensor) or not isinstance(input_shape, (tuple, list, _torch.Size)):
        raise TypeError(f"input_shape: expected a tuple of ints such as (1, 3, 32, 32), got "
                        f"{type(input_shape).__name__}")
    if len(input_shape) == 0:
        raise ValueError("input_shape: must have at least one dimension (the batch axis)")
    for s in input_shape:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"input_shape: expected ints, got {input_shape!r}")
        if s < 1:
            raise ValueError(f"input_shape: every size must be >= 1, got {tuple(input_shape)}")
    if not isinstance(dtype, _torch.dtype):
        raise TypeError(f"dtype: expected a torch.dtype such as torch.float32, got {dtype!r}")

    with _torch.random.fork_rng(devices=[]):
        net = _copy.deepcopy(model).eval()
        names = {id(m): name for name, m in net.named_modules()}
        label = type(model).__name__
        stack, rows, handles = [], [], []

        def pre(module, args):
            stack.append((names[id(module)], len(module._modules) == 0, module, _first_tensor(args)))

        def post(module, args, output):
            name, leaf, _, x = stack.pop()
            if leaf:
                out = output if isinstance(output, _torch.Tensor) else _first_tensor([output])
                rows.append(ShapeRow(name or label, type(module).__name__,
                                     None if x is None else tuple(x.shape),
                                     None if out is None else tuple(out.shape),
                                     sum(p.numel() for p in module.parameters(recurse=False))))

        for m in net.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        recorder = _Recorder(stack, rows, label)
        x = _torch.zeros(tuple(input_shape), dtype=dtype)
        output_shape, error = None, None
        try:
            with _torch.no_grad(), recorder:
                out = net(x)
            out = out if isinstance(out, _torch.Tensor) else _first_tensor([out])
            output_shape = None if out is None else tuple(out.shape)
        except Exception as err:  # the point is to explain it, not to crash
            error = err
        finally:
            for h in handles:
                h.remove()

    if error is None:
        return ShapeReport(label, tuple(input_shape), rows, output_shape, None, None, "")

    # Where did it fail? The innermost module still on the stack, and the torch function that raised.
    failure = recorder.failure
    active = failure[3] if failure is not None else list(stack)
    name, leaf, module, mx = active[-1] if active else ("", False, net, x)
    shown = name or label
    func_name = getattr(failure[0], "__name__", str(failure[0])) if failure is not None else None
    lines = []
    if leaf:
        failed_at = f"layer {shown} ({type(module).__name__})"
        lines.append(f"Layer {shown} is {module!r}; its input had shape "
                     f"{_shape_str(None if mx is None else mx.shape)}.")
        hint_x = mx
    else:
        where = "the model's forward" if name == "" else f"the forward of {shown}"
        failed_at = f"{func_name}() in {where} (code between layers)" if func_name else where
        if failure is not None:
            lines.append(f"{func_name}() was called with ({_describe_args(failure[1], failure[2])}).")
        hint_x = _first_tensor(failure[1]) if failure is not None else None
    if rows:
        last = rows[-1]
        step = last.name if last.kind == "function" else f"layer {last.name} ({last.kind})"
        lines.append(f"The last step that worked was {step}, which gave {_shape_str(last.output_shape)}.")
    hint = _hint(module if leaf else None, hint_x, func_name, failure[1] if failure else ())
    if hint:
        lines.append("Hint: " + hint)
    return ShapeReport(label, tuple(input_shape), rows, None, error, failed_at, "\n".join(lines))
