"""Helpers shared by the real-browser tests (paths, ports, the table of contents)."""
from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
LOGS = ROOT / "_build" / "logs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# every request except those to 127.0.0.1 and localhost (the bypass list) goes to a proxy on a
# port where nothing listens, and fails: the browser is offline but for the loopback address
OFFLINE_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

# Console messages of the themes themselves that do not affect the page: sphinx-thebe
# 0.3.1 adds its config <script> twice when Sphinx fires env-before-read-docs twice
# (thebe is not used by this book), and pydata-sphinx-theme logs its default theme mode.
BENIGN_CONSOLE = (
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
    re.compile(r"Got invalid theme mode: \. Resetting to auto"),
)


def real_console_errors(page) -> list[str]:
    """The console errors of an ``offline_page`` that are not in BENIGN_CONSOLE."""
    return [e for e in page.console_errors if not any(b.search(e) for b in BENIGN_CONSOLE)]


def toc_pages() -> list[str]:
    """Every document of _toc.yml, in reading order, as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                pages.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def is_local(url: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or urlparse(url).hostname in ("127.0.0.1", "localhost")




def block_external(page) -> list[str]:
    """The list of every URL outside 127.0.0.1 that ``page`` requests, as it requests them.
    Such requests fail: the browser is launched with OFFLINE_PROXY, a proxy that does not
    exist, for everything but the loopback address. (Failing them in the browser, rather
    than intercepting every request in Python, keeps page loads at browser speed.)"""
    blocked = []
    page.on("requestfailed", lambda r: None if is_local(r.url) else blocked.append(r.url))
    return blocked


def screenshot_if_failed(request, page):
    """A full-page screenshot of ``page`` in _build/screenshots/failed/ if the test failed
    (pytest-playwright's only-on-failure takes one after every test, then discards it)."""
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not page.is_closed():
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        (SHOTS / "failed").mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SHOTS / "failed" / f"{name}.png"), full_page=True, timeout=10_000)
        except Exception as e:               # the failure itself matters more than its picture
            print(f"no screenshot of the failed page: {e}")


def make_offline(page, timeout_ms: int = 30_000):
    """Set ``page`` up as every book test uses it: ``.external`` lists its requests outside
    127.0.0.1 (which fail), ``.console_errors`` its console errors and uncaught exceptions."""
    page.external, page.console_errors = block_external(page), []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(f"pageerror: {e}"))
    page.set_default_timeout(timeout_ms)
    return page
