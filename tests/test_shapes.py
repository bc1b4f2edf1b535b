"""Tests for utils.shapes (Chapters 2 and 9): output sizes checked against PyTorch itself,
against every relationship of Dumoulin & Visin, "A guide to convolution
arithmetic for deep learning" (2016), and receptive fields against a brute-force
autograd computation."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st
from torch import nn

from utils.shapes import (
    LayerGeometry,
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    receptive_field,
    same_padding,
)

FAST = settings(max_examples=100, deadline=None)


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def int_or_pair(lo, hi):
    """An int, or a (h, w) pair of possibly different ints."""
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


def torch_shape(fn):
    """The (H, W) that PyTorch produces, or None if PyTorch refuses the configuration."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns
        try:
            shape = tuple(fn().shape[-2:])
        except RuntimeError:
            return None
    # an empty output (conv_transpose2d with padding that crops everything) counts as refused:
    # the book's functions raise a ValueError that says why instead of returning size 0
    return None if 0 in shape else shape


def ours(fn):
    """Our size as an (h, w) pair, or None if we raise ValueError."""
    try:
        return pair(fn())
    except ValueError:
        return None


def zeros(size):
    return torch.zeros(1, 1, *pair(size))


def kernel(k):
    return torch.zeros(1, 1, *pair(k))


# ----------------------------------------------------------------- agreement with PyTorch

@FAST
@given(size=int_or_pair(1, 40), k=int_or_pair(1, 7), s=int_or_pair(1, 4),
       p=st.one_of(int_or_pair(0, 3), st.sampled_from(["same", "valid"])), d=int_or_pair(1, 3))
def test_conv_output_size_matches_pytorch(size, k, s, p, d):
    expected = torch_shape(lambda: F.conv2d(zeros(size), kernel(k), stride=s, padding=p, dilation=d))
    assert ours(lambda: conv_output_size(size, k, s, p, d)) == expected


@FAST
@given(data=st.data(), size=int_or_pair(1, 40), k=int_or_pair(1, 7),
       s=st.one_of(st.none(), int_or_pair(1, 4)), d=int_or_pair(1, 3), ceil_mode=st.booleans())
def test_max_pool_output_size_matches_pytorch(data, size, k, s, d, ceil_mode):
    kh, kw = pair(k)
    p = data.draw(st.one_of(st.integers(0, min(kh, kw) // 2),
                            st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2))))
    expected = torch_shape(lambda: F.max_pool2d(zeros(size), k, s, p, d, ceil_mode))
    assert ours(lambda: pool_output_size(size, k, s, p, d, ceil_mode)) == expected


@FAST
@given(data=st.data(), size=int_or_pair(1, 40), k=int_or_pair(1, 7),
       s=st.one_of(st.none(), int_or_pair(1, 4)), ceil_mode=st.booleans())
def test_avg_pool_output_size_matches_pytorch(data, size, k, s, ceil_mode):
    kh, kw = pair(k)
    p = data.draw(st.one_of(st.integers(0, min(kh, kw) // 2),
                            st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2))))
    expected = torch_shape(lambda: F.avg_pool2d(zeros(size), k, s, p, ceil_mode))
    assert ours(lambda: pool_output_size(size, k, s, p, ceil_mode=ceil_mode)) == expected


@FAST
@given(size=int_or_pair(1, 40), k=int_or_pair(1, 7), s=int_or_pair(1, 4), p=int_or_pair(0, 3),
       d=int_or_pair(1, 3))
def test_pool_padding_limit_matches_pytorch(size, k, s, p, d):
    """Any padding 0..3, also more than half the window, which PyTorch refuses."""
    expected = torch_shape(lambda: F.max_pool2d(zeros(size), k, s, p, d))
    assert ours(lambda: pool_output_size(size, k, s, p, d)) == expected


@FAST
@given(size=int_or_pair(1, 40), k=int_or_pair(1, 7), s=int_or_pair(1, 4), p=int_or_pair(0, 3),
       op=int_or_pair(0, 3), d=int_or_pair(1, 3))
