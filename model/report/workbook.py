"""The Excel workbook of a run, as a finance office files it.

Every table becomes a sheet named in Chinese (its title in :data:`~model.report.labels.TITLES`),
laid out the same way:

1. the title, Chinese / English;
2. the units line (金额单位：万元 · money in 10,000 yuan (wan));
3. the column headers in Chinese, and 4. beneath them in English;
5. the rows: the table's index columns (ids, years) first, frozen with the headers.

Each column is formatted by its kind (:mod:`model.report.kinds`: money in the chosen unit
with enough decimals that no amount shows as 0, percentages as ``0.0%``, counts and years
as integers), through one named style per kind, from the columns' names alone: adding a
sheet needs its title in ``TITLES`` and, for a new kind of column, a row in
:data:`~model.report.kinds.KIND_RULES`. Widths are fitted to the content; every sheet
prints on A4 landscape, fitted to the page width, with the header rows repeated. Text
from scenario files is neutralised (:func:`model.report.output.neutralise_table`), so no
cell is ever a formula.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.core.units import Unit
from model.report.html import OPTIONAL_COLUMNS
from model.report.kinds import Kind, column_kind, money_decimals, money_format, stem
from model.report.labels import TITLES, column_names
from model.report.output import neutralise_table, neutralise_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

#: Rows of a sheet: title, units line, Chinese headers, English headers; data from row 5.
TITLE_ROW, UNITS_ROW, HEADER_ZH_ROW, HEADER_EN_ROW, FIRST_DATA_ROW = 1, 2, 3, 4, 5
#: Column widths (characters; a Chinese character counts two).
MIN_WIDTH, MAX_WIDTH, TEXT_WIDTH = 7, 30, 42
#: Width beyond which a header wraps instead of widening its column.
HEADER_WIDTH = 14
_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path, unit: Unit) -> None:
    """All tables in one Excel workbook, a sheet each (see the module's description).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tables already converted to ``unit`` (their money columns end in ``_<unit>``), by
        key of :data:`~model.report.labels.TITLES`; a named index becomes the leading,
        frozen columns.
    path : Path
        The ``.xlsx`` file to write.
    unit : Unit
        The presentation unit of money.
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    styles = _Styles(book)
    used: set[str] = set()
    for key, table in tables.items():
        _write_sheet(book, styles, key, table, unit, _sheet_name(key, used))
    book.save(path)


def _sheet_name(key: str, used: set[str]) -> str:
    """The sheet's Chinese title, made valid (31 characters, no ``[]:*?/\\``) and unique."""
    base = _BAD_SHEET_CHARACTERS.sub("·", TITLES.get(key, (key, key))[0])[:31]
    name, number = base, 2
    while name in used:
        name, number = f"{base[:28]}({number})", number + 1
    used.add(name)
    return name


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def sheet_frame(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A table as the sheet shows it: index levels as leading columns (their number is
    returned), year columns as integers where they hold years."""
    named = any(name is not None for name in table.index.names)
    frame = table.reset_index() if named else table.copy()
    frame.columns = [str(c) for c in frame.columns]
    for column in frame.columns:
        if column_kind(column, Unit.YUAN, numeric=False) is Kind.YEAR:
            frame[column] = frame[column].map(_year_or_text).astype(object)
    return frame, table.index.nlevels if named else 0


def _empty_optional(column: str, values: pd.Series, unit: Unit) -> bool:
    """Whether a column is left out: empty throughout, or an optional column (as in the
    HTML report) that is zero throughout."""
    if values.isna().all():
        return True
    optional = stem(column, unit)[0] in OPTIONAL_COLUMNS
    return (
        optional and pd.api.types.is_numeric_dtype(values) and bool((values.fillna(0) == 0).all())
    )


def total_rows(frame: pd.DataFrame, id_columns: int) -> list[int]:
    """Positions of the rows that total others: an id ``total``/``all`` or a span of years
    (``2025–2030``), or a ``level`` column (issue 14's plan) saying ``total``."""
    rows = []
    for position in range(len(frame)):
        ids = [str(value) for value in frame.iloc[position, :id_columns]]
        level = str(frame["level"].iloc[position]) if "level" in frame else ""
        if level == "total" or any(i in ("total", "all") or "–" in i for i in ids):
            rows.append(position)
    return rows


def _year_or_text(value: Any) -> Any:
    text = str(value)
    return int(text) if text.isdigit() and len(text) == 4 else value


class _Styles:
    """The workbook's named styles, one per kind of column (and money per decimals)."""

    def __init__(self, book: Workbook):
        from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill

        self.book = book
        self.names: set[str] = set()
        fill = PatternFill("solid", fgColor="DDEBF7")
        top = Alignment(wrap_text=True, vertical="top")
        self._add(NamedStyle("fs_title", font=Font(bold=True, size=13)))
        self._add(NamedStyle("fs_units", font=Font(italic=True, size=9, color="555555")))
        self._add(NamedStyle("fs_head_zh", font=Font(bold=True), fill=fill, alignment=top))
        head_en = Font(size=8, italic=True, color="444444")
        self._add(NamedStyle("fs_head_en", font=head_en, fill=fill, alignment=top))
        self._alignment = Alignment

    def _add(self, style: Any) -> None:
        self.book.add_named_style(style)
        self.names.add(style.name)

    def for_column(self, kind: Kind, decimals: int) -> str:
        """The named style of a column of ``kind`` (money: with ``decimals``)."""
        from openpyxl.styles import NamedStyle

        name = f"fs_{kind.value}" + (f"_{decimals}" if kind is Kind.MONEY else "")
        if name not in self.names:
            style = NamedStyle(name)
            style.number_format = (
                money_format(decimals) if kind is Kind.MONEY else kind.number_format
            )
            wrap = kind is Kind.LONG_TEXT
            style.alignment = self._alignment(wrap_text=wrap, vertical="top")
            self._add(style)
        return name


def _headers(column: str, kind: Kind, unit: Unit) -> tuple[str, str]:
    zh, en = column_names(column, unit)
    if kind is Kind.MONEY:
        return f"{zh}（{unit.label_zh}）", f"{en} ({unit.value})"
    return zh, en


def _shown(value: Any, kind: Kind, decimals: int) -> str:
    """Roughly the text a cell shows, for fitting its column's width."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind is Kind.MONEY:
            return f"{value:,.{decimals}f}"
        if kind in (Kind.PERCENT, Kind.SMALL_PERCENT):
            return f"{value:.2%}"
        if kind is Kind.YEAR:
            return f"{value:.0f}"
        return f"{value:,.2f}"
    return str(value)


def _write_sheet(
    book: Workbook, styles: _Styles, key: str, table: pd.DataFrame, unit: Unit, name: str
) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    frame, id_columns = sheet_frame(table)
    frame = frame.drop(columns=[c for c in frame if _empty_optional(str(c), frame[c], unit)])
    header_lines = [1, 1]
    kinds = [column_kind(c, unit, numeric=pd.api.types.is_numeric_dtype(frame[c])) for c in frame]
    frame = neutralise_table(frame)  # text cells are text, never formulas
    sheet = book.create_sheet(name)
    zh, en = TITLES.get(key, (key, key))
    sheet.cell(TITLE_ROW, 1, neutralise_text(f"{zh} / {en}")).style = "fs_title"
    money = Kind.MONEY in kinds
    units = (
        f"金额单位：{unit.label_zh}　·　Money in {unit.label_en}"
        if money
        else "本表不含金额　·　No amounts of money in this sheet"
    )
    sheet.cell(UNITS_ROW, 1, units + "；百分比以 % 表示 · shares as %").style = "fs_units"
    rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    last_row = FIRST_DATA_ROW + len(rows) - 1
    row_lines = [1] * len(rows)
    for index, (column, kind) in enumerate(zip(frame.columns, kinds, strict=True), start=1):
        values = [row[index - 1] for row in rows]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        decimals = money_decimals(numbers, unit) if kind is Kind.MONEY else 0
        header_zh, header_en = _headers(column, kind, unit)
        sheet.cell(HEADER_ZH_ROW, index, neutralise_text(header_zh)).style = "fs_head_zh"
        sheet.cell(HEADER_EN_ROW, index, neutralise_text(header_en)).style = "fs_head_en"
        style = styles.for_column(kind, decimals)
        for row_number, value in enumerate(values, start=FIRST_DATA_ROW):
            sheet.cell(row_number, index, value).style = style
        # fitted to the figures; a long header wraps rather than widening its column
        widest = max(
            [_display_width(_shown(v, kind, decimals)) for v in values]
            + [min(HEADER_WIDTH, _display_width(header_zh))]
        )
        limit = TEXT_WIDTH if kind is Kind.LONG_TEXT else MAX_WIDTH
        width = min(limit, max(MIN_WIDTH, widest + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
        header_lines[0] = max(header_lines[0], math.ceil(_display_width(header_zh) / (width - 1)))
        header_lines[1] = max(
            header_lines[1], math.ceil(_display_width(header_en) * 0.7 / (width - 1))
        )
        if kind is Kind.LONG_TEXT:  # rows grow to hold wrapped text (no viewer measures)
            for offset, value in enumerate(values):
                lines = math.ceil(_display_width(_shown(value, kind, 0)) / (width - 1))
                row_lines[offset] = max(row_lines[offset], lines)
    for offset, lines in enumerate(row_lines):
        if lines > 1:
            sheet.row_dimensions[FIRST_DATA_ROW + offset].height = 14.5 * lines
    for offset in total_rows(frame, id_columns):  # totals and subtotals stand out
        for cell in sheet[FIRST_DATA_ROW + offset]:
            cell.font = Font(bold=True)
    sheet.row_dimensions[HEADER_ZH_ROW].height = 15 * header_lines[0]
    sheet.row_dimensions[HEADER_EN_ROW].height = 11 * header_lines[1]
    last_column = get_column_letter(max(1, len(frame.columns)))
    sheet.freeze_panes = f"{get_column_letter(id_columns + 1)}{FIRST_DATA_ROW}"
    if rows:
        sheet.auto_filter.ref = f"A{HEADER_EN_ROW}:{last_column}{last_row}"
    _print_setup(sheet, f"A1:{last_column}{max(last_row, HEADER_EN_ROW)}")


def _print_setup(sheet: Worksheet, area: str) -> None:
    """A4 landscape, fitted to the page width, the header rows repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ZH_ROW}:{HEADER_EN_ROW}"
    sheet.print_area = area
    sheet.print_options.gridLines = False
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top = margins.bottom = 0.75
    margins.header = margins.footer = 0.3
    sheet.oddFooter.center.text = "&A · 第 &P / &N 页"
    sheet.oddHeader.right.text = "fiscalsim"


__all__ = ["FIRST_DATA_ROW", "HEADER_EN_ROW", "HEADER_ZH_ROW", "sheet_frame", "write_workbook"]
