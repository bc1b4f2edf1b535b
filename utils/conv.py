"""Reference implementations of 2-D convolution, each short enough to read in one sitting.

Every function takes the arguments of ``torch.nn.functional.conv2d`` where they
apply and returns what ``F.conv2d`` returns (same shape, same values up to
rounding, same dtype as the input). Shapes: input ``(N, C_in, H, W)``, weight
``(C_out, C_in, kH, kW)``, bias ``(C_out,)`` or ``None``, output
``(N, C_out, H_out, W_out)`` with ``H_out = (H + 2*p - d*(kH - 1) - 1) // s + 1``.
Like ``F.conv2d`` they compute a *cross-correlation* (no kernel flip), and NaN
or inf values simply propagate (the arguments' shapes and types are checked, not
every value: that scan would cost as much as a small convolution).
``groups`` is not supported.

Which chapter introduces what:

* Chapter 2 -- the definition and im2col: :func:`conv2d_loops`,
  :func:`conv2d_unfold_naive` (``F.unfold`` + one matrix multiply) and the tuned
  :func:`conv2d_unfold`.
* Chapter 3 -- convolution as a matrix: :func:`toeplitz_matrix`,
  :func:`conv2d_toeplitz`.
* Chapter 4 -- convolution in the frequency domain: :func:`conv2d_fft`.
* Chapter 5 -- gradients: :class:`Conv2dFunction` (forward and hand-derived
  backward) and the drop-in module :class:`Conv2d`.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._validate import as_pair, as_tensor, check_int

__all__ = ["conv2d_loops", "conv2d_unfold_naive", "conv2d_unfold", "toeplitz_matrix",
           "conv2d_toeplitz", "conv2d_fft", "Conv2dFunction", "Conv2d"]

PADDING_MODES = ("zeros", "circular")


# --------------------------------------------------------------------------- checks
def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length along one axis: how many (dilated) windows fit, stepping by ``s``."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _check_conv_args(input, weight, bias=None, stride=1, padding=0, dilation=1,
                     padding_mode="zeros", *, input_shape=None):
    """The checks shared by every function of this module.

    Returns ``(input, weight, bias, stride, padding, dilation)`` with tensors
    converted and the last three as pairs of ints. ``input_shape`` (C_in, H, W)
    replaces ``input`` when only the shape is known (:func:`toeplitz_matrix`).
    Raises ``TypeError``/``ValueError`` whose message starts with the argument's name.
    """
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    if input_shape is None:
        input = as_tensor(input, "input", ndim=4, finite=False)
        if weight.dtype != input.dtype:
            raise TypeError(f"weight: dtype {weight.dtype} does not match the input's dtype {input.dtype}")
        input_shape = tuple(input.shape[1:])
    c_in, h, w = input_shape
    c_out, wc_in, kh, kw = weight.shape
    if wc_in != c_in:
        raise ValueError(f"weight: expects {wc_in} input channels (shape {tuple(weight.shape)}), "
                         f"but the input has {c_in}")
    if bias is not None:
        bias = as_tensor(bias, "bias", ndim=1, finite=False)
        if tuple(bias.shape) != (c_out,):
            raise ValueError(f"bias: expected shape ({c_out},) (one per output channel), got {tuple(bias.shape)}")
        if bias.dtype != weight.dtype:
            raise TypeError(f"bias: dtype {bias.dtype} does not match the weight's dtype {weight.dtype}")
    stride = as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    dilation = as_pair(dilation, "dilation", minimum=1)
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode: expected one of {PADDING_MODES}, got {padding_mode!r}")
    if padding_mode == "circular" and (padding[0] > h or padding[1] > w):
        raise ValueError(f"padding: circular padding {padding} cannot exceed the input size {(h, w)}")
    span = [d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw))]
    if span[0] > h + 2 * padding[0] or span[1] > w + 2 * padding[1]:
        raise ValueError(f"weight: the (dilated) kernel {span[0]}x{span[1]} is larger than the padded "
                         f"input {h + 2 * padding[0]}x{w + 2 * padding[1]}")
    return input, weight, bias, stride, padding, dilation


def _add_bias(out: torch.Tensor, bias) -> torch.Tensor:
    """Add one bias per output channel (dim 1) in place; ``out`` is ours to modify."""
    if bias is not None:
        out += bias.view(-1, 1, 1)
    return out


# ------------------------------------------------------------------- Chapter 2: loops
def conv2d_loops(input, weight, bias=None, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """The definition, one output position at a time (Chapter 2). Slow on purpose.

    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out). For each output position take the window of the
    zero-padded input under the kernel (every ``dilation``-th pixel), multiply it
    element-wise with each output channel's kernel and sum over C_in, kH, kW.
    """
    input, weight, bias, (sh, sw), (ph, pw), (dh, dw) = _check_conv_args(
        input, weight, bias, stride, padding, dilation)
    n, _, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    x = F.pad(input, (pw, pw, ph, ph))  # zeros around the border
    out = input.new_zeros(n, c_out, h_out, w_out)
    for r in range(h_out):
        for c in range(w_out):
            top, left = r * sh, c * sw
            window = x[:, :, top: top + dh * (kh - 1) + 1: dh,
                             left: left + dw * (kw - 1) + 1: dw]           # (N, C_in, kH, kW)
            out[:, :, r, c] = torch.einsum("nchw,ochw->no", window, weight)
    return _add_bias(out, bias)


# ------------------------------------------------------------------ Chapter 2: im2col
def conv2d_unfold_naive(input, weight, bias=None, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """im2col, the textbook way: ``F.unfold`` then one matrix multiply (Chapter 2).

    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out). ``F.unfold`` copies every window into a column:
    cols (N, C_in*kH*kW, H_out*W_out). The weight as a (C_out, C_in*kH*kW) matrix
    times cols gives (N, C_out, H_out*W_out) -- already in N, C, H, W order.
    """
    input, weight, bias, stride, padding, dilation = _check_conv_args(
        input, weight, bias, stride, padding, dilation)
    n, _, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    h_out = _out_size(h, kh, stride[0], padding[0], dilation[0])
    w_out = _out_size(w, kw, stride[1], padding[1], dilation[1])
    cols = F.unfold(input, (kh, kw), dilation=dilation, padding=padding, stride=stride)
    out = weight.reshape(c_out, -1) @ cols                   # broadcast over the batch
    return _add_bias(out.view(n, c_out, h_out, w_out), bias)


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


def conv2d_unfold(input, weight, bias=None, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """im2col tuned for speed: strided patch view, one batched matrix multiply (Chapter 2).

    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out). Same maths as :func:`conv2d_unfold_naive`;
    ``benchmarks/conv_speed.py`` records what each change bought.
    """
    input, weight, bias, stride, padding, dilation = _check_conv_args(
        input, weight, bias, stride, padding, dilation)
    n, _, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    h_out = _out_size(h, kh, stride[0], padding[0], dilation[0])
    w_out = _out_size(w, kw, stride[1], padding[1], dilation[1])
    cols = _unfold_input(input, (kh, kw), stride, padding, dilation)   # (N, K, L)
    out = weight.reshape(c_out, -1) @ cols                            # (N, C_out, L)
    return _add_bias(out.view(n, c_out, h_out, w_out), bias)


# ---------------------------------------------------------------- Chapter 3: Toeplitz
def toeplitz_matrix(weight, input_size, padding=0, padding_mode="zeros", stride=1) -> torch.Tensor:
    """The (doubly-block) Toeplitz matrix of a convolution (Chapter 3).

    weight (C_out, C_in, kH, kW); ``input_size`` is (H, W) or (C_in, H, W).
    Returns T of shape (C_out*H_out*W_out, C_in*H*W) such that for one image x
    (C_in, H, W), ``(T @ x.flatten()).reshape(C_out, H_out, W_out)`` is the
    convolution of x. The padding is folded into T: its columns index the
    *unpadded* input, and a tap that falls on a padded pixel is either dropped
    ("zeros") or wrapped around to the opposite edge ("circular").
    """
    if not isinstance(input_size, (tuple, list, torch.Size)) or len(input_size) not in (2, 3):
        raise ValueError(f"input_size: expected (H, W) or (C_in, H, W), got {input_size!r}")
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    c_out, c_in, kh, kw = weight.shape
    if len(input_size) == 2:
        input_size = (c_in, *input_size)
    c, h, w = (check_int(v, "input_size", minimum=1) for v in input_size)
    _, weight, _, (sh, sw), (ph, pw), _ = _check_conv_args(
        None, weight, None, stride, padding, 1, padding_mode, input_shape=(c, h, w))
    h_out, w_out = _out_size(h, kh, sh, ph, 1), _out_size(w, kw, sw, pw, 1)

    # One entry of T per (output pixel, kernel tap): the tap's weight goes in the
    # row of the output pixel and the column of the input pixel it multiplies.
    o, r, q, ci, i, j = torch.meshgrid(
        *(torch.arange(m, device=weight.device) for m in (c_out, h_out, w_out, c_in, kh, kw)),
        indexing="ij")
    y, x = r * sh - ph + i, q * sw - pw + j          # position in the unpadded input
    if padding_mode == "circular":
        y, x = y % h, x % w                           # wrap around: the padding copies the far edge
        keep = torch.ones_like(y, dtype=torch.bool)
    else:
        keep = (y >= 0) & (y < h) & (x >= 0) & (x < w)  # taps on zero padding contribute nothing
    rows = (o * h_out + r) * w_out + q
    cols = (ci * h + y) * w + x
    T = weight.new_zeros(c_out * h_out * w_out, c_in * h * w)
    # accumulate: with circular padding two taps can land on the same pixel
    T.index_put_((rows[keep], cols[keep]), weight[o, ci, i, j][keep], accumulate=True)
    return T


def conv2d_toeplitz(input, weight, bias=None, stride=1, padding=0, padding_mode="zeros") -> torch.Tensor:
    """Convolution as ONE matrix multiply with the Toeplitz matrix (Chapter 3).

    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out). The batch is the matrix X (C_in*H*W, N), one
    flattened image per column, and the output is T @ X. ``padding_mode`` is
    "zeros" or "circular" (as ``F.pad(mode="circular")`` then ``F.conv2d``).
    """
    input, weight, bias, stride, padding, _ = _check_conv_args(
        input, weight, bias, stride, padding, 1, padding_mode)
    n, c_in, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = _out_size(h, kh, stride[0], padding[0], 1), _out_size(w, kw, stride[1], padding[1], 1)
    T = toeplitz_matrix(weight, (c_in, h, w), padding, padding_mode, stride)
    X = input.reshape(n, -1).T                       # (C_in*H*W, N)
    Y = T @ X                                        # (C_out*H_out*W_out, N)
    return _add_bias(Y.T.reshape(n, c_out, h_out, w_out), bias)


# --------------------------------------------------------------------- Chapter 4: FFT
def _fft_correlate(x: torch.Tensor, weight: torch.Tensor, size) -> torch.Tensor:
    """Periodic cross-correlation through the FFT, on a grid of ``size`` = (H, W).

    x (N, C_in, H, W), weight (C_out, C_in, kH, kW) with kH <= H, kW <= W ->
    y (N, C_out, H, W) with y[n, o, u, v] = sum_{c,i,j} x[n, c, (u+i) % H, (v+j) % W] * w[o, c, i, j].
    Correlating is multiplying by the complex conjugate of the kernel's spectrum
    (convolving would be the plain product).
    """
    X = torch.fft.rfft2(x, s=size)                       # (N, C_in, H, W//2+1)
    K = torch.fft.rfft2(weight, s=size)                  # kernel zero-padded to (H, W)
    Y = torch.einsum("nchw,ochw->nohw", X, K.conj())     # sum over C_in in the frequency domain
    return torch.fft.irfft2(Y, s=size)


def conv2d_fft(input, weight, bias=None, padding=0, padding_mode="zeros") -> torch.Tensor:
    """Convolution through the FFT, stride 1 and no dilation (Chapter 4).

    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out) with H_out = H + 2*p - kH + 1. "zeros" matches
    ``F.conv2d(input, weight, bias, padding=padding)``; "circular" matches
    ``F.conv2d(F.pad(input, (p_w, p_w, p_h, p_h), mode="circular"), weight, bias)``.
    """
    input, weight, bias, _, (ph, pw), _ = _check_conv_args(
        input, weight, bias, 1, padding, 1, padding_mode)
    h, w = input.shape[-2:]
    kh, kw = weight.shape[-2:]
    h_out, w_out = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
    if padding_mode == "circular" and kh <= h and kw <= w:
        # The FFT of size (H, W) *is* circular: no padding needed. Output pixel
        # (r, q) is the window starting at input pixel (r - p_h, q - p_w), wrapped.
        y = _fft_correlate(input, weight, (h, w))
        rows = (torch.arange(h_out, device=y.device) - ph) % h
        cols = (torch.arange(w_out, device=y.device) - pw) % w
        out = y[:, :, rows[:, None], cols]
    else:
        # Pad explicitly; an FFT as large as the padded input is enough, because
        # the kept windows (r <= H_p - kH) never reach past the edge to wrap around.
        x = F.pad(input, (pw, pw, ph, ph), mode="constant" if padding_mode == "zeros" else "circular")
        out = _fft_correlate(x, weight, x.shape[-2:])[:, :, :h_out, :w_out]
    return _add_bias(out.contiguous(), bias)


# --------------------------------------------------------------- Chapter 5: gradients
def _unfold_rows(input: torch.Tensor, kernel_size, stride, padding, dilation) -> torch.Tensor:
    """im2col with one *row* per output pixel, channels last: (N, C, H, W) -> (N*L, kH*kW*C).

    Same idea as :func:`_unfold_input`, but the padded input is laid out
    (N, H, W, C), so each window row copies a run of kW*C consecutive floats.
    For the small images deep in a network this copy is several times faster
    than gathering rows of only a few pixels from N, C, H, W.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    x = F.pad(input.permute(0, 2, 3, 1), (0, 0, pw, pw, ph, ph))   # (N, H_p, W_p, C), one copy
    n, hp, wp, c = x.shape
    h_out, w_out = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    s_n, s_h, s_w, s_c = x.stride()
    patches = x.as_strided((n, h_out, w_out, kh, kw, c),
                           (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c))
    return patches.reshape(n * h_out * w_out, kh * kw * c)


