"""Tests of utils.conv: every implementation against F.conv2d (and scipy for the FFT)."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st
from scipy.signal import convolve2d, correlate2d
from torch.autograd import gradcheck

from utils.conv import (Conv2d, Conv2dFunction, conv2d_fft, conv2d_loops, conv2d_toeplitz,
                        conv2d_unfold, conv2d_unfold_naive, toeplitz_matrix)
from utils.conv_autograd import block_diagonal_weight
from utils.conv_transpose import conv_transpose2d

# Tolerance: every comparison runs in float64, where different summation orders
# (loops, matmul, FFT) differ by ~1e-14; 1e-9 leaves room for the FFT's rounding
# without hiding a real mistake (which shows up at the 1e-1 level).
DTYPE = torch.float64
TOL = dict(rtol=1e-9, atol=1e-9)
pytestmark = [pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning"),
              pytest.mark.usefixtures("one_thread")]   # tiny tensors: one thread is fastest
# The nn.Conv2d comparison runs in float32 like a real model: MKL-DNN and our matmuls
# sum in different orders, so allow float32 rounding.
TOL32 = dict(rtol=1e-4, atol=1e-5)

FAST = settings(max_examples=40, deadline=None)



# ---------------------------------------------------------------- random cases
IMAGE = [[1, 3, 1, 2], [0, 2, 1, 4], [2, 1, 0, 1], [3, 1, 2, 3]]
IMAGE_OUT = [[6, 8, 13, 8], [9, 11, 15, 9], [9, 12, 15, 11], [7, 9, 8, 6]]
IMAGE_GRAD_W = [[11, 18, 15], [17, 27, 21], [12, 20, 15]]

pair = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi))


@st.composite
def conv_cases(draw, max_size=12, strided=True, dilated=True, max_pad=2):
    """Random (input, weight, bias, stride, padding, dilation) with a valid output size."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(pair(1, 4))
    stride = draw(pair(1, 3)) if strided else (1, 1)
    dilation = draw(pair(1, 2)) if dilated else (1, 1)
    padding = draw(pair(0, max_pad))
    # the (dilated) kernel must fit in the padded image
    min_h = max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0])
    min_w = max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1])
    h, w = draw(st.integers(min_h, max_size)), draw(st.integers(min_w, max_size))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    x = torch.randn(n, c_in, h, w, dtype=DTYPE, generator=g)
    weight = torch.randn(c_out, c_in, kh, kw, dtype=DTYPE, generator=g)
    bias = torch.randn(c_out, dtype=DTYPE, generator=g) if draw(st.booleans()) else None
    return x, weight, bias, stride, padding, dilation


def circular_reference(x, weight, bias, stride, padding):
    ph, pw = padding
    return F.conv2d(F.pad(x, (pw, pw, ph, ph), mode="circular"), weight, bias, stride)


# ------------------------------------------------ every implementation vs F.conv2d
FULL = [conv2d_loops, conv2d_unfold_naive, conv2d_unfold, Conv2dFunction.apply]


@pytest.mark.parametrize("conv", FULL, ids=lambda f: getattr(f, "__name__", "Conv2dFunction"))
@FAST
@given(case=conv_cases())
def test_matches_conv2d(conv, case):
    x, weight, bias, stride, padding, dilation = case
    out = conv(x, weight, bias, stride, padding, dilation)
    ref = F.conv2d(x, weight, bias, stride, padding, dilation)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    torch.testing.assert_close(out, ref, **TOL)


@FAST
@given(case=conv_cases(strided=True, dilated=False), circular=st.booleans())
def test_toeplitz_matches_conv2d(case, circular):
    x, weight, bias, stride, padding, _ = case
    if circular:
        padding = (min(padding[0], x.shape[2]), min(padding[1], x.shape[3]))
        assume(all(k <= n + 2 * p for k, n, p in zip(weight.shape[2:], x.shape[2:], padding)))
        out = conv2d_toeplitz(x, weight, bias, stride, padding, padding_mode="circular")
        ref = circular_reference(x, weight, bias, stride, padding)
    else:
        out = conv2d_toeplitz(x, weight, bias, stride, padding)
        ref = F.conv2d(x, weight, bias, stride, padding)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, **TOL)


