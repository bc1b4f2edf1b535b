"""The network explorer of Chapter 10 in the built book: its JavaScript forward pass agrees
with PyTorch on every validation digit, drawing with the mouse updates every view, the
receptive fields are those of utils.receptive_field, and the page stays offline."""
import base64
import json
import os
import re

import pytest
import torch
from playwright.sync_api import expect

from browser_support import HTML, ROOT, SHOTS, make_offline, real_console_errors, screenshot_if_failed

PAGE = "notebooks/10_training.html"
# the README's screenshot is refreshed only on request (CONVBOOK_UPDATE_SCREENSHOT=1), so that a
# test run never modifies a committed file; otherwise it goes with the other screenshots
SCREENSHOT = (ROOT / "book" / "static" if os.environ.get("CONVBOOK_UPDATE_SCREENSHOT") == "1" else SHOTS) \
    / "screenshot_network_explorer.png"


def exported_data() -> dict:
    """The explorer's data as embedded in the built page (the JSON Python wrote)."""
    match = re.search(r'NetworkExplorer\(document\.getElementById\("ne-[0-9a-f]+"\), (\{[^\n]*\})\);',
                      (HTML / PAGE).read_text())
    assert match, "no network explorer in the built training chapter"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def chapter(browser, book_url):
    """The training chapter, loaded once for this module's tests, in their order (loading
    the page is what costs; each test leaves the explorer usable for the next)."""
    context = browser.new_context()
    pg = make_offline(context.new_page())
    pg.goto(f"{book_url}/{PAGE}", wait_until="load")
    yield pg
    context.close()


@pytest.fixture
def explorer(chapter, request):
    """The chapter's page and its one network explorer, scrolled into view."""
    ex = chapter.locator(".network-explorer")
    expect(ex).to_have_count(1)
    ex.scroll_into_view_if_needed()
    yield chapter, ex
    screenshot_if_failed(request, chapter)


def test_forward_pass_agrees_with_pytorch_on_every_validation_digit(explorer):
    from utils.data import load_mnist
    from utils.playground import network_from_data

    data = exported_data()
    _, _, x_valid, _ = load_mnist()
    with torch.no_grad():
        expected = network_from_data(data)(x_valid[:, None]).double()
    pg, ex = explorer
    # the digits travel as the bytes of their float32 pixels (a list of 784,000 numbers is slow
    # to pass to the page); the page runs its forward pass on each, as a drawn digit would
    pixels = base64.b64encode(x_valid.reshape(-1, 784).contiguous().numpy().tobytes()).decode()
    got = torch.tensor(ex.evaluate("""(root, b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const xs = new Float32Array(bytes.buffer);
        const out = [];
        for (let i = 0; i < xs.length; i += 784) out.push(root.logits(Array.from(xs.subarray(i, i + 784))));
        return out; }""", pixels), dtype=torch.float64)
    assert got.shape == (1000, 10)
    assert (got.argmax(1) == expected.argmax(1)).all()
    max_diff = (got - expected).abs().max().item()
    print(f"1,000 validation digits: classes agree on all, largest logit difference {max_diff:.1e}")
    assert max_diff < 1e-4
    # the digits it steps through are those the trained network gets wrong, and the page agrees
    wrong = torch.frombuffer(bytearray(base64.b64decode(data["digits"])),
                             dtype=torch.uint8).view(-1, 784) / 255
    page_preds = torch.tensor(ex.evaluate("(root, xs) => xs.map((x) => root.logits(x))", wrong.tolist())).argmax(1)
    assert page_preds.tolist() == data["preds"] and all(p != y for p, y in zip(data["preds"], data["labels"]))
    assert pg.external == [] and real_console_errors(pg) == []


def draw(pg, canvas, points):
    canvas.evaluate("c => c.scrollIntoView({block: 'center'})")     # clear of the sticky header
    box = canvas.bounding_box()
    pg.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    pg.mouse.down()
    for x, y in points[1:]:
        pg.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    pg.mouse.up()


def views(ex):
    return {"input": ex.locator("canvas.ne-input").evaluate("c => c.toDataURL()"),
            "maps": ex.locator("canvas.ne-map").first.evaluate("c => c.toDataURL()"),
            "bars": ex.locator(".ne-bars").inner_text(),
            "prediction": ex.get_attribute("data-prediction")}


def test_drawing_updates_every_view_and_a_bar_is_a_one(explorer):
    pg, ex = explorer
    expect(ex.locator("select.ne-mode")).to_have_value("wrong")
    start = views(ex)
    pad = ex.locator("canvas.ne-draw")

    draw(pg, pad, [(98, 25), (98, 170)])                    # a vertical bar
    bar = views(ex)
    expect(ex.locator("select.ne-mode")).to_have_value("draw")
    assert all(bar[k] != start[k] for k in ("input", "maps", "bars"))
    assert bar["prediction"] == "1", bar["bars"]

    ex.locator("button.ne-clear").click()
    draw(pg, pad, [(45, 35), (150, 35), (85, 170)])         # a seven: the top bar, then down-left
    seven = views(ex)
    assert all(seven[k] != bar[k] for k in ("input", "maps", "bars"))
    assert seven["prediction"] == "7", seven["bars"]
    ex.screenshot(path=str(SCREENSHOT))
    assert pg.external == [] and real_console_errors(pg) == []


def test_a_clicked_cell_outlines_its_receptive_field(explorer):
    from utils.receptive_field import receptive_field
    from utils.playground import network_from_data

    convs = [m for m in network_from_data(exported_data()) if isinstance(m, torch.nn.Conv2d)]
    geom = receptive_field(convs, input_size=28)[2]              # layer 3: 4x4 maps
    pg, ex = explorer
    cell = ex.locator("canvas.ne-map[data-layer='2']").first
    box = cell.bounding_box()
    cell.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.3})   # unit (1, 1)
    centre, half = geom.start + geom.jump, (geom.rf - 1) // 2
    lo, hi = max(0, centre - half), min(27, centre + half)
    assert ex.get_attribute("data-field") == f"{lo:g},{hi:g},{lo:g},{hi:g}"
    expect(ex.locator(".ne-rf")).to_be_visible()
    assert "receptive field" in ex.locator(".ne-info").inner_text()
