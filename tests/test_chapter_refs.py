"""A docstring that says a helper belongs to "Chapter N" must be right.

Each public function or class of ``utils`` whose docstring's first paragraph names a
chapter ("... (Chapter 4)") must be used by that chapter's notebook: the chapter exists
in ``_toc.yml`` and the helper's name appears in its code cells.
"""
import inspect
import re
from pathlib import Path

import nbformat
import pytest
import yaml

import importlib
import pkgutil

import utils

ROOT = Path(__file__).resolve().parents[1]


def chapters() -> dict[int, Path]:
    """Chapter number -> notebook, in _toc.yml's reading order of the numbered parts."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]
    return {n: ROOT / f"{f}.ipynb" for n, f in enumerate(files, start=1)}


def helpers():
    """(qualified name, object, chapter number) for every helper whose summary names a chapter."""
    found = {}
    for info in pkgutil.walk_packages(utils.__path__, "utils."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            doc = inspect.getdoc(obj) or ""
            first = doc.split("\n\n")[0]
            m = re.search(r"\(Chapters? (\d+)", first)
            if m and (inspect.isfunction(obj) or inspect.isclass(obj)):
                found[name] = (obj, int(m.group(1)))
    return sorted((name, obj, n) for name, (obj, n) in found.items())


HELPERS = helpers()


def test_helpers_name_their_chapter():
    assert len(HELPERS) >= 15, [h[0] for h in HELPERS]


@pytest.mark.parametrize("name,obj,chapter", HELPERS, ids=[h[0] for h in HELPERS])
def test_the_chapter_exists_and_uses_the_helper(name, obj, chapter):
    books = chapters()
    assert chapter in books, f"{name}: its docstring names Chapter {chapter}, the book has {len(books)}"
    nb = nbformat.read(books[chapter], 4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert re.search(rf"\b{name}\b", code), f"{name}: Chapter {chapter} ({books[chapter].name}) does not use it"
