"""Tests of utils.winograd: Winograd's F(2x2, 3x3) and F(4x4, 3x3) against F.conv2d."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from utils.winograd import TILES, conv2d_winograd, count_multiplies, winograd_matrices

FAST = settings(max_examples=40, deadline=None)


pytestmark = pytest.mark.usefixtures("one_thread")   # tiny tensors: one thread is fastest


@st.composite
def cases(draw, dtype=torch.float64):
    """Random (input, weight, bias, padding) for a 3x3 kernel whose output is at least 1x1."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, 3 - 2 * padding[0]), 13))
    w = draw(st.integers(max(1, 3 - 2 * padding[1]), 13))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    x = torch.randn(n, c_in, h, w, dtype=dtype, generator=g)
    weight = torch.randn(c_out, c_in, 3, 3, dtype=dtype, generator=g)
    bias = torch.randn(c_out, dtype=dtype, generator=g) if draw(st.booleans()) else None
    return x, weight, bias, padding


@FAST
@given(cases(), st.sampled_from(TILES))
def test_matches_conv2d_float64(case, tile):
    x, weight, bias, padding = case
    out = conv2d_winograd(x, weight, bias, padding, tile)
    torch.testing.assert_close(out, F.conv2d(x, weight, bias, padding=padding), rtol=1e-9, atol=1e-9)


@FAST
@given(cases(dtype=torch.float32), st.sampled_from(TILES))
def test_float32_within_rounding(case, tile):
    """In float32 the transforms' rounding shows; F(4x4) is allowed more (its constants grow)."""
    x, weight, bias, padding = case
    ref = F.conv2d(x.double(), weight.double(), None if bias is None else bias.double(), padding=padding)
    out = conv2d_winograd(x, weight, bias, padding, tile)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    scale = ref.abs().max().item() + 1e-6
    assert (out.double() - ref).abs().max().item() / scale < (1e-5 if tile == 2 else 1e-4)


@pytest.mark.parametrize("tile", TILES)
def test_one_dimensional_identity(tile):
    """AT ((G g) * (BT d)) is the 1-D correlation of d with g: the whole trick in 1-D."""
    BT, G, AT = winograd_matrices(tile)
    g = torch.Generator().manual_seed(1)
    d, k = torch.randn(tile + 2, dtype=torch.float64, generator=g), torch.randn(3, dtype=torch.float64, generator=g)
    direct = torch.stack([d[i:i + 3] @ k for i in range(tile)])
    torch.testing.assert_close(AT @ ((G @ k) * (BT @ d)), direct)


@pytest.mark.parametrize("tile, wino, direct", [(2, 16, 36), (4, 36, 144)])
def test_count_multiplies(tile, wino, direct):
    g = torch.Generator().manual_seed(2)
    x, w = torch.randn(2, 3, 8, 8, generator=g), torch.randn(5, 3, 3, 3, generator=g)
    c = count_multiplies(x, w, padding=1, tile=tile)
    assert (c["winograd_per_tile"], c["direct_per_tile"]) == (wino, direct)
    assert c["direct"] == 2 * 5 * 3 * 8 * 8 * 9 and c["tiles"] == 2 * (8 // tile) ** 2


def test_gradients_flow():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(1, 2, 5, 6, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: conv2d_winograd(x, w, padding=1, tile=4), (x, w))


def test_numpy_and_integer_input():
    x = torch.arange(16.).reshape(1, 1, 4, 4)
    w = torch.ones(1, 1, 3, 3)
    torch.testing.assert_close(conv2d_winograd(x.numpy(), w.numpy(), padding=1), F.conv2d(x, w, padding=1))


@pytest.mark.parametrize("kwargs, error, start", [
    (dict(weight=torch.ones(1, 1, 5, 5)), ValueError, "weight:"),
    (dict(weight=torch.ones(1, 2, 3, 3)), ValueError, "weight:"),
    (dict(weight=torch.ones(1, 1, 3, 3, dtype=torch.float64)), TypeError, "weight:"),
    (dict(weight=torch.ones(1, 1, 3)), ValueError, "weight:"),
    (dict(input=torch.ones(1, 4, 4)), ValueError, "input:"),
    (dict(input=torch.ones(1, 1, 2, 2)), ValueError, "input:"),
    (dict(input=[[1.0]]), TypeError, "input:"),
    (dict(tile=3), ValueError, "tile:"),
    (dict(tile=2.0), TypeError, "tile:"),
    (dict(tile=True), TypeError, "tile:"),
    (dict(stride=2), ValueError, "stride:"),
    (dict(dilation=(1, 2)), ValueError, "dilation:"),
    (dict(padding=-1), ValueError, "padding:"),
    (dict(padding=1.5), TypeError, "padding:"),
    (dict(bias=torch.ones(2)), ValueError, "bias:"),
    (dict(bias=torch.ones(1, dtype=torch.float64)), TypeError, "bias:"),
])
def test_errors(kwargs, error, start):
    args = dict(input=torch.ones(1, 1, 4, 4), weight=torch.ones(1, 1, 3, 3))
    args.update(kwargs)
    with pytest.raises(error) as info:
        conv2d_winograd(**args)
    assert str(info.value).startswith(start)
