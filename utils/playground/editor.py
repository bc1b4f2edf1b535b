"""The kernel editor (introduced in Chapter 1): a 3x3 kernel you edit, applied to a digit.

:func:`kernel_response` is what it computes, :func:`kernel_editor_html` its browser form
(``utils/js/kernel_editor.js``), :func:`kernel_editor` its live ipywidgets form.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .._validate import as_tensor
from ..display import show_image, show_kernel
from ..kernels import KERNELS
from . import _page
from ._page import component, figure, panel, png

__all__ = ["PRESETS", "kernel_response", "kernel_editor_html", "kernel_editor"]

#: the kernel editor's presets: label -> name in utils.kernels.KERNELS
PRESETS = {
    "top edge": "top_edge", "left edge": "left_edge", "diagonal /": "diag1_edge",
    "diagonal \\": "diag2_edge", "Sobel x": "sobel_x", "Sobel y": "sobel_y",
    "blur": "blur", "sharpen": "sharpen", "identity": "identity",
}


def kernel_response(image, kernel) -> torch.Tensor:
    """What the kernel editor shows: ``F.conv2d`` of one (H, W) image with one (k, k)
    kernel, no padding; returns (H - k + 1, W - k + 1). Introduced in Chapter 1."""
    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2).to(image.dtype)
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel: a {tuple(kernel.shape)} kernel does not fit in a {tuple(image.shape)} image")
    return F.conv2d(image[None, None], kernel[None, None])[0, 0]


def _check_digits(images, labels):
    images = as_tensor(images, "images", ndim=3)
    if images.shape[1:] != (28, 28) or len(images) == 0:
        raise ValueError(f"images: expected a non-empty stack of 28x28 digits (N, 28, 28), got {tuple(images.shape)}")
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images: pixel values must lie in [0, 1] (as load_mnist returns them)")
    if labels is None:
        labels = [None] * len(images)
    else:
        labels = as_tensor(labels, "labels", ndim=1, floating=False).tolist()
        if len(labels) != len(images):
            raise ValueError(f"labels: got {len(labels)} labels for {len(images)} images")
    return images, labels


def _check_start(start):
    if start not in PRESETS:
        raise ValueError(f"start: unknown preset {start!r}; choose one of {', '.join(PRESETS)}")
    return start


def _digit_label(i, label) -> str:
    return f"digit #{i}" + ("" if label is None else f" (a {label})")


def kernel_editor_html(images, labels=None, start="top edge", element_id=None):
    """The kernel editor as a self-contained HTML/JavaScript component (Chapter 1).

    ``images``: (N, 28, 28) digits in [0, 1] (a handful: each is embedded in the page);
    ``labels``: their N labels or None; ``start``: the preset shown first (a key of
    ``PRESETS``). Returns an ``IPython.display.HTML`` object.
    """
    images, labels = _check_digits(images, labels)
    if len(images) > 32:
        raise ValueError(f"images: at most 32 digits can be embedded in the page, got {len(images)}")
    _check_start(start)
    digits = (images * 255).round().to(torch.uint8).reshape(len(images), -1).tolist()
    data = {"digits": digits, "labels": labels, "start": start,
            "presets": {k: [round(v, 6) for v in KERNELS[n].flatten().tolist()] for k, n in PRESETS.items()}}
    eid = element_id or _page.element_id("ke", digits, start)
    return component(eid, "kernel_editor.js", "KernelEditor", data)


def _kernel_figure(image, kernel, out, title):
    fig, axs = figure(3, 7.5, 2.6)
    show_image(image, ax=axs[0], title="input", vmin=0, vmax=1)
    show_kernel(kernel, ax=axs[1], title=title)
    lim = float(out.abs().max()) or 1.0
    show_image(out, ax=axs[2], title=f"output {tuple(out.shape)}", cmap="RdBu_r", vmin=-lim, vmax=lim)
    return fig


def kernel_editor(images, labels=None, start="top edge"):
    """The live kernel editor (Chapter 1): ipywidgets that recompute with ``F.conv2d``.

    A 3x3 grid of weights, a preset menu and a digit menu; the figure below them (input,
    kernel, output, drawn with :mod:`utils.display`) updates whenever any of them changes.
    Needs a running kernel.
    """
    import ipywidgets as W

    images, labels = _check_digits(images, labels)
    _check_start(start)
    weights = [W.FloatText(value=0.0, step=0.5, layout=W.Layout(width="70px")) for _ in range(9)]
    preset = W.Dropdown(options=["(custom)"] + list(PRESETS), value=start, description="preset")
    digit = W.Dropdown(options=[(_digit_label(i, lab), i) for i, lab in enumerate(labels)], value=0,
                       description="image")
    picture = W.Image(format="png")
    readout = W.Label()
    state = {"applying": False}

    def redraw(*_):
        k = torch.tensor([w.value for w in weights], dtype=torch.float32).reshape(3, 3)
        out = kernel_response(images[digit.value], k)
        title = "kernel" if preset.value == "(custom)" else preset.value
        picture.value = png(_kernel_figure(images[digit.value], k, out, title))
        readout.value = f"output min {out.min():.3f}, max {out.max():.3f}"

    def on_preset(change):
        if change["new"] == "(custom)":
            return
        state["applying"] = True
        for w, v in zip(weights, KERNELS[PRESETS[change["new"]]].flatten().tolist()):
            w.value = round(v, 4)
        state["applying"] = False
        redraw()

    def on_weight(change):
        if not state["applying"]:
            preset.value = "(custom)"
            redraw()

    for w in weights:
        w.observe(on_weight, names="value")
    preset.observe(on_preset, names="value")
    digit.observe(redraw, names="value")
    on_preset({"new": start})
    grid = W.GridBox(weights, layout=W.Layout(grid_template_columns="repeat(3, 75px)"))
    return panel([W.HBox([grid, W.VBox([preset, digit])]), picture, readout],
                 "kernel editor", "convbook-kernel-editor")
