"""The prose never types a number that a cell measures: such numbers are glued.

Every markdown cell of every notebook and every page in ``book/`` is scanned for
*measured-looking* numbers: a number followed by a time unit (ns, µs, ms, s, min), a
percentage, a ratio (``1.5×``, ``2x faster``), a throughput (GFLOP/s, GB/s) or the words
"times faster/slower". Such a number must come from a cell through myst-nb's
``{glue:text}`` role, or sit in a passage marked as quoted from a cited source with the
inline attribute ``[... 11 ms ...]{.quoted}``.

Definitional numbers are allowed by rule, not by a list of strings:

* a dimension or a product of sizes (``3×3``, ``28×28``, ``2×2 pooling``): ``×`` followed
  by a number is a size, not a ratio;
* anything inside inline code, math (``$...$``, ``$$...$$``, ``{math}``) or a code block;
* a bound stated as a rule, preceded by a comparison (``≥ 98.5%``, ``at most 1.25×``,
  ``within 2×``): the threshold the cell asserts, not what it measured.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

UNIT = (r"(?:ns|µs|us|ms|s|sec|seconds|min|minutes)\b|%|GFLOP/s|GB/s|TFLOP/s"
        r"|×(?!\s*\d)|x\b(?!\s*\d)|\s+times\s+(?:faster|slower|as\s+(?:fast|slow|long))")
NUMBER = re.compile(r"(?<![\w.,/])(\d+(?:[.,]\d+)*)\s*(" + UNIT + ")")
# a comparison right before the number makes it a stated bound
BOUND = re.compile(r"(≥|≤|>=|<=|>|<|at least|at most|within|no more than|up to|more than|above)\s*$", re.I)

MASKS = [
    re.compile(r"```.*?```", re.S),                      # fenced blocks (code, directives' bodies)
    re.compile(r"\$\$.*?\$\$", re.S),                    # display math
    re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"),           # inline math
    re.compile(r"`[^`\n]*`"),                            # inline code and roles' targets
    re.compile(r"\[[^\]]*\]\{\.quoted\}"),               # quoted from a cited source
    re.compile(r"<[^>\n]+>"),                            # HTML tags and attributes
    re.compile(r"\]\([^)]*\)"),                          # link targets
]

# fenced directives whose body is prose must still be checked: only code fences are masked
PROSE_FENCES = re.compile(r"^(`{3,}|:{3,})\{(?:exercise|solution-start|note|tip|warning|"
                          r"admonition|important|caution|seealso|margin|dropdown|figure)\}",
                          re.M)


def _strip(text: str) -> str:
    # drop the opening line of prose directives so their bodies are not masked as code
    text = PROSE_FENCES.sub("", text)
    for mask in MASKS:
        text = mask.sub(lambda m: " " * len(m.group()), text)
    return text


def typed_numbers(text: str) -> list[str]:
    """Measured-looking numbers typed into ``text`` (markdown), with a little context."""
    clean = _strip(text)
    found = []
    for m in NUMBER.finditer(clean):
        before = clean[max(0, m.start() - 20):m.start()]
        if BOUND.search(before):
            continue
        found.append(text[max(0, m.start() - 30):m.end() + 10].replace("\n", " "))
    return found


def _markdown_sources():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {i}", "".join(cell["source"])
    for path in sorted((ROOT / "book").glob("*.md")):
        yield path.name, path.read_text()


SOURCES = list(_markdown_sources())


@pytest.mark.parametrize("where, text", SOURCES, ids=[w for w, _ in SOURCES])
def test_no_typed_measured_numbers(where, text):
    typed = typed_numbers(text)
    assert not typed, (f"{where}: measured-looking numbers typed into prose (glue them with "
                       f"{{glue:text}} from the cell that computes them, or mark a cited figure "
                       f"as [..]{{.quoted}}): {typed}")


@pytest.mark.parametrize("text, expected", [
    ("the loops take 9.7 ms on this machine", ["9.7 ms"]),
    ("a 1.5× speed-up", ["1.5×"]),
    ("it is 3 times faster", ["3 times faster"]),
    ("reaches 98.9% accuracy", ["98.9%"]),
    ("runs at 198 GFLOP/s", ["198 GFLOP/s"]),
    ("a 3×3 kernel on a 28×28 digit, 4,000 training digits", []),
    ("accuracy is asserted ≥ 98.5%, within 1.25× of nn.Conv2d", []),
    ("the loops take {glue:text}`t_loops` here", []),
    ("fast.ai measured [11 ms for the loops]{.quoted} {cite}`howard2020`", []),
    ("the code `x = 5 % 3` and $10 \\times$ math", []),
])
def test_detector(text, expected):
    found = typed_numbers(text)
    assert len(found) == len(expected)
    for f, e in zip(found, expected):
        assert e in f
