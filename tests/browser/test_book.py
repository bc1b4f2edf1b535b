"""Every page of the built book in headless Chromium, with the network cut off.

Checks that each page of _toc.yml loads, renders its math, decodes its images, shows no
traceback or error output, and makes no request outside 127.0.0.1. A page that fails a
check leaves a full-page screenshot in _build/screenshots/failed/ (tests/browser/conftest.py).
"""
import re
import sys

import nbformat
import pytest
from playwright.sync_api import expect

from browser_support import ROOT, SHOTS, real_console_errors, toc_pages

sys.path.append(str(ROOT / "tests"))
from test_solutions import solutions  # noqa: E402  (the unit tests' reading of a solution)

PAGES = toc_pages()


def chapter1_content(pg):
    """Chapter 1 shows the digit's 28x28 pixel table and the shape of its feature maps."""
    return (pg.locator("main table[id^='T_'] td").count() == 28 * 28
            and "(16, 4, 26, 26)" in pg.locator("main").inner_text())


# what particular pages must show, beyond what every page must
PAGE_CONTENT = {"notebooks/01_kernels_by_hand": chapter1_content}


def test_toc_is_not_empty():
    assert "book/intro" in PAGES and any(p.startswith("notebooks/") for p in PAGES)


def test_requests_outside_the_loopback_fail_and_are_recorded(offline_page, book_url):
    """What every other test relies on: the page is offline but for 127.0.0.1, and each
    request that leaves it (a host name, an IP address, a fetch) fails and is listed."""
    pg = offline_page
    pg.goto(f"{book_url}/book/intro.html", wait_until="load")
    outside = ["https://example.com/x.png", "http://93.184.216.34/y.png", "https://cdn.jsdelivr.net/npm/z.js"]
    pg.set_content(f"<img src='{outside[0]}'><img src='{outside[1]}'><script src='{outside[2]}'></script>")
    assert pg.evaluate("fetch('https://example.com/').then(() => 'loaded', () => 'failed')") == "failed"
    assert pg.evaluate(f"fetch('{book_url}/book/intro.html').then((r) => r.status)") == 200
    pg.wait_for_function("() => Array.from(document.images).every((i) => i.complete)")
    for _ in range(50):                     # the failures reach Python as events: let them arrive
        if len(set(pg.external)) == 4:
            break
        pg.wait_for_timeout(100)
    assert sorted(set(pg.external)) == sorted(outside + ["https://example.com/"])


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline(offline_page, book_url, doc):
    pg = offline_page
    response = pg.goto(f"{book_url}/{doc}.html", wait_until="load")
    assert response is not None and response.ok, f"{doc}: HTTP {response and response.status}"
    assert pg.title() and "Error" not in pg.title()
    h1 = pg.locator("main h1").first.inner_text()
    assert h1.strip(), f"{doc}: page has no title heading"

    # math: every math element has been typeset by the vendored MathJax
    n_math = pg.locator("main .math").count()
    if n_math:
        pg.wait_for_function(
            "() => Array.from(document.querySelectorAll('main .math')).every(e => e.querySelector('mjx-container'))",
            timeout=20_000)

    # images: every visible <img> decoded
    pg.wait_for_load_state("networkidle")
    broken = pg.eval_on_selector_all(
        "main img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src.slice(0, 100))")
    assert broken == [], f"{doc}: images that did not load: {broken}"

    # no traceback, no error output, no stderr warnings shown to the reader
    text = pg.locator("main").inner_text()
    assert "Traceback (most recent call last)" not in text
    assert pg.locator("main .output.traceback, main .output.error").count() == 0
    assert not re.search(r"\b\w+(Error|Warning): ", " ".join(
        pg.locator("main .output.stderr").all_inner_texts())), f"{doc}: stderr output with an error or warning"

    if doc.startswith("notebooks/"):
        assert pg.locator("main img[src*='_images/']").count() >= 1, f"{doc}: a chapter without a figure"
        # exercises exist and their solutions are folded away
        assert pg.locator("main .exercise").count() >= 3, f"{doc}: fewer than three exercises"
        assert pg.locator("main .solution.dropdown").count() >= 3, f"{doc}: solutions not in drop-downs"
        # every solution is a closed drop-down holding every code cell of its solution
        # (tests/test_solutions.py checks the same cells are collapsed for JupyterLab)
        assert pg.locator("main .solution").count() == pg.locator("main .solution.dropdown").count()
        nb = nbformat.read(ROOT / f"{doc}.ipynb", 4)
        n_code = sum(c.cell_type == "code" for _, cells in solutions(nb) for c in cells)
        n_shown = pg.locator("main .solution.dropdown .cell").count()
        assert n_shown == n_code, f"{doc}: solution code outside its drop-down"
        folded = pg.locator("main .solution.dropdown").evaluate_all(
            "els => els.map(e => e.classList.contains('toggle-hidden') && e.clientHeight < e.scrollHeight)")
        assert all(folded), f"{doc}: a solution is open before it is clicked"

    if doc in PAGE_CONTENT:
        assert PAGE_CONTENT[doc](pg), f"{doc}: {PAGE_CONTENT[doc].__doc__}"
    assert pg.external == [], f"{doc}: requests outside 127.0.0.1: {pg.external[:5]}"
    errors = real_console_errors(pg)
    assert errors == [], f"{doc}: console errors: {errors[:5]}"


def open_static_playground(pg, book_url, page, css_class, shot):
    """Open ``page`` of the built book, find its one playground, save a "before" shot."""
    pg.goto(f"{book_url}/{page}", wait_until="load")
    box = pg.locator(f".{css_class}")
    expect(box).to_have_count(1)
    box.scroll_into_view_if_needed()
    box.screenshot(path=str(SHOTS / f"playground_book_{shot}_before.png"))
    return box