def test_conv_transpose_output_size_matches_pytorch(size, k, s, p, op, d):
    expected = torch_shape(lambda: F.conv_transpose2d(
        zeros(size), kernel(k), stride=s, padding=p, output_padding=op, dilation=d))
    assert ours(lambda: conv_transpose_output_size(size, k, s, p, op, d)) == expected


@FAST
@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_transpose_undoes_the_shape_of_conv(i, k, s, p, d):
    """Relationship 14 generalised to dilation: output_padding = (i + 2p - k_eff) mod s recovers i."""
    k_eff = d * (k - 1) + 1
    assume(i + 2 * p >= k_eff)
    o = conv_output_size(i, k, s, p, d)
    a = (i + 2 * p - k_eff) % s
    assert conv_transpose_output_size(o, k, s, p, a, d) == i
    y = F.conv_transpose2d(zeros(o), kernel(k), stride=s, padding=p, output_padding=a, dilation=d)
    assert y.shape[-2:] == (i, i)


# ------------------------------------------------------------------ return conventions

def test_int_arguments_give_int_and_a_pair_anywhere_gives_pair():
    assert conv_output_size(28, 3) == 26 and isinstance(conv_output_size(28, 3), int)
    assert conv_output_size(28, (3, 5)) == (26, 24)
    assert conv_output_size((28, 28), 3) == (26, 26)
    assert conv_output_size(28, 3, padding="same") == 28
    assert conv_output_size(28, 3, padding="valid") == 26
    assert pool_output_size((28, 14), 2) == (14, 7)
    assert conv_transpose_output_size(7, 3, 2, 1, (1, 0)) == (14, 13)
    assert same_padding(5) == 2 and same_padding((3, 5), 2) == (2, 4)


def test_pool_stride_defaults_to_kernel_size_and_ceil_mode():
    assert pool_output_size(7, 2) == 3              # windows at 0, 2, 4; pixel 6 dropped
    assert pool_output_size(7, 2, ceil_mode=True) == 4  # last window 6..7 hangs off the edge
    # ceil_mode never starts a window in the right padding: 5 + 2*1 = 7 wide, stride 2, k 2
    assert pool_output_size(5, 2, padding=1, ceil_mode=True) == 3
    assert F.max_pool2d(zeros(5), 2, padding=1, ceil_mode=True).shape[-1] == 3


# ------------------------------------------- Dumoulin & Visin (2016), "convolution arithmetic"

SIZES = range(1, 13)
KERNELS = range(1, 6)
STRIDES = range(1, 4)


def test_relationship_1_no_padding_unit_stride():
    """Relationship 1: s = 1, p = 0  =>  o = (i - k) + 1."""
    for i in SIZES:
        for k in range(1, i + 1):
            assert conv_output_size(i, k) == i - k + 1


def test_relationship_2_zero_padding_unit_stride():
    """Relationship 2: s = 1  =>  o = (i - k) + 2p + 1."""
    for i in SIZES:
        for k in KERNELS:
            for p in range(4):
                if i + 2 * p >= k:
                    assert conv_output_size(i, k, padding=p) == i - k + 2 * p + 1


