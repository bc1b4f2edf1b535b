"""scripts/readme_tables.py: the README's measured blocks come from results.json, and are current."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import readme_tables  # noqa: E402


def test_a_block_is_replaced_whole_and_the_rest_kept():
    text = "intro\n<!-- times:start -->\nold 12 s\n<!-- times:end -->\noutro\n"
    assert readme_tables.replace_block(text, "times", "new") == \
        "intro\n<!-- times:start -->\nnew\n<!-- times:end -->\noutro\n"
    with pytest.raises(SystemExit, match="bench"):
        readme_tables.replace_block(text, "bench", "x")


def test_the_committed_readme_matches_the_committed_results():
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert readme_tables.render(results, readme) == readme, "run `make readme`"
