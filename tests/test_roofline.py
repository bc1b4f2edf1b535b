"""Tests of utils.roofline: the layer costs agree with PyTorch's own FLOP counter."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from utils.roofline import attainable, conv_cost


@pytest.mark.parametrize("n, c_in, c_out, size, k, padding", [
    (1, 1, 1, 28, 3, 0), (4, 3, 5, 9, 3, 1), (2, 16, 8, 7, 7, 3), (1, 2, 2, 5, 1, 0)])
def test_flops_match_flop_counter(n, c_in, c_out, size, k, padding):
    x, w = torch.zeros(n, c_in, size, size), torch.zeros(c_out, c_in, k, k)
    with FlopCounterMode(display=False) as counter:
        y = F.conv2d(x, w, padding=padding)
    cost = conv_cost(n, c_in, c_out, size, k, padding)
    assert cost["flops"] == counter.get_total_flops()
    assert cost["out_size"] == y.shape[-1]
    assert cost["bytes"] == 4 * (x.numel() + w.numel() + y.numel())
    assert cost["gemm"] == (c_out, c_in * k * k, n * y.shape[-1] ** 2)
    assert cost["gemm_intensity"] < cost["intensity"]   # the column matrix is extra traffic


def test_skinny_gemm_has_low_intensity():
    """A first layer (one input channel) is memory-bound; a wide layer is not."""
    assert conv_cost(64, 1, 16, 28, 3, 1)["gemm_intensity"] < 5 < conv_cost(64, 64, 64, 28, 3, 1)["gemm_intensity"]


def test_attainable():
    assert attainable(2.0, 100.0, 10.0) == 20.0 and attainable(1e3, 100.0, 10.0) == 100.0


@pytest.mark.parametrize("args, error, start", [
    ((0, 1, 1, 5, 3), ValueError, "n:"), ((1, 1, 1, 5, 3.0), TypeError, "k:"),
    ((1, 1, 1, 2, 3), ValueError, "k:"), ((1, 1, 1, 5, 3, -1), ValueError, "padding:")])
def test_conv_cost_errors(args, error, start):
    with pytest.raises(error) as info:
        conv_cost(*args)
    assert str(info.value).startswith(start)


@pytest.mark.parametrize("args, error, start", [
    ((0.0, 1.0, 1.0), ValueError, "intensity:"), ((1.0, "1", 1.0), TypeError, "peak:"),
    ((1.0, 1.0, -2.0), ValueError, "bandwidth:")])
def test_attainable_errors(args, error, start):
    with pytest.raises(error) as info:
        attainable(*args)
    assert str(info.value).startswith(start)