def test_kernel_editor_works_without_a_kernel(offline_page, book_url):
    """The JavaScript kernel editor responds on the static page and computes correctly."""

    from utils.data import load_mnist
    from utils.kernels import get_kernel
    from utils.playground import kernel_response

    pg = offline_page
    ed = open_static_playground(pg, book_url, "notebooks/01_kernels_by_hand.html", "kernel-editor", "kernel_editor")
    canvas = lambda: pg.eval_on_selector(".kernel-editor canvas.ke-out", "c => c.toDataURL()")

    # a known setting: the seven (first entry) with the top-edge preset, as computed by PyTorch
    x_train, *_ = load_mnist()
    expected = kernel_response(x_train[15], get_kernel("top_edge"))
    expect(ed.locator("select.ke-preset")).to_have_value("top edge")
    assert abs(float(ed.get_attribute("data-max")) - expected.max().item()) < 1e-3
    assert abs(float(ed.get_attribute("data-min")) - expected.min().item()) < 1e-3
    before = canvas()

    ed.locator("input.ke-w").nth(4).fill("5")                  # change the centre weight
    expect(ed.locator("select.ke-preset")).to_have_value("")
    k = get_kernel("top_edge")
    k[1, 1] = 5
    assert abs(float(ed.get_attribute("data-max")) - kernel_response(x_train[15], k).max().item()) < 1e-3
    after_weight = canvas()
    assert after_weight != before

    ed.locator("select.ke-preset").select_option("Sobel x")
    assert abs(float(ed.get_attribute("data-max")) -
               kernel_response(x_train[15], get_kernel("sobel_x")).max().item()) < 1e-3
    assert canvas() not in (before, after_weight)
    ed.locator("select.ke-digit").select_option("1")
    assert "max" in ed.locator(".ke-readout").inner_text()
    ed.screenshot(path=str(SHOTS / "playground_book_kernel_editor_after.png"))

    # the live-widget version is not shown on the static page as if it worked
    assert "live widgets" not in pg.locator("main").inner_text()
    assert pg.locator("main .widget-text, main .jupyter-widgets").count() == 0
    assert pg.external == []


def test_arithmetic_explorer_works_without_a_kernel(offline_page, book_url):
    """The JavaScript arithmetic explorer responds on the static page and agrees with PyTorch."""
    from utils.shapes import conv_output_size

    pg = offline_page
    ex = open_static_playground(pg, book_url, "notebooks/02_sliding_windows.html", "arithmetic-explorer",
                                "arithmetic_explorer")
    assert ex.get_attribute("data-output") == str(conv_output_size(5, 3)) == "3"
    grid_before = ex.locator("svg.ae-out").inner_html()

    ex.locator("input.ae-stride").fill("2")
    expect(ex.locator(".ae-stride-value")).to_have_text("2")
    assert ex.get_attribute("data-output") == str(conv_output_size(5, 3, stride=2)) == "2"
    assert ex.locator("svg.ae-out").inner_html() != grid_before

    # a known setting end to end: 7x7 input, 3x3 kernel, stride 2, padding 1, dilation 2
    for name, value in [("size", 7), ("width", 7), ("padding", 1), ("dilation", 2)]:
        ex.locator(f"input.ae-{name}").fill(str(value))
    expected = conv_output_size(7, 3, stride=2, padding=1, dilation=2)
    assert ex.get_attribute("data-output") == str(expected)
    assert f"Output: {expected} × {expected}" in ex.locator(".ae-result").inner_text()
    ex.screenshot(path=str(SHOTS / "playground_book_arithmetic_explorer_after.png"))

    # hovering an output cell lights the 3x3 window it reads
    ex.locator("svg.ae-out rect").first.hover()
    assert ex.locator("svg.ae-grid rect.ae-hl").count() == 9

    # an impossible setting explains itself, in PyTorch's words
    from utils.playground import arithmetic_setting
    ex.locator("input.ae-size").fill("2")
    ex.locator("input.ae-width").fill("2")
    ex.locator("input.ae-padding").fill("0")
    assert ex.get_attribute("data-output") == "impossible"
    result = ex.locator(".ae-result").inner_text()
    assert "Impossible" in result and arithmetic_setting(2, 3, 2, 0, 2, "zeros", 4, 8)["error"] in result
    ex.locator("input.ae-padding").fill("2")
    ex.locator("select.ae-mode").select_option("reflect")       # reflect padding 2 on 2 pixels
    assert arithmetic_setting(2, 3, 2, 2, 2, "reflect", 4, 8)["error"] in ex.locator(".ae-result").inner_text()
    assert "live widgets" not in pg.locator("main").inner_text()
    assert pg.external == []


def test_origin_explorer_works_without_a_kernel(offline_page, book_url):
    """The precomputed kernel-origin explorer: rolling the kernel's centre to the origin
    makes the FFT agree with circular F.conv2d."""
    pg = offline_page
    ex = open_static_playground(pg, book_url, "notebooks/05_fft_periodic.html", "origin-explorer",
                                "origin_explorer")
    assert float(ex.get_attribute("data-maxdiff")) > 0.1          # corner at the origin: shifted
    ex.locator("input.oe-dy").fill("-1")
    assert float(ex.get_attribute("data-maxdiff")) > 0.1          # only one axis fixed
    ex.locator("input.oe-dx").fill("-1")
    assert float(ex.get_attribute("data-maxdiff")) < 1e-3         # centre at the origin: equal
    assert "they agree" in ex.locator(".oe-readout").inner_text()
    ex.screenshot(path=str(SHOTS / "playground_book_origin_explorer_after.png"))
    assert pg.external == []
