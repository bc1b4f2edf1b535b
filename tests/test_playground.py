"""utils.playground: the computations behind the playgrounds, and the HTML they emit."""
import json
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from utils.kernels import KERNELS, get_kernel
from utils.playground import (PRESETS, arithmetic_explorer, arithmetic_explorer_html, arithmetic_setting,
                              fft_with_origin, kernel_editor, kernel_editor_html, kernel_response, origin_explorer,
                              origin_explorer_html)
from utils.shapes import conv_output_size


def digits(n=4):
    g = torch.Generator().manual_seed(0)
    return (torch.randint(0, 256, (n, 28, 28), generator=g) / 255).float(), torch.arange(n)


def test_presets_name_real_kernels():
    assert set(PRESETS.values()) <= set(KERNELS)
    for label in ["top edge", "left edge", "diagonal /", "diagonal \\", "Sobel x", "blur", "sharpen", "identity"]:
        assert label in PRESETS


def test_kernel_response_is_conv2d():
    x, _ = digits(1)
    k = get_kernel("sobel_y")
    torch.testing.assert_close(kernel_response(x[0], k), F.conv2d(x[:1, None], k[None, None])[0, 0])
    assert kernel_response(x[0], torch.ones(5, 5)).shape == (24, 24)


def test_identity_preset_gives_the_cropped_image():
    x, _ = digits(1)
    torch.testing.assert_close(kernel_response(x[0], get_kernel("identity")), x[0, 1:-1, 1:-1])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: kernel_response(torch.rand(3, 3), torch.rand(5, 5)), ValueError, "kernel"),
    (lambda: kernel_response(torch.rand(1, 3, 3), torch.rand(3, 3)), ValueError, "image"),
    (lambda: kernel_editor_html(torch.rand(2, 20, 20)), ValueError, "images"),
    (lambda: kernel_editor_html(torch.rand(2, 28, 28) * 3), ValueError, "images"),
    (lambda: kernel_editor_html(torch.rand(40, 28, 28)), ValueError, "at most 32"),
    (lambda: kernel_editor_html(torch.rand(2, 28, 28), labels=torch.arange(3)), ValueError, "labels"),
    (lambda: kernel_editor_html(torch.rand(2, 28, 28), start="nope"), ValueError, "start"),
    (lambda: kernel_editor(torch.rand(2, 28, 28), start="nope"), ValueError, "start"),
    (lambda: arithmetic_setting(5, 3, stride=0), ValueError, "stride"),
    (lambda: arithmetic_setting(5.0, 3), TypeError, "size"),
    (lambda: arithmetic_explorer_html(size=20), ValueError, "size"),
    (lambda: arithmetic_explorer_html(stride=0), ValueError, "stride"),
    (lambda: arithmetic_setting(5, 3, groups=0), ValueError, "groups"),
    (lambda: arithmetic_setting(5, 3, in_channels=2.0), TypeError, "in_channels"),
    (lambda: arithmetic_setting(5, 3, padding_mode="mirror"), ValueError, "padding_mode"),
    (lambda: arithmetic_setting(5, 3, padding_mode=None), TypeError, "padding_mode"),
    (lambda: arithmetic_setting(5, 3, flip=1), TypeError, "flip"),
    (lambda: arithmetic_setting((5, 0), 3), ValueError, "size"),
    (lambda: arithmetic_explorer_html(groups=9), ValueError, "groups"),
    (lambda: arithmetic_explorer_html(padding_mode="same"), ValueError, "padding_mode"),
    (lambda: fft_with_origin(torch.rand(4, 4), torch.rand(5, 5)), ValueError, "kernel"),
    (lambda: fft_with_origin(torch.rand(6, 6), torch.rand(3, 3), shift=1), TypeError, "shift"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def page_data(html, function):
    """The container id and the JSON data a playground's page fragment starts ``function`` with."""
    eid = re.search(r'<div id="([a-z]{2}-[0-9a-f]{10})" class="convbook-playground"', html).group(1)
    call = re.search(function + r'\(document.getElementById\("' + eid + r'"\), (.*)\);', html)
    return eid, json.loads(call.group(1))


def test_kernel_editor_html_is_a_container_and_data():
    x, y = digits(3)
    html = kernel_editor_html(x, y, start="left edge").data
    eid, data = page_data(html, "KernelEditor")
    assert eid.startswith("ke-") and data["start"] == "left edge" and data["labels"] == [0, 1, 2]
    assert len(data["digits"]) == 3 and len(data["digits"][0]) == 28 * 28
    assert data["presets"]["blur"] == pytest.approx(KERNELS["blur"].flatten().tolist())
    # Python names no control: the JavaScript builds them
    assert "ke-w" not in html.split("<script>")[0] and "<input" not in html.split("<script>")[0]
    assert "const Playground" in html               # the shared drawing code comes along
    # same input, same page: nbval compares this output
    assert kernel_editor_html(x, y, start="left edge").data == html


def test_each_css_class_is_named_in_one_file_only():
    from pathlib import Path
    js = {p.name: p.read_text() for p in (Path(__file__).parents[1] / "utils" / "js").glob("*.js")}
    py = "".join(p.read_text() for p in (Path(__file__).parents[1] / "utils" / "playground").glob("*.py"))
    for prefix in ("ke-", "ae-", "oe-"):
        owners = [name for name, text in js.items() if f'"{prefix}' in text or f"`{prefix}" in text]
        assert len(owners) == 1, (prefix, owners)
        assert f'"{prefix}' not in py.replace(f'element_id("{prefix[:2]}"', "")


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 12), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 4), d=st.integers(1, 3))
def test_arithmetic_setting_agrees_with_pytorch(size, k, s, p, d):
    setting = arithmetic_setting(size, k, s, p, d)
    try:
        shape = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape
    except RuntimeError as e:
        assert setting["output"] is None and setting["error"] == f"RuntimeError: {e}"
        assert "Kernel size can't be greater than actual input size" in setting["message"]
        return
    assert setting["output"] == shape[-1] == conv_output_size(size, k, s, p, d)
    assert setting["torch_shape"] == tuple(shape[-2:]) and setting["error"] is None
    assert len(setting["positions"]) == shape[-1] ** 2
    assert setting["positions"][-1] == ((shape[-1] - 1) * s, (shape[-1] - 1) * s)


