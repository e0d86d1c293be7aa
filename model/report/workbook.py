"""The Excel workbook of a run: every table as a sheet with bilingual headers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.core.units import Unit
from model.report.labels import TITLES, column_label
from model.report.output import neutralise_table, neutralise_text


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, unit: Unit) -> None:
    """All tables in one Excel workbook: a sheet per table, bilingual headers,
    thousands separators, frozen header row and first column.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables already converted to ``unit`` (their money columns end in ``_<unit>``).
    path : Path
        The ``.xlsx`` file to write.
    unit : Unit
        The presentation unit, for the headers.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in tables.items():
            zh, en = TITLES.get(name, (name, name))
            sheet_name = zh[:31]
            frame = table.reset_index() if _has_named_index(table) else table
            frame = frame.rename(columns={c: column_label(str(c), unit) for c in frame.columns})
            frame = neutralise_table(frame)  # text cells are text, never formulas
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=1)
            sheet = writer.sheets[sheet_name]
            title = sheet.cell(row=1, column=1, value=neutralise_text(f"{zh} / {en}"))
            title.font = Font(bold=True, size=12)
            for column_index, column in enumerate(frame.columns, start=1):
                cell = sheet.cell(row=2, column=column_index)
                cell.font, cell.fill = header_font, header_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                letter = get_column_letter(column_index)
                sheet.column_dimensions[letter].width = min(40, max(10, len(str(column)) // 2 + 4))
                if pd.api.types.is_float_dtype(frame[column]):
                    number_format = (
                        "0.000" if "z-score" in str(column) or "P(" in str(column) else "#,##0.0"
                    )
                    for row in range(3, len(frame) + 3):
                        sheet.cell(row=row, column=column_index).number_format = number_format
            sheet.freeze_panes = "B3"


def _has_named_index(table: pd.DataFrame) -> bool:
    return any(name is not None for name in table.index.names)


__all__ = ["write_workbook"]
