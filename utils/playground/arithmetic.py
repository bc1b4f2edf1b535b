"""The arithmetic explorer (introduced in Chapter 2): input size, kernel size, stride,
padding and dilation, and the output size they give.

:func:`arithmetic_setting` is what it computes, :func:`arithmetic_explorer_html` its
browser form (``utils/js/arithmetic_explorer.js``), :func:`arithmetic_explorer` its live
ipywidgets form, which draws with :func:`utils.animation.draw_conv_position`.
"""
from __future__ import annotations

import html

import torch
import torch.nn.functional as F

from .._validate import check_int
from ..animation import draw_conv_position
from ..output_size import conv_output_size
from . import _page
from ._page import component, figure, panel, png

__all__ = ["arithmetic_setting", "arithmetic_explorer_html", "arithmetic_explorer"]

#: each slider's range; "kernel" is the kernel_size argument
LIMITS = {"size": (1, 12), "kernel": (1, 7), "stride": (1, 4), "padding": (0, 4), "dilation": (1, 3)}


def arithmetic_setting(size, kernel_size, stride=1, padding=0, dilation=1) -> dict:
    """Everything the arithmetic explorer shows for one setting (Chapter 2).

    Returns ``{"output": o, "positions": [(row, col), ...], "torch_shape": (o, o),
    "message": text}`` where ``positions`` are the top-left corners of the kernel in the
    padded input. For an impossible setting ``output`` is None and ``message`` explains why
    (the ``ValueError`` of ``utils.shapes.conv_output_size``).
    """
    for name, v, lo in (("size", size, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                        ("padding", padding, 0), ("dilation", dilation, 1)):
        check_int(v, name, minimum=lo)
    try:
        o = conv_output_size(size, kernel_size, stride, padding, dilation)
    except ValueError as e:
        return {"output": None, "positions": [], "torch_shape": None, "message": str(e)}
    shape = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel_size, kernel_size),
                     stride=stride, padding=padding, dilation=dilation).shape[-2:]
    positions = [(r * stride, c * stride) for r in range(o) for c in range(o)]
    formula = f"⌊({size} + 2·{padding} − {dilation}·({kernel_size}−1) − 1)/{stride}⌋ + 1"
    return {"output": o, "positions": positions, "torch_shape": tuple(shape),
            "message": f"output {o}×{o}: formula {formula} = {o}; F.conv2d gives {tuple(shape)}"}


def _start(size, kernel_size, stride, padding, dilation) -> dict:
    start = {"size": size, "kernel": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    for name, v in start.items():
        lo, hi = LIMITS[name]
        check_int(v, name if name != "kernel" else "kernel_size", minimum=lo)
        if v > hi:
            raise ValueError(f"{name}: the explorer's slider goes up to {hi}, got {v}")
    return start


def arithmetic_explorer_html(size=5, kernel_size=3, stride=1, padding=0, dilation=1, element_id=None):
    """The arithmetic explorer as a self-contained HTML/JavaScript component (Chapter 2).

    Sliders for input size, kernel size, stride, padding and dilation; it draws the padded
    input with every kernel position and prints the output size, or why the setting is
    impossible. Returns an ``IPython.display.HTML`` object.
    """
    start = _start(size, kernel_size, stride, padding, dilation)
    eid = element_id or _page.element_id("ae", start)
    return component(eid, "arithmetic_explorer.js", "ArithmeticExplorer", {"start": start, "limits": LIMITS})


def _arithmetic_figure(size, kernel_size, stride, padding, dilation, setting):
    fig, (ax_in, ax_out) = figure(2, 5.0, 2.8)
    if setting["output"] is None:              # nothing to draw but the message
        for ax in (ax_in, ax_out):
            ax.axis("off")
        ax_in.text(0.5, 0.5, "the kernel does not fit", ha="center", va="center", color="#b00020")
    else:
        draw_conv_position(ax_in, ax_out, size, kernel_size, stride, padding, dilation)
    return fig


def arithmetic_explorer(size=5, kernel_size=3, stride=1, padding=0, dilation=1):
    """The live arithmetic explorer (Chapter 2): ipywidgets sliders; the drawing and the
    output size are recomputed with ``utils.shapes`` and checked against ``F.conv2d``."""
    import ipywidgets as W

    values = _start(size, kernel_size, stride, padding, dilation)
    sliders = {n: W.IntSlider(value=values[n], min=lo, max=hi, description=n, continuous_update=False)
               for n, (lo, hi) in LIMITS.items()}
    picture = W.Image(format="png")
    message = W.HTML()

    def redraw(*_):
        v = [s.value for s in sliders.values()]
        setting = arithmetic_setting(*v)
        picture.value = png(_arithmetic_figure(*v, setting))
        colour = "black" if setting["output"] is not None else "#b00020"
        message.value = f'<span style="color:{colour}">{html.escape(setting["message"])}</span>'

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return panel([W.HBox([W.VBox(list(sliders.values())), picture]), message],
                 "arithmetic explorer", "convbook-arithmetic-explorer")
