"""A batch run: simulate a scenario in chunks and write its budget tables and charts."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.analytic import expected_demand
from model.engine import EXACT_SUM_MAX_COUNT, payment_years, simulate_chunks
from model.extras import extra_figures
from model.output import (
    MANIFEST,
    DrawsWriter,
    atomic_directory,
    sha256_of,
    write_csv,
    write_json,
    write_workbook,
)
from model.plots import fan_chart, save_figure
from model.results import Results
from model.scenario import Scenario, assumption_rows, check_draws
from model.schema import Unit
from model.streams import BLOCK_DRAWS, check_seed
from model.tables import RunAccumulator, Summary, in_unit, yuan_to_unit

#: Tables written as CSV (and as sheets of the workbook), in this order.
CSV_TABLES = (
    "summary_by_year",
    "budget_by_item",
    "budget_by_article",
    "budget_by_chapter",
    "budget_by_unit",
    "commitments",
    "recipients_by_item",
    "analytic_check",
)


def package_version() -> str:
    """The installed fiscalsim version (``0+unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("fiscalsim")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class RunOutput:
    """What :func:`run_batch` produced."""

    summary: Summary
    out_dir: Path
    files: dict[str, str]
    manifest: dict


def draw_columns(scenario: Scenario) -> list[tuple[int, int, str]]:
    """The (item position, year position, column name) of every item-year that can be
    non-zero, as ``"<item id>/<year>"``: the Parquet file's per-item columns."""
    expected = expected_demand(scenario)
    years = payment_years(scenario)
    values = expected.to_numpy()
    return [
        (i, j, f"{item}/{years[j]}")
        for i, item in enumerate(expected.index)
        for j in range(len(years))
        if np.isnan(values[i, j]) or values[i, j] > 0
    ]


def draw_frame(results: Results, columns: list[tuple[int, int, str]]) -> pd.DataFrame:
    """Draw-level city cost of one chunk: yearly totals and per item-year (yuan)."""
    city = results.city
    data: dict[str, np.ndarray] = {
        "draw": np.arange(results.start, results.start + results.draws, dtype=np.int64)
    }
    totals = city.sum(axis=1)
    for j, year in enumerate(results.years):
        data[f"total/{year}"] = totals[:, j]
    for i, j, name in columns:
        data[name] = city[:, i, j]
    return pd.DataFrame(data)


def run_batch(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    out_dir: str | Path,
    unit: Unit = Unit.WAN,
    budget_yuan: float | None = None,
    progress: bool | None = None,
    write_draws: bool = True,
    timeline_draws: int | None = None,
) -> RunOutput:
    """Simulate ``scenario`` and write its outputs into ``out_dir`` atomically.

    Parameters
    ----------
    scenario : Scenario
    draws : int
        Monte Carlo draws (1 … 50,000,000), processed in memory-bounded chunks.
    seed : int
        Root seed; the same seed writes byte-identical CSV and Parquet tables.
    out_dir : str or Path
        Destination folder (replaced as a whole when the run succeeds).
    unit : Unit
        Presentation unit of the CSV and Excel tables (computation is in yuan).
    budget_yuan : float, optional
        A yearly budget; the tables report ``P(total > budget)``.
    progress : bool, optional
        Show a progress bar (default: on long runs when writing to a terminal).
    write_draws : bool
        Write ``draws.parquet`` with draw-level totals by item and year.
    timeline_draws : int, optional
        Also run the monthly SimPy timeline on this many draws (same seed, so its first
        draws are the run's) and write it into ``timeline/``.

    Returns
    -------
    RunOutput
    """
    check_draws(draws)
    seed = check_seed(seed)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    accumulator = RunAccumulator(scenario, budget_yuan=budget_yuan)
    columns = draw_columns(scenario)
    with atomic_directory(out_dir) as staging:
        writer = DrawsWriter(staging / "draws.parquet") if write_draws else None
        chunks = simulate_chunks(scenario, draws, seed=seed)
        with tqdm(
            total=draws,
            unit="draw",
            disable=None if progress is None else not progress,
            leave=False,
            mininterval=0.5,
        ) as bar:
            for chunk in chunks:
                accumulator.add(chunk)
                if writer is not None:
                    writer.write(draw_frame(chunk, columns))
                bar.update(chunk.draws)
        if writer is not None:
            writer.close()
        summary = accumulator.finish()
        tables = {name: in_unit(summary.tables[name], unit) for name in CSV_TABLES}
        tables["fan"] = in_unit(summary.tables["fan"], unit)
        assumptions = pd.DataFrame(assumption_rows(scenario)).set_index("item")
        assumptions["value"] = assumptions["value"].map(str)
        for name, table in tables.items():
            if name != "fan":
                write_csv(table, staging / f"{name}.csv")
        write_csv(assumptions, staging / "assumptions.csv")
        save_figure(fan_chart(summary, unit), staging / "fan_chart.png")
        extra_tables = {
            name: yuan_to_unit(table, unit) for name, table in summary.extra_tables.items()
        }
        for name, table in extra_tables.items():
            write_csv(table, staging / f"{name}.csv")
        for file_name, figure in extra_figures(scenario, summary.extra_draws).items():
            save_figure(figure, staging / file_name)
        manifest = {
            "tool": "fiscalsim",
            "version": package_version(),
            "scenario": scenario.name,
            "title_zh": scenario.title_zh,
            "title_en": scenario.title_en,
            "scenario_files": list(scenario.files),
            "scenario_sha256": scenario.digest(),
            "seed": seed,
            "draws": draws,
            "block_draws": BLOCK_DRAWS,
            "exact_sum_max_count": EXACT_SUM_MAX_COUNT,
            "unit": unit.value,
            "budget_yuan": budget_yuan,
            "horizon": [summary.horizon[0], summary.horizon[-1]],
            "years": summary.years,
            "started_utc": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - clock, 3),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
        }
        workbook_tables = {
            **tables,
            **extra_tables,
            "assumptions": assumptions,
            "manifest": pd.DataFrame({"value": {k: str(v) for k, v in manifest.items()}}),
        }
        write_workbook(workbook_tables, staging / "budget.xlsx", unit)
        if timeline_draws is not None:
            from model.timeline import timeline
            from model.timeline_report import write_timeline

            check_draws(timeline_draws)
            write_timeline(
                timeline(scenario, timeline_draws, seed=seed), staging / "timeline", unit
            )
        files = {
            str(path.relative_to(staging)): sha256_of(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        manifest["files_sha256"] = files
        write_json(manifest, staging / MANIFEST)
    return RunOutput(summary, out_dir, files, manifest)


__all__ = ["CSV_TABLES", "RunOutput", "draw_columns", "draw_frame", "package_version", "run_batch"]
