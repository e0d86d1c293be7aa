"""What each reading of an ambiguous clause costs, and the envelope of all of them.

Every reading of the catalog's clauses (:mod:`model.policy.readings`) other than the one in
force is a variant of the scenario; each is compared with the scenario draw by draw on
common random numbers (:func:`model.analysis.compare.compare`), so that a reading that
changes one item changes the total by exactly that item's change in every draw. The
**envelope** puts every clause at its lowest-cost reading, then at its highest-cost one,
and simulates both combinations: it is the range of the answer over the readings, a
different kind of uncertainty from the Monte Carlo interval of one reading's assumptions.

The work is a list of variant overlays of one base (:func:`reading_overlays`), so a sweep
runner can evaluate the same variants elsewhere; :func:`evaluate_readings` runs them here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.compare import Comparison, compare, horizon_label
from model.analysis.tables import Summary
from model.core.streams import check_draws, check_seed
from model.finance.programme import programme, summarize_programmes
from model.policy.programmes import FundSpec
from model.policy.readings import Clause
from model.policy.scenario import Scenario, apply_variant
from model.sim.parallel import map_ordered

#: Columns of the paired statistics kept in the readings table (``compare``'s).
_STATS = (
    "variant_mean_yuan",
    "delta_mean_yuan",
    "delta_se_yuan",
    "delta_ci_low_yuan",
    "delta_ci_high_yuan",
    "analytic_delta_yuan",
    "delta_p50_yuan",
    "delta_p95_yuan",
    "p_variant_higher",
)


@dataclass(frozen=True)
class ReadingCase:
    """A reading other than the one in force, as a variant of the scenario."""

    clause: Clause
    reading: str

    @property
    def name(self) -> str:
        """The variant's name: ``clause.reading``."""
        return f"{self.clause.id}.{self.reading}"


def reading_cases(scenario: Scenario) -> list[ReadingCase]:
    """Every reading of every clause except the one in force, in catalog order."""
    return [
        ReadingCase(clause, reading.id)
        for clause in scenario.catalog.readings
        for reading in clause.readings
        if reading.id != scenario.readings[clause.id]
    ]


def with_readings(
    scenario: Scenario, pins: Mapping[str, str], *, label: str, name: str | None = None
) -> Scenario:
    """The scenario with these readings pinned (the others as they are), named ``name``."""
    overlay: dict = {"readings": dict(pins)}
    if name is not None:
        overlay["name"] = name
    return apply_variant(scenario, overlay, label=label)


def reading_overlays(scenario: Scenario) -> dict[str, dict]:
    """Variant overlays of the scenario, one per :func:`reading_cases` (name → overlay):
    the work :func:`evaluate_readings` does, for a sweep runner to distribute."""
    return {
        case.name: {"readings": {case.clause.id: case.reading}} for case in reading_cases(scenario)
    }


@dataclass(frozen=True)
class ReadingsResult:
    """The outcome of :func:`evaluate_readings` (money in yuan).

    Attributes
    ----------
    scenario_name : str
    draws, seed : int
    horizon : list of int
    table : DataFrame
        ``readings``: index (clause, reading, year) with the horizon total under the
        label ``2025–2030``; the reading in force of each clause has Δ 0.
    envelope : DataFrame
        ``readings_envelope``: the lowest-cost and highest-cost combinations of readings
        and the scenario itself (index ``bound``: low, in_force, high).
    comparison : Comparison
        The paired comparison of every single reading.
    """

    scenario_name: str
    draws: int
    seed: int
    horizon: list[int]
    table: pd.DataFrame
    envelope: pd.DataFrame
    comparison: Comparison

    @property
    def total_label(self) -> str:
        """The year label of the horizon total."""
        return horizon_label(self.horizon)

    def totals(self) -> pd.DataFrame:
        """One row per reading: the horizon total's paired change."""
        return self.table.xs(self.total_label, level="year")


