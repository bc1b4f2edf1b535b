"""utils.kernels: the named kernels and apply_kernel, checked against F.conv2d."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from utils.kernels import KERNELS, apply_kernel, get_kernel, kernel_names


def test_all_kernels_are_3x3_float32():
    for name in kernel_names():
        k = get_kernel(name)
        assert k.shape == (3, 3) and k.dtype == torch.float32, name


def test_edge_kernels_sum_to_zero_and_smoothers_to_one():
    for name in ["top_edge", "bottom_edge", "left_edge", "right_edge", "diag1_edge", "diag2_edge",
                 "sobel_x", "sobel_y"]:
        assert get_kernel(name).sum() == 0, name
    for name in ["blur", "box_blur", "sharpen", "identity"]:
        torch.testing.assert_close(get_kernel(name).sum(), torch.tensor(1.0)), name


def test_get_kernel_returns_a_copy():
    k = get_kernel("top_edge")
    k += 100
    assert get_kernel("top_edge").abs().max() == 1
    assert KERNELS["top_edge"].abs().max() == 1


def test_fast_ai_values():
    """The top-edge response on a digit equals the hand-written sum (fast.ai lesson's formula)."""
    img = torch.arange(25.0).reshape(5, 5) / 25
    a = img[1:4, 1:4].flatten()
    expected = -a[0] - a[1] - a[2] + a[6] + a[7] + a[8]
    torch.testing.assert_close(apply_kernel(img, 2, 2, get_kernel("top_edge")), expected)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(3, 12), w=st.integers(3, 12), k=st.sampled_from([1, 3, 5]), seed=st.integers(0, 2**31 - 1),
       data=st.data())
def test_apply_kernel_matches_conv2d(h, w, k, seed, data):
    if k > min(h, w):
        k = 1
    g = torch.Generator().manual_seed(seed)
    img, kernel = torch.rand(h, w, generator=g), torch.randn(k, k, generator=g)
    r = k // 2
    row = data.draw(st.integers(r, h - r - 1))
    col = data.draw(st.integers(r, w - r - 1))
    full = F.conv2d(img[None, None], kernel[None, None])[0, 0]
    torch.testing.assert_close(apply_kernel(img, row, col, kernel), full[row - r, col - r])


def test_apply_kernel_accepts_numpy_and_integer_images():
    img = np.arange(16).reshape(4, 4)
    assert apply_kernel(img, 1, 1, np.ones((3, 3))).item() == sum([0, 1, 2, 4, 5, 6, 8, 9, 10])


@pytest.mark.parametrize("args, exc, match", [
    (("not a tensor", 1, 1, torch.ones(3, 3)), TypeError, "img"),
    ((torch.ones(1, 5, 5), 1, 1, torch.ones(3, 3)), ValueError, "img: expected 2 dimensions"),
    ((torch.ones(5, 5), 1, 1, torch.ones(3)), ValueError, "kernel: expected 2 dimensions"),
    ((torch.ones(5, 5), 1, 1, torch.ones(2, 2)), ValueError, "kernel: expected a square kernel of odd size"),
    ((torch.ones(5, 5), 1, 1, torch.ones(3, 5)), ValueError, "kernel"),
    ((torch.ones(5, 5), 0, 2, torch.ones(3, 3)), ValueError, "row: .* row must lie in 1..3"),
    ((torch.ones(5, 5), 2, 4, torch.ones(3, 3)), ValueError, "col: .* col must lie in 1..3"),
    ((torch.ones(5, 5), 2.0, 2, torch.ones(3, 3)), TypeError, "row"),
    ((torch.ones(5, 5), 2, True, torch.ones(3, 3)), TypeError, "col"),
    ((torch.full((5, 5), float("nan")), 2, 2, torch.ones(3, 3)), ValueError, "img: contains NaN"),
    ((torch.ones(5, 5, dtype=torch.complex64), 2, 2, torch.ones(3, 3)), TypeError, "img: complex"),
])
def test_apply_kernel_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        apply_kernel(*args)


@pytest.mark.parametrize("name, exc", [("no_such_kernel", ValueError), (3, TypeError)])
def test_get_kernel_bad_name(name, exc):
    with pytest.raises(exc, match="name"):
        get_kernel(name)
