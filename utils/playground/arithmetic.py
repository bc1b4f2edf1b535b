"""The arithmetic explorer (introduced in Chapter 2): input size, kernel size, stride,
padding, dilation, padding mode, channels and groups, and the output they give -- or the
error PyTorch raises.

:func:`arithmetic_setting` is what it computes, :func:`arithmetic_explorer_html` its
browser form (``utils/js/arithmetic_explorer.js``), :func:`arithmetic_explorer` its live
ipywidgets form, which draws with :func:`utils.animation.draw_conv_position`.
"""
from __future__ import annotations

import html

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import as_pair, check_int
from ..animation import draw_conv_position
from . import _page
from ._page import component, figure, panel, png

__all__ = ["arithmetic_setting", "arithmetic_explorer_html", "arithmetic_explorer"]

#: each slider's range; "size" is the input's height, "width" its width, "kernel" kernel_size
LIMITS = {"size": (1, 12), "width": (1, 12), "kernel": (1, 7), "stride": (1, 4), "padding": (0, 4),
          "dilation": (1, 3), "in_channels": (1, 8), "out_channels": (1, 8), "groups": (1, 8)}
#: nn.Conv2d's padding modes; F.pad calls "zeros" "constant"
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _code(in_channels, out_channels, k, s, p, d, groups, padding_mode, flip) -> dict:
    """The nn.Conv2d line and the F.conv2d line that compute this setting (x: input, w: weight)."""
    module = (f"nn.Conv2d({in_channels}, {out_channels}, kernel_size={k}, stride={s}, padding={p}, "
              f"dilation={d}, groups={groups}, padding_mode=\"{padding_mode}\")")
    w = "w.flip(-2, -1)" if flip else "w"
    if padding_mode == "zeros":
        functional = f"F.conv2d(x, {w}, stride={s}, padding={p}, dilation={d}, groups={groups})"
    else:
        functional = (f"F.conv2d(F.pad(x, ({p}, {p}, {p}, {p}), mode=\"{padding_mode}\"), {w}, "
                      f"stride={s}, dilation={d}, groups={groups})")
    return {"module": module, "functional": functional}


def _pytorch_error(size, k, s, p, d, padding_mode, in_channels, out_channels, groups):
    """Run nn.Conv2d on a zero input; return (output shape, None) or (None, "Error: message")."""
    try:      # skip_init: no random initialisation, so the global RNG is left alone
        conv = nn.utils.skip_init(nn.Conv2d, in_channels, out_channels, k, stride=s, padding=p,
                                  dilation=d, groups=groups, padding_mode=padding_mode)
        with torch.no_grad():
            return tuple(conv(torch.zeros(1, in_channels, *size)).shape), None
    except (RuntimeError, ValueError) as e:
        return None, f"{type(e).__name__}: {e}"


def _padded_source(size, p, padding_mode):
    """For each cell of the padded input, the (row, col) of the input cell it holds, or None
    for a zero, computed by F.pad itself on a grid of cell numbers; None if F.pad cannot pad it."""
    h, w = size
    index = torch.arange(h * w, dtype=torch.float64).reshape(1, 1, h, w)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    try:
        padded = F.pad(index, (p, p, p, p), mode=mode, **({"value": -1.0} if mode == "constant" else {}))[0, 0]
    except RuntimeError:      # F.pad cannot pad this (its message is the setting's "error")
        return None
    return [[None if v < 0 else divmod(int(v), w) for v in row] for row in padded.tolist()]


