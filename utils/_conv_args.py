"""The argument checks every convolution of :mod:`utils.conv` shares.

``F.conv2d(input, weight, bias, stride, padding, dilation, groups)`` accepts a
batched ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)`` input, a weight
``(C_out, C_in/groups, kH, kW)``, ints or pairs for stride, padding and
dilation, and ``padding="same"``/``"valid"``. :func:`check_conv_args` checks all
of it once, raising ``TypeError``/``ValueError`` whose message starts with the
argument's name, and hands back a :class:`ConvArgs` the implementations can use
without further thought: a batched input, pairs of ints, symmetric padding (an
asymmetric ``"same"`` padding is applied to the input explicitly) and the output
size, computed by :func:`utils.shapes.conv_output_size`.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from ._validate import as_pair, as_tensor, check_int
from .shapes import conv_output_size

PADDING_MODES = ("zeros", "circular")


class ConvArgs(NamedTuple):
    """Checked arguments of one convolution (see :func:`check_conv_args`)."""

    input: torch.Tensor | None   #: (N, C_in, H', W'), already padded if the padding was asymmetric
    weight: torch.Tensor         #: (C_out, C_in/groups, kH, kW)
    bias: torch.Tensor | None    #: (C_out,) or None
    stride: tuple[int, int]
    padding: tuple[int, int]     #: zeros (or wrap-around) still to add on each side
    dilation: tuple[int, int]
    groups: int
    pads: tuple[int, int, int, int]  #: the requested padding (top, bottom, left, right)
    out_size: tuple[int, int]    #: (H_out, W_out)
    unbatched: bool              #: the caller gave (C_in, H, W): drop the batch axis again

    def finish(self, out: torch.Tensor) -> torch.Tensor:
        """Add the bias (in place: ``out`` is the caller's own) and drop the batch axis if needed."""
        if self.bias is not None:
            out += self.bias.view(-1, 1, 1)
        return out[0] if self.unbatched else out


def _resolve_padding(padding, kernel, stride, dilation) -> tuple[int, int, int, int]:
    """padding (int, pair, "same" or "valid") -> (top, bottom, left, right), as F.conv2d pads."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(f"padding: expected an int, a pair of ints, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):   # PyTorch's rule, and conv_output_size's message
            conv_output_size(1, 1, stride, "same")
        # F.conv2d puts the odd pixel of an even total at the bottom/right
        (th, tw) = (d * (k - 1) for d, k in zip(dilation, kernel))
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = as_pair(padding, "padding", minimum=0)
    return ph, ph, pw, pw


def check_conv_args(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", *, input_shape=None, pad_input=True) -> ConvArgs:
    """Check the arguments of ``F.conv2d`` (plus ``padding_mode``) and return a :class:`ConvArgs`.

    ``input_shape`` (C_in, H, W) replaces ``input`` when only the shape is known
    (:func:`utils.conv.toeplitz_matrix`). With ``pad_input=False`` an asymmetric
    padding is left to the caller (``pads``) instead of applied to the input.
    Introduced in Chapter 3 (groups, unbatched input and string padding in Chapter 7).
    """
    weight = as_tensor(weight, "weight", ndim=4, finite=False)
    unbatched = False
    if input_shape is None:
        input = as_tensor(input, "input", ndim=(3, 4), finite=False)
        if weight.dtype != input.dtype:
            raise TypeError(f"weight: dtype {weight.dtype} does not match the input's dtype {input.dtype}")
        unbatched = input.ndim == 3
        input = input[None] if unbatched else input
        input_shape = tuple(input.shape[1:])
    groups = check_int(groups, "groups", minimum=1)
    c_in, h, w = input_shape
    c_out, c_group, kh, kw = weight.shape
    if c_out % groups:
        raise ValueError(f"groups: the weight's {c_out} output channels do not split into {groups} groups")
    if c_group * groups != c_in:
        per = f" ({c_group} per group x {groups} groups)" if groups > 1 else ""
        raise ValueError(f"weight: expects {c_group * groups} input channels{per} (shape "
                         f"{tuple(weight.shape)}), but the input has {c_in}")
    if bias is not None:
        bias = as_tensor(bias, "bias", ndim=1, finite=False)
        if tuple(bias.shape) != (c_out,):
            raise ValueError(f"bias: expected shape ({c_out},) (one per output channel), got {tuple(bias.shape)}")
        if bias.dtype != weight.dtype:
            raise TypeError(f"bias: dtype {bias.dtype} does not match the weight's dtype {weight.dtype}")
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    pads = _resolve_padding(padding, (kh, kw), stride, dilation)
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode: expected one of {PADDING_MODES}, got {padding_mode!r}")
    if padding_mode == "circular" and (max(pads[:2]) > h or max(pads[2:]) > w):
        raise ValueError(f"padding: circular padding {padding} cannot exceed the input size {(h, w)}")
    padded = (h + pads[0] + pads[1], w + pads[2] + pads[3])
    span = [d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw))]
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(f"weight: the (dilated) kernel {span[0]}x{span[1]} is larger than the padded "
                         f"input {padded[0]}x{padded[1]}")
    # the one output-size formula of the book (Chapter 2); symmetric padding of the padded size
    out_size = conv_output_size(padded, (kh, kw), stride, 0, dilation)
    symmetric = pads[0] == pads[1] and pads[2] == pads[3]
    if symmetric or not pad_input:
        pad_pair = (pads[0], pads[2])
    else:   # "same" with an even (dilated) kernel: one more row/column at the bottom/right
        mode = "constant" if padding_mode == "zeros" else "circular"
        input = F.pad(input, (pads[2], pads[3], pads[0], pads[1]), mode=mode)
        pad_pair = (0, 0)
    return ConvArgs(input, weight, bias, stride, pad_pair, dilation, groups, pads, out_size, unbatched)
