"""A batch run: simulate a scenario in chunks and write its budget tables and charts."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.analysis.budget import budget_tables
from model.analysis.chunk_stats import ChunkStats, chunk_stats
from model.analysis.groupings import Grouping
from model.analysis.plan import plan_groupings
from model.analysis.present_value import discounting_of
from model.analysis.readings import ReadingsResult, uncertainty_table
from model.analysis.tables import RunAccumulator, Summary, budgets_by_year
from model.core.errors import InputError, Problem
from model.core.streams import check_draws, check_seed
from model.core.units import Unit
from model.policy.assumptions import assumption_rows
from model.policy.budget_schema import Discounting
from model.policy.scenario import Scenario
from model.report.chartstyle import display_names
from model.report.manifest import build_manifest, write_manifest
from model.report.output import DrawsWriter, atomic_directory, write_csv
from model.report.outputs import manifest_sheet, write_figures, write_tables, write_timeline
from model.report.plots import distribution_chart, fan_chart, loss_ratio_charts
from model.report.units import to_unit
from model.report.workbook import write_workbook
from model.sim.analytic import expected_demand
from model.sim.engine import default_chunk_draws, plan_items, simulate
from model.sim.parallel import map_chunks
from model.sim.results import Results
from model.sim.timeline import timeline

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


#: A budget (yuan): one for every horizon year, one per year, or year → budget.
Budget = float | Sequence[float] | Mapping[int, float] | None


@dataclass(frozen=True)
class RunOutput:
    """What :func:`run_batch` produced."""

    summary: Summary
    out_dir: Path
    files: dict[str, str]
    manifest: dict[str, Any]
    readings: ReadingsResult | None = None
    budget: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def uncertainty(self) -> pd.DataFrame | None:
        """The Monte Carlo interval and the readings envelope of the horizon total, side
        by side (``None`` when the readings were not costed)."""
        if self.readings is None:
            return None
        return uncertainty_table(self.summary, self.readings)


def simulate_chunk(
    scenario: Scenario,
    seed: int,
    exact: bool,
    columns: list[tuple[int, int, str]] | None,
    groupings: Sequence[Grouping],
    first: int,
    draws: int,
) -> tuple[ChunkStats, pd.DataFrame | None]:
    """One chunk of a batch run (in whichever process runs it): draws ``[first, first +
    draws)`` reduced to their :class:`~model.analysis.chunk_stats.ChunkStats`, and their
    draw-level frame for ``draws.parquet`` (with ``columns``)."""
    results = simulate(scenario, draws, seed=seed, start=first)
    frame = None if columns is None else draw_frame(results, columns)
    return chunk_stats(results, scenario, exact=exact, groupings=groupings), frame


def accumulate(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    budget_yuan: Budget = None,
    progress: bool | None = None,
    on_frame: Callable[[pd.DataFrame], None] | None = None,
    workers: int = 1,
) -> Summary:
    """Simulate ``scenario`` in memory-bounded chunks and build its tables, keeping the
    medium-term plan's per-draw totals (:func:`~model.analysis.plan.plan_groupings`).

    Chunks are simulated and reduced on ``workers`` processes
    (:func:`model.sim.parallel.map_chunks`) and folded in draw order: the same tables
    for any number. ``on_frame`` gets each chunk's draw-level frame (:func:`draw_frame`),
    in draw order, to stream to a file.

    Raises
    ------
    InputError
        When the run cannot get the memory it needs, naming ``--draws``.
    """
    groupings = plan_groupings(scenario)
    accumulator = RunAccumulator(
        scenario, budget_yuan=budget_yuan, groupings=groupings, draws=draws
    )
    columns = draw_columns(scenario) if on_frame is not None else None
    task = functools.partial(simulate_chunk, scenario, seed, accumulator.exact, columns, groupings)
    warm_up = functools.partial(plan_items, scenario, scenario.payment_years)
    with tqdm(
        total=draws,
        unit="draw",
        disable=None if progress is None else not progress,
        leave=False,
        mininterval=0.5,
    ) as bar:
        try:
            for stats, frame in map_chunks(
                task,
                draws,
                chunk_draws=default_chunk_draws(scenario),
                workers=workers,
                warm_up=warm_up,
            ):
                accumulator.merge(stats)
                if on_frame is not None and frame is not None:
                    on_frame(frame)
                bar.update(stats.draws)
            return accumulator.finish()
        except MemoryError:
            raise _out_of_memory(draws) from None


def _out_of_memory(draws: int) -> InputError:
    return InputError(
        [
            Problem(
                "command line",
                None,
                "--draws",
                f"out of memory: not enough memory for {draws:,} draws (the run keeps the "
                "city's yearly "
                f"totals of every draw, about {14 * 8 * draws / 2**20:,.0f} MB, and each "
                "worker a chunk of draws): use fewer --draws or --workers",
            )
        ]
    )


def run_manifest(
    command: str,
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    unit: Unit,
    budget_yuan: Budget,
    discounting: Discounting,
) -> dict[str, Any]:
    """The manifest of a run: the budgets by year, the discounting with its basis, the
    horizon and the years."""
    budgets = budgets_by_year(budget_yuan, scenario.years)
    return build_manifest(
        command,
        [scenario],
        seed=seed,
        draws=draws,
        unit=unit,
        budget_yuan=budgets,
        discounting=discounting.model_dump(),
        horizon=[scenario.years[0], scenario.years[-1]],
        years=scenario.payment_years,
    )


def draw_columns(scenario: Scenario) -> list[tuple[int, int, str]]:
    """The (item position, year position, column name) of every item-year that can be
    non-zero, as ``"<item id>/<year>"``: the Parquet file's per-item columns."""
    expected = expected_demand(scenario)
    years = scenario.payment_years
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
    budget_yuan: Budget = None,
    progress: bool | None = None,
    write_draws: bool = True,
    timeline_draws: int | None = None,
    workers: int = 1,
    readings: ReadingsResult | None = None,
    discounting: Discounting | None = None,
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
    budget_yuan : float, sequence or mapping, optional
        A budget for every horizon year, one per year, or year → budget (yuan); the
        tables report ``P(total > budget)`` and the expected shortfall.
    progress : bool, optional
        Show a progress bar (default: on long runs when writing to a terminal).
    write_draws : bool
        Write ``draws.parquet`` with draw-level totals by item and year.
    timeline_draws : int, optional
        Also run the monthly SimPy timeline on this many draws (same seed, so its first
        draws are the run's) and write it into ``timeline/``.
    workers : int
        Processes simulating at once (:func:`model.sim.parallel.map_chunks`); the
        tables are the same bytes for any number.
    readings : ReadingsResult, optional
        The clause readings costed against the scenario
        (:func:`model.analysis.readings.evaluate_readings`): adds ``uncertainty.csv`` (the
        Monte Carlo interval and the readings envelope side by side, the workbook's first
        sheet) and ``readings.csv``.
    discounting : Discounting, optional
        Discount and inflation rates with their basis (default: the scenario's, else
        undiscounted).

    Returns
    -------
    RunOutput
    """
    check_draws(draws)
    seed = check_seed(seed)
    if timeline_draws is not None:
        check_draws(timeline_draws, source="--timeline-draws")
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    discounting = discounting or discounting_of(scenario)
    manifest = run_manifest(
        "run",
        scenario,
        draws=draws,
        seed=seed,
        unit=unit,
        budget_yuan=budget_yuan,
        discounting=discounting,
    )
    with atomic_directory(out_dir) as staging:
        writer = DrawsWriter(staging / "draws.parquet") if write_draws else None

        summary = accumulate(
            scenario,
            draws=draws,
            seed=seed,
            budget_yuan=budget_yuan,
            progress=progress,
            on_frame=None if writer is None else writer.write,
            workers=workers,
        )
        if writer is not None:
            writer.close()
        budget = budget_tables(summary, scenario, discounting)
        assumptions = pd.DataFrame(assumption_rows(scenario)).set_index("item")
        assumptions["value"] = assumptions["value"].map(str)
        tables = write_tables(staging, {name: summary.tables[name] for name in CSV_TABLES}, unit)
        budget_sheets = write_tables(staging, budget, unit)
        write_csv(assumptions, staging / "assumptions.csv")
        programme_tables = write_tables(staging, summary.programme_tables, unit)
        names = display_names([scenario])
        figures = {
            "fan_chart": fan_chart(summary, unit, names),
            "distribution": distribution_chart(summary, unit, names),
        }
        figures.update(loss_ratio_charts(scenario, summary.loss_ratios, names))
        write_figures(staging, figures)
        manifest["duration_s"] = round(time.perf_counter() - clock, 3)
        headline: dict[str, pd.DataFrame] = {}
        if readings is not None:
            headline = write_tables(
                staging,
                {
                    "uncertainty": uncertainty_table(summary, readings),
                    "readings": readings.totals(),
                },
                unit,
            )
        sheets = {
            **({"uncertainty": headline["uncertainty"]} if headline else {}),
            "plan": budget_sheets.pop("plan"),
            **tables,
            **budget_sheets,
            "fan": to_unit(summary.tables["fan"], unit),
            **programme_tables,
            **({"readings": headline["readings"]} if headline else {}),
            "assumptions": assumptions,
            "manifest": manifest_sheet(manifest),
        }
        write_workbook(sheets, staging / "budget.xlsx", unit)
        if timeline_draws is not None:
            write_timeline(
                timeline(scenario, timeline_draws, seed=seed, workers=workers),
                staging / "timeline",
                unit,
                build_manifest("timeline", [scenario], seed=seed, draws=timeline_draws, unit=unit),
            )
        manifest = write_manifest(staging, manifest)
    return RunOutput(summary, out_dir, manifest["files_sha256"], manifest, readings, budget)


__all__ = [
    "CSV_TABLES",
    "Budget",
    "RunOutput",
    "accumulate",
    "draw_columns",
    "draw_frame",
    "run_batch",
    "run_manifest",
    "simulate_chunk",
]
