"""Transposed convolution written from scratch (introduced in Chapter 7).

A convolution with stride ``s`` maps an ``H``-pixel input to about ``H/s``
outputs; its *transpose* (Chapter 4: the matrix Tᵀ, Chapter 6: the input
gradient) maps back. :func:`conv_transpose2d` computes it the way Chapter 7
explains, with nothing but an ordinary stride-1 convolution:

1. insert ``s - 1`` zeros between neighbouring input pixels;
2. pad ``d*(k - 1) - p`` zeros on each side (a negative amount crops), plus
   ``output_padding`` more at the bottom/right;
3. convolve with the kernel flipped by 180 degrees and its two channel axes swapped.

The result equals ``F.conv_transpose2d`` and ``Tᵀ @ y`` with T from
:func:`utils.conv.toeplitz_matrix`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._validate import as_pair, as_tensor, check_int
from .conv import conv2d_unfold
from .shapes import conv_transpose_output_size

__all__ = ["conv_transpose2d"]


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> torch.Tensor:
    """Transposed convolution, with the arguments and weight layout of ``F.conv_transpose2d``.

    input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out/groups, kH, kW),
    bias (C_out,) or None -> (N, C_out, H_out, W_out) (unbatched in, unbatched out) with
    ``H_out = (H - 1)*s - 2*p + d*(kH - 1) + output_padding + 1``
    (:func:`utils.shapes.conv_transpose_output_size`). It is the adjoint of
    ``F.conv2d(., weight, None, stride, padding, dilation, groups)``: the weight
    is laid out as that convolution's, which maps C_out channels to C_in.
    Introduced in Chapter 7.
    """
    input = as_tensor(input, "input", ndim=(3, 4), finite=False)
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    if weight.dtype != input.dtype:
        raise TypeError(f"weight: dtype {weight.dtype} does not match the input's dtype {input.dtype}")
    unbatched = input.ndim == 3
    x = input[None] if unbatched else input
    groups = check_int(groups, "groups", minimum=1)
    c_in, c_out_g, kh, kw = weight.shape
    if c_in != x.shape[1]:
        raise ValueError(f"weight: expects {c_in} input channels (shape {tuple(weight.shape)}), "
                         f"but the input has {x.shape[1]}")
    if c_in % groups:
        raise ValueError(f"groups: the {c_in} input channels do not split into {groups} groups")
    (sh, sw), (ph, pw) = as_pair(stride, "stride", minimum=1), as_pair(padding, "padding", minimum=0)
    (oh, ow), (dh, dw) = as_pair(output_padding, "output_padding"), as_pair(dilation, "dilation", minimum=1)
    # checks output_padding < stride or dilation and that the padding leaves an output
    conv_transpose_output_size(tuple(x.shape[-2:]), (kh, kw), (sh, sw), (ph, pw), (oh, ow), (dh, dw))

    # 1. stride - 1 zeros between neighbouring pixels
    n, _, h, w = x.shape
    up = x.new_zeros(n, c_in, (h - 1) * sh + 1, (w - 1) * sw + 1)
    up[:, :, ::sh, ::sw] = x
    # 2. pad d*(k-1) - p on each side (negative: crop), output_padding more at the bottom/right
    eh, ew = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    up = F.pad(up, (ew, ew + ow, eh, eh + oh))
    # 3. the kernel as a forward convolution's: channel axes swapped (per group), flipped
    flipped = (weight.view(groups, c_in // groups, c_out_g, kh, kw).transpose(1, 2)
               .reshape(groups * c_out_g, c_in // groups, kh, kw).flip(-2, -1))
    out = conv2d_unfold(up, flipped, bias, 1, 0, (dh, dw), groups)
    return out[0] if unbatched else out
