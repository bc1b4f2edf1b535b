"""Helpers shared by the real-browser tests (paths, ports, the table of contents)."""
from __future__ import annotations

import os
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
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


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
    """Abort every request of ``page`` that leaves 127.0.0.1 (as if offline); return the
    list that collects the blocked URLs."""
    blocked = []

    def route(r):
        if is_local(r.request.url):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    return blocked
