"""The workbook (model/report/workbook.py, model/report/kinds.py), read back with openpyxl:
each column's number format fits its kind, headers are bilingual on every sheet, no
money column rounds to zeros at any unit, years are integers, and every sheet prints on
A4 landscape fitted to the page width with its headers repeated."""

from __future__ import annotations

import re

import openpyxl
import pytest

from model import run_batch
from model.core.units import Unit
from model.report.workbook import FIRST_DATA_ROW, HEADER_EN_ROW, HEADER_ZH_ROW

DRAWS = 400
SEED = 5
CJK = re.compile(r"[\u4e00-\u9fff]")
#: What a column's English header says → the number format it must have (money aside).
EXPECTED = {
    "P(total > budget)": "0.0%",
    "tolerance rate": "0.0%",
    "P(breach at liquidation)": "0.0%",
    "P(breach in any year)": "0.0%",
    "its standard error": "0.00%",
    "loss ratio at liquidation, median": "0.0%",
    "share of draws": "0.0%",
    "year": "0",
    "first year of breach": "0",
    "article": "#,##0",
    "line items": "#,##0",
    "draws": "#,##0",
    "recipients 2026": "#,##0.0",
    "z-score": "+0.00;-0.00;0.00",
}


@pytest.fixture(scope="module", params=list(Unit), ids=lambda u: u.value)
def book(request, baseline, tmp_path_factory):
    unit = request.param
    out = tmp_path_factory.mktemp(f"workbook_{unit.value}")
    run_batch(
        baseline,
        draws=DRAWS,
        seed=SEED,
        out_dir=out,
        unit=unit,
        budget_yuan=9e8,
        progress=False,
        write_draws=False,
    )
    return unit, openpyxl.load_workbook(out / "budget.xlsx")


def _columns(sheet):
    """(Chinese header, English header, data cells) of every column."""
    for column in sheet.iter_cols(min_row=HEADER_ZH_ROW, max_row=sheet.max_row):
        yield column[0].value, column[1].value, column[FIRST_DATA_ROW - HEADER_ZH_ROW :]


def test_every_sheet_is_named_in_chinese_with_bilingual_headers_and_a_units_line(book):
    unit, workbook = book
    assert len(workbook.sheetnames) >= 15
    for sheet in workbook.worksheets:
        assert CJK.search(sheet.title), sheet.title
        assert " / " in sheet["A1"].value and CJK.search(sheet["A1"].value)
        units_line = sheet["A2"].value
        assert "金额单位" in units_line or "不含金额" in units_line, sheet.title
        for zh, en, _ in _columns(sheet):
            assert zh and en and zh != en, (sheet.title, zh, en)
            assert "_" not in zh and "_" not in en, (sheet.title, zh, en)  # names, not ids
        money = [zh for zh, _, _ in _columns(sheet) if f"（{unit.label_zh}）" in zh]
        assert bool(money) == (f"金额单位：{unit.label_zh}" in units_line), sheet.title


def test_each_column_is_formatted_by_its_kind(book):
    unit, workbook = book
    seen = set()
    for sheet in workbook.worksheets:
        for _, en, cells in _columns(sheet):
            formats = {cell.number_format for cell in cells if cell.value is not None}
            if en.endswith(f"({unit.value})"):  # money, in the chosen unit
                (fmt,) = formats
                decimals = len(fmt.partition(".")[2])
                low, high = {Unit.YUAN: (0, 0), Unit.WAN: (1, 2), Unit.YI: (2, 4)}[unit]
                assert fmt.startswith("#,##0") and low <= decimals <= high, (sheet.title, en, fmt)
            elif en in EXPECTED:
                seen.add(en)
                assert formats <= {EXPECTED[en]}, (sheet.title, en, formats)
            elif en.startswith("P(") or "share" in en:
                assert formats <= {"0.0%", "0.00%"}, (sheet.title, en, formats)
    assert seen == set(EXPECTED)  # every expectation was met somewhere


def test_no_money_column_shows_only_zeros(book):
    unit, workbook = book
    for sheet in workbook.worksheets:
        for _, en, cells in _columns(sheet):
            if not en.endswith(f"({unit.value})"):
                continue
            numbers = [c for c in cells if isinstance(c.value, int | float) and c.value != 0]
            if not numbers:
                continue  # nothing but exact zeros: shown as such
            decimals = len(numbers[0].number_format.partition(".")[2])
            assert any(round(abs(c.value), decimals) > 0 for c in numbers), (sheet.title, en)


def test_years_are_integers_and_probabilities_fractions(book):
    _, workbook = book
    summary = workbook["年度汇总"]
    years = [row[0] for row in summary.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)]
    assert years[:6] == [2025, 2026, 2027, 2028, 2029, 2030] and years[6] == "2025–2030"
    headers = [c.value for c in summary[HEADER_EN_ROW]]
    p_exceed = headers.index("P(total > budget)") + 1
    column = summary.iter_cols(min_col=p_exceed, max_col=p_exceed, min_row=FIRST_DATA_ROW)
    shares = [cell.value for cell in next(column) if cell.value is not None]
    assert all(0 <= v <= 1 for v in shares) and max(shares) > 0.01  # 0–1, shown as 0.0%


def test_every_sheet_prints_on_a4_landscape_fitted_to_width_with_frozen_headers(book):
    _, workbook = book
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, sheet.title
        assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == f"${HEADER_ZH_ROW}:${HEADER_EN_ROW}"
        assert sheet.freeze_panes.endswith(str(FIRST_DATA_ROW))
        widths = [d.width for d in sheet.column_dimensions.values() if d.width]
        assert widths and max(widths) <= 42 and min(widths) >= 7


def test_the_run_information_is_key_value_rows(book):
    unit, workbook = book
    sheet = workbook["运行信息"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)}
    assert rows["seed"][1:] == ("随机种子", "root seed", str(SEED))
    assert rows["draws"][3] == str(DRAWS) and rows["unit"][3] == unit.value


def test_totals_stand_out(book):
    _, workbook = book
    summary = workbook["年度汇总"]
    rows = list(summary.iter_rows(min_row=FIRST_DATA_ROW))
    assert [row[0].value for row in rows if row[0].font.b] == ["2025–2030"]
    assert not rows[0][1].font.b
