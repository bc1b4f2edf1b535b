"""Winograd's minimal filtering for 3x3 convolutions: F(2x2, 3x3) and F(4x4, 3x3).

Introduced in Chapter 8.

A direct 3x3 convolution spends 9 multiplies on every output pixel, for every pair of
input and output channels: 36 for a 2x2 block of outputs, 144 for a 4x4 block. Winograd's
algorithm (Lavin and Gray, 2016) computes an m x m block ("tile") of outputs from an
(m+2) x (m+2) tile of input with only (m+2)^2 multiplies per channel pair -- 16 for m = 2,
36 for m = 4 -- by moving to a basis where convolution is element-wise:

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* is element-wise, summed over C_in)

with g the 3x3 kernel, d an input tile and three small constant matrices per tile size
(:func:`winograd_matrices`). The kernel transform U = G g G^T is done once per kernel,
the input transform V = B^T d B once per tile and input channel, the output transform
once per tile and output channel; only the element-wise product, a batch of (m+2)^2
matrix multiplies (C_out, C_in) @ (C_in, tiles), grows with C_in * C_out.

Shapes: input (N, C_in, H, W), weight (C_out, C_in, 3, 3), bias (C_out,) or None ->
(N, C_out, H + 2p - 2, W + 2p - 2), the same as ``F.conv2d`` (a cross-correlation).
"""
from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from ._validate import as_pair, as_tensor

__all__ = ["TILES", "winograd_matrices", "transform_weight", "transform_input",
           "conv2d_winograd", "count_multiplies"]

TILES = (2, 4)

# The matrices of Lavin and Gray (2016), from the interpolation points 0, 1, -1 (m = 2)
# and 0, 1, -1, 2, -2 (m = 4), plus the point at infinity.
_MATRICES = {
    2: ([[1, 0, -1, 0],
         [0, 1, 1, 0],
         [0, -1, 1, 0],
         [0, 1, 0, -1]],
        [[1, 0, 0],
         [1 / 2, 1 / 2, 1 / 2],
         [1 / 2, -1 / 2, 1 / 2],
         [0, 0, 1]],
        [[1, 1, 1, 0],
         [0, 1, -1, -1]]),
    4: ([[4, 0, -5, 0, 1, 0],
         [0, -4, -4, 1, 1, 0],
         [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0],
         [0, 2, -1, -2, 1, 0],
         [0, 4, 0, -5, 0, 1]],
        [[1 / 4, 0, 0],
         [-1 / 6, -1 / 6, -1 / 6],
         [-1 / 6, 1 / 6, -1 / 6],
         [1 / 24, 1 / 12, 1 / 6],
         [1 / 24, -1 / 12, 1 / 6],
         [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0],
         [0, 1, -1, 2, -2, 0],
         [0, 1, 1, 4, 4, 0],
         [0, 1, -1, 8, -8, 1]]),
}


def _check_tile(tile) -> int:
    if isinstance(tile, bool) or not isinstance(tile, numbers.Integral):
        raise TypeError(f"tile: expected an int (one of {TILES}), got {type(tile).__name__} {tile!r}")
    if tile not in TILES:
        raise ValueError(f"tile: expected one of {TILES} (F(2x2, 3x3) or F(4x4, 3x3)), got {tile}")
    return int(tile)


def winograd_matrices(tile: int = 2, dtype=torch.float64, device=None):
    """The transforms of F(tile x tile, 3x3): ``(BT, G, AT)``.

    BT (a, a) transforms an input tile, G (a, 3) a kernel, AT (tile, a) brings the
    element-wise product back to outputs, with a = tile + 2. In 1-D, for an input
    tile d of length a and a kernel g of length 3,
    ``AT @ ((G @ g) * (BT @ d))`` is the ``tile`` outputs of the correlation of d with g.
    """
    tile = _check_tile(tile)
    return tuple(torch.tensor(m, dtype=dtype, device=device) for m in _MATRICES[tile])


