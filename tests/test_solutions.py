"""Exercise solutions stay hidden until the reader asks, in both forms of the book.

In the rendered book a solution is a gated ``{solution-start}``/``{solution-end}`` drop-down
(tests/browser/test_book.py checks that every solution's cells render inside a closed
drop-down). In the ``.ipynb`` a JupyterLab reader sees no directives, so every cell of a
solution carries ``jupyter: {source_hidden: true}`` (code cells also ``outputs_hidden``):
JupyterLab shows it collapsed until it is clicked.
"""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
DIRECTIVE = re.compile(r"^```\{solution-(start|end)\}[^\n]*\n(:[^\n]*\n)*```\s*", re.M)


def solutions(nb):
    """[(label, [cells of its solution])] in order; the directive-only cells are left out."""
    found, current = [], None
    for cell in nb.cells:
        start = re.search(r"\{solution-start\}\s+(\S+)", cell.source)
        if start:
            current = (start.group(1), [])
            found.append(current)
        if current is not None:
            prose = DIRECTIVE.sub("", cell.source).strip() if cell.cell_type == "markdown" else cell.source
            if prose:
                current[1].append(cell)
        if "{solution-end}" in cell.source:
            current = None
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_a_hidden_solution(path):
    nb = nbformat.read(path, 4)
    exercises = [m.group(1) for c in nb.cells if c.cell_type == "markdown"
                 for m in re.finditer(r"```\{exercise\}\s*\n:label: (\S+)", c.source)]
    sols = solutions(nb)
    assert len(exercises) >= 3, f"{path.name}: fewer than three exercises"
    assert [label for label, _ in sols] == exercises, f"{path.name}: exercises and solutions differ"
    for label, cells in sols:
        assert cells, f"{path.name}: solution {label} is empty"
        for cell in cells:
            hidden = cell.metadata.get("jupyter", {})
            assert hidden.get("source_hidden") is True, f"{path.name}: a cell of {label} shows its source"
            if cell.cell_type == "code":
                assert hidden.get("outputs_hidden") is True, f"{path.name}: a cell of {label} shows its output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nothing_outside_a_solution_is_hidden(path):
    nb = nbformat.read(path, 4)
    in_solutions = {id(c) for _, cells in solutions(nb) for c in cells}
    for i, cell in enumerate(nb.cells):
        if id(cell) not in in_solutions:
            assert not cell.metadata.get("jupyter", {}).get("source_hidden"), \
                f"{path.name} cell {i} is hidden but is not part of a solution"


def test_the_detector_finds_an_unhidden_solution():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-a\nDo it.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n:class: dropdown\n```\nThe answer."),
        nbformat.v4.new_code_cell("print(1)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```")])
    (label, cells), = solutions(nb)
    assert label == "ex-a" and [c.cell_type for c in cells] == ["markdown", "code"]
    assert not any(c.metadata.get("jupyter", {}).get("source_hidden") for c in cells)
