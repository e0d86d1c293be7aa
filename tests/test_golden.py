"""Golden outputs: every shipped scenario, rerun at the pinned seed, writes its CSV tables
byte for byte as committed under ``tests/golden/`` (regenerate with
``python tests/golden/regenerate.py`` in the commit that changes draws, and say why)."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)


@pytest.mark.parametrize("name", sorted(regenerate.scenarios()))
def test_tables_match_the_golden_files_byte_for_byte(name, tmp_path):
    expected = sorted(path.name for path in (GOLDEN / name).glob("*.csv"))
    written = regenerate.run(regenerate.scenarios()[name], tmp_path / "out")
    assert [path.name for path in written] == expected, "a table was added or dropped"
    for path in written:
        want = (GOLDEN / name / path.name).read_text(encoding="utf-8-sig")
        got = path.read_text(encoding="utf-8-sig")
        if got != want:
            diff = "\n".join(
                list(
                    difflib.unified_diff(
                        want.splitlines(), got.splitlines(), "golden", "now", lineterm=""
                    )
                )[:20]
            )
            pytest.fail(f"{name}/{path.name} differs from the golden file:\n{diff}")