def test_relationship_3_half_same_padding():
    """Relationship 3: k = 2n + 1, s = 1, p = floor(k/2) = n  =>  o = i."""
    for i in SIZES:
        for k in (1, 3, 5, 7):
            assert conv_output_size(i, k, padding=k // 2) == i
            assert same_padding(k) == k // 2
            assert conv_output_size(i, k, padding="same") == i


def test_relationship_4_full_padding():
    """Relationship 4: p = k - 1, s = 1  =>  o = i + (k - 1)."""
    for i in SIZES:
        for k in KERNELS:
            assert conv_output_size(i, k, padding=k - 1) == i + k - 1


def test_relationship_5_no_padding_non_unit_stride():
    """Relationship 5: p = 0  =>  o = floor((i - k)/s) + 1."""
    for i in SIZES:
        for k in range(1, i + 1):
            for s in STRIDES:
                assert conv_output_size(i, k, stride=s) == (i - k) // s + 1


def test_relationship_6_padding_and_stride():
    """Relationship 6: any i, k, p, s  =>  o = floor((i + 2p - k)/s) + 1 (the general case)."""
    for i in SIZES:
        for k in KERNELS:
            for s in STRIDES:
                for p in range(3):
                    if i + 2 * p >= k:
                        assert conv_output_size(i, k, s, p) == (i + 2 * p - k) // s + 1
    # the paper's example: i = 5 and i = 6 (k = 3, s = 2, p = 1) both give o = 3
    assert conv_output_size(5, 3, 2, 1) == conv_output_size(6, 3, 2, 1) == 3


def test_relationship_7_pooling():
    """Relationship 7: pooling (no padding)  =>  o = floor((i - k)/s) + 1."""
    for i in SIZES:
        for k in range(1, i + 1):
            for s in STRIDES:
                assert pool_output_size(i, k, s) == (i - k) // s + 1


def test_relationship_8_transpose_of_no_padding_unit_stride():
    """Relationship 8: transpose of (s = 1, p = 0): o' = i' + (k - 1), a fully padded direct conv."""
    for i in SIZES:
        for k in range(1, i + 1):
            o = conv_output_size(i, k)
            assert conv_transpose_output_size(o, k) == o + k - 1 == i
            assert conv_output_size(o, k, padding=k - 1) == i  # the equivalent direct conv


def test_relationship_9_transpose_of_zero_padding_unit_stride():
    """Relationship 9: transpose of (s = 1, p): o' = i' + (k - 1) - 2p, direct conv with p' = k - p - 1."""
    for i in SIZES:
        for k in KERNELS:
            for p in range(k):  # p' = k - p - 1 >= 0
                if i + 2 * p >= k:
                    o = conv_output_size(i, k, padding=p)
                    assert conv_transpose_output_size(o, k, padding=p) == o + (k - 1) - 2 * p == i
                    assert conv_output_size(o, k, padding=k - p - 1) == i


def test_relationship_10_transpose_of_half_padding():
    """Relationship 10: transpose of half padding is half padding: o' = i'."""
    for i in SIZES:
        for k in (1, 3, 5, 7):
            assert conv_transpose_output_size(i, k, padding=k // 2) == i


def test_relationship_11_transpose_of_full_padding():
    """Relationship 11: transpose of full padding (p = k - 1): o' = i' - (k - 1), an unpadded direct conv."""
    for i in SIZES:
        for k in KERNELS:
            o = conv_output_size(i, k, padding=k - 1)
            assert conv_transpose_output_size(o, k, padding=k - 1) == o - (k - 1) == i
            assert conv_output_size(o, k) == i


def test_relationship_12_transpose_of_strided_no_padding():
    """Relationship 12: transpose of (p = 0, s), with i - k a multiple of s: o' = s(i' - 1) + k."""
    for k in KERNELS:
        for s in STRIDES:
            for i in range(k, k + 4 * s, s):
                o = conv_output_size(i, k, stride=s)
                assert conv_transpose_output_size(o, k, stride=s) == s * (o - 1) + k == i


def test_relationship_13_transpose_of_padding_and_stride():
    """Relationship 13: transpose of (p, s), with i + 2p - k a multiple of s: o' = s(i' - 1) + k - 2p."""
    for k in KERNELS:
        for s in STRIDES:
            for p in range(k):
                for i in range(max(1, k - 2 * p), 16):
                    if (i + 2 * p - k) % s == 0:
                        o = conv_output_size(i, k, s, p)
                        assert conv_transpose_output_size(o, k, s, p) == s * (o - 1) + k - 2 * p == i


def test_relationship_14_transpose_of_padding_and_stride_with_a():
    """Relationship 14: a = (i + 2p - k) mod s  =>  o' = s(i' - 1) + a + k - 2p, via output_padding = a."""
    for k in KERNELS:
        for s in STRIDES:
            for p in range(k):
                for i in range(max(1, k - 2 * p), 16):
                    a = (i + 2 * p - k) % s
                    o = conv_output_size(i, k, s, p)
                    assert conv_transpose_output_size(o, k, s, p, output_padding=a) == \
                        s * (o - 1) + a + k - 2 * p == i
    # the paper's figure: i = 6, k = 3, s = 2, p = 1 gives i' = 3 and a = 1; PyTorch agrees
    y = F.conv_transpose2d(zeros(3), kernel(3), stride=2, padding=1, output_padding=1)
    assert y.shape[-2:] == (6, 6) == pair(conv_transpose_output_size(3, 3, 2, 1, 1))


def test_relationship_15_dilation():
    """Relationship 15: o = floor((i + 2p - k - (k - 1)(d - 1))/s) + 1."""
    for i in SIZES:
        for k in KERNELS:
            for s in STRIDES:
                for p in range(3):
                    for d in (1, 2, 3):
                        if i + 2 * p - k - (k - 1) * (d - 1) >= 0:
                            assert conv_output_size(i, k, s, p, d) == \
                                (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1
    assert conv_output_size(7, 3, dilation=2) == 3  # the paper's figure


# --------------------------------------------------------------------------- receptive field

def influence_extent(layers, size, unit):
    """Rows and columns (min, max) of the input pixels that influence output ``unit``, by autograd.

    Every weight is 1 and the input is all ones, so nothing cancels: the gradient
    of one output unit is non-zero exactly on the pixels it can see.
    """
    x = torch.ones(1, 1, *pair(size), dtype=torch.float64, requires_grad=True)
    y = layers(x)
    y[0, 0, unit[0], unit[1]].backward()
    rows, cols = (x.grad[0, 0] != 0).nonzero(as_tuple=True)
    return (rows.min().item(), rows.max().item()), (cols.min().item(), cols.max().item())


def ones_like_conv(*convs):
    """An nn.Sequential of single-channel copies of ``convs`` with all weights 1 and no bias."""
    out = []
    for c in convs:
        m = nn.Conv2d(1, 1, c.kernel_size, c.stride, c.padding, c.dilation, bias=False).double()
        nn.init.ones_(m.weight)
        out.append(m)
    return nn.Sequential(*out)


def test_two_stride_2_convs_see_7_pixels():
    """fast.ai's spreadsheet example: two 3x3 stride-2 convs (padding 1) have a 7x7 receptive field."""
    rows = receptive_field([nn.Conv2d(1, 1, 3, 2, 1), nn.Conv2d(1, 1, 3, 2, 1)])
    assert [(r.rf, r.jump) for r in rows] == [(3, 2), (7, 4)]
    assert rows[-1].size is None and isinstance(rows[-1], LayerGeometry)


SIMPLE_CNN = [nn.Conv2d(1, 4, 3, 2, 1), nn.Conv2d(4, 8, 3, 2, 1), nn.Conv2d(8, 16, 3, 2, 1),
              nn.Conv2d(16, 16, 3, 2, 1), nn.Conv2d(16, 10, 3, 2, 1)]


def test_simple_cnn_sizes_rf_and_jump_on_28x28():
    rows = receptive_field(nn.Sequential(*SIMPLE_CNN), input_size=28)
    assert [r.size for r in rows] == [14, 7, 4, 2, 1]
    assert [r.rf for r in rows] == [3, 7, 15, 31, 63]
    assert [r.jump for r in rows] == [2, 4, 8, 16, 32]
    assert [r.start for r in rows] == [0.0] * 5
    x = torch.zeros(1, 1, 28, 28)
    for layer, row in zip(SIMPLE_CNN, rows):
        x = layer(x)
        assert x.shape[-2:] == (row.size, row.size)


@pytest.mark.parametrize("n_layers", range(1, 6))
def test_simple_cnn_rf_matches_autograd_brute_force(n_layers):
    """Which input pixels influence an output unit, clipped to the 28x28 image, must
    be the window centred on start + j*jump with rf pixels."""
    net = ones_like_conv(*SIMPLE_CNN[:n_layers])
    row = receptive_field(SIMPLE_CNN[:n_layers], input_size=28)[-1]
    for j in {0, row.size // 2, row.size - 1}:
        centre = row.start + j * row.jump
        half = (row.rf - 1) / 2
        expected = (max(0, centre - half), min(27, centre + half))
        assert influence_extent(net, 28, (j, j)) == (expected, expected)


@pytest.mark.parametrize("n_layers", range(1, 6))
def test_simple_cnn_rf_unclipped_on_a_large_input(n_layers):
    """On a 160x160 input the middle unit's field lies inside the image: its extent is exactly rf."""
    net = ones_like_conv(*SIMPLE_CNN[:n_layers])
    row = receptive_field(SIMPLE_CNN[:n_layers], input_size=160)[-1]
    j = row.size // 2
    (top, bottom), _ = influence_extent(net, 160, (j, j))
    (top2, _), _ = influence_extent(net, 160, (j + 1, j + 1))
    assert bottom - top + 1 == row.rf
    assert top2 - top == row.jump
    assert (top + bottom) / 2 == row.start + j * row.jump


layer_dicts = st.lists(
    st.fixed_dictionaries({
        "kernel_size": int_or_pair(1, 5), "stride": int_or_pair(1, 3),
        "padding": int_or_pair(0, 2), "dilation": int_or_pair(1, 2),
    }),
    min_size=1, max_size=4,
)


@FAST
@given(layers=layer_dicts)
def test_receptive_field_recurrence_matches_autograd(layers):
    """Random stacks (non-square too): rf, jump and start agree with the pixels autograd finds."""
    size = 64
    try:
        rows = receptive_field(layers, input_size=size)
    except ValueError:
        assume(False)
    net = nn.Sequential(*[
        nn.Conv2d(1, 1, L["kernel_size"], L["stride"], L["padding"], L["dilation"], bias=False).double()
        for L in layers])
    for m in net:
        nn.init.ones_(m.weight)
    last = rows[-1]
    rf, jump, start, out = (pair(v) for v in (last.rf, last.jump, last.start, last.size))
    # choose the middle unit and its right/bottom neighbour, and require their fields to be unclipped
    unit = (out[0] // 2, out[1] // 2)
    for a in range(2):
        for j in (unit[a], unit[a] + 1):
            c = start[a] + j * jump[a]
            assume(j < out[a] and c - (rf[a] - 1) / 2 >= 0 and c + (rf[a] - 1) / 2 <= size - 1)
    ext = influence_extent(net, size, unit)
    ext_next = influence_extent(net, size, (unit[0] + 1, unit[1] + 1))
    for a in range(2):
        lo, hi = ext[a]
        assert hi - lo + 1 == rf[a]
        assert (lo + hi) / 2 == start[a] + unit[a] * jump[a]
        assert ext_next[a][0] - lo == jump[a]


def test_receptive_field_skips_shape_keeping_layers_and_flattens_nested_sequentials():
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.GELU(), nn.Dropout(0.2), nn.Identity(),
                      nn.AvgPool2d(2)),
    )
    rows = receptive_field(model, input_size=32)
    assert [(r.name, r.kind) for r in rows] == [
        ("0.0", "Conv2d"), ("0.3", "MaxPool2d"), ("1.0", "Conv2d"), ("1.4", "AvgPool2d")]
    assert [r.size for r in rows] == [32, 16, 16, 8]
    assert [r.rf for r in rows] == [3, 4, 8, 10]
    assert [r.jump for r in rows] == [1, 2, 2, 4]
    assert [r.start for r in rows] == [0.0, 0.5, 0.5, 1.5]
    assert model(torch.zeros(1, 1, 32, 32)).shape[-2:] == (8, 8)


def test_receptive_field_pairs_for_non_square_and_dict_layers():
    rows = receptive_field([{"kernel_size": (3, 5), "padding": (1, 2), "name": "conv"},
                            {"kernel_size": 2, "kind": "pool", "ceil_mode": True}], input_size=(9, 9))
    assert rows[0].name == "conv" and rows[1].kind == "pool"
    assert rows[0].rf == (3, 5) and rows[0].size == (9, 9) and rows[0].start == (0.0, 0.0)
    assert rows[1].stride == (2, 2) and rows[1].rf == (4, 6) and rows[1].size == (5, 5)
    assert rows[1].start == (0.5, 0.5)


def test_receptive_field_same_padding_even_kernel_pads_extra_pixel_right():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conv = nn.Conv2d(1, 1, 4, padding="same", bias=False).double()
        nn.init.ones_(conv.weight)
        (row,) = receptive_field([conv], input_size=16)
        assert (row.padding, row.rf, row.start, row.size) == (1, 4, 0.5, 16)
        (top, bottom), _ = influence_extent(nn.Sequential(conv), 16, (5, 5))
    assert (top, bottom) == (4, 7) and (top + bottom) / 2 == row.start + 5


# ------------------------------------------------------------------------ the classic questions

def test_lenet_like_32x32_gives_16x6x6():
    layers = nn.Sequential(nn.Conv2d(1, 6, 3), nn.MaxPool2d(2), nn.Conv2d(6, 16, 3), nn.MaxPool2d(2))
    assert [r.size for r in receptive_field(layers, 32)] == [30, 15, 13, 6]
    assert layers(torch.zeros(1, 1, 32, 32)).shape == (1, 16, 6, 6)


def test_50x50_through_three_conv_pool_blocks_gives_6x6_not_8x8():
    def block(c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    model = nn.Sequential(block(1, 8), block(8, 16), block(16, 32))
    sizes = [r.size for r in receptive_field(model, 50)]
    assert sizes == [50, 25, 25, 12, 12, 6] and sizes[-1] != 8
    assert model(torch.zeros(1, 1, 50, 50)).shape == (1, 32, 6, 6)


def test_3x256x256_gives_62x62():
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.MaxPool2d(2), nn.Conv2d(16, 24, 4), nn.MaxPool2d(2))
    assert [r.size for r in receptive_field(model, 256)] == [254, 127, 124, 62]
    assert model(torch.zeros(1, 3, 256, 256)).shape == (1, 24, 62, 62)


# ----------------------------------------------------------------------------- bad inputs

def test_kernel_too_large_message_explains_why():
    with pytest.raises(ValueError, match="kernel_size") as info:
        conv_output_size(7, 5, dilation=2)
    msg = str(info.value)
    assert "5×5 kernel" in msg and "effective size 9×9 with dilation 2" in msg
    assert "does not fit in the 7×7 input padded by 0" in msg and "would be -1" in msg


class Custom(nn.Module):
    def forward(self, x):
        return x


BAD = [
    # impossible configurations -> ValueError
    (lambda: conv_output_size(3, 5), ValueError, "kernel_size"),
    (lambda: conv_output_size((30, 3), (3, 5), padding=(0, 0)), ValueError, "kernel_size"),
    (lambda: conv_output_size(8, 0), ValueError, "kernel_size"),
    (lambda: conv_output_size(8, 3, stride=0), ValueError, "stride"),
    (lambda: conv_output_size(8, 3, stride=(1, -1)), ValueError, "stride"),
    (lambda: conv_output_size(8, 3, dilation=0), ValueError, "dilation"),
    (lambda: conv_output_size(8, 3, padding=-1), ValueError, "padding"),
    (lambda: conv_output_size(0, 3), ValueError, "size"),
    (lambda: conv_output_size(8, 3, stride=2, padding="same"), ValueError, "padding"),
    (lambda: conv_output_size(8, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: pool_output_size(8, 2, padding=2), ValueError, "padding"),
    (lambda: pool_output_size(8, (4, 3), padding=(2, 2)), ValueError, "padding"),
    (lambda: pool_output_size(2, 5, padding=1), ValueError, "kernel_size"),
    (lambda: pool_output_size(8, 2, stride=0), ValueError, "stride"),
    (lambda: conv_transpose_output_size(4, 3, stride=2, output_padding=2), ValueError, "output_padding"),
    (lambda: conv_transpose_output_size(4, 3, output_padding=1), ValueError, "output_padding"),
    (lambda: conv_transpose_output_size(1, 1, padding=1), ValueError, "padding"),
    (lambda: conv_transpose_output_size(4, 3, output_padding=-1), ValueError, "output_padding"),
    (lambda: same_padding(4), ValueError, "kernel_size"),
    (lambda: same_padding((3, 2)), ValueError, "kernel_size"),
    (lambda: same_padding(3, dilation=0), ValueError, "dilation"),
    # wrong types -> TypeError
    (lambda: conv_output_size(8.0, 3), TypeError, "size"),
    (lambda: conv_output_size(8, 3.0), TypeError, "kernel_size"),
    (lambda: conv_output_size(8, "3"), TypeError, "kernel_size"),
    (lambda: conv_output_size(8, 3, stride=True), TypeError, "stride"),
    (lambda: conv_output_size(8, 3, padding="full"), TypeError, "padding"),
    (lambda: conv_output_size(8, 3, padding=1.5), TypeError, "padding"),
    (lambda: conv_output_size(8, 3, dilation=(1, 2.0)), TypeError, "dilation"),
    (lambda: pool_output_size(8, 2, padding="same"), TypeError, "padding"),
    (lambda: pool_output_size(8, 2, ceil_mode="yes"), TypeError, "ceil_mode"),
    (lambda: conv_transpose_output_size(8, 3, output_padding=False), TypeError, "output_padding"),
    # receptive_field
    (lambda: receptive_field([nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2)]), ValueError, "Flatten"),
    (lambda: receptive_field([nn.Linear(4, 2)]), ValueError, "Linear"),
    (lambda: receptive_field(Custom()), TypeError, "layers"),
    (lambda: receptive_field([3]), TypeError, "int"),
    (lambda: receptive_field([{"stride": 2}]), ValueError, "kernel_size"),
    (lambda: receptive_field([{"kernel_size": 3, "strides": 2}]), ValueError, "strides"),
    (lambda: receptive_field([{"kernel_size": 3, "kind": "deconv"}]), ValueError, "kind"),
    (lambda: receptive_field([{"kernel_size": 3, "padding": "same", "stride": 2}]), ValueError, "padding"),
    (lambda: receptive_field([nn.MaxPool2d(2, padding=2)]), ValueError, "padding"),
    (lambda: receptive_field(SIMPLE_CNN + [nn.Conv2d(10, 10, 3)], input_size=28), ValueError, "kernel_size"),
    (lambda: receptive_field(SIMPLE_CNN, input_size=28.0), TypeError, "input_size"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_inputs_raise_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_receptive_field_error_names_the_layer():
    with pytest.raises(ValueError, match=r"layer '5' \(Conv2d\).*kernel_size"):
        receptive_field(SIMPLE_CNN + [nn.Conv2d(10, 10, 3)], input_size=28)


# ------------------------------------------------------------------- shape_table (Chapter 9)

from utils.shapes import ShapeReport, shape_table  # noqa: E402


class TutorialNet(nn.Module):
    """The PyTorch tutorial's network: pooling and flattening are functions called in forward."""

    def __init__(self, fc_in=16 * 6 * 6):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 3), nn.Conv2d(6, 16, 3)
        self.fc1, self.fc2 = nn.Linear(fc_in, 120), nn.Linear(120, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def test_shape_table_lists_layers_and_functions_between_them():
    report = shape_table(TutorialNet(), (1, 1, 32, 32))
    assert isinstance(report, ShapeReport) and report.ok and report.output_shape == (1, 10)
    assert [(r.name, r.kind, r.output_shape) for r in report.rows] == [
        ("conv1", "Conv2d", (1, 6, 30, 30)), ("max_pool2d()", "function", (1, 6, 15, 15)),
        ("conv2", "Conv2d", (1, 16, 13, 13)), ("max_pool2d()", "function", (1, 16, 6, 6)),
        ("flatten()", "function", (1, 576)), ("fc1", "Linear", (1, 120)), ("fc2", "Linear", (1, 10))]
    assert report.rows[0].num_params == 60 and report.rows[1].num_params is None
    text = str(report)
    assert "(1, 16, 6, 6)" in text and "output shape: (1, 10)" in text


def test_shape_table_agrees_with_torchinfo_on_the_layers():
    torchinfo = pytest.importorskip("torchinfo")
    model = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.Sequential(nn.Conv2d(8, 4, 1), nn.ReLU()),
                          nn.Flatten(), nn.LazyLinear(7))
    ours = shape_table(model, (2, 3, 37, 41))
    theirs = torchinfo.summary(model, input_size=(2, 3, 37, 41), verbose=0, depth=10)
    leaves = [L for L in theirs.summary_list if L.is_leaf_layer]
    assert [tuple(L.output_size) for L in leaves] == [r.output_shape for r in ours.rows]
    assert [r.num_params for r in ours.rows] == [L.trainable_params for L in leaves]


def test_shape_table_explains_a_view_that_does_not_keep_the_elements():
    class Squeezed(nn.Module):                 # the "shape '[16, 400]' is invalid" question
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 24, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)

        def forward(self, x):
            x = F.interpolate(self.conv(x), size=(5, 5))
            return self.fc1(x.view(x.size(0), 5 * 5 * 16))

    report = shape_table(Squeezed(), (16, 3, 12, 12))
    assert not report.ok and "[16, 400]" in str(report.error) and "9600" in str(report.error)
    assert report.failed_at.startswith("view()") and "between layers" in report.failed_at
    assert report.rows[-1].name == "interpolate()" and report.rows[-1].output_shape == (16, 24, 5, 5)
    assert "flatten(1)" in report.explanation and "FAILED" in str(report)


def test_shape_table_names_the_failing_layer_and_the_fix():
    report = shape_table(TutorialNet(fc_in=16 * 5 * 5), (4, 1, 32, 32))
    assert report.failed_at == "layer fc1 (Linear)"
    assert "in_features=576" in report.explanation and "(4, 576)" in report.explanation
    wrong_channels = shape_table(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 1, 8, 8))
    assert wrong_channels.failed_at == "layer 0 (Conv2d)" and "3 input channels" in wrong_channels.explanation
    too_small = shape_table(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 5)), (1, 1, 9, 9))
    assert too_small.failed_at == "layer 2 (Conv2d)" and "(3, 3)" in too_small.explanation


