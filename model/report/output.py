"""Writing outputs atomically: output folders, CSV, JSON, Parquet and file hashes.

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

from model.core.errors import InputError, Problem

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
        self._writer: Any = None  # a pyarrow.parquet.ParquetWriter once the first chunk came

    def write(self, frame: pd.DataFrame) -> None:
        """Append a chunk (same columns every time)."""
        import pyarrow as pa  # only a run that writes draws needs pyarrow
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


__all__ = [
    "MANIFEST",
    "DrawsWriter",
    "atomic_directory",
    "sha256_of",
    "write_csv",
    "write_json",
]