def evaluate_readings(
    scenario: Scenario, draws: int, *, seed: int, workers: int = 1
) -> ReadingsResult:
    """Cost every reading against the scenario on common random numbers, and the envelope.

    Parameters
    ----------
    scenario : Scenario
        The base: its readings in force are the reference of every change.
    draws : int
        Paired draws of every variant.
    seed : int
    workers : int
        Processes simulating at once (:func:`~model.analysis.compare.compare`'s chunks);
        the tables are the same bytes for any number.

    Returns
    -------
    ReadingsResult
    """
    check_draws(draws, source="readings")
    seed = check_seed(seed)
    cases = reading_cases(scenario)
    variants = [
        with_readings(scenario, {c.clause.id: c.reading}, label=c.name, name=c.name) for c in cases
    ]
    comparison = compare(scenario, variants, draws, seed=seed, workers=workers)
    table = _table(scenario, cases, comparison)
    deltas = _horizon_deltas(table, comparison)
    envelope = readings_envelope(scenario, deltas, draws, seed=seed, workers=workers)
    return ReadingsResult(scenario.name, draws, seed, scenario.years, table, envelope, comparison)


def _table(scenario: Scenario, cases: list[ReadingCase], comparison: Comparison) -> pd.DataFrame:
    """The readings table: every reading's paired change by year and over the horizon."""
    stats = comparison.tables["compare"]
    labels = list(stats.index.get_level_values("year").unique())
    frames = []
    by_clause: dict[str, list[tuple[str, pd.DataFrame | None]]] = {}
    for case, name in zip(cases, comparison.variant_names, strict=True):
        by_clause.setdefault(case.clause.id, []).append((case.reading, stats.loc[name]))
    for clause in scenario.catalog.readings:
        in_force = scenario.readings[clause.id]
        found = dict(by_clause.get(clause.id, []))
        for reading in clause.readings:
            values = found.get(reading.id)
            if values is None:  # the reading in force: the reference, no change
                base = stats.xs(comparison.variant_names[0], level="variant")["base_mean_yuan"]
                values = pd.DataFrame(0.0, index=pd.Index(labels, name="year"), columns=_STATS)
                values["variant_mean_yuan"] = base.to_numpy()
                values["p_variant_higher"] = 0.0
            frame = values[list(_STATS)].copy()
            frame.insert(0, "article", clause.article)
            frame.insert(1, "where", clause.where)
            frame.insert(2, "in_force", reading.id == in_force)
            frame.insert(3, "default", reading.id == clause.default)
            frame.insert(4, "reading_zh", reading.zh)
            frame.insert(5, "reading_en", reading.en)
            frame.insert(6, "turns_on", " / ".join(reading.turns_on))
            frames.append(frame.assign(clause=clause.id, reading=reading.id))
    table = pd.concat(frames).reset_index()
    return table.set_index(["clause", "reading", "year"])


def _horizon_deltas(table: pd.DataFrame, comparison: Comparison) -> dict[str, dict[str, float]]:
    """Clause → reading → the change of the expected horizon total (yuan)."""
    totals = table.xs(comparison.total_label, level="year")["delta_mean_yuan"]
    deltas: dict[str, dict[str, float]] = {}
    for (clause, reading), value in totals.items():
        deltas.setdefault(str(clause), {})[str(reading)] = float(value)
    return deltas