class Conv2dFunction(torch.autograd.Function):
    """Convolution with a hand-derived backward pass (Chapter 5).

    ``Conv2dFunction.apply(input, weight, bias, stride, padding, dilation)`` with
    input (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out). With J the unfolded input (one row per output
    pixel: (N*L, K), K = C_in*kH*kW, L = H_out*W_out), W the weight as a
    (C_out, K) matrix and G = dL/dY as (N*L, C_out):

    * forward:  Y = J @ W^T (+ b)
    * dL/dW = G^T @ J  -- a cross-correlation of the input with dL/dY
    * dL/dX = fold(G @ W): every window's gradient added back onto the pixels it
      was copied from. That is a full convolution of dL/dY with the kernel
      rotated by 180 degrees -- exactly what ``F.conv_transpose2d`` computes, and
      much faster than ``F.fold`` on CPU, so we evaluate it that way.
    * dL/db = G summed over the batch and all positions

    The output is returned as an N, C, H, W view of channels-last memory
    (values and shape as ``F.conv2d``; ``.contiguous()`` gives the usual layout).
    """

    @staticmethod
    def forward(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1):
        input, weight, bias, stride, padding, dilation = _check_conv_args(
            input, weight, bias, stride, padding, dilation)
        n, _, h, w = input.shape
        c_out, _, kh, kw = weight.shape
        cols = _unfold_rows(input, (kh, kw), stride, padding, dilation)      # J: (N*L, K)
        w2 = weight.permute(0, 2, 3, 1).reshape(c_out, -1)                  # W: (C_out, K), K as in J
        out = cols @ w2.T if bias is None else torch.addmm(bias, cols, w2.T)  # (N*L, C_out)
        # Keep only what the backward needs: J for dL/dW, the weight for dL/dX.
        ctx.save_for_backward(cols if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        ctx.conf = (h, w, weight.shape, stride, padding, dilation)
        h_out = _out_size(h, kh, stride[0], padding[0], dilation[0])
        return out.view(n, h_out, -1, c_out).permute(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, grad_output):
        cols, weight = ctx.saved_tensors
        h, w, (c_out, c_in, kh, kw), stride, padding, dilation = ctx.conf
        # G: (N*L, C_out), one row per output pixel like J (a view if channels-last)
        g = grad_output.permute(0, 2, 3, 1).reshape(-1, c_out)
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            # When the stride does not divide evenly, the transposed convolution comes
            # out a few rows/columns short of the input; output_padding adds them at the
            # bottom/right so the shapes match (pixels no window read get zero).
            extra = [(size + 2 * p - d * (k - 1) - 1) % s for size, p, d, k, s in
                     zip((h, w), padding, dilation, (kh, kw), stride)]
            grad_input = F.conv_transpose2d(grad_output, weight, None, stride, padding,
                                            extra, 1, dilation)
        if ctx.needs_input_grad[1]:
            grad_weight = (g.T @ cols).view(c_out, kh, kw, c_in).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[2]:
            grad_bias = g.sum(0)
        return grad_input, grad_weight, grad_bias, None, None, None


class Conv2d(nn.Conv2d):
    """Drop-in replacement for ``nn.Conv2d`` that runs :class:`Conv2dFunction` (Chapter 5).

    Same constructor, parameters and initialisation as ``nn.Conv2d`` (it *is* one);
    only the computation differs. input (N, C_in, H, W) -> (N, C_out, H_out, W_out).
    ``groups`` must be 1.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.groups != 1:
            raise ValueError(f"groups: only groups=1 is supported, got {self.groups}")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        padding = self.padding
        if isinstance(padding, str) or self.padding_mode != "zeros":
            # Pad explicitly, as nn.Conv2d does for other padding modes; this also
            # covers padding="same" with an even kernel, which pads one side more.
            if self.padding != "valid":
                mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
                input = F.pad(input, self._reversed_padding_repeated_twice, mode=mode)
            padding = 0
        return Conv2dFunction.apply(input, self.weight, self.bias, self.stride, padding, self.dilation)
