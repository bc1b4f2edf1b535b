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


def test_time_layer_checks_every_method_and_skips_winograd_off_3x3():
    from utils.roofline import time_layer
    t3 = time_layer(1, 2, 2, 8, 3, rounds=1, budget=0.01)
    t5 = time_layer(1, 2, 2, 8, 5, rounds=1, budget=0.01)
    assert set(t3) == {"direct", "im2col", "fft", "winograd2", "winograd4"}
    assert set(t5) == {"direct", "im2col", "fft"}
    assert all(t.median > 0 for t in t3.values())


def test_speed_map_covers_the_grid():
    from utils.roofline import speed_map
    grid = {"channels": (1, 2), "image": (7,), "kernel": (1, 3), "batch": (1, 4)}
    result = speed_map(rounds=1, grid=grid, layer_budget=0.01)
    assert len(result["rows"]) == 2 * 1 * 2 * 2
    for r in result["rows"]:
        assert r["winner"] in r["times"] and r["slower"][r["winner"]] == 1.0
        assert ("winograd2" in r["times"]) == (r["kernel"] == 3)


def test_roofline_reuses_given_ceilings():
    from utils.roofline import roofline
    roof = roofline({"tiny": (1, 1, 1, 8, 3)}, rounds=1, budget=0.01, bandwidth=10.0, peak=100.0)
    layer = roof["layers"]["tiny"]
    assert roof["ridge"] == 10.0 and set(layer["timing"]) == set(layer["gflops"])


@pytest.mark.parametrize("call, error", [
    (lambda r: r.memory_bandwidth(mib=0), "mib"),
    (lambda r: r.matmul_ceiling(n=1.5), "n"),
    (lambda r: r.time_layer(1, 1, 1, 8, 3, rounds=0), "rounds"),
    (lambda r: r.time_layer(1, 1, 1, 8, 3, budget=-1), "budget"),
    (lambda r: r.time_layer(1, 1, 1, 8, 3, methods=["gemm"]), "methods"),
    (lambda r: r.time_layer(1, 1, 1, 8, 0), "k"),
    (lambda r: r.speed_map(grid={"channels": (1,)}), "grid"),
    (lambda r: r.speed_map(call_budget=0), "call_budget"),
    (lambda r: r.roofline(rounds="3"), "rounds"),
])
def test_bad_arguments_name_themselves(call, error):
    import utils.roofline as r
    with pytest.raises((TypeError, ValueError), match=f"^{error}"):
        call(r)