def test_shape_table_leaves_the_model_and_the_random_state_alone():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.5), nn.Flatten(), nn.LazyLinear(3)).train()
    before = [p.clone() for p in model[0].parameters()]
    state = torch.random.get_rng_state()
    report = shape_table(model, (2, 1, 6, 6))
    assert report.ok and report.output_shape == (2, 3)
    assert torch.equal(state, torch.random.get_rng_state())
    assert isinstance(model[3], nn.LazyLinear) and model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model[0].parameters()))


def test_shape_table_shows_a_layer_used_twice_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.pool = nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2)

        def forward(self, x):
            return self.pool(self.conv(self.pool(self.conv(x))))

    report = shape_table(Twice(), (1, 1, 8, 8))
    assert [(r.name, r.output_shape[-1]) for r in report.rows] == [("conv", 8), ("pool", 4), ("conv", 4), ("pool", 2)]


@pytest.mark.parametrize("call, error, match", [
    (lambda: shape_table(lambda x: x, (1, 1, 4, 4)), TypeError, "model"),
    (lambda: shape_table(nn.ReLU(), torch.zeros(1, 1, 4, 4)), TypeError, "input_shape"),
    (lambda: shape_table(nn.ReLU(), (1, 0, 4)), ValueError, "input_shape"),
    (lambda: shape_table(nn.ReLU(), ()), ValueError, "input_shape"),
    (lambda: shape_table(nn.ReLU(), (1, 2.0)), TypeError, "input_shape"),
    (lambda: shape_table(nn.ReLU(), (1, 2), dtype="float32"), TypeError, "dtype"),
])
def test_shape_table_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_recording_and_explaining_are_separate_steps():
    from utils.shape_table import explain_failure, record_shapes
    rec = record_shapes(TutorialNet(fc_in=16 * 5 * 5), (4, 1, 32, 32))
    assert rec.error is not None and [r.name for r in rec.rows][:2] == ["conv1", "max_pool2d()"]
    failed_at, explanation = explain_failure(rec)
    assert failed_at == "layer fc1 (Linear)" and "in_features=576" in explanation
    with pytest.raises(ValueError, match="rec"):
        explain_failure(record_shapes(TutorialNet(), (1, 1, 32, 32)))


def test_range_errors_say_why_the_minimum_exists():
    with pytest.raises(ValueError, match=r"stride: must be >= 1, got 0 \(the window must move"):
        conv_output_size(5, 3, stride=0)