MODES = ("zeros", "reflect", "replicate", "circular")


@settings(max_examples=150, deadline=None)
@given(h=st.integers(1, 8), w=st.integers(1, 8), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 4),
       d=st.integers(1, 3), mode=st.sampled_from(MODES), cin=st.integers(1, 8), cout=st.integers(1, 8),
       g=st.integers(1, 8), flip=st.booleans())
def test_arithmetic_setting_code_lines_run_and_agree(h, w, k, s, p, d, mode, cin, cout, g, flip):
    """The nn.Conv2d and F.conv2d lines compute the same thing, or both raise the error reported."""
    setting = arithmetic_setting((h, w), k, s, p, d, mode, cin, cout, g, flip)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, cin, h, w, generator=gen, dtype=torch.float64)    # batch 1: as in the message
    try:
        conv = eval(setting["code"]["module"], {"nn": torch.nn}).double()
        weight = torch.randn(conv.weight.shape, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            conv.weight.copy_(weight.flip(-2, -1) if flip else weight)
            conv.bias.zero_()
            expected = conv(x)
    except (RuntimeError, ValueError) as e:
        assert setting["output"] is None and setting["error"] == f"{type(e).__name__}: {e}"
        assert str(e) in setting["message"]
        return
    got = eval(setting["code"]["functional"], {"F": F, "x": x, "w": weight})
    torch.testing.assert_close(got, expected)
    assert setting["output"] == tuple(got.shape[-2:]) == setting["torch_shape"]
    assert setting["weight_shape"] == tuple(weight.shape) == (cout, cin // g, k, k)
    assert setting["parameters"] == sum(q.numel() for q in conv.parameters())
    # the taps: output (r, c) = sum of w[wa, wb] * padded[r*s + da, c*s + db]
    mode_ = "constant" if mode == "zeros" else mode
    padded = F.pad(x, (p, p, p, p), mode=mode_)
    r, c = setting["torch_shape"][0] - 1, setting["torch_shape"][1] - 1
    j = cout - 1
    ins = setting["reads"][j]
    by_taps = sum(weight[j, n, wa, wb] * padded[:, i, r * s + da, c * s + db]
                  for (da, db), (wa, wb) in setting["taps"] for n, i in enumerate(ins))
    torch.testing.assert_close(by_taps, got[:, j, r, c])


def test_arithmetic_setting_padding_sources_and_errors():
    # reflect on a 3x4 input padded by 1: the corner copies input cell (1, 1), not (0, 0)
    src = arithmetic_setting((3, 4), 2, padding=1, padding_mode="reflect")["padded_source"]
    assert src[0][0] == (1, 1) and src[1][1] == (0, 0) and len(src) == 5 and len(src[0]) == 6
    assert arithmetic_setting(3, 3, padding=1, padding_mode="replicate")["padded_source"][0][0] == (0, 0)
    assert arithmetic_setting(3, 3, padding=1, padding_mode="circular")["padded_source"][0][0] == (2, 2)
    assert arithmetic_setting(3, 3, padding=1)["padded_source"][0][0] is None
    # PyTorch's own words for every kind of impossible setting
    errors = {
        (5, 7, "zeros", 1, 1, 1): "Kernel size can't be greater than actual input size",
        (3, 1, "reflect", 1, 1, 1): "Padding size should be less than the corresponding input dimension",
        (2, 1, "circular", 1, 1, 1): "Padding value causes wrapping around more than once",
        (5, 3, "zeros", 3, 4, 2): "ValueError: in_channels must be divisible by groups",
        (5, 3, "zeros", 4, 3, 2): "ValueError: out_channels must be divisible by groups",
    }
    pads = {"reflect": 3, "circular": 3}
    for (size, k, mode, cin, cout, g), text in errors.items():
        setting = arithmetic_setting(size, k, padding=pads.get(mode, 0), padding_mode=mode,
                                     in_channels=cin, out_channels=cout, groups=g)
        assert setting["output"] is None and text in setting["error"], (size, k, mode, setting["error"])
    # circular may wrap exactly once: padding 3 on a 3-pixel input works
    assert arithmetic_setting(3, 1, padding=3, padding_mode="circular")["output"] == 9
    # depthwise: groups = in_channels, each output channel reads one input channel
    dw = arithmetic_setting(5, 3, in_channels=4, out_channels=8, groups=4)
    assert dw["weight_shape"] == (8, 1, 3, 3) and dw["reads"][:3] == [[0], [0], [1]]
    assert dw["parameters"] == 8 * 9 + 8
    # the flip: the first tap (top-left of the window) multiplies the last weight
    assert arithmetic_setting(5, 3, flip=True)["taps"][0] == ((0, 0), (2, 2))
    assert "w.flip(-2, -1)" in arithmetic_setting(5, 3, flip=True)["code"]["functional"]
    # the global random state is left alone (the notebooks draw from it after the explorer)
    state = torch.get_rng_state()
    arithmetic_setting(5, 3, in_channels=8, out_channels=8)
    assert torch.equal(state, torch.get_rng_state())


def test_arithmetic_explorer_html_carries_every_setting():
    _, data = page_data(arithmetic_explorer_html(size=(7, 9), stride=2, padding_mode="circular").data,
                        "ArithmeticExplorer")
    assert list(data["limits"]) == ["size", "width", "kernel", "stride", "padding", "dilation",
                                    "in_channels", "out_channels", "groups"]
    assert data["start"] == {"size": 7, "width": 9, "kernel": 3, "stride": 2, "padding": 0, "dilation": 1,
                             "in_channels": 1, "out_channels": 1, "groups": 1, "padding_mode": "circular",
                             "flip": False}
    assert data["limits"]["stride"] == [1, 4] and data["modes"] == list(MODES)


@pytest.mark.parametrize("k", [3, 5])
def test_fft_origin_roll_fixes_the_shift(k):
    g = torch.Generator().manual_seed(1)
    x, w = torch.rand(10, 12, generator=g), torch.randn(k, k, generator=g)
    p = k // 2
    ref = F.conv2d(F.pad(x.double()[None, None], (p, p, p, p), mode="circular"), w.double()[None, None])[0, 0]
    torch.testing.assert_close(fft_with_origin(x, w, (-p, -p)), ref)
    # without the roll: the same result, circularly shifted by the kernel's half-width
    torch.testing.assert_close(fft_with_origin(x, w, (0, 0)), torch.roll(ref, shifts=(-p, -p), dims=(0, 1)))


def test_live_widgets_recompute_when_controls_change():
    x, y = digits(2)
    ed = kernel_editor(x, y)
    picture = ed.children[1]
    before = picture.value
    grid = ed.children[0].children[0]
    grid.children[4].value = 3.0                      # change the centre weight
    assert picture.value != before and ed.children[0].children[1].children[0].value == "(custom)"
    ed.children[0].children[1].children[0].value = "blur"
    assert [w.value for w in grid.children][4] == pytest.approx(0.25)
    assert repr(ed) == "<kernel editor: live widgets, run the notebook to use them>"

    ae = arithmetic_explorer()
    sliders = ae.children[0].children[0].children
    msg = ae.children[1]
    assert "output 3×3" in msg.value
    sliders[2].value = 2                             # stride 2
    assert "output 2×2" in msg.value
    sliders[1].value = 7                             # a 7x7 kernel on a 5x5 input: impossible
    assert "Kernel size can&#x27;t be greater" in msg.value
    sliders[1].value = 3
    sliders[5].value, sliders[7].value = 3, 2        # in_channels 3, groups 2: PyTorch's ValueError
    assert "in_channels must be divisible by groups" in msg.value
    sliders[5].value = 4
    assert "weight (1, 2, 3, 3)" not in msg.value and "out_channels must be divisible" in msg.value
    sliders[6].value = 2
    assert "weight (2, 2, 3, 3)" in msg.value
    ae.children[0].children[0].children[-1].value = "reflect"
    sliders[3].value = 4                             # reflect padding 4 on a 5x5 input works
    assert "output 6×6" in msg.value                 # (stride 2)
    sliders[3].value, sliders[0].value = 4, 4        # ... but not on a 4x4 one
    assert "Padding size should be less than the corresponding input dimension" in msg.value

    oe = origin_explorer(x[0], get_kernel("sobel_x"))
    readout = oe.children[2]
    assert "agree" not in readout.value
    oe.children[0].children[0].value = -1
    oe.children[0].children[1].value = -1
    assert "agree" in readout.value


def test_origin_explorer_html_embeds_every_roll():
    g = torch.Generator().manual_seed(2)
    x, k = torch.rand(6, 7, generator=g), get_kernel("sobel_x")
    _, data = page_data(origin_explorer_html(x, k).data, "OriginExplorer")
    assert len(data["frames"]) == 7 * 7 and data["h"] == 6 and data["w"] == 7
    ref = torch.tensor(data["reference"]).reshape(6, 7)
    torch.testing.assert_close(torch.tensor(data["frames"]["-1,-1"]).reshape(6, 7), ref, atol=1e-4, rtol=0)
    assert (torch.tensor(data["frames"]["0,0"]).reshape(6, 7) - ref).abs().max() > 0.1
    with pytest.raises(ValueError, match="kernel"):
        origin_explorer_html(x, torch.ones(2, 2))
    with pytest.raises(ValueError, match="image"):
        origin_explorer_html(torch.rand(40, 40), k)