@FAST
@given(case=conv_cases(max_size=16, strided=False, dilated=False, max_pad=4), circular=st.booleans())
def test_fft_matches_conv2d(case, circular):
    x, weight, bias, _, padding, _ = case
    if circular:  # includes kernels larger than the image and outputs larger than the input
        padding = (min(padding[0], x.shape[2]), min(padding[1], x.shape[3]))
        assume(all(k <= n + 2 * p for k, n, p in zip(weight.shape[2:], x.shape[2:], padding)))
        out = conv2d_fft(x, weight, bias, padding=padding, padding_mode="circular")
        ref = circular_reference(x, weight, bias, 1, padding)
    else:
        out = conv2d_fft(x, weight, bias, padding=padding)
        ref = F.conv2d(x, weight, bias, padding=padding)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    torch.testing.assert_close(out, ref, **TOL)


@FAST
@given(hw=pair(5, 12), k=st.tuples(st.sampled_from([1, 3, 5]), st.sampled_from([1, 3, 5])),
       seed=st.integers(0, 2**31), flip=st.booleans())
def test_fft_matches_scipy(hw, k, seed, flip):
    """Single channel: 'same' with wrap = circular padding, 'full'/'valid' with fill = zeros."""
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(hw), rng.standard_normal(k)
    t = lambda a: torch.from_numpy(a.copy())[None, None]
    # F.conv2d correlates; scipy's convolve2d is a correlation with the kernel flipped
    scipy_op, wk = (convolve2d, w[::-1, ::-1]) if flip else (correlate2d, w)
    same = (k[0] // 2, k[1] // 2)
    ours = {
        ("same", "wrap"): conv2d_fft(t(x), t(wk), padding=same, padding_mode="circular"),
        ("same", "fill"): conv2d_fft(t(x), t(wk), padding=same),
        ("full", "fill"): conv2d_fft(t(x), t(wk), padding=(k[0] - 1, k[1] - 1)),
        ("valid", "fill"): conv2d_fft(t(x), t(wk)),
    }
    for (mode, boundary), out in ours.items():
        np.testing.assert_allclose(out[0, 0].numpy(), scipy_op(x, w, mode=mode, boundary=boundary),
                                   **TOL, err_msg=f"{mode}/{boundary}")


# ----------------------------------------------------------- the worked example
@pytest.mark.parametrize("conv", [
    conv2d_loops, conv2d_unfold_naive, conv2d_unfold, conv2d_toeplitz, conv2d_fft,
    lambda x, w, b, padding: Conv2dFunction.apply(x, w, b, 1, padding, 1)],
    ids=["loops", "unfold_naive", "unfold", "toeplitz", "fft", "Conv2dFunction"])
def test_worked_example(conv):
    x = torch.tensor(IMAGE, dtype=DTYPE)[None, None]
    out = conv(x, torch.ones(1, 1, 3, 3, dtype=DTYPE), None, padding=1)
    torch.testing.assert_close(out[0, 0], torch.tensor(IMAGE_OUT, dtype=DTYPE), **TOL)


def test_worked_example_weight_gradient():
    x = torch.tensor(IMAGE, dtype=DTYPE)[None, None]
    w = torch.ones(1, 1, 3, 3, dtype=DTYPE, requires_grad=True)
    Conv2dFunction.apply(x, w, None, 1, 1, 1).sum().backward()
    torch.testing.assert_close(w.grad[0, 0], torch.tensor(IMAGE_GRAD_W, dtype=DTYPE), **TOL)


def test_float32_and_integer_inputs():
    x = torch.randn(2, 3, 9, 8)
    w = torch.randn(4, 3, 3, 3)
    for conv in (conv2d_loops, conv2d_unfold_naive, conv2d_unfold, conv2d_toeplitz, conv2d_fft):
        out = conv(x, w, None, padding=1)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, F.conv2d(x, w, padding=1), **TOL32)
    xi = torch.randint(0, 5, (1, 1, 5, 5))          # integers are converted to float32
    torch.testing.assert_close(conv2d_unfold(xi, torch.ones(1, 1, 3, 3)),
                               F.conv2d(xi.float(), torch.ones(1, 1, 3, 3)))


