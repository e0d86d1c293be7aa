"""Writing a command's outputs: its tables as CSV (and a workbook), its charts as PNG and
its manifest, atomically into one folder.

Every command writes through :func:`write_outputs` (or, for a batch run that streams
its draws, through the same pieces inside its own staging folder), so that every output
folder has the same shape: tables in the chosen unit, charts, and a ``manifest.json``
with the SHA-256 of every file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.analysis.timeline_tables import summarize_timeline
from model.core.units import Unit
from model.report.labels import MANIFEST_KEYS
from model.report.manifest import write_manifest
from model.report.output import atomic_directory, write_csv
from model.report.plots import cashflow_chart, save_figure
from model.report.units import to_unit
from model.report.workbook import write_workbook

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from model.sim.timeline import TimelineResult

#: File names of the timeline's tables.
TIMELINE_FILES = {
    "monthly_cashflow": "monthly_cashflow.csv",
    "rationing": "rationing.csv",
    "peak": "peak_month.csv",
}


def manifest_sheet(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """A manifest as a workbook sheet: one row per entry, its key, its (Chinese,
    English) name and its value as text."""
    rows = [
        {
            "entry": key,
            **dict(zip(("name_zh", "name_en"), MANIFEST_KEYS.get(key, (key, key)), strict=True)),
            "value": _text(value),
        }
        for key, value in manifest.items()
    ]
    return pd.DataFrame(rows, columns=["entry", "name_zh", "name_en", "value"]).set_index("entry")


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return (
            "、".join(map(str, value))
            if len(value) != 2 or not all(isinstance(v, int) for v in value)
            else f"{value[0]}–{value[1]}"
        )
    return str(value)


def write_tables(
    folder: Path,
    tables: Mapping[str, pd.DataFrame],
    unit: Unit,
    *,
    file_names: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Write tables (money in ``*_yuan`` columns) as CSV in ``unit``; returns them
    converted. ``file_names`` maps a table to its file (default ``<name>.csv``)."""
    converted = {name: to_unit(table, unit) for name, table in tables.items()}
    for name, table in converted.items():
        write_csv(table, folder / (file_names or {}).get(name, f"{name}.csv"))
    return converted


def write_figures(folder: Path, figures: Mapping[str, Figure]) -> None:
    """Write charts as PNG, by file name (``.png`` is added when missing)."""
    for name, figure in figures.items():
        save_figure(figure, folder / (name if name.endswith(".png") else f"{name}.png"))


def write_outputs(
    out_dir: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame],
    unit: Unit,
    manifest: dict[str, Any],
    figures: Mapping[str, Figure] | None = None,
    workbook: str | None = None,
) -> dict[str, Any]:
    """Write a command's tables, charts, optional workbook and manifest into ``out_dir``,
    atomically (see :func:`model.report.output.atomic_directory`).

    Returns
    -------
    dict
        The manifest as written, with ``files_sha256``.
    """
    with atomic_directory(Path(out_dir)) as staging:
        converted = write_tables(staging, tables, unit)
        write_figures(staging, figures or {})
        if workbook is not None:
            sheets = {**converted, "manifest": manifest_sheet(manifest)}
            write_workbook(sheets, staging / workbook, unit)
        return write_manifest(staging, manifest)


def write_timeline(
    result: TimelineResult, folder: Path, unit: Unit, manifest: dict[str, Any]
) -> dict[str, Any]:
    """Write the timeline's tables, its cash-flow chart and a manifest into ``folder``
    (created if needed; wrap the call in an atomic folder to replace earlier output)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(folder, summarize_timeline(result), unit, file_names=TIMELINE_FILES)
    write_figures(folder, {"monthly_cashflow": cashflow_chart(result, unit)})
    return write_manifest(
        folder,
        {**manifest, "timing": result.settings.model_dump(mode="json"), "years": result.years},
    )


__all__ = [
    "TIMELINE_FILES",
    "manifest_sheet",
    "write_figures",
    "write_outputs",
    "write_tables",
    "write_timeline",
]
