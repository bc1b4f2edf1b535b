"""The live playgrounds in a real JupyterLab, driven by headless Chromium.

Starts `jupyter lab` on 127.0.0.1 with a token (autosave off, so the committed notebooks are
never rewritten), opens a chapter, runs its cells down to the playground, changes the widgets and checks that the
output recomputed. Screenshots before/after land in _build/screenshots/.
"""
import hashlib
import json
import os
import subprocess
import sys

import pytest
from browser_support import LOGS, ROOT, SHOTS, free_port, make_offline, screenshot_if_failed, wait_http
from playwright.sync_api import expect

expect.set_options(timeout=30_000)      # a kernel busy with other cells may take a while

TOKEN = "convbook-test-token"
STATE = ROOT / "_build" / "jupyter-state"


OPENED = set()          # the notebooks this module opens; none of them may be rewritten


def notebook_hashes():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}


@pytest.fixture(scope="module")
def lab_url():
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(STATE / "config"), JUPYTER_DATA_DIR=str(STATE / "data"),
               JUPYTER_RUNTIME_DIR=str(STATE / "runtime"), IPYTHONDIR=str(STATE / "ipython"))
    settings = STATE / "config/lab/user-settings/@jupyterlab"
    for rel, content in {"docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
                         "apputils-extension/notification.jupyterlab-settings":
                             {"fetchNews": "false", "checkForUpdates": False}}.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(content))
    LOGS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(LOGS / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--IdentityProvider.token={TOKEN}",
         f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.root_dir={ROOT}", "--allow-root",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.expose_app_in_browser=True"],     # window.jupyterapp, as JupyterLab's own UI tests use
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    before = notebook_hashes()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/status?token={TOKEN}", timeout=90)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    after = notebook_hashes()
    changed = sorted(n for n in OPENED if before.get(n) != after.get(n))
    assert not changed, f"the browser session modified committed notebooks: {changed}"


@pytest.fixture(scope="module")
def lab_tab(browser, lab_url):
    """One Chromium tab with JupyterLab for this module's tests: the app loads once, and
    each test opens its notebook in it, as a reader would."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = make_offline(context.new_page(), timeout_ms=90_000)
    pg.goto(f"{lab_url}/lab?token={TOKEN}&reset")
    pg.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    pg.evaluate("() => window.jupyterapp.restored.then(() => null)")
    yield pg
    context.close()


@pytest.fixture
def lab_page(lab_tab, request):
    yield lab_tab
    screenshot_if_failed(request, lab_tab)


def playground_cell(notebook, call):
    """Index of the first code cell of ``notebook`` whose source contains ``call``."""
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and call in "".join(c["source"]))


def open_and_run_to(pg, notebook, call):
    """Open ``notebook`` in JupyterLab and run its cells down to the one that calls ``call``
    (the playground): what a reader does before using it; the cells after it are nbval's.
    Returns the locator of the notebook's panel."""
    OPENED.add(notebook.split("/")[-1])
    last = playground_cell(notebook, call)
    pg.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', {path: p}).then(() => null)",
                notebook)
    # the toolbar shows "idle" before the kernel's websocket is usable: wait on the session itself
    pg.wait_for_function("""p => { const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return w && w.context.path === p && w.context.isReady && w.sessionContext.isReady && k
               && k.connectionStatus === 'connected' && k.status === 'idle'; }""", arg=notebook)
    panel = pg.locator("#" + pg.evaluate("() => window.jupyterapp.shell.currentWidget.id"))
    panel.locator(".jp-Cell").first.wait_for(state="visible")
    # select the cell after the playground, then Run > Run All Above Selected Cell
    pg.evaluate("i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", last + 1)
    pg.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    pg.locator(".lm-Menu-itemLabel", has_text="Run All Above Selected Cell").first.click()
    return panel


def wait_src_change(pg, selector, before):
    pg.wait_for_function(
        "([sel, prev]) => { const i = document.querySelector(sel); return i && i.src && i.src !== prev; }",
        arg=[selector, before])
    return pg.locator(selector).get_attribute("src")


def open_playground(pg, notebook, call, css_class):
    """Run ``notebook`` down to the cell that calls ``call``, wait for the live playground
    with ``css_class`` to draw its first image; return the notebook's panel, the
    playground's locator, its image selector and src."""
    panel = open_and_run_to(pg, notebook, call)
    box = panel.locator(f".{css_class}")
    try:
        box.wait_for(state="visible")
    except Exception:               # keep what the page showed: CI uploads the screenshots
        pg.screenshot(path=str(SHOTS / f"lab_failed_{css_class}.png"), full_page=True)
        errors = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        print("stderr outputs in the notebook:", errors.all_inner_texts())
        raise
    img = f".{css_class} img"
    pg.wait_for_function("sel => { const i = document.querySelector(sel); return i && i.src; }", arg=img)
    box.scroll_into_view_if_needed()
    return panel, box, img, pg.locator(img).get_attribute("src")


def no_errors(panel):
    assert panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "Traceback" not in panel.inner_text()


def test_kernel_editor_live(lab_page):
    pg = lab_page
    panel, editor, img, src0 = open_playground(pg, "notebooks/01_kernels_by_hand.ipynb",
                                               "kernel_editor(x_train", "convbook-kernel-editor")
    editor.screenshot(path=str(SHOTS / "playground_lab_kernel_editor_before.png"))

    weight = editor.locator(".widget-text input").nth(4)          # the centre weight
    weight.fill("4")
    weight.press("Enter")
    src1 = wait_src_change(pg, img, src0)
    preset = editor.locator("select").first
    expect(preset).to_have_value("(custom)")

    preset.select_option("blur")
    src2 = wait_src_change(pg, img, src1)
    expect(editor.locator(".widget-text input").nth(4)).to_have_value("0.25")
    assert len({src0, src1, src2}) == 3
    editor.screenshot(path=str(SHOTS / "playground_lab_kernel_editor_after.png"))
    no_errors(panel)
    assert pg.external == [], f"JupyterLab requested outside 127.0.0.1: {pg.external[:5]}"


def test_arithmetic_explorer_live(lab_page):
    pg = lab_page
    panel, ex, img, src0 = open_playground(pg, "notebooks/02_sliding_windows.ipynb",
                                           "arithmetic_explorer()", "convbook-arithmetic-explorer")
    message = ex.locator(".widget-html .widget-html-content").last     # the explorer's message line
    expect(message).to_contain_text("output 3×3")
    expect(message).to_contain_text("weight (1, 1, 3, 3)")
    ex.screenshot(path=str(SHOTS / "playground_lab_arithmetic_explorer_before.png"))

    stride = ex.locator(".widget-slider").nth(2)      # size, kernel, stride, padding, dilation, channels
    handle = stride.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")                                  # stride 1 -> 2
    expect(stride.locator(".widget-readout")).to_have_text("2")
    expect(message).to_contain_text("output 2×2", timeout=60_000)
    wait_src_change(pg, img, src0)
    ex.screenshot(path=str(SHOTS / "playground_lab_arithmetic_explorer_after.png"))
    no_errors(panel)
    assert pg.external == [], f"JupyterLab requested outside 127.0.0.1: {pg.external[:5]}"