def transform_weight(weight: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """U = G g G^T for every kernel: weight (C_out, C_in, 3, 3) -> U (a, a, C_out, C_in)."""
    return torch.einsum("ij,kcjq,lq->ilkc", G, weight, G)


def transform_input(x: torch.Tensor, BT: torch.Tensor, tile: int) -> torch.Tensor:
    """V = B^T d B for every input tile d: x (N, C, H, W) -> V (a, a, C, N * T_h * T_w).

    The a x a tiles overlap by 2 pixels (a kernel's width minus one) and start every
    ``tile`` pixels; ``Tensor.unfold`` makes them a view without copying. ``x`` must
    already be padded so that the tiles cover it exactly: (H - 2) and (W - 2) divisible
    by ``tile``.
    """
    a = tile + 2
    d = x.unfold(2, a, tile).unfold(3, a, tile)             # (N, C, T_h, T_w, a, a)
    v = torch.einsum("ij,nctsjq,lq->ilcnts", BT, d, BT)     # (a, a, C, N, T_h, T_w)
    return v.reshape(a, a, x.shape[1], -1)


def _check_args(input, weight, bias, padding, tile, stride, dilation):
    tile = _check_tile(tile)
    for name, v in (("stride", stride), ("dilation", dilation)):
        if as_pair(v, name, minimum=1) != (1, 1):
            raise ValueError(f"{name}: Winograd's F(m x m, 3x3) needs {name} 1, got {v!r}")
    input = as_tensor(input, "input", ndim=4, finite=False)
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    if weight.dtype != input.dtype:
        raise TypeError(f"weight: dtype {weight.dtype} does not match the input's dtype {input.dtype}")
    if tuple(weight.shape[2:]) != (3, 3):
        raise ValueError(f"weight: Winograd F(m x m, 3x3) needs a 3x3 kernel, got shape {tuple(weight.shape)}")
    if weight.shape[1] != input.shape[1]:
        raise ValueError(f"weight: expects {weight.shape[1]} input channels (shape {tuple(weight.shape)}), "
                         f"but the input has {input.shape[1]}")
    if bias is not None:
        bias = as_tensor(bias, "bias", ndim=1, finite=False)
        if tuple(bias.shape) != (weight.shape[0],):
            raise ValueError(f"bias: expected shape ({weight.shape[0]},) (one per output channel), "
                             f"got {tuple(bias.shape)}")
        if bias.dtype != input.dtype:
            raise TypeError(f"bias: dtype {bias.dtype} does not match the input's dtype {input.dtype}")
    padding = as_pair(padding, "padding", minimum=0)
    h, w = input.shape[2] + 2 * padding[0], input.shape[3] + 2 * padding[1]
    if h < 3 or w < 3:
        raise ValueError(f"input: the padded input {h}x{w} is smaller than the 3x3 kernel")
    return input, weight, bias, padding, tile


def _winograd_product(U: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """The element-wise stage, summed over C_in: a batch of a*a matrix multiplies.

    U (a, a, C_out, C_in) @ V (a, a, C_in, P) -> M (a, a, C_out, P), P the number of tiles.
    """
    return U @ V


def conv2d_winograd(input, weight, bias=None, padding=0, tile=2, *, stride=1, dilation=1):
    """3x3 convolution, stride 1, by Winograd's F(tile x tile, 3x3), tile 2 or 4.

    input (N, C_in, H, W), weight (C_out, C_in, 3, 3), bias (C_out,) or None ->
    (N, C_out, H + 2p - 2, W + 2p - 2), equal to ``F.conv2d(input, weight, bias,
    padding=padding)`` up to rounding. ``stride`` and ``dilation`` are accepted only as 1.
    """
    input, weight, bias, (ph, pw), m = _check_args(input, weight, bias, padding, tile, stride, dilation)
    n, _, h, w = input.shape
    c_out = weight.shape[0]
    h_out, w_out = h + 2 * ph - 2, w + 2 * pw - 2
    t_h, t_w = -(-h_out // m), -(-w_out // m)               # tiles per column / row, rounded up
    # the convolution's padding, plus zeros at the bottom and right to fill the last tiles
    x = F.pad(input, (pw, pw + t_w * m - w_out, ph, ph + t_h * m - h_out))
    BT, G, AT = winograd_matrices(m, dtype=input.dtype, device=input.device)
    U = transform_weight(weight, G)                          # (a, a, C_out, C_in)
    V = transform_input(x, BT, m)                            # (a, a, C_in, N*T_h*T_w)
    M = _winograd_product(U, V)                              # (a, a, C_out, N*T_h*T_w)
    y = torch.einsum("ui,ilkp,vl->kpuv", AT, M, AT)          # (C_out, N*T_h*T_w, m, m)
    y = y.reshape(c_out, n, t_h, t_w, m, m).permute(1, 0, 2, 4, 3, 5)
    y = y.reshape(n, c_out, t_h * m, t_w * m)[:, :, :h_out, :w_out]
    if bias is not None:
        y = y + bias.view(-1, 1, 1)
    return y.contiguous()


def count_multiplies(input, weight, padding=0, tile=2) -> dict:
    """Count the multiplies of Winograd's element-wise stage and of a direct convolution.

    Both are counted by ``torch.utils.flop_counter.FlopCounterMode`` (2 FLOPs per
    multiply-add) while they run: the stage :func:`conv2d_winograd` performs, and
    ``F.conv2d`` on the same arguments. Returns a dict with ``winograd`` and ``direct``
    (multiplies in all), ``tiles`` (output tiles, N * T_h * T_w), ``pairs``
    (C_in * C_out) and the counts per output tile and channel pair, ``winograd_per_tile``
    and ``direct_per_tile`` (exact when ``tile`` divides the output size; otherwise
    Winograd also computes the padded part of the last tiles). The transforms are not
    included: they cost per tile and channel, not per channel pair.
    """
    input, weight, _, (ph, pw), m = _check_args(input, weight, None, padding, tile, 1, 1)
    n, c_in, h, w = input.shape
    c_out = weight.shape[0]
    h_out, w_out = h + 2 * ph - 2, w + 2 * pw - 2
    t_h, t_w = -(-h_out // m), -(-w_out // m)
    x = F.pad(input, (pw, pw + t_w * m - w_out, ph, ph + t_h * m - h_out))
    BT, G, _ = winograd_matrices(m, dtype=input.dtype, device=input.device)
    U, V = transform_weight(weight, G), transform_input(x, BT, m)
    counts = {}
    for name, run in (("winograd", lambda: _winograd_product(U, V)),
                      ("direct", lambda: F.conv2d(input, weight, padding=(ph, pw)))):
        with FlopCounterMode(display=False) as counter:
            run()
        counts[name] = counter.get_total_flops() // 2
    tiles, pairs = n * t_h * t_w, c_in * c_out
    direct_tiles = n * h_out * w_out / (m * m)              # output tiles a direct method fills
    return {**counts, "tiles": tiles, "pairs": pairs,
            "winograd_per_tile": counts["winograd"] / (tiles * pairs),
            "direct_per_tile": counts["direct"] / (direct_tiles * pairs)}
