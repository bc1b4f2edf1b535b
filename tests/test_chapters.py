"""Every chapter has the same frame, and stays readable in one sitting.

Each notebook of the numbered parts of ``_toc.yml`` opens with a title, a "What you will
learn" list and a prerequisites line that links only to earlier chapters (every chapter
after the first names at least one), and ends with "## Summary" and "## Exercises" holding
at least three exercises. Its markdown prose, without code blocks, stays under
``MAX_WORDS`` words. Every ``{doc}`` link in a notebook points at a chapter that exists.
"""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MAX_WORDS = 4000
MIN_EXERCISES = 3


def chapter_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]


CHAPTERS = chapter_files()


def markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def prose_words(cells: list[str]) -> int:
    """Words of markdown prose, fenced blocks (code, directives' bodies of code) left out."""
    text = re.sub(r"```.*?```", " ", "\n\n".join(cells), flags=re.S)
    return len(re.findall(r"\S+", text))


def prerequisites(cells: list[str]) -> str | None:
    """The paragraph of the chapter's opening cells that states its prerequisites."""
    for source in cells[:4]:
        for paragraph in source.split("\n\n"):
            if re.search(r"\bprerequisites?\b", paragraph, re.I):
                return paragraph
    return None


@pytest.mark.parametrize("number, file", list(enumerate(CHAPTERS, start=1)), ids=CHAPTERS)
def test_chapter_frame(number, file):
    cells = markdown(ROOT / f"{file}.ipynb")
    text = "\n\n".join(cells)
    assert cells[0].startswith("# "), f"{file}: the first cell is not the chapter title"
    assert "**What you will learn**" in "\n\n".join(cells[:3]), f"{file}: no 'What you will learn'"
    prereq = prerequisites(cells)
    assert prereq, f"{file}: no prerequisites line in the opening cells"
    linked = re.findall(r"\{doc\}`(?:[^`<]*<)?(?:\.\./)?(?:notebooks/)?(\d\d_[a-z_]+)>?`", prereq)
    if number > 1:
        assert linked, f"{file}: the prerequisites line names no earlier chapter with {{doc}}"
    for other in linked:
        assert f"notebooks/{other}" in CHAPTERS, f"{file}: prerequisite {other} is not a chapter"
        assert CHAPTERS.index(f"notebooks/{other}") < number - 1, f"{file}: prerequisite {other} comes later"
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert "Summary" in headings, f"{file}: no '## Summary'"
    assert headings[-1] == "Exercises", f"{file}: '## Exercises' is not the last section"
    exercises = re.findall(r"^(?:```|:::)\{exercise\}", text, re.M)
    assert len(exercises) >= MIN_EXERCISES, f"{file}: {len(exercises)} exercises"
    words = prose_words(cells)
    assert words <= MAX_WORDS, f"{file}: {words} words of prose, more than {MAX_WORDS}"


@pytest.mark.parametrize("file", CHAPTERS)
def test_doc_links_point_at_chapters(file):
    text = "\n\n".join(markdown(ROOT / f"{file}.ipynb"))
    for target in re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", text):
        resolved = (ROOT / file).parent / target
        assert any(resolved.with_suffix(s).exists() for s in (".ipynb", ".md")), f"{file}: {{doc}} {target}"


def test_the_word_count_ignores_code_blocks():
    assert prose_words(["one two\n```python\nx = 1 + 2\n```\nthree"]) == 3
