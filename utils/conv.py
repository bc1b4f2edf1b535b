"""Reference implementations of 2-D convolution, each short enough to read in one sitting.

Every function takes the arguments of ``torch.nn.functional.conv2d`` in its
order -- ``(input, weight, bias, stride, padding, dilation, groups)`` -- and
returns what ``F.conv2d`` returns (same shape, same values up to rounding, same
dtype as the input). Shapes: input ``(N, C_in, H, W)`` or unbatched
``(C_in, H, W)`` (then the output is unbatched too), weight
``(C_out, C_in/groups, kH, kW)``, bias ``(C_out,)`` or ``None``, output
``(N, C_out, H_out, W_out)`` with ``H_out = (H + 2*p - d*(kH - 1) - 1) // s + 1``
(:func:`utils.shapes.conv_output_size`). ``padding`` may be ``"same"`` (stride 1
only, as in PyTorch) or ``"valid"``. Like ``F.conv2d`` they compute a
*cross-correlation* (no kernel flip), and NaN or inf values simply propagate.

``groups`` splits the channels into independent convolutions. No function has a
second code path for it: the im2col functions reshape the unfolded columns to
``(groups, C_in/groups * kH * kW, L)`` and the weight to ``(groups, C_out/groups, ...)``
so that one batched product does every group at once; the loops and the FFT carry a
group axis through one ``einsum``; ``toeplitz_matrix`` builds the block-diagonal matrix.

Which chapter introduces what:

* Chapter 3 -- the definition and im2col: :func:`conv2d_loops`,
  :func:`conv2d_unfold_naive` (``F.unfold`` + one matrix multiply) and the tuned
  :func:`conv2d_unfold`.
* Chapter 4 -- convolution as a matrix: :func:`toeplitz_matrix`,
  :func:`conv2d_toeplitz`.
* Chapter 5 -- convolution in the frequency domain: :func:`conv2d_fft`.
* Chapter 6 -- gradients: :class:`Conv2dFunction` and :class:`Conv2d`
  (in :mod:`utils.conv_autograd`, importable from here).
* Chapter 7 -- the convolution family: ``groups``, unbatched input and string
  padding everywhere; :func:`utils.conv_transpose.conv_transpose2d`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._conv_args import check_conv_args
from ._validate import as_tensor, check_int
from .conv_autograd import Conv2d, Conv2dFunction

__all__ = ["conv2d_loops", "conv2d_unfold_naive", "conv2d_unfold", "toeplitz_matrix",
           "conv2d_toeplitz", "conv2d_fft", "Conv2dFunction", "Conv2d", "conv_transpose2d",
           "conv2d_winograd"]


def _grouped_matmul(weight: torch.Tensor, cols: torch.Tensor, groups: int) -> torch.Tensor:
    """weight (C_out, C_in/g, kH, kW) times cols (N, C_in*kH*kW, L) -> (N, C_out, L), group by group.

    The one reshape behind ``groups``: the columns' rows (channel-major) split
    into ``groups`` blocks, the weight's rows too, and one batched matmul pairs them.
    """
    n, k, length = cols.shape
    c_out = weight.shape[0]
    w = weight.reshape(groups, c_out // groups, -1)                 # (G, C_out/G, K/G)
    return (w @ cols.view(n, groups, k // groups, length)).view(n, c_out, length)


# ------------------------------------------------------------------- Chapter 3: loops
def conv2d_loops(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """The definition, one output position at a time (Chapter 3). Slow on purpose.

    input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out). For each output position take the window of
    the zero-padded input under the kernel (every ``dilation``-th pixel), multiply
    it element-wise with each output channel's kernel and sum over its group's
    channels and the kernel.
    """
    a = check_conv_args(input, weight, bias, stride, padding, dilation, groups)
    (sh, sw), (ph, pw), (dh, dw), g = a.stride, a.padding, a.dilation, a.groups
    c_out, c_g, kh, kw = a.weight.shape
    h_out, w_out = a.out_size
    x = F.pad(a.input, (pw, pw, ph, ph))  # zeros around the border
    n = x.shape[0]
    w = a.weight.view(g, c_out // g, c_g, kh, kw)
    out = x.new_zeros(n, g, c_out // g, h_out, w_out)
    for r in range(h_out):
        for c in range(w_out):
            top, left = r * sh, c * sw
            window = x[:, :, top: top + dh * (kh - 1) + 1: dh,
                             left: left + dw * (kw - 1) + 1: dw]           # (N, C_in, kH, kW)
            out[..., r, c] = torch.einsum("ngchw,gochw->ngo", window.reshape(n, g, c_g, kh, kw), w)
    return a.finish(out.view(n, c_out, h_out, w_out))


# ------------------------------------------------------------------ Chapter 3: im2col
def conv2d_unfold_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """im2col, the textbook way: ``F.unfold`` then one matrix multiply (Chapter 3).

    input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out). ``F.unfold`` copies every window into a
    column: cols (N, C_in*kH*kW, H_out*W_out). The weight as a (C_out, C_in*kH*kW)
    matrix times cols gives (N, C_out, H_out*W_out) -- already in N, C, H, W order.
    """
    a = check_conv_args(input, weight, bias, stride, padding, dilation, groups)
    cols = F.unfold(a.input, a.weight.shape[-2:], dilation=a.dilation, padding=a.padding, stride=a.stride)
    out = _grouped_matmul(a.weight, cols, a.groups)
    return a.finish(out.view(out.shape[0], -1, *a.out_size))


def _unfold_input(input: torch.Tensor, kernel_size, stride, padding, dilation) -> torch.Tensor:
    """im2col without ``F.unfold``: (N, C, H, W) -> cols (N, C*kH*kW, H_out*W_out).

    The patches are a *view* of the padded input: ``as_strided`` describes the
    6-D array patches[n, c, i, j, r, q] = x_pad[n, c, r*s_h + i*d_h, q*s_w + j*d_w]
    by strides alone, without copying. The one copy happens in ``reshape``,
    which lays the view out as the matrix the multiply needs.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    x = F.pad(input, (pw, pw, ph, ph)) if ph or pw else input
    n, c, hp, wp = x.shape
    h_out, w_out = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    s_n, s_c, s_h, s_w = x.stride()
    patches = x.as_strided((n, c, kh, kw, h_out, w_out),
                           (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw))
    return patches.reshape(n, c * kh * kw, h_out * w_out)


