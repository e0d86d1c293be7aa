"""Writing run outputs atomically: CSV, Excel, Parquet, JSON.

A run writes into a hidden staging folder beside its destination and only when every
file is complete swaps it into place, so a failed or interrupted run leaves nothing
half-written and never damages the results of an earlier run. A destination that
exists must be an earlier fiscalsim output folder (it holds a ``manifest.json``) or
empty: fiscalsim never replaces a folder it did not write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import InputError, Problem
from model.labels import TABLE_TITLES, column_label
from model.schema import Unit

MANIFEST = "manifest.json"


@contextlib.contextmanager
def atomic_directory(destination: Path) -> Iterator[Path]:
    """Stage a run's files and swap them into ``destination`` only on success.

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    InputError
        If ``destination`` exists and is not an earlier fiscalsim output folder.
    """
    destination = Path(destination)
    if destination.exists() and (
        not destination.is_dir()
        or (any(destination.iterdir()) and not (destination / MANIFEST).is_file())
    ):
        raise InputError(
            [
                Problem(
                    str(destination),
                    None,
                    "--out",
                    "exists and is not a "
                    "fiscalsim output folder (no manifest.json); choose another "
                    "folder",
                )
            ]
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    backup = destination.with_name(f".{destination.name}.previous-{os.getpid()}")
    if destination.exists():
        os.replace(destination, backup)
    try:
        os.replace(staging, destination)
    except BaseException:
        if backup.exists():
            os.replace(backup, destination)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """A table as UTF-8 CSV with a byte-order mark (so Excel shows the Chinese names).

    Floats are written with 10 significant digits, enough for yuan amounts up to
    10亿 to the yuan, and the same on every platform.
    """
    table.to_csv(path, encoding="utf-8-sig", float_format="%.10g", lineterminator="\n")


def write_json(data: Any, path: Path) -> None:
    """Pretty-printed JSON (UTF-8, Chinese kept as is)."""
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DrawsWriter:
    """Appends chunks of draw-level values to a Parquet file (one row group each).

    Parameters
    ----------
    path : Path
        The Parquet file to write.
    """

    def __init__(self, path: Path):
        self.path = path
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append a chunk (same columns every time)."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


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
            zh, en = TABLE_TITLES.get(name, (name, name))
            sheet_name = zh[:31]
            frame = table.reset_index() if _has_named_index(table) else table
            frame = frame.rename(columns={c: column_label(str(c), unit) for c in frame.columns})
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=1)
            sheet = writer.sheets[sheet_name]
            sheet.cell(row=1, column=1, value=f"{zh} / {en}").font = Font(bold=True, size=12)
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


__all__ = [
    "MANIFEST",
    "DrawsWriter",
    "atomic_directory",
    "sha256_of",
    "write_csv",
    "write_json",
    "write_workbook",
]
