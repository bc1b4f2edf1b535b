"""Fixtures of the real-browser tests: a static server for the built book and Playwright
pages in Debian's Chromium that may only talk to 127.0.0.1. A test that fails leaves a
full-page screenshot of its page in _build/screenshots/failed/ (CI uploads it)."""
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import (CHROMIUM, CHROMIUM_ARGS, HTML, OFFLINE_PROXY, SHOTS, free_port, make_offline,
                             screenshot_if_failed, wait_http)


# scripts/test.sh runs these files on a worker per core, a whole file per worker (a file's
# tests share its servers); the files that take longest are handed out first, so that the
# workers finish together
SLOWEST_FILES = ("test_book.py", "test_lab.py")


def pytest_collection_modifyitems(items):
    first = {name: i for i, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: first.get(item.path.name, len(first)))     # stable: keeps each file's order


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so that a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright hook: Debian's chromium instead of a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set CHROMIUM")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "proxy": OFFLINE_PROXY}


@pytest.fixture(scope="session")
def book_url():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(HTML)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/index.html")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def tab(browser):
    """The one browser tab a worker's book tests share, offline but for 127.0.0.1
    (make_offline). A test that gets it navigates it; a new tab (or context) per test would
    start a renderer process each time, which costs more than most tests."""
    context = browser.new_context()
    yield make_offline(context.new_page())
    context.close()


@pytest.fixture
def offline_page(tab, request):
    """The shared tab, on a fresh about:blank window, its lists of outside requests and
    console errors emptied."""
    tab.goto("about:blank")
    tab.external.clear()
    tab.console_errors.clear()
    yield tab
    screenshot_if_failed(request, tab)