@pytest.mark.parametrize("conv", FULL, ids=lambda f: getattr(f, "__name__", "Conv2dFunction"))
def test_non_contiguous_input(conv):
    """The strided patch views must follow the input's strides, whatever its layout."""
    x = torch.randn(2, 3, 8, 9, dtype=DTYPE)
    w = torch.randn(4, 3, 3, 2, dtype=DTYPE)
    for xs in (x.to(memory_format=torch.channels_last), x.transpose(2, 3).contiguous().transpose(2, 3)):
        for padding in (0, 1):
            torch.testing.assert_close(conv(xs, w, None, 2, padding, 1),
                                       F.conv2d(x, w, None, 2, padding), **TOL)


# --------------------------------------------------------------------- gradients
GRAD_CASES = [  # (N, C_in, C_out, H, W, kH, kW, stride, padding, dilation, bias)
    (2, 3, 2, 5, 4, 3, 3, 1, 1, 1, True),
    (2, 2, 3, 8, 7, 3, 3, 2, 1, 1, True),            # stride 2, sizes that do not divide
    (1, 2, 2, 10, 7, 3, 2, (3, 2), (1, 0), 1, True),  # uneven stride, non-square kernel
    (2, 1, 2, 9, 9, 3, 3, 1, 2, 2, False),           # dilation, no bias
    (2, 3, 2, 6, 5, 1, 1, 1, 0, 1, True),            # 1x1 kernel
    (1, 2, 3, 8, 11, 2, 4, (2, 3), (1, 2), (2, 1), True),
]


@pytest.mark.parametrize("case", GRAD_CASES)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (True, False, False),
                                   (False, True, False)], ids=["all", "no-input", "input-only", "weight-only"])
def test_gradcheck(case, needs):
    n, c_in, c_out, h, w, kh, kw, stride, padding, dilation, has_bias = case
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c_in, h, w, dtype=DTYPE, generator=g).requires_grad_(needs[0])
    weight = torch.randn(c_out, c_in, kh, kw, dtype=DTYPE, generator=g).requires_grad_(needs[1])
    bias = torch.randn(c_out, dtype=DTYPE, generator=g).requires_grad_(needs[2]) if has_bias else None
    assert gradcheck(Conv2dFunction.apply, (x, weight, bias, stride, padding, dilation))


@FAST
@given(case=conv_cases())
def test_gradients_match_autograd_of_conv2d(case):
    x, weight, bias, stride, padding, dilation = case
    grads = []
    for conv in (Conv2dFunction.apply, F.conv2d):
        leaves = [t.clone().requires_grad_() for t in (x, weight, bias) if t is not None]
        xs, ws, bs = leaves + [None] * (3 - len(leaves))
        out = conv(xs, ws, bs, stride, padding, dilation)
        out.backward(torch.linspace(-1, 1, out.numel(), dtype=DTYPE).view_as(out))
        grads.append([t.grad for t in leaves])
    for ours, ref in zip(*grads):
        torch.testing.assert_close(ours, ref, **TOL)


def test_unneeded_gradients_are_skipped():
    x = torch.randn(2, 1, 8, 8, dtype=DTYPE)              # data: no gradient wanted
    w = torch.randn(3, 1, 3, 3, dtype=DTYPE, requires_grad=True)
    out = Conv2dFunction.apply(x, w, None, 2, 1, 1)
    out.sum().backward()
    assert x.grad is None and w.grad is not None


# ------------------------------------------------------- the nn.Conv2d drop-in
MODULE_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=1, out_channels=8, kernel_size=3, stride=2, padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(0, 1), dilation=(1, 2)),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same"),
    dict(in_channels=2, out_channels=2, kernel_size=4, padding="same", dilation=2),  # uneven padding
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="valid"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode="circular"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=(1, 2), padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, stride=2, padding_mode="replicate"),
]