def arithmetic_setting(size, kernel_size, stride=1, padding=0, dilation=1, padding_mode="zeros",
                       in_channels=1, out_channels=1, groups=1, flip=False) -> dict:
    """Everything the arithmetic explorer shows for one setting (Chapter 2).

    ``size`` is an int or a pair ``(height, width)``; ``kernel_size``, ``stride``,
    ``padding`` and ``dilation`` are ints (the same along both axes), as in
    ``nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
    padding_mode=padding_mode)``. ``flip=True`` asks for true convolution (the kernel
    flipped), which PyTorch computes as ``F.conv2d`` with ``w.flip(-2, -1)``.

    Returns a dict: ``output`` (``o``, or ``(oh, ow)`` when ``size`` is a pair; None if
    impossible), ``torch_shape`` (``(oh, ow)`` as nn.Conv2d gives it), ``positions`` (the
    kernel's top-left corners in the padded input, row-major), ``taps`` (for each kernel tap
    ``((row offset, col offset), (weight row, weight col))``: which weight multiplies it),
    ``padded_source`` (per padded cell, the input cell it copies or None for a zero),
    ``weight_shape`` ``(out, in/groups, k, k)``, ``parameters`` (weights and biases),
    ``reads`` (per output channel, the input channels it reads), ``code`` (the
    ``nn.Conv2d`` and ``F.conv2d`` lines), ``error`` (None, or PyTorch's own error, e.g.
    ``"ValueError: in_channels must be divisible by groups"``) and ``message``.
    """
    scalar = not isinstance(size, (tuple, list))
    size = as_pair(size, "size", minimum=1)
    k, s, p, d, cin, cout, g = (check_int(v, name, minimum=lo) for v, name, lo in (
        (kernel_size, "kernel_size", 1), (stride, "stride", 1), (padding, "padding", 0),
        (dilation, "dilation", 1), (in_channels, "in_channels", 1), (out_channels, "out_channels", 1),
        (groups, "groups", 1)))
    if not isinstance(padding_mode, str):
        raise TypeError(f"padding_mode: expected a string, got {type(padding_mode).__name__}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode: expected one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
    if not isinstance(flip, bool):
        raise TypeError(f"flip: expected True or False, got {type(flip).__name__}")
    shape, error = _pytorch_error(size, k, s, p, d, padding_mode, cin, cout, g)
    divides = cin % g == 0 and cout % g == 0
    result = {
        "output": None, "torch_shape": None, "positions": [], "error": error,
        "taps": [((a * d, b * d), ((k - 1 - a, k - 1 - b) if flip else (a, b))) for a in range(k) for b in range(k)],
        "padded_source": _padded_source(size, p, padding_mode),
        "weight_shape": (cout, cin // g, k, k) if divides else None,
        "parameters": cout * (cin // g) * k * k + cout if divides else None,
        "reads": [list(range(j // (cout // g) * (cin // g), (j // (cout // g) + 1) * (cin // g)))
                  for j in range(cout)] if divides else None,
        "code": _code(cin, cout, k, s, p, d, g, padding_mode, flip),
    }
    if error:
        return {**result, "message": f"impossible: PyTorch raises {error}"}
    oh, ow = shape[-2:]
    formula = [f"⌊({i} + 2·{p} − {d}·({k}−1) − 1)/{s}⌋ + 1 = {o}" for i, o in zip(size, (oh, ow))]
    return {**result, "output": oh if scalar else (oh, ow), "torch_shape": (oh, ow),
            "positions": [(r * s, c * s) for r in range(oh) for c in range(ow)],
            "message": f"output {oh}×{ow}: height {formula[0]}, width {formula[1]}; "
                       f"weight {tuple(result['weight_shape'])}, {result['parameters']} parameters"}


def _start(size, kernel_size, stride, padding, dilation, padding_mode, in_channels, out_channels,
           groups, flip) -> dict:
    h, w = as_pair(size, "size", minimum=1)
    start = {"size": h, "width": w, "kernel": kernel_size, "stride": stride, "padding": padding,
             "dilation": dilation, "in_channels": in_channels, "out_channels": out_channels, "groups": groups}
    for name, v in start.items():
        lo, hi = LIMITS[name]
        check_int(v, name if name != "kernel" else "kernel_size", minimum=lo)
        if v > hi:
            raise ValueError(f"{name}: the explorer's slider goes up to {hi}, got {v}")
    arithmetic_setting(size, kernel_size, padding_mode=padding_mode, flip=flip)   # checks both
    return {**start, "padding_mode": padding_mode, "flip": flip}


def arithmetic_explorer_html(size=5, kernel_size=3, stride=1, padding=0, dilation=1, padding_mode="zeros",
                             in_channels=1, out_channels=1, groups=1, flip=False, element_id=None):
    """The arithmetic explorer as a self-contained HTML/JavaScript component (Chapter 2).

    Controls for every argument of :func:`arithmetic_setting` (``size``: an int or
    ``(height, width)``); it draws the padded input (each border cell labelled with the
    input cell it copies), the output grid (hover a cell of either to see which cells it
    reads or is read by), the kernel's taps, the channels each output channel reads, the
    formula per axis, the ``nn.Conv2d``/``F.conv2d`` lines, and the output size or PyTorch's
    error. Returns an ``IPython.display.HTML`` object.
    """
    start = _start(size, kernel_size, stride, padding, dilation, padding_mode, in_channels,
                   out_channels, groups, flip)
    eid = element_id or _page.element_id("ae", start)
    return component(eid, "arithmetic_explorer.js", "ArithmeticExplorer",
                     {"start": start, "limits": LIMITS, "modes": list(PADDING_MODES)})


def _arithmetic_figure(size, kernel_size, stride, padding, dilation, setting):
    fig, (ax_in, ax_out) = figure(2, 5.0, 2.8)
    if setting["output"] is None:              # nothing to draw but the message
        for ax in (ax_in, ax_out):
            ax.axis("off")
        ax_in.text(0.5, 0.5, "PyTorch raises an error", ha="center", va="center", color="#b00020")
    else:
        draw_conv_position(ax_in, ax_out, size, kernel_size, stride, padding, dilation)
    return fig


#: the live form's sliders, in order (a square input; no flip: it changes no shape)
_LIVE = ("size", "kernel", "stride", "padding", "dilation", "in_channels", "out_channels", "groups")


def arithmetic_explorer(size=5, kernel_size=3, stride=1, padding=0, dilation=1, padding_mode="zeros",
                        in_channels=1, out_channels=1, groups=1):
    """The live arithmetic explorer (Chapter 2): ipywidgets sliders and a padding-mode menu;
    the drawing and the message (output size, weight shape, or PyTorch's error) are
    recomputed with PyTorch. It covers a square input and leaves out the browser form's
    kernel flip and hover highlighting."""
    import ipywidgets as W

    values = _start(size, kernel_size, stride, padding, dilation, padding_mode, in_channels,
                    out_channels, groups, False)
    sliders = {n: W.IntSlider(value=values[n], min=LIMITS[n][0], max=LIMITS[n][1], description=n,
                              continuous_update=False, style={"description_width": "initial"}) for n in _LIVE}
    mode = W.Dropdown(options=PADDING_MODES, value=padding_mode, description="padding_mode")
    picture = W.Image(format="png")
    message = W.HTML()

    def redraw(*_):
        v = [s.value for s in sliders.values()]
        setting = arithmetic_setting(*v[:5], mode.value, *v[5:])
        picture.value = png(_arithmetic_figure(*v[:5], setting))
        colour = "black" if setting["output"] is not None else "#b00020"
        message.value = f'<span style="color:{colour}">{html.escape(setting["message"])}</span>'

    for s in (*sliders.values(), mode):
        s.observe(redraw, names="value")
    redraw()
    return panel([W.HBox([W.VBox([*sliders.values(), mode]), picture]), message],
                 "arithmetic explorer", "convbook-arithmetic-explorer")
