"""Named 3x3 kernels and applying one at a single position (introduced in Chapter 1).

All kernels are float32 tensors of shape (3, 3), written the way PyTorch uses
them: ``F.conv2d`` computes a *cross-correlation*, so the weight at row ``i``,
column ``j`` multiplies the pixel ``i`` rows below and ``j`` columns right of the
window's top-left corner, with no flip (Chapter 5 explains the flip of a true
convolution).
"""
from __future__ import annotations

import torch

from ._validate import as_tensor, check_int

__all__ = ["KERNELS", "get_kernel", "apply_kernel", "kernel_names"]

_T = lambda rows: torch.tensor(rows, dtype=torch.float32)

#: name -> 3x3 kernel. "top_edge" responds where dark is above bright, and so on.
#: The edge kernels' weights sum to 0 (no response on flat regions); the smoothing
#: kernels' (blur, box_blur) and sharpen's and identity's sum to 1 (flat regions kept).
KERNELS: dict[str, torch.Tensor] = {
    "top_edge": _T([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "bottom_edge": _T([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),
    "left_edge": _T([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "right_edge": _T([[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
    # diagonal edges: running like "/" with dark upper left and bright lower right (diag1),
    # running like a backslash with dark upper right and bright lower left (diag2)
    "diag1_edge": _T([[-1, -1, 0], [-1, 0, 1], [0, 1, 1]]),
    "diag2_edge": _T([[0, -1, -1], [1, 0, -1], [1, 1, 0]]),
    "sobel_x": _T([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": _T([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "blur": _T([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "box_blur": torch.full((3, 3), 1 / 9),
    "sharpen": _T([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "identity": _T([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}
for _k in KERNELS.values():
    _k.requires_grad_(False)


def kernel_names() -> list[str]:
    """The names accepted by :func:`get_kernel`, in a stable order."""
    return list(KERNELS)


def get_kernel(name: str) -> torch.Tensor:
    """A fresh copy of the named 3x3 kernel (see ``KERNELS``); safe to modify."""
    if not isinstance(name, str):
        raise TypeError(f"name: expected a kernel name (str), got {type(name).__name__}")
    if name not in KERNELS:
        raise ValueError(f"name: unknown kernel {name!r}; choose one of {', '.join(KERNELS)}")
    return KERNELS[name].clone()


def apply_kernel(img, row: int, col: int, kernel) -> torch.Tensor:
    """The kernel's response with its centre on pixel ``(row, col)`` of ``img``.

    ``img`` is (H, W); ``kernel`` is (k, k) with ``k`` odd. Returns a 0-d tensor:
    the sum of the element-wise product of the kernel and the k x k window of the
    image centred on (row, col). The window must lie inside the image (use
    padding, Chapter 2, to reach the border).
    """
    img = as_tensor(img, "img", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2)
    kh, kw = kernel.shape
    if kh != kw or kh % 2 == 0:
        raise ValueError(f"kernel: expected a square kernel of odd size, got shape {tuple(kernel.shape)}")
    row, col = check_int(row, "row"), check_int(col, "col")
    r = kh // 2
    h, w = img.shape
    if not (r <= row < h - r):
        raise ValueError(f"row: a {kh}x{kw} window centred on row {row} leaves the {h}x{w} image; "
                         f"row must lie in {r}..{h - r - 1}")
    if not (r <= col < w - r):
        raise ValueError(f"col: a {kh}x{kw} window centred on column {col} leaves the {h}x{w} image; "
                         f"col must lie in {r}..{w - r - 1}")
    window = img[row - r: row + r + 1, col - r: col + r + 1]
    return (window * kernel.to(window.dtype)).sum()