@pytest.mark.parametrize("kwargs", MODULE_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_module_matches_nn_conv2d(kwargs):
    torch.manual_seed(0)
    ref = nn.Conv2d(**kwargs)
    torch.manual_seed(0)
    ours = Conv2d(**kwargs)                       # same seed -> same initial weights
    assert isinstance(ours, nn.Conv2d)
    for (name, p), (name_ref, p_ref) in zip(ours.named_parameters(), ref.named_parameters()):
        assert name == name_ref and p.shape == p_ref.shape
        assert torch.equal(p, p_ref)
    x = torch.randn(3, kwargs["in_channels"], 9, 10)
    xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    outs = [m(xi) for m, xi in zip((ours, ref), xs)]
    torch.testing.assert_close(outs[0], outs[1], **TOL32)
    g = torch.randn_like(outs[1])
    for out in outs:
        out.backward(g)
    torch.testing.assert_close(xs[0].grad, xs[1].grad, **TOL32)
    for p, p_ref in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, **TOL32)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("kwargs", [dict(groups=2, padding=1), dict(groups=4, padding="same", kernel_size=4),
                                    dict(groups=2, padding=(2, 1), stride=2, dilation=(1, 2))],
                         ids=["groups2", "depthwise-same-even", "groups2-strided"])
def test_module_groups_and_padding_modes(padding_mode, kwargs):
    """Every padding_mode with groups, forward and backward, batched and unbatched (float64)."""
    kwargs = dict(dict(in_channels=4, out_channels=8, kernel_size=3), **kwargs)
    modules = []
    for cls in (Conv2d, nn.Conv2d):
        torch.manual_seed(0)
        modules.append(cls(padding_mode=padding_mode, **kwargs).double())
    for shape in ((2, 4, 7, 8), (4, 6, 5)):
        x = torch.randn(shape, dtype=DTYPE)
        xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
        outs = [m(xi) for m, xi in zip(modules, xs)]
        torch.testing.assert_close(outs[0], outs[1], **TOL)
        g = torch.randn_like(outs[1])
        for m, out in zip(modules, outs):
            m.zero_grad()
            out.backward(g)
        torch.testing.assert_close(xs[0].grad, xs[1].grad, **TOL)
        for p, p_ref in zip(*(m.parameters() for m in modules)):
            torch.testing.assert_close(p.grad, p_ref.grad, **TOL)


# ------------------------------------------- groups, unbatched input, string padding
@st.composite
def grouped_cases(draw):
    """Random grouped convolutions, some unbatched, some with padding "same"/"valid"."""
    groups, c_g, o_g = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(pair(1, 4))
    padding = draw(st.sampled_from(["same", "valid", 0, 1, (2, 1)]))
    stride = (1, 1) if padding == "same" else draw(pair(1, 2))
    dilation = draw(pair(1, 2))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    h, w = draw(st.integers(2 * kh + 1, 10)), draw(st.integers(2 * kw + 1, 10))
    shape = (groups * c_g, h, w) if draw(st.booleans()) else (2, groups * c_g, h, w)
    x = torch.randn(shape, dtype=DTYPE, generator=g)
    weight = torch.randn(groups * o_g, c_g, kh, kw, dtype=DTYPE, generator=g)
    bias = torch.randn(groups * o_g, dtype=DTYPE, generator=g) if draw(st.booleans()) else None
    return x, weight, bias, stride, padding, dilation, groups


@pytest.mark.parametrize("conv", FULL + [conv2d_toeplitz], ids=lambda f: getattr(f, "__name__", "Conv2dFunction"))
@FAST
@given(case=grouped_cases())
def test_groups_unbatched_string_padding(conv, case):
    out = conv(*case)
    ref = F.conv2d(*case)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, **TOL)


