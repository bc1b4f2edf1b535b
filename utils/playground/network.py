"""The network explorer (introduced in Chapter 10): the chapter's trained network running in
the page, on a digit the reader draws.

:func:`fold_batchnorm` turns every convolution + batch norm pair into one convolution (in
evaluation mode they compute the same function), :func:`network_data` exports the folded
network as compact JSON (float32 weights in base64), with each layer's receptive-field
geometry from :func:`utils.receptive_field.receptive_field` and a set of digits to step
through, :func:`network_from_data` reads it back into PyTorch (what the tests compare
with), and :func:`network_explorer_html` is the browser form (``utils/js/network_explorer.js``).
It needs no Python kernel, so the same HTML also works as an output in JupyterLab.
"""
from __future__ import annotations

import base64

import torch
from torch import nn

from .._validate import as_tensor
from ..receptive_field import receptive_field
from . import _page
from ._page import component

__all__ = ["fold_batchnorm", "network_data", "network_from_data", "network_explorer_html"]


def _layers(model):
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model: expected an nn.Sequential of conv blocks, got {type(model).__name__}")
    for m in model:
        yield from (_layers(m) if isinstance(m, nn.Sequential) else [m])


def fold_batchnorm(model) -> nn.Sequential:
    """A copy of ``model`` with each ``BatchNorm2d`` folded into the ``Conv2d`` before it
    (Chapter 10).

    In evaluation mode batch norm is the affine map ``y = (x - mean) / sqrt(var + eps) * gamma
    + beta`` per channel, so ``conv`` then ``bn`` is one convolution with weights
    ``w * s`` and bias ``(b - mean) * s + beta``, ``s = gamma / sqrt(var + eps)``. ``model``
    is an ``nn.Sequential`` (nested ones are flattened) of ``Conv2d``, ``BatchNorm2d``,
    ``ReLU`` and ``Flatten``; the result is a flat ``nn.Sequential`` in evaluation mode that
    equals ``model.eval()`` up to rounding.
    """
    out = []
    for m in _layers(model):
        if isinstance(m, nn.BatchNorm2d):
            conv = out[-1] if out else None
            if not isinstance(conv, nn.Conv2d):
                raise ValueError("model: a BatchNorm2d must follow a Conv2d to be folded into it")
            if m.running_mean is None:
                raise ValueError("model: a BatchNorm2d without running statistics cannot be folded")
            with torch.no_grad():
                s = (m.weight if m.affine else 1) / torch.sqrt(m.running_var + m.eps)
                bias = conv.bias if conv.bias is not None else torch.zeros_like(m.running_mean)
                conv.weight.mul_(s[:, None, None, None])
                beta = m.bias if m.affine else 0
                conv.bias = nn.Parameter((bias - m.running_mean) * s + beta)
        elif isinstance(m, nn.Conv2d):
            if m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros" or isinstance(m.padding, str):
                raise ValueError("model: the explorer handles plain convolutions (groups 1, dilation 1, "
                                 "numeric zero padding)")
            c = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=True)
            with torch.no_grad():
                c.weight.copy_(m.weight)
                c.bias.copy_(m.bias if m.bias is not None else torch.zeros(m.out_channels))
            out.append(c)
        elif isinstance(m, (nn.ReLU, nn.Flatten)):
            out.append(type(m)())
        else:
            raise ValueError(f"model: cannot export a {type(m).__name__} (Conv2d, BatchNorm2d, ReLU, Flatten only)")
    return nn.Sequential(*out).eval()


def _b64(t: torch.Tensor, dtype=torch.float32) -> str:
    return base64.b64encode(t.detach().to(dtype).contiguous().numpy().tobytes()).decode("ascii")


def _digits(x, name) -> torch.Tensor:
    x = as_tensor(x, name, finite=True)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
        raise ValueError(f"{name}: expected digits of shape (N, 28, 28) or (N, 1, 28, 28), got {tuple(x.shape)}")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"{name}: pixel values must lie in [0, 1]")
    return x


def network_data(model, digits, labels, preds) -> dict:
    """The folded ``model`` and some digits as the explorer's JSON-ready data, for
    :func:`network_explorer_html`.

    ``model``: a trained ``nn.Sequential`` (see :func:`fold_batchnorm`) taking (N, 1, 28, 28)
    digits in [0, 1]. ``digits`` (N, 28, 28), ``labels`` and ``preds`` (N,) integer: the
    digits the explorer steps through (the chapter passes the misclassified ones), stored as
    bytes (``round(255 * x)``). Each convolution becomes ``{"shape": [out, in, k, k],
    "stride", "padding", "relu", "weight", "bias"}`` (base64 float32, little-endian) with its
    receptive field ``"rf"``, ``"jump"``, ``"start"`` and output ``"size"``.
    """
    folded = fold_batchnorm(model)
    x = _digits(digits, "digits")
    for name, t in (("labels", labels), ("preds", preds)):
        if not isinstance(t, torch.Tensor) or t.ndim != 1 or t.is_floating_point() or len(t) != len(x):
            raise ValueError(f"{name}: expected a 1-D integer tensor with one entry per digit ({len(x)})")
    convs = [m for m in folded if isinstance(m, nn.Conv2d)]
    geometry = receptive_field(convs, input_size=28)
    mods = list(folded)
    layers = []
    for conv, geom in zip(convs, geometry):
        i = mods.index(conv)
        relu = i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)
        layers.append({"shape": list(conv.weight.shape), "stride": conv.stride[0], "padding": conv.padding[0],
                       "relu": relu, "rf": geom.rf, "jump": geom.jump, "start": geom.start, "size": geom.size,
                       "weight": _b64(conv.weight), "bias": _b64(conv.bias)})
    if layers[-1]["size"] != 1:
        raise ValueError("model: the last convolution must give 1x1 maps (one score per class)")
    return {"layers": layers,
            "digits": _b64(torch.round(x * 255), torch.uint8), "labels": labels.tolist(), "preds": preds.tolist()}


def network_from_data(data: dict) -> nn.Sequential:
    """The network that ``data`` (from :func:`network_data`) describes, as PyTorch layers."""
    if not isinstance(data, dict) or "layers" not in data:
        raise TypeError("data: expected the dict returned by network_data")
    layers = []
    for spec in data["layers"]:
        co, ci, k, _ = spec["shape"]
        conv = nn.Conv2d(ci, co, k, stride=spec["stride"], padding=spec["padding"])
        with torch.no_grad():
            for name in ("weight", "bias"):
                raw = bytearray(base64.b64decode(spec[name]))
                getattr(conv, name).copy_(torch.frombuffer(raw, dtype=torch.float32).view_as(getattr(conv, name)))
        layers += [conv, nn.ReLU()] if spec["relu"] else [conv]
    return nn.Sequential(*layers, nn.Flatten()).eval()


def network_explorer_html(model, digits, labels, preds, element_id=None):
    """The network explorer as a self-contained HTML/JavaScript component (Chapter 10).

    A canvas to draw a digit on (mouse or touch), the 28×28 input the network sees, the
    class probabilities, every layer's feature maps (click a cell to see its receptive
    field on the input), and a mode that steps through ``digits``. Returns an
    ``IPython.display.HTML`` object; the arguments are those of :func:`network_data`.
    """
    data = network_data(model, digits, labels, preds)
    eid = element_id or _page.element_id("ne", data["layers"][0]["bias"], data["digits"][:64])
    return component(eid, "network_explorer.js", "NetworkExplorer", data)
