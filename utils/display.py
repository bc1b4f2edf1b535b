"""Looking at images, kernels and pixel values (introduced in Chapter 1).

Small wrappers around matplotlib and pandas so that the chapters can say
``show_image(digit)`` instead of six lines of plotting code.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ._validate import as_tensor, check_int

__all__ = ["show_image", "show_signed", "show_images", "show_kernel", "pixel_table"]


def _to_image_array(im, name: str) -> np.ndarray:
    """(H, W), (1, H, W), (3, H, W) or (H, W, 3) tensor/array -> numpy array for imshow."""
    t = as_tensor(im, name, ndim=(2, 3)).detach().cpu()
    if t.ndim == 3:
        if t.shape[0] in (1, 3) and t.shape[-1] not in (3, 4):
            t = t.permute(1, 2, 0)          # channels first -> channels last
        if t.shape[-1] == 1:
            t = t[..., 0]
        elif t.shape[-1] not in (3, 4):
            raise ValueError(f"{name}: a 3-D image must have 1, 3 or 4 channels, got shape {tuple(im.shape)}")
    if 0 in t.shape:
        raise ValueError(f"{name}: image is empty, shape {tuple(t.shape)}")
    return t.numpy()


def show_image(im, ax=None, title=None, *, figsize=None, cmap="gray", noframe=True, colorbar=False, **kwargs):
    """Draw one image and return its matplotlib ``Axes``.

    ``im``: a tensor or array of shape (H, W), (1, H, W), (3, H, W) or (H, W, 3).
    Grayscale by default; ``**kwargs`` go to ``imshow`` (e.g. ``vmin``, ``vmax``).
    ``noframe=False`` keeps the axes' tick labels (pixel coordinates).
    """
    arr = _to_image_array(im, "im")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (3, 3))
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a str or None, got {type(title).__name__}")
    shown = ax.imshow(arr, cmap=cmap if arr.ndim == 2 else None, **kwargs)
    if title:
        ax.set_title(title)
    if noframe:
        ax.axis("off")
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    return ax


def show_signed(im, ax=None, title=None, lim=None, *, figsize=None):
    """Draw a signed map, red for positive, blue for negative, white for 0 (Chapter 2).

    ``lim`` sets the colour scale to [-lim, lim] (default: the largest magnitude), so that
    several maps drawn with one ``lim`` can be compared. The image keeps a thin frame, so
    white borders do not vanish. Returns the ``Axes``.
    """
    arr = _to_image_array(im, "im")
    if arr.ndim != 2:
        raise ValueError(f"im: expected a single-channel map, got shape {tuple(arr.shape)}")
    if lim is None:
        lim = float(np.abs(arr).max()) or 1.0
    elif not isinstance(lim, (int, float)) or isinstance(lim, bool) or not lim > 0:
        raise ValueError(f"lim: expected a positive number, got {lim!r}")
    ax = show_image(arr, ax, title, figsize=figsize, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.axis("on")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def show_images(ims, nrows=None, ncols=None, titles=None, *, figsize=None, imsize=2.0, suptitle=None, **kwargs):
    """Draw several images in a grid and return the 2-D array of ``Axes``.

    ``ims``: a sequence of images, or a tensor whose first axis indexes them.
    ``nrows``/``ncols``: grid shape (by default as square as possible).
    ``titles``: one string per image (or None). Extra ``**kwargs`` go to
    :func:`show_image`; unused cells of the grid are hidden.
    """
    if isinstance(ims, (torch.Tensor, np.ndarray)):
        if ims.ndim < 3:
            raise ValueError(f"ims: expected a stack of images (N, H, W) or a list, got shape {tuple(ims.shape)}")
        ims = list(ims)
    elif not isinstance(ims, (list, tuple)):
        raise TypeError(f"ims: expected a list of images or a tensor, got {type(ims).__name__}")
    n = len(ims)
    if n == 0:
        raise ValueError("ims: no images to show")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles: got {len(titles)} titles for {n} images")
    if nrows is None and ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if nrows is None:
        ncols = check_int(ncols, "ncols", minimum=1)
        nrows = math.ceil(n / ncols)
    else:
        nrows = check_int(nrows, "nrows", minimum=1)
        ncols = math.ceil(n / nrows) if ncols is None else check_int(ncols, "ncols", minimum=1)
    if nrows * ncols < n:
        raise ValueError(f"nrows, ncols: a {nrows}x{ncols} grid cannot hold {n} images")
    fig, axs = plt.subplots(nrows, ncols, figsize=figsize or (imsize * ncols, imsize * nrows), squeeze=False)
    for i, ax in enumerate(axs.flat):
        if i < n:
            show_image(ims[i], ax=ax, title=None if titles is None else titles[i], **kwargs)
        else:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return axs


def show_kernel(kernel, ax=None, title=None, *, fmt="{:g}", cmap="RdBu_r", figsize=None, fontsize=None):
    """Draw a 2-D kernel with each weight written in its cell; return the ``Axes``.

    Colours are symmetric around zero (blue negative, red positive, white zero) so
    that the sign pattern of an edge detector is visible at a glance.
    """
    k = as_tensor(kernel, "kernel", ndim=2).detach().cpu()
    if 0 in k.shape:
        raise ValueError(f"kernel: empty kernel, shape {tuple(k.shape)}")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt: expected a format string such as '{{:.2f}}', got {type(fmt).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (0.6 * k.shape[1] + 0.6, 0.6 * k.shape[0] + 0.6))
    lim = float(k.abs().max()) or 1.0
    ax.imshow(k.numpy(), cmap=cmap, vmin=-lim, vmax=lim)
    fontsize = fontsize or (12 if max(k.shape) <= 5 else 8)
    for (i, j), v in np.ndenumerate(k.numpy()):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                color="white" if abs(v) > 0.6 * lim else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def pixel_table(im, rows=None, cols=None, *, precision=2, cmap="Greys", font_size="7pt"):
    """A pandas ``Styler`` showing an image's numbers, shaded like the image.

    ``rows``/``cols``: optional ``slice`` (or range) to show part of the image; the
    table keeps the original row and column numbers as its index and header.
    """
    t = as_tensor(im, "im", ndim=2).detach().cpu()
    precision = check_int(precision, "precision", minimum=0)
    r = _as_slice(rows, "rows", t.shape[0])
    c = _as_slice(cols, "cols", t.shape[1])
    sub = t[r, c].numpy()
    if sub.size == 0:
        raise ValueError(f"rows, cols: the selection {r}, {c} of an image of shape {tuple(t.shape)} is empty")
    df = pd.DataFrame(sub, index=range(t.shape[0])[r], columns=range(t.shape[1])[c])
    return (df.style.format(precision=precision)
            .set_properties(**{"font-size": font_size, "padding": "1px 3px"})
            .background_gradient(cmap=cmap, axis=None))


def _as_slice(s, name, size):
    if s is None:
        return slice(None)
    if isinstance(s, range):
        if s.step != 1:
            raise ValueError(f"{name}: only contiguous ranges are supported")
        s = slice(s.start, s.stop)
    if not isinstance(s, slice):
        raise TypeError(f"{name}: expected a slice or range, got {type(s).__name__}")
    return s