@FAST
@given(case=grouped_cases())
def test_fft_groups_unbatched_string_padding(case):
    x, weight, bias, _, padding, _, groups = case
    torch.testing.assert_close(conv2d_fft(x, weight, bias, padding=padding, groups=groups),
                               F.conv2d(x, weight, bias, padding=padding, groups=groups), **TOL)


def test_fft_refuses_stride_and_dilation():
    with pytest.raises(ValueError, match="^stride"):
        conv2d_fft(x0, w0, None, 2)
    with pytest.raises(ValueError, match="^dilation"):
        conv2d_fft(x0, w0, None, 1, 0, 2)


def test_same_padding_refuses_stride():
    for conv in (conv2d_loops, conv2d_unfold, conv2d_toeplitz, Conv2dFunction.apply, conv2d_fft):
        with pytest.raises(ValueError, match="^padding"):
            conv(x0, w0, None, 2, "same")
        with pytest.raises(ValueError, match="^padding"):
            conv(x0, w0, None, 1, "full")


def test_bad_groups():
    with pytest.raises(ValueError, match="^groups"):
        conv2d_unfold(x0, torch.randn(3, 1, 3, 3), groups=2)          # 3 outputs into 2 groups
    with pytest.raises(ValueError, match="^weight"):
        conv2d_unfold(x0, torch.randn(4, 2, 3, 3), groups=2)          # 2 x 2 = 4 != 2 channels
    with pytest.raises(ValueError, match="^groups"):
        conv2d_unfold(x0, w0, groups=0)
    with pytest.raises(TypeError, match="^groups"):
        conv2d_unfold(x0, w0, groups=1.0)


@pytest.mark.parametrize("case", GRAD_CASES[:3])
def test_gradcheck_groups(case):
    n, c_in, c_out, h, w, kh, kw, stride, padding, dilation, has_bias = case
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 2 * c_in, h, w, dtype=DTYPE, generator=g, requires_grad=True)
    weight = torch.randn(2 * c_out, c_in, kh, kw, dtype=DTYPE, generator=g, requires_grad=True)
    bias = torch.randn(2 * c_out, dtype=DTYPE, generator=g, requires_grad=True)
    assert gradcheck(Conv2dFunction.apply, (x, weight, bias, stride, padding, dilation, 2))


def test_block_diagonal_weight():
    weight = torch.randn(6, 2, 3, 3, dtype=DTYPE)
    x = torch.randn(1, 6, 5, 5, dtype=DTYPE)
    dense = block_diagonal_weight(weight, 3)
    assert dense.shape == (6, 6, 3, 3) and (dense[:2, 2:] == 0).all() and (dense[2:4, :2] == 0).all()
    torch.testing.assert_close(F.conv2d(x, dense), F.conv2d(x, weight, groups=3), **TOL)


# --------------------------------------------------------------- transposed convolution
TRANSPOSED_CASES = [  # (C_in of the forward conv, C_out, H, W, k, stride, padding, dilation, groups)
    (1, 1, 5, 5, 3, 2, 1, 1, 1),
    (2, 3, 6, 5, (3, 2), (2, 3), (1, 0), 1, 1),
    (2, 2, 7, 7, 3, 2, 0, 2, 2),
    (4, 2, 6, 6, 4, 3, 2, 1, 2),
]


