"""The kernel-origin explorer (introduced in Chapter 5): where the kernel's centre sits
decides whether FFT convolution matches circular ``F.conv2d``.

:func:`fft_with_origin` is what it computes, :func:`origin_explorer_html` its browser form
(``utils/js/origin_explorer.js``, every roll precomputed here), :func:`origin_explorer` its
live ipywidgets form, which draws with :func:`utils.display.show_image`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .._validate import as_tensor, check_int
from ..display import show_image
from . import _page
from ._page import component, figure, panel, png

__all__ = ["fft_with_origin", "origin_explorer_html", "origin_explorer"]


def fft_with_origin(image, kernel, shift=(0, 0)) -> torch.Tensor:
    """Circular cross-correlation of one (H, W) image with a (k, k) kernel via the FFT,
    with the zero-padded kernel rolled by ``shift`` before transforming (Chapter 5).

    ``shift=(0, 0)`` leaves the kernel's top-left weight at the origin, which gives the
    correlation shifted by ``k // 2`` pixels; ``shift=(-(k // 2), -(k // 2))`` puts the
    kernel's centre at the origin and matches ``F.pad(mode="circular")`` + ``F.conv2d``.
    """
    image = as_tensor(image, "image", ndim=2).double()
    kernel = as_tensor(kernel, "kernel", ndim=2).double()
    h, w = image.shape
    if kernel.shape[0] > h or kernel.shape[1] > w:
        raise ValueError(f"kernel: a {tuple(kernel.shape)} kernel is larger than the {tuple(image.shape)} image")
    if not (isinstance(shift, (tuple, list)) and len(shift) == 2):
        raise TypeError(f"shift: expected a pair of ints (dy, dx), got {shift!r}")
    dy, dx = (check_int(s, "shift") for s in shift)
    padded = torch.zeros(h, w, dtype=torch.float64)
    padded[: kernel.shape[0], : kernel.shape[1]] = kernel
    padded = torch.roll(padded, shifts=(dy, dx), dims=(0, 1))
    # correlation = multiply by the conjugate spectrum of the kernel
    spectrum = torch.fft.rfft2(image) * torch.conj(torch.fft.rfft2(padded))
    return torch.fft.irfft2(spectrum, s=(h, w))


def _circular_reference(image, kernel):
    p = kernel.shape[0] // 2
    x = F.pad(image.double()[None, None], (p, p, p, p), mode="circular")
    return F.conv2d(x, kernel.double()[None, None])[0, 0]


def _rounded(t) -> list:
    return [round(v, 4) + 0.0 for v in t.flatten().tolist()]


def origin_explorer_html(image, kernel, element_id=None):
    """The kernel-origin explorer as a self-contained HTML/JavaScript component (Chapter 5).

    ``image`` (H, W) and ``kernel`` (k, k) with H, W <= 32. The FFT result for every roll
    (dy, dx) in -k..k is computed here with :func:`fft_with_origin` and embedded in the
    page; two sliders choose the roll, and the page shows circular ``F.conv2d``, the FFT
    result and their difference. Returns an ``IPython.display.HTML`` object.
    """
    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2)
    h, w = image.shape
    if h > 32 or w > 32:
        raise ValueError(f"image: at most 32x32 pixels are embedded in the page, got {h}x{w}")
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"kernel: expected a square kernel of odd size, got {tuple(kernel.shape)}")
    k = kernel.shape[0]
    ref = _circular_reference(image, kernel)
    frames = {f"{a},{b}": _rounded(fft_with_origin(image, kernel, (a, b)))
              for a in range(-k, k + 1) for b in range(-k, k + 1)}
    data = {"k": k, "h": h, "w": w, "reference": _rounded(ref), "frames": frames,
            "lim": float(ref.abs().max()) or 1.0}
    eid = element_id or _page.element_id("oe", data["reference"], _rounded(kernel))
    return component(eid, "origin_explorer.js", "OriginExplorer", data)


def origin_explorer(image, kernel):
    """The live kernel-origin explorer (Chapter 5): sliders roll the zero-padded kernel
    and the figure compares the FFT result with circular ``F.conv2d``."""
    import ipywidgets as W

    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2)
    ref = _circular_reference(image, kernel)
    k = kernel.shape[0]
    dy = W.IntSlider(value=0, min=-k, max=k, description="roll rows", continuous_update=False)
    dx = W.IntSlider(value=0, min=-k, max=k, description="roll cols", continuous_update=False)
    picture = W.Image(format="png")
    readout = W.Label()

    def redraw(*_):
        out = fft_with_origin(image, kernel, (dy.value, dx.value))
        err = (out - ref).abs().max().item()
        fig, axs = figure(3, 7.5, 2.6)
        lim = float(ref.abs().max()) or 1.0
        for ax, im, t in zip(axs, [ref, out, out - ref], ["F.conv2d (circular)", "FFT", "difference"]):
            show_image(im, ax=ax, title=t, cmap="RdBu_r", vmin=-lim, vmax=lim)
        picture.value = png(fig)
        readout.value = f"max |FFT - F.conv2d| = {err:.2e}" + ("  (they agree)" if err < 1e-9 else "")

    dy.observe(redraw, names="value")
    dx.observe(redraw, names="value")
    redraw()
    return panel([W.HBox([dy, dx]), picture, readout], "kernel-origin explorer", "convbook-origin-explorer")
