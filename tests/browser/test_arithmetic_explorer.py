"""The arithmetic explorer's page (utils/js/arithmetic_explorer.js) against PyTorch: the page
from ``arithmetic_explorer_html`` is loaded with ``page.set_content`` (no book build, no
network), its controls are set, and what it shows is compared with ``arithmetic_setting``,
which is nn.Conv2d's and F.conv2d's own answer."""
import random

import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import expect

from browser_support import SHOTS, real_console_errors
from utils.playground import arithmetic_explorer_html, arithmetic_setting

# (height, width, kernel, stride, padding, dilation, padding_mode, in, out, groups)
POSSIBLE = [
    (5, 5, 3, 1, 0, 1, "zeros", 1, 1, 1), (7, 7, 3, 2, 1, 2, "zeros", 1, 1, 1),
    (5, 8, 3, 2, 1, 1, "zeros", 2, 4, 1), (12, 12, 7, 4, 4, 1, "zeros", 1, 1, 1),
    (1, 1, 1, 1, 0, 1, "zeros", 1, 1, 1), (6, 4, 2, 3, 0, 1, "zeros", 3, 6, 3),
    (5, 5, 3, 1, 1, 1, "reflect", 4, 4, 2), (3, 7, 2, 1, 2, 1, "reflect", 1, 2, 1),
    (5, 5, 5, 1, 4, 1, "reflect", 1, 1, 1), (4, 4, 3, 2, 3, 3, "replicate", 8, 8, 8),
    (1, 3, 3, 1, 1, 1, "replicate", 2, 2, 2), (2, 5, 3, 1, 4, 1, "replicate", 1, 1, 1),
    (3, 3, 3, 1, 3, 1, "circular", 6, 4, 2), (4, 6, 3, 1, 1, 2, "circular", 4, 8, 4),
    (2, 2, 1, 1, 2, 1, "circular", 1, 1, 1), (9, 6, 4, 3, 2, 2, "zeros", 8, 2, 2),
    (10, 11, 5, 2, 2, 1, "reflect", 6, 3, 3), (8, 8, 3, 4, 0, 3, "zeros", 5, 5, 5),
]
IMPOSSIBLE = [
    (5, 5, 7, 1, 0, 1, "zeros", 1, 1, 1),        # kernel larger than the input
    (6, 6, 3, 1, 0, 3, "zeros", 1, 1, 1),        # dilation 3: spans 7 pixels
    (2, 6, 3, 1, 0, 1, "zeros", 1, 1, 1),        # fits along the width only
    (3, 3, 7, 1, 1, 1, "reflect", 1, 1, 1),      # fits neither after reflect padding
    (1, 1, 5, 1, 1, 1, "replicate", 1, 1, 1),    # nor after replicate padding
    (5, 3, 3, 1, 3, 1, "reflect", 1, 1, 1),      # reflect padding >= width
    (2, 5, 1, 1, 2, 1, "reflect", 1, 1, 1),      # reflect padding >= height
    (2, 2, 1, 1, 3, 1, "circular", 1, 1, 1),     # circular padding wraps twice
    (5, 5, 3, 1, 1, 1, "zeros", 3, 4, 2),        # groups do not divide in_channels
    (5, 5, 3, 1, 1, 1, "zeros", 4, 6, 4),        # ... nor out_channels
    (4, 4, 3, 1, 0, 1, "zeros", 2, 8, 4),        # more groups than input channels
]
NAMES = ("size", "width", "kernel", "stride", "padding", "dilation")


def python(setting):
    h, w, k, s, p, d, mode, cin, cout, g = setting
    return arithmetic_setting((h, w), k, s, p, d, mode, cin, cout, g)


@pytest.fixture
def explorer(offline_page):
    """A fresh explorer page, loaded with set_content (no book build, no network)."""
    pg = offline_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.set_content(f"<!doctype html><html><body>{arithmetic_explorer_html().data}</body></html>")
    ex = pg.locator(".arithmetic-explorer")
    expect(ex).to_have_count(1)
    yield pg, ex
    assert real_console_errors(pg) == [] and pg.external == []


def set_controls(ex, setting, flip=False):
    *geometry, mode, cin, cout, g = setting
    for name, value in [*zip(NAMES, geometry), ("in_channels", cin), ("out_channels", cout), ("groups", g)]:
        ex.locator(f"input.ae-{name}").fill(str(value))
        expect(ex.locator(f".ae-{name}-value")).to_have_text(str(value))
    ex.locator("select.ae-mode").select_option(mode)
    ex.locator("input.ae-flip").set_checked(flip)