@pytest.mark.parametrize("case", TRANSPOSED_CASES)
def test_conv_transpose2d_is_toeplitz_transpose(case):
    """conv_transpose2d(y, w) = T^T y, T the Toeplitz matrix of conv2d(., w); and F.conv_transpose2d."""
    c_in, c_out, h, w, k, stride, padding, dilation, groups = case
    kh, kw = (k, k) if isinstance(k, int) else k
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(c_out, c_in // groups, kh, kw, dtype=DTYPE, generator=g)
    T = toeplitz_matrix(weight, (c_in, h, w), padding, "zeros", stride, dilation, groups)
    fwd = F.conv2d(torch.zeros(1, c_in, h, w, dtype=DTYPE), weight, None, stride, padding, dilation, groups)
    y = torch.randn(fwd.shape[1:], dtype=DTYPE, generator=g)
    extra = [(n + 2 * p - d * (kk - 1) - 1) % s for n, p, d, kk, s in
             zip((h, w), *(torch.nn.modules.utils._pair(v) for v in (padding, dilation)), (kh, kw),
                 torch.nn.modules.utils._pair(stride))]
    out = conv_transpose2d(y, weight, None, stride, padding, extra, groups, dilation)
    assert out.shape == (c_in, h, w)
    torch.testing.assert_close(out.flatten(), T.T @ y.flatten(), **TOL)
    torch.testing.assert_close(out, F.conv_transpose2d(y, weight, None, stride, padding, extra, groups,
                                                       dilation), **TOL)


def test_conv_transpose2d_bad_arguments():
    y, w = torch.randn(1, 2, 4, 4), torch.randn(2, 3, 3, 3)
    with pytest.raises(ValueError, match="^output_padding"):
        conv_transpose2d(y, w, None, 2, 0, 2)                  # output_padding >= stride
    with pytest.raises(ValueError, match="^weight"):
        conv_transpose2d(torch.randn(1, 3, 4, 4), w)
    with pytest.raises(ValueError, match="^bias"):
        conv_transpose2d(y, w, torch.randn(2))
    with pytest.raises(ValueError, match="^groups"):
        conv_transpose2d(y, w, groups=3)
    with pytest.raises(TypeError, match="^padding"):
        conv_transpose2d(y, w, padding="same")
    with pytest.raises(ValueError, match="^padding"):
        conv_transpose2d(y, w, padding=4)                      # nothing left after cropping


# --------------------------------------------------------------------- Toeplitz
def test_toeplitz_shape_and_sparsity():
    c_out, c_in, kh, kw, h, w = 3, 2, 3, 2, 7, 6
    weight = torch.randn(c_out, c_in, kh, kw, dtype=DTYPE)
    T = toeplitz_matrix(weight, (h, w), padding=1)
    h_out, w_out = h + 2 - kh + 1, w + 2 - kw + 1
    assert T.shape == (c_out * h_out * w_out, c_in * h * w)
    assert torch.equal(toeplitz_matrix(weight, (c_in, h, w), padding=1), T)   # (C_in, H, W) form
    nnz = (T != 0).sum(1).view(c_out, h_out, w_out)
    assert (nnz <= c_in * kh * kw).all()               # each output sees one window ...
    assert (nnz[:, 1:-1, 1:-1] == c_in * kh * kw).all()  # ... whole, away from the padding
    assert (nnz[:, 0, :] < c_in * kh * kw).all()        # the first row's window overlaps padding


def test_toeplitz_fast_enough_for_mnist():
    T = toeplitz_matrix(torch.randn(4, 3, 3, 3), (28, 28), padding=1, stride=1)
    assert T.shape == (4 * 28 * 28, 3 * 28 * 28)


@pytest.mark.parametrize("c_out,c_in,h,w,k", [(1, 1, 5, 5, 3), (2, 3, 6, 4, (3, 1)), (1, 1, 4, 7, 5)])
def test_toeplitz_circular_is_block_circulant(c_out, c_in, h, w, k):
    kh, kw = (k, k) if isinstance(k, int) else k
    weight = torch.randn(c_out, c_in, kh, kw, dtype=DTYPE)
    T = toeplitz_matrix(weight, (h, w), padding=(kh // 2, kw // 2), padding_mode="circular")
    assert T.shape == (c_out * h * w, c_in * h * w)                 # "same" size
    T = T.view(c_out, h, w, c_in, h, w)
    r, q, y, x = torch.meshgrid(*(torch.arange(m) for m in (h, w, h, w)), indexing="ij")
    # entry depends only on the wrapped offset between input and output pixel
    circulant = T[:, 0, 0][:, :, (y - r) % h, (x - q) % w].permute(0, 2, 3, 1, 4, 5)
    torch.testing.assert_close(T, circulant, rtol=0, atol=0)


def test_toeplitz_circular_accumulates_wrapped_taps():
    """A kernel wider than the image wraps onto the same pixel twice."""
    x = torch.randn(1, 1, 2, 3, dtype=DTYPE)
    w = torch.randn(1, 1, 3, 3, dtype=DTYPE)
    out = conv2d_toeplitz(x, w, padding=1, padding_mode="circular")
    torch.testing.assert_close(out, circular_reference(x, w, None, 1, (1, 1)), **TOL)


# ----------------------------------------------------------------- bad arguments
x0, w0 = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
ALL = {
    "loops": conv2d_loops, "unfold_naive": conv2d_unfold_naive, "unfold": conv2d_unfold,
    "toeplitz": conv2d_toeplitz, "fft": lambda x, w, b=None, s=1, p=0, d=1: conv2d_fft(x, w, b, padding=p),
    "Conv2dFunction": lambda *a: Conv2dFunction.apply(*a),
}
BAD = [  # (args, error, name in the message)
    ((x0[0, 0], w0), ValueError, "input"),                       # 2-D input
    ((x0, w0[0]), ValueError, "weight"),                         # 3-D weight
    ((x0, torch.randn(3, 1, 3, 3)), ValueError, "weight"),       # channels differ
    ((x0, w0, torch.randn(2)), ValueError, "bias"),              # one bias per output channel
    ((x0, w0, torch.randn(3, 1)), ValueError, "bias"),
    ((x0, torch.randn(3, 2, 6, 3)), ValueError, "weight"),       # kernel larger than the input
    ((x0.numpy().tolist(), w0), TypeError, "input"),             # not a tensor
    ((x0.to(torch.complex64), w0), TypeError, "input"),          # complex
    ((x0.double(), w0), TypeError, "weight"),                    # dtypes differ
]
BAD_STRIDED = [
    ((x0, w0, None, 0), ValueError, "stride"),
    ((x0, w0, None, (1, -1)), ValueError, "stride"),
    ((x0, w0, None, 1.5), TypeError, "stride"),
    ((x0, w0, None, 1, 0, 0), ValueError, "dilation"),
]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("args,error,match", BAD)
def test_bad_arguments(name, args, error, match):
    with pytest.raises(error, match=f"^{match}"):
        ALL[name](*args)


@pytest.mark.parametrize("name", ["loops", "unfold_naive", "unfold", "Conv2dFunction"])
@pytest.mark.parametrize("args,error,match", BAD_STRIDED)
def test_bad_stride_and_dilation(name, args, error, match):
    with pytest.raises(error, match=f"^{match}"):
        ALL[name](*args)


@pytest.mark.parametrize("conv", [conv2d_loops, conv2d_unfold, conv2d_toeplitz, conv2d_fft])
def test_bad_padding(conv):
    with pytest.raises(ValueError, match="^padding"):
        conv(x0, w0, None, padding=-1)
    with pytest.raises(ValueError, match="^weight"):
        conv(x0, torch.randn(3, 2, 9, 3), None, padding=1)    # 9 > 5 + 2*1


@pytest.mark.parametrize("conv", [conv2d_toeplitz, conv2d_fft])
def test_bad_padding_mode(conv):
    with pytest.raises(ValueError, match="^padding_mode"):
        conv(x0, w0, None, padding=1, padding_mode="reflect")
    with pytest.raises(ValueError, match="^padding"):            # circular padding <= input size
        conv(x0, torch.randn(3, 2, 3, 3), None, padding=6, padding_mode="circular")


def test_toeplitz_bad_input_size():
    with pytest.raises(ValueError, match="^input_size"):
        toeplitz_matrix(w0, (5,))
    with pytest.raises(ValueError, match="^input_size"):
        toeplitz_matrix(w0, (5, 0))
    with pytest.raises(TypeError, match="^input_size"):
        toeplitz_matrix(w0, (5.0, 5))
    with pytest.raises(ValueError, match="^weight"):             # C_in given and different
        toeplitz_matrix(w0, (3, 5, 5))
    with pytest.raises(ValueError, match="^padding_mode"):
        toeplitz_matrix(w0, (5, 5), padding_mode="nope")