def extreme_pins(
    scenario: Scenario, deltas: Mapping[str, Mapping[str, float]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each clause's lowest-cost and highest-cost reading (the one in force on a tie).

    Parameters
    ----------
    deltas : mapping
        Clause → reading → change of the expected horizon total from the scenario (the
        reading in force: 0).
    """
    low, high = {}, {}
    for clause in scenario.catalog.readings:
        in_force = scenario.readings[clause.id]
        options = {in_force: 0.0, **{r: v for r, v in deltas.get(clause.id, {}).items()}}
        options[in_force] = 0.0
        ordered = sorted(options, key=lambda r: (options[r], r != in_force))
        low[clause.id] = ordered[0]
        high[clause.id] = sorted(options, key=lambda r: (-options[r], r != in_force))[0]
    return low, high


def readings_envelope(
    scenario: Scenario,
    deltas: Mapping[str, Mapping[str, float]],
    draws: int,
    *,
    seed: int,
    workers: int = 1,
) -> pd.DataFrame:
    """The lowest-cost and highest-cost combinations of readings, simulated on common
    random numbers against the scenario.

    Each clause is put at its extreme reading by its own effect (``deltas``); the two
    combinations are then simulated, so that interactions between clauses (a wider
    admission window times a registration award paid once) are in the totals. The table
    also gives the sum of the single readings' effects and the interaction (the
    combination's change less that sum), zero where the clauses do not interact.

    Returns
    -------
    DataFrame
        Index ``bound`` (low, in_force, high): ``mean_yuan``, ``p5_yuan``, ``p95_yuan`` of
        the horizon total, ``delta_mean_yuan`` with its 95% interval, ``sum_of_readings_yuan``,
        ``interaction_yuan``, and ``readings`` (the pins, ``clause=reading; …``).
    """
    low, high = extreme_pins(scenario, deltas)
    bounds = {"low": low, "high": high}
    variants = [
        with_readings(scenario, pins, label=f"readings_{bound}", name=f"readings_{bound}")
        for bound, pins in bounds.items()
    ]
    comparison = compare(scenario, variants, draws, seed=seed, workers=workers)
    label = comparison.total_label
    stats = comparison.tables["compare"]
    base_total = comparison.year_totals[comparison.base_name][scenario.years].sum(axis=1)
    rows = {
        "in_force": {
            "mean_yuan": float(base_total.mean()),
            "p5_yuan": float(np.percentile(base_total, 5)),
            "p95_yuan": float(np.percentile(base_total, 95)),
            "delta_mean_yuan": 0.0,
            "delta_ci_low_yuan": 0.0,
            "delta_ci_high_yuan": 0.0,
            "sum_of_readings_yuan": 0.0,
            "interaction_yuan": 0.0,
            "readings": _pins_text(scenario, scenario.readings_pinned),
        }
    }
    for (bound, pins), name in zip(bounds.items(), comparison.variant_names, strict=True):
        total = comparison.year_totals[name][scenario.years].sum(axis=1)
        row = stats.loc[(name, label)]
        changed = {c: r for c, r in pins.items() if r != scenario.readings[c]}
        summed = sum(deltas.get(c, {}).get(r, 0.0) for c, r in changed.items())
        rows[bound] = {
            "mean_yuan": float(total.mean()),
            "p5_yuan": float(np.percentile(total, 5)),
            "p95_yuan": float(np.percentile(total, 95)),
            "delta_mean_yuan": float(row["delta_mean_yuan"]),
            "delta_ci_low_yuan": float(row["delta_ci_low_yuan"]),
            "delta_ci_high_yuan": float(row["delta_ci_high_yuan"]),
            "sum_of_readings_yuan": summed,
            "interaction_yuan": float(row["delta_mean_yuan"]) - summed,
            "readings": _pins_text(scenario, {**scenario.readings_pinned, **changed}),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").loc[["low", "in_force", "high"]]
    table.index.name = "bound"
    return table


def _pins_text(scenario: Scenario, pins: Mapping[str, str]) -> str:
    """Readings other than the defaults, ``clause=reading; …`` (``defaults`` when none)."""
    clauses = scenario.catalog.clauses
    shown = [f"{c}={r}" for c, r in pins.items() if r != clauses[c].default]
    return "; ".join(shown) or "defaults"


def uncertainty_table(summary: Summary, readings: ReadingsResult) -> pd.DataFrame:
    """The two kinds of uncertainty of the horizon total, side by side.

    The Monte Carlo interval is the run's P5–P95 under its readings and assumptions; the
    readings envelope is the run's mean moved by the paired changes of the lowest- and
    highest-cost combinations of readings (so both rows share the run's mean).

    Returns
    -------
    DataFrame
        Index ``kind``: ``monte_carlo`` and ``readings_envelope``, with bilingual labels,
        ``low_yuan``, ``mean_yuan``, ``high_yuan`` and ``draws``.
    """
    label = horizon_label(summary.horizon)
    total = summary.tables["summary_by_year"].loc[label]
    envelope = readings.envelope
    mean = float(total["mean_yuan"])
    rows = {
        "monte_carlo": {
            "label_zh": "蒙特卡洛 90% 区间（所选解读与假设）",
            "label_en": "Monte Carlo 90% interval (P5–P95; chosen readings and assumptions)",
            "low_yuan": float(total["p5_yuan"]),
            "mean_yuan": mean,
            "high_yuan": float(total["p95_yuan"]),
            "draws": summary.draws,
        },
        "readings_envelope": {
            "label_zh": "条文解读包络（最低与最高成本的解读组合）",
            "label_en": "Readings envelope (lowest- and highest-cost combinations of readings)",
            "low_yuan": mean + float(envelope.loc["low", "delta_mean_yuan"]),
            "mean_yuan": mean,
            "high_yuan": mean + float(envelope.loc["high", "delta_mean_yuan"]),
            "draws": readings.draws,
        },
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "kind"
    return table


def envelope_of(scenario: Scenario, draws: int, *, seed: int) -> pd.DataFrame:
    """:func:`readings_envelope` with each reading's effect measured first (the
    :func:`evaluate_readings` work without its table)."""
    return evaluate_readings(scenario, draws, seed=seed).envelope


# ------------------------------------------------------------------ the 容错率 definitions
def tolerance_clauses(scenario: Scenario) -> list[Clause]:
    """The clauses whose readings change only how the 容错率 is tested (not cash flows)."""
    return [clause for clause in scenario.catalog.readings if clause.tolerance_only]


def tolerance_by_reading(
    scenario: Scenario,
    draws: int,
    *,
    seed: int,
    clauses: Sequence[Clause] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """The funds' breach statistics under each reading of the 容错率's definition, side
    by side, on common random numbers (each reading alone, the others as in force).

    Returns
    -------
    DataFrame
        Index (fund, clause, reading): ``in_force``, ``default``, the reading's words,
        its source (the clause's ``why_default`` on the default's row), and the
        ``tolerance`` table's breach columns (P(breach at liquidation) with its standard
        error, the loss ratio, the expected excess loss). The readings are simulated
        over ``workers`` processes; the table is the same bytes for any number.
    """
    check_draws(draws, source="tolerance")
    seed = check_seed(seed)
    rows = []
    cases = [
        (clause, reading)
        for clause in (clauses if clauses is not None else tolerance_clauses(scenario))
        for reading in clause.readings
    ]
    variants = [
        (with_readings(scenario, {c.id: r.id}, label=f"{c.id}={r.id}"), draws, seed)
        for c, r in cases
    ]
    tables = map_ordered(_tolerance_table, variants, workers=workers)
    for (clause, reading), table in zip(cases, tables, strict=True):
        for fund_id, row in table.iterrows():
            rows.append(
                {
                    "fund": fund_id[0] if isinstance(fund_id, tuple) else fund_id,
                    "clause": clause.id,
                    "reading": reading.id,
                    "in_force": reading.id == scenario.readings[clause.id],
                    "default": reading.id == clause.default,
                    "reading_zh": reading.zh,
                    "reading_en": reading.en,
                    "source": clause.why_default if reading.id == clause.default else "",
                    **{
                        key: row[key]
                        for key in (
                            "tolerance",
                            "tolerance_rule",
                            "loss_measure",
                            "loss_base",
                            "loss_ratio_mean",
                            "loss_ratio_p95",
                            "p_breach_liquidation",
                            "p_breach_liquidation_se",
                            "p_breach_ever",
                            "expected_excess_loss_yuan",
                        )
                    },
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.set_index(["fund", "clause", "reading"]).sort_index()


def _tolerance_table(variant: Scenario, draws: int, seed: int) -> pd.DataFrame:
    """The funds' ``tolerance`` table of a variant (one worker's task)."""
    funds = [spec for spec in variant.programmes if isinstance(spec, FundSpec)]
    draws_by_id = {
        spec.id: programme(spec).simulate(variant.payment_years, 0, draws, seed=seed)
        for spec in funds
    }
    return summarize_programmes(variant, draws_by_id)["tolerance"]


__all__ = [
    "ReadingCase",
    "ReadingsResult",
    "envelope_of",
    "evaluate_readings",
    "extreme_pins",
    "reading_cases",
    "reading_overlays",
    "readings_envelope",
    "tolerance_by_reading",
    "tolerance_clauses",
    "uncertainty_table",
    "with_readings",
]
