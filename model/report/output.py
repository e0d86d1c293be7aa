"""Writing output files: CSV (formula-safe), JSON and Parquet, into the atomic output
folders of :mod:`model.report.folders` (re-exported here: ``atomic_directory``,
``sha256_of``, ``MANIFEST``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from model.report.folders import MANIFEST, atomic_directory, naming, sha256_of

#: First characters that make a spreadsheet read a text cell as a formula (OWASP "CSV
#: Injection", CWE-1236): ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` in a scenario's
#: title must reach an analyst's Excel as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: Any) -> Any:
    """A text that no spreadsheet reads as a formula; any other value unchanged.

    Text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote, as OWASP recommends; numbers (a negative amount) are not text
    and stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells, column names and index labels are passed
    through :func:`neutralise_text`: what the CSV and workbook writers write."""
    frame = table.copy(deep=False)
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            frame.isetitem(position, values.cat.rename_categories(_neutral_labels(categories)))
        elif (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)) and values.map(
            _is_hostile
        ).any():
            frame.isetitem(position, values.map(neutralise_text))
    frame.columns = _neutral_labels(frame.columns)
    frame.index = _neutral_labels(frame.index)
    return frame


def _is_text(dtype: Any) -> bool:
    """Whether a column or index of this dtype may hold text (object or string)."""
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _is_hostile(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _neutral_labels(index: pd.Index) -> pd.Index:
    """An index with its text labels neutralised (each level of a MultiIndex)."""
    if isinstance(index, pd.MultiIndex):
        levels = [_neutral_labels(level) for level in index.levels]
        return index.set_levels(levels)
    if _is_text(index.dtype) and any(_is_hostile(label) for label in index):
        return index.map(neutralise_text)
    return index


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """A table as UTF-8 CSV with a byte-order mark (so Excel shows the Chinese names).

    Floats are written with 10 significant digits, enough for yuan amounts up to
    10亿 to the yuan, and the same on every platform. Text that a spreadsheet would read
    as a formula is neutralised (:func:`neutralise_text`).
    """
    with naming(path):
        neutralise_table(table).to_csv(
            path, encoding="utf-8-sig", float_format="%.10g", lineterminator="\n"
        )


def write_json(data: Any, path: Path) -> None:
    """Pretty-printed JSON (UTF-8, Chinese kept as is)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    with naming(path):
        path.write_text(text, encoding="utf-8")


class DrawsWriter:
    """Appends chunks of draw-level values to a Parquet file (one row group each).

    Parameters
    ----------
    path : Path
        The Parquet file to write.
    """

    def __init__(self, path: Path):
        self.path = path
        self._writer: Any = None  # a pyarrow.parquet.ParquetWriter once the first chunk came

    def write(self, frame: pd.DataFrame) -> None:
        """Append a chunk (same columns every time)."""
        import pyarrow as pa  # only a run that writes draws needs pyarrow
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        with naming(self.path):
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            with naming(self.path):
                self._writer.close()


__all__ = [
    "FORMULA_TRIGGERS",
    "MANIFEST",
    "DrawsWriter",
    "atomic_directory",
    "neutralise_table",
    "neutralise_text",
    "sha256_of",
    "write_csv",
    "write_json",
]