def conv2d_unfold(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """im2col tuned for speed: strided patch view, one batched matrix multiply (Chapter 3).

    input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out). Same maths as :func:`conv2d_unfold_naive`;
    ``benchmarks/conv_speed.py`` records what each change bought.
    """
    a = check_conv_args(input, weight, bias, stride, padding, dilation, groups)
    cols = _unfold_input(a.input, a.weight.shape[-2:], a.stride, a.padding, a.dilation)   # (N, K, L)
    out = _grouped_matmul(a.weight, cols, a.groups)                                      # (N, C_out, L)
    return a.finish(out.view(out.shape[0], -1, *a.out_size))


# ---------------------------------------------------------------- Chapter 4: Toeplitz
def toeplitz_matrix(weight, input_size, padding=0, padding_mode="zeros", stride=1, dilation=1,
                    groups=1) -> torch.Tensor:
    """The (doubly-block) Toeplitz matrix of a convolution (Chapter 4).

    weight (C_out, C_in/groups, kH, kW); ``input_size`` is (H, W) or (C_in, H, W).
    Returns T of shape (C_out*H_out*W_out, C_in*H*W) such that for one image x
    (C_in, H, W), ``(T @ x.flatten()).reshape(C_out, H_out, W_out)`` is the
    convolution of x. The padding is folded into T: its columns index the
    *unpadded* input, and a tap that falls on a padded pixel is either dropped
    ("zeros") or wrapped around to the opposite edge ("circular"). With
    ``groups`` > 1, output channel o only reads its group's input channels, so T
    is block diagonal: ``groups`` blocks of (C_out/groups)*H_out*W_out rows by
    (C_in/groups)*H*W columns (Chapter 7).
    """
    if not isinstance(input_size, (tuple, list, torch.Size)) or len(input_size) not in (2, 3):
        raise ValueError(f"input_size: expected (H, W) or (C_in, H, W), got {input_size!r}")
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    c_out, c_g, kh, kw = weight.shape
    if len(input_size) == 2:
        input_size = (c_g * check_int(groups, "groups", minimum=1), *input_size)
    c, h, w = (check_int(v, "input_size", minimum=1) for v in input_size)
    a = check_conv_args(None, weight, None, stride, padding, dilation, groups, padding_mode,
                        input_shape=(c, h, w), pad_input=False)
    (sh, sw), (dh, dw), (top, _, left, _) = a.stride, a.dilation, a.pads
    h_out, w_out = a.out_size

    # One entry of T per (output pixel, kernel tap): the tap's weight goes in the
    # row of the output pixel and the column of the input pixel it multiplies.
    o, r, q, ci, i, j = torch.meshgrid(
        *(torch.arange(m, device=weight.device) for m in (c_out, h_out, w_out, c_g, kh, kw)),
        indexing="ij")
    y, x = r * sh - top + i * dh, q * sw - left + j * dw   # position in the unpadded input
    if padding_mode == "circular":
        y, x = y % h, x % w                           # wrap around: the padding copies the far edge
        keep = torch.ones_like(y, dtype=torch.bool)
    else:
        keep = (y >= 0) & (y < h) & (x >= 0) & (x < w)  # taps on zero padding contribute nothing
    rows = (o * h_out + r) * w_out + q
    channel = o // (c_out // a.groups) * c_g + ci     # input channel: o's group, then ci within it
    cols = (channel * h + y) * w + x
    T = weight.new_zeros(c_out * h_out * w_out, c * h * w)
    # accumulate: with circular padding two taps can land on the same pixel
    T.index_put_((rows[keep], cols[keep]), weight[o, ci, i, j][keep], accumulate=True)
    return T


def conv2d_toeplitz(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros") -> torch.Tensor:
    """Convolution as ONE matrix multiply with the Toeplitz matrix (Chapter 4).

    input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out). The batch is the matrix X (C_in*H*W, N), one
    flattened image per column, and the output is T @ X. ``padding_mode`` is
    "zeros" or "circular" (as ``F.pad(mode="circular")`` then ``F.conv2d``).
    """
    a = check_conv_args(input, weight, bias, stride, padding, dilation, groups, padding_mode,
                        pad_input=False)
    n, c_in, h, w = a.input.shape
    T = toeplitz_matrix(a.weight, (c_in, h, w), padding, padding_mode, a.stride, a.dilation, a.groups)
    X = a.input.reshape(n, -1).T                     # (C_in*H*W, N)
    Y = T @ X                                        # (C_out*H_out*W_out, N)
    return a.finish(Y.T.reshape(n, -1, *a.out_size))


# --------------------------------------------------------------------- Chapter 5: FFT
def _fft_correlate(x: torch.Tensor, weight: torch.Tensor, size, groups: int = 1) -> torch.Tensor:
    """Periodic cross-correlation through the FFT, on a grid of ``size`` = (H, W).

    x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW) with kH <= H, kW <= W ->
    y (N, C_out, H, W) with y[n, o, u, v] = sum_{c,i,j} x[n, c, (u+i) % H, (v+j) % W] * w[o, c, i, j]
    (c running over o's group). Correlating is multiplying by the complex
    conjugate of the kernel's spectrum (convolving would be the plain product).
    """
    X = torch.fft.rfft2(x, s=size)                       # (N, C_in, H, W//2+1)
    K = torch.fft.rfft2(weight, s=size)                  # kernel zero-padded to (H, W)
    n, c_in, fh, fw = X.shape
    c_out, c_g = K.shape[:2]
    Y = torch.einsum("ngchw,gochw->ngohw",               # sum over each group's channels
                     X.view(n, groups, c_g, fh, fw), K.conj().view(groups, c_out // groups, c_g, fh, fw))
    return torch.fft.irfft2(Y.reshape(n, c_out, fh, fw), s=size)


def conv2d_fft(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
               padding_mode="zeros") -> torch.Tensor:
    """Convolution through the FFT, stride 1 and no dilation (Chapter 5).

    input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out) with H_out = H + 2*p - kH + 1. "zeros" matches
    ``F.conv2d(input, weight, bias, padding=padding)``; "circular" matches
    ``F.conv2d(F.pad(input, (p_w, p_w, p_h, p_h), mode="circular"), weight, bias)``.
    The FFT computes every output position of an undilated kernel at once, so a
    ``stride`` or ``dilation`` other than 1 raises ``ValueError``.
    """
    a = check_conv_args(input, weight, bias, stride, padding, dilation, groups, padding_mode)
    if a.stride != (1, 1):
        raise ValueError(f"stride: conv2d_fft computes stride 1 only (the FFT gives every output "
                         f"position), got {stride!r}; use conv2d_unfold, or keep every s-th output")
    if a.dilation != (1, 1):
        raise ValueError(f"dilation: conv2d_fft computes dilation 1 only, got {dilation!r}; "
                         f"use conv2d_unfold, or spread the kernel out with zeros first")
    (ph, pw), (h_out, w_out) = a.padding, a.out_size
    h, w = a.input.shape[-2:]
    kh, kw = a.weight.shape[-2:]
    if padding_mode == "circular" and kh <= h and kw <= w:
        # The FFT of size (H, W) *is* circular: no padding needed. Output pixel
        # (r, q) is the window starting at input pixel (r - p_h, q - p_w), wrapped.
        y = _fft_correlate(a.input, a.weight, (h, w), a.groups)
        rows = (torch.arange(h_out, device=y.device) - ph) % h
        cols = (torch.arange(w_out, device=y.device) - pw) % w
        out = y[:, :, rows[:, None], cols]
    else:
        # Pad explicitly; an FFT as large as the padded input is enough, because
        # the kept windows (r <= H_p - kH) never reach past the edge to wrap around.
        x = F.pad(a.input, (pw, pw, ph, ph), mode="constant" if padding_mode == "zeros" else "circular")
        out = _fft_correlate(x, a.weight, x.shape[-2:], a.groups)[:, :, :h_out, :w_out]
    return a.finish(out.contiguous())


# Re-exported so that every convolution of the book imports from one place; they import
# this module's functions, hence the imports at the end.
from .conv_transpose import conv_transpose2d  # noqa: E402
from .winograd import conv2d_winograd  # noqa: E402
