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
    except RuntimeError:
        assert setting["output"] is None and "kernel_size" in setting["message"]
        return
    assert setting["output"] == shape[-1] == conv_output_size(size, k, s, p, d)
    assert setting["torch_shape"] == tuple(shape[-2:])
    assert len(setting["positions"]) == shape[-1] ** 2
    assert setting["positions"][-1] == ((shape[-1] - 1) * s, (shape[-1] - 1) * s)


def test_arithmetic_explorer_html_carries_every_setting():
    _, data = page_data(arithmetic_explorer_html(size=7, stride=2).data, "ArithmeticExplorer")
    assert list(data["limits"]) == ["size", "kernel", "stride", "padding", "dilation"]
    assert data["start"] == {"size": 7, "kernel": 3, "stride": 2, "padding": 0, "dilation": 1}
    assert data["limits"]["stride"] == [1, 4]


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
    assert "does not fit" in msg.value

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