@pytest.mark.parametrize("setting", POSSIBLE + IMPOSSIBLE, ids=str)
def test_each_setting_agrees_with_pytorch(explorer, setting):
    _, ex = explorer
    set_controls(ex, setting)
    ref = python(setting)
    text = ex.locator(".ae-result").inner_text()
    assert ex.locator("code.ae-module").inner_text() == ref["code"]["module"]
    assert ex.locator("code.ae-functional").inner_text() == ref["code"]["functional"]
    if ref["error"]:
        assert ex.get_attribute("data-output") == "impossible"
        assert "Impossible" in text and ref["error"] in text, (text, ref["error"])
        assert ex.locator("svg.ae-out rect").count() == 0
    else:
        oh, ow = ref["output"]
        assert ex.get_attribute("data-output") == (str(oh) if oh == ow else f"{oh}x{ow}")
        assert f"Output: {oh} × {ow}" in text and "Impossible" not in text
        assert ex.locator("svg.ae-out rect").count() == oh * ow
        assert str(ref["weight_shape"]) in ex.locator(".ae-weights").inner_text()
        assert f"= {ref['parameters']} parameters" in ex.locator(".ae-weights").inner_text()
    if ref["padded_source"] is not None:       # every border cell names the cell F.pad copies there
        shown = ex.locator("svg.ae-grid rect").evaluate_all("rs => rs.map((r) => r.dataset.src)")
        expected = ["zero" if c is None else f"{c[0]},{c[1]}" for line in ref["padded_source"] for c in line]
        assert shown == expected


def test_the_model_agrees_with_pytorch_on_random_settings(explorer):
    """Many more settings than the controls can be driven through: the page's own compute
    and code functions against arithmetic_setting."""
    pg, ex = explorer
    rng = random.Random(0)
    settings = [(rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 4),
                 rng.randint(1, 3), rng.choice(["zeros", "reflect", "replicate", "circular"]),
                 rng.randint(1, 8), rng.randint(1, 8), rng.choice([1, 1, 2, 3, 4, 8])) for _ in range(300)]
    shown = ex.evaluate("""(root, settings) => settings.map(([h, w, k, s, p, d, mode, cin, cout, g]) => {
        const v = {size: h, width: w, kernel: k, stride: s, padding: p, dilation: d, mode,
                   in_channels: cin, out_channels: cout, groups: g, flip: false};
        const r = root.aeModel.compute(v);
        return [r.error, r.error ? null : r.o, root.aeModel.code(v)];
    })""", settings)
    impossible = 0
    for setting, (error, o, code) in zip(settings, shown):
        ref = python(setting)
        assert error == ref["error"], setting
        assert (o and tuple(o)) == ref["output"], setting
        assert code == [ref["code"]["module"], ref["code"]["functional"]]
        impossible += error is not None
    assert 30 < impossible < 270           # both kinds are well represented


@pytest.mark.parametrize("setting", [(5, 5, 3, 1, 0, 1, "zeros", 1, 1, 1), (7, 6, 3, 2, 1, 2, "zeros", 1, 1, 1),
                                     (4, 5, 2, 1, 2, 1, "reflect", 1, 1, 1), (3, 4, 3, 1, 2, 1, "circular", 1, 1, 1)],
                         ids=str)
