"""Convolution with a hand-derived backward pass, and a drop-in ``nn.Conv2d`` (Chapter 6).

:class:`Conv2dFunction` is a ``torch.autograd.Function`` whose forward is im2col
(one row per output pixel) and whose backward is the chapter's three formulas;
:class:`Conv2d` is ``nn.Conv2d`` running it. Both are importable from
:mod:`utils.conv`. Chapter 7 adds ``groups``, unbatched input, ``padding="same"``
/ ``"valid"`` and every ``padding_mode`` of ``nn.Conv2d``.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._conv_args import check_conv_args
from .shapes import conv_output_size

__all__ = ["Conv2dFunction", "Conv2d"]


def block_diagonal_weight(weight: torch.Tensor, groups: int) -> torch.Tensor:
    """A grouped weight (C_out, C_in/groups, kH, kW) as the dense (C_out, C_in, kH, kW) it stands for.

    Output channel o keeps its kernels at its own group's input channels and has
    zeros everywhere else, so a groups=1 convolution with the result equals the
    grouped convolution. Differentiable: the gradient of the dense weight flows
    back to the grouped one, zeros dropped. Introduced in Chapter 7.
    """
    c_out = weight.shape[0]
    group_of = torch.arange(c_out, device=weight.device) // (c_out // groups)
    mask = F.one_hot(group_of, groups).to(weight.dtype)                       # (C_out, G)
    return (mask[:, :, None, None, None] * weight[:, None]).flatten(1, 2)


def _unfold_rows(input: torch.Tensor, kernel_size, stride, padding, dilation) -> torch.Tensor:
    """im2col with one *row* per output pixel, channels last: (N, C, H, W) -> (N*L, kH*kW*C).

    Same idea as :func:`utils.conv._unfold_input`, but the padded input is laid out
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
    """Convolution with a hand-derived backward pass (Chapter 6).

    ``Conv2dFunction.apply(input, weight, bias, stride, padding, dilation, groups)``
    takes what ``F.conv2d`` takes: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,) or None -> (N, C_out, H_out, W_out).
    With J the unfolded input (one row per output pixel: (N*L, K), K = C_in*kH*kW,
    L = H_out*W_out), W the weight as a (C_out, K) matrix and G = dL/dY as (N*L, C_out):

    * forward:  Y = J @ W^T (+ b)
    * dL/dW = G^T @ J  -- a cross-correlation of the input with dL/dY
    * dL/dX = fold(G @ W): every window's gradient added back onto the pixels it
      was copied from. That is a full convolution of dL/dY with the kernel
      rotated by 180 degrees -- exactly what ``F.conv_transpose2d`` computes, and
      much faster than ``F.fold`` on CPU, so we evaluate it that way.
    * dL/db = G summed over the batch and all positions

    The output is returned as an N, C, H, W view of channels-last memory
    (values and shape as ``F.conv2d``; ``.contiguous()`` gives the usual layout).

    ``apply`` checks the arguments and brings them to the form ``forward`` and
    ``backward`` work with (Chapter 7): a batch, symmetric padding (an asymmetric
    ``"same"`` is applied to the input first) and ``groups=1``. A grouped weight
    becomes the block-diagonal dense weight it stands for
    (:func:`block_diagonal_weight`); autograd carries its gradient back to the
    grouped weight. That costs ``groups`` times the multiply-adds of a true
    grouped convolution, but leaves the formulas above exactly as derived.
    """

    @classmethod
    def apply(cls, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        a = check_conv_args(input, weight, bias, stride, padding, dilation, groups)
        dense = a.weight if a.groups == 1 else block_diagonal_weight(a.weight, a.groups)
        out = super().apply(a.input, dense, a.bias, a.stride, a.padding, a.dilation)
        return out[0] if a.unbatched else out

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation):
        # arguments as checked by ``apply``: a batch, pairs of ints, groups=1
        n, _, h, w = input.shape
        c_out, _, kh, kw = weight.shape
        cols = _unfold_rows(input, (kh, kw), stride, padding, dilation)      # J: (N*L, K)
        w2 = weight.permute(0, 2, 3, 1).reshape(c_out, -1)                  # W: (C_out, K), K as in J
        out = cols @ w2.T if bias is None else torch.addmm(bias, cols, w2.T)  # (N*L, C_out)
        # Keep only what the backward needs: J for dL/dW, the weight for dL/dX.
        ctx.save_for_backward(cols if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        ctx.conf = (h, w, weight.shape, stride, padding, dilation)
        h_out = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
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
    """Drop-in replacement for ``nn.Conv2d`` that runs :class:`Conv2dFunction` (Chapter 6).

    Same constructor, parameters and initialisation as ``nn.Conv2d`` (it *is* one);
    only the computation differs. input (N, C_in, H, W) or (C_in, H, W) ->
    (N, C_out, H_out, W_out) or (C_out, H_out, W_out). Every ``padding_mode``
    (zeros, reflect, replicate, circular) and ``groups`` work, forward and backward.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        padding = self.padding
        if isinstance(padding, str) or self.padding_mode != "zeros":
            # Pad explicitly, as nn.Conv2d does for other padding modes; this also
            # covers padding="same" with an even kernel, which pads one side more.
            if self.padding != "valid":
                mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
                input = F.pad(input, self._reversed_padding_repeated_twice, mode=mode)
            padding = 0
        return Conv2dFunction.apply(input, self.weight, self.bias, self.stride, padding,
                                    self.dilation, self.groups)