def test_hover_highlights_windows_and_readers(explorer, setting):
    _, ex = explorer
    set_controls(ex, setting)
    ref = python(setting)
    h, w, k, s, p, d, mode = setting[:7]
    oh, ow = ref["output"]
    cols = w + 2 * p
    padded_cells = ex.locator("svg.ae-grid rect")
    # an output cell: the k*k cells of its window light up, each with the weight it meets
    for r, c in [(0, 0), (oh - 1, ow - 1), (oh // 2, ow - 1)]:
        ex.locator("svg.ae-out rect").nth(r * ow + c).hover()
        lit = ex.locator("svg.ae-grid rect.ae-hl")
        assert lit.count() == k * k
        assert ex.locator("svg.ae-out rect.ae-hl").count() == 1
        where = lit.evaluate_all("rs => rs.map((x) => [+x.getAttribute('y'), +x.getAttribute('x'), x.dataset.w])")
        px = float(padded_cells.first.get_attribute("width"))
        got = sorted((round((y - 1) / px), round((x - 1) / px), wt) for y, x, wt in where)
        want = sorted((r * s + da, c * s + db, f"{wa},{wb}") for (da, db), (wa, wb) in ref["taps"])
        assert got == want
    # an input cell (or a padded copy of one): every output reading it, directly or through a copy
    for R, C in [(p, p), (0, 0), (p + h - 1, p + w // 2)]:
        padded_cells.nth(R * cols + C).hover()
        src = ref["padded_source"][R][C]
        one = torch.zeros(1, 1, h, w, dtype=torch.float64)
        if src is None:               # a zero of the padding: only the outputs reading that cell
            padded = F.pad(one, (p, p, p, p))
            padded[0, 0, R, C] = 1
        else:
            one[0, 0, src[0], src[1]] = 1
            padded = F.pad(one, (p, p, p, p), mode="constant" if mode == "zeros" else mode)
        readers = F.conv2d(padded, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
        assert ex.locator("svg.ae-out rect.ae-hl").count() == int((readers > 0).sum())
        assert ex.locator("svg.ae-grid rect.ae-src").count() == int((padded > 0).sum() if src else 1)
    ex.screenshot(path=str(SHOTS / "arithmetic_explorer_hover.png"))


def test_flip_toggle_reverses_the_kernel(explorer):
    _, ex = explorer
    setting = (6, 6, 3, 1, 0, 2, "zeros", 1, 1, 1)
    for flip in (False, True):
        set_controls(ex, setting, flip=flip)
        ref = arithmetic_setting(6, 3, 1, 0, 2, flip=flip)
        taps = ex.locator("svg.ae-kernel rect").evaluate_all("rs => rs.map((r) => r.dataset.w)")
        assert taps == [f"{wa},{wb}" for _, (wa, wb) in ref["taps"]]
        assert taps[0] == ("2,2" if flip else "0,0")
        ex.locator("svg.ae-out rect").first.hover()
        corner = ex.locator("svg.ae-grid rect").first            # the window's top-left tap
        assert corner.get_attribute("data-w") == taps[0]
        assert ("w.flip(-2, -1)" in ex.locator("code.ae-functional").inner_text()) == flip
        assert ex.locator("code.ae-functional").inner_text() == ref["code"]["functional"]


@pytest.mark.parametrize("setting", [(5, 7, 3, 2, 1, 1, "zeros", 4, 6, 2), (6, 5, 3, 1, 2, 2, "reflect", 3, 3, 3),
                                     (4, 4, 2, 1, 1, 1, "circular", 2, 4, 1)], ids=str)
def test_copied_lines_run_in_python(explorer, setting):
    """The copy button hands over the F.conv2d line; run, it equals the nn.Conv2d line."""
    pg, ex = explorer
    set_controls(ex, setting, flip=setting[6] == "reflect")
    button, code = ex.locator("button.ae-functional-copy"), ex.locator("code.ae-functional")
    button.click()
    # a set_content page is not a secure context, so there is no clipboard: the line is selected
    expect(button).to_have_text("selected: Ctrl+C")
    assert pg.evaluate("() => window.getSelection().toString()") == code.inner_text()
    # where the page may use the clipboard (the book over https), the line goes there
    pg.evaluate("""() => {
        Object.defineProperty(window, "isSecureContext", {value: true});
        const writeText = (t) => { window.copied = t; return Promise.resolve(); };
        Object.defineProperty(navigator, "clipboard", {value: {writeText}});
    }""")
    button.click()
    expect(button).to_have_text("copied")
    assert pg.evaluate("() => window.copied") == code.inner_text()
    h, w, _, _, _, _, _, cin, _, _ = setting
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, cin, h, w, generator=g, dtype=torch.float64)
    conv = eval(ex.locator("code.ae-module").inner_text(), {"nn": torch.nn}).double()
    weight = torch.randn(conv.weight.shape, generator=g, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(weight.flip(-2, -1) if "w.flip" in code.inner_text() else weight)
        conv.bias.zero_()
        expected = conv(x)
    got = eval(code.inner_text(), {"F": F, "x": x, "w": weight})
    assert got.shape == expected.shape == (1, setting[8], *python(setting)["output"])
    torch.testing.assert_close(got, expected)


def test_groups_slide_from_dense_to_depthwise(explorer):
    _, ex = explorer
    for g, kind in [(1, "dense"), (2, "2 groups"), (4, "depthwise")]:
        set_controls(ex, (5, 5, 3, 1, 1, 1, "zeros", 4, 8, g))
        ref = arithmetic_setting(5, 3, padding=1, in_channels=4, out_channels=8, groups=g)
        text = ex.locator(".ae-weights").inner_text()
        assert kind in text and f"= {ref['weight_shape']}" in text and f"= {ref['parameters']} parameters" in text
        assert ex.locator("svg.ae-channels line.ae-link").count() == sum(len(r) for r in ref["reads"]) == 8 * 4 // g
        if g == 4:
            ex.screenshot(path=str(SHOTS / "arithmetic_explorer_depthwise.png"))
    set_controls(ex, (5, 5, 3, 1, 1, 1, "zeros", 4, 8, 3))
    assert ex.locator("svg.ae-channels line.ae-link").count() == 0
    assert "in_channels must be divisible by groups" in ex.locator(".ae-weights").inner_text()
