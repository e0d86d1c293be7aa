"""先投后股 (invest first, take equity later), article 11 of the draft policy.

Article 11: 财政资金以科技项目方式向企业投入，在企业达到转股条件时将所投入的财政资金转化为
相应股权. The city pays project grants; a project converts to equity when its firm raises a
qualifying round inside a window (converted at that round's price, optionally at a
discount). A converted stake then follows the equity outcome model of :mod:`model.finance.funds`
(write-off or exit at a heavy-tailed multiple); an unconverted grant is sunk, or partly
recovered at the end of the window. The text gives no amounts: every number is an
assumption of the scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.core.streams import stream
from model.finance.contract import SpecModel
from model.finance.draw_arrays import (
    VARIATE_DTYPE,
    check_draw_range,
    check_years,
    concat_draws,
    join_rows,
    rows_of_blocks,
    run_sums,
    to_horizon,
)
from model.finance.outcomes import StakeOutcomes
from model.finance.period_tables import (
    Flow,
    period_names,
    period_quantities,
    totals_frame,
)
from model.policy.periods import Periods
from model.policy.programmes import ConversionSpec


@dataclass(frozen=True)
class ConversionDraws:
    """Simulated draws of the 先投后股 programme; money in yuan, ``(n, Y)`` by ``years``.

    Attributes
    ----------
    conversion_id, years
    grants_yuan : (n, Y)
        Grants paid (cash out of the city budget).
    conversions : (n, Y) int
        Projects converting to equity that year.
    converted_yuan : (n, Y)
        Grant money converted to equity that year (at cost).
    recoveries_yuan : (n, Y)
        Money recovered from unconverted projects.
    exit_proceeds_yuan : (n, Y)
        Proceeds of converted stakes (exits and write-off recoveries).
    n_projects, n_converted : (n,) int
    grants_total_yuan : (n,)
    grants_before_yuan, recoveries_before_yuan, exit_proceeds_before_yuan,
    grants_beyond_yuan, recoveries_beyond_yuan, exit_proceeds_beyond_yuan : (n,)
        Flows in years before and after the horizon.
    """

    conversion_id: str
    years: tuple[int, ...]
    grants_yuan: np.ndarray
    conversions: np.ndarray
    converted_yuan: np.ndarray
    recoveries_yuan: np.ndarray
    exit_proceeds_yuan: np.ndarray
    n_projects: np.ndarray
    n_converted: np.ndarray
    grants_total_yuan: np.ndarray
    grants_before_yuan: np.ndarray
    recoveries_before_yuan: np.ndarray
    exit_proceeds_before_yuan: np.ndarray
    grants_beyond_yuan: np.ndarray
    recoveries_beyond_yuan: np.ndarray
    exit_proceeds_beyond_yuan: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[ConversionDraws]) -> ConversionDraws:
        """Join chunks of draws (in order) into one."""
        return concat_draws(cls, list(parts))

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.n_projects.shape[0])

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays each horizon year: the grants (yuan, (n, Y))."""
        return self.grants_yuan

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back each year: recoveries and equity proceeds (yuan, (n, Y))."""
        return self.recoveries_yuan + self.exit_proceeds_yuan

    @property
    def gross_outlay(self) -> np.ndarray:
        """The grants (the city pays them all; yuan, (n, Y))."""
        return self.grants_yuan

    def existing_outlay(self, plan_start: int) -> np.ndarray:
        """Grants are paid in the year they are awarded, so only those of years before
        ``plan_start`` are existing commitments (yuan, (n, Y))."""
        return self.grants_yuan * (np.asarray(self.years) < plan_start)

    @property
    def net_cost_yuan(self) -> np.ndarray:
        """Net fiscal cost by horizon year: outlay less inflow (yuan, (n, Y))."""
        return self.budget_outlay - self.budget_inflow

    @property
    def net_cost_life_yuan(self) -> np.ndarray:
        """Net fiscal cost over the programme's whole timeline (yuan, (n,))."""
        inflow = (
            self.budget_inflow.sum(1)
            + self.recoveries_before_yuan
            + self.recoveries_beyond_yuan
            + self.exit_proceeds_before_yuan
            + self.exit_proceeds_beyond_yuan
        )
        return self.grants_total_yuan - inflow


#: Draws whose projects are simulated together: their per-project temporaries stay in
#: the processor's cache. The streams are consumed in draw order, so chunking never
#: changes a draw.
_CHUNK_ROWS = 512


def _simulate_projects(
    spec: ConversionSpec, streams: dict, outcomes: StakeOutcomes, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-draw timelines (from ``first_year``) of draws with ``counts`` projects per
    programme year (consuming the streams)."""
    n, grant_years = counts.shape
    span = spec.timeline_years
    # the projects, in (draw, grant year) order: the first rows' projects come first
    # whatever the number of rows, so every variate below is drawn per project
    cell_counts = counts.reshape(-1)
    cell = np.repeat(np.arange(n * grant_years), cell_counts)
    n_projects = cell.size
    grant = streams["grant"].random(n_projects)
    grant *= spec.grant_max_yuan - spec.grant_min_yuan
    grant += spec.grant_min_yuan  # yuan
    # one uniform decides conversion (below conversion_prob) and, for the others,
    # recovery (the next (1 - conversion_prob) · recovery_prob of the unit interval)
    u_fate = streams["convert"].random(n_projects, dtype=VARIATE_DTYPE)
    converts = u_fate < VARIATE_DTYPE(spec.conversion_prob)
    recovery_end = spec.conversion_prob + (1 - spec.conversion_prob) * spec.recovery_prob
    recovers = u_fate < VARIATE_DTYPE(recovery_end)
    recovers &= ~converts

    grants_by_cell = run_sums(grant, cell_counts).reshape(n, grant_years)
    recovered = np.flatnonzero(recovers)
    recoveries_by_cell = np.bincount(
        cell[recovered], spec.recovery_share * grant[recovered], minlength=n * grant_years
    ).reshape(n, grant_years)

    converted = np.flatnonzero(converts)
    row, grant_year = np.divmod(cell[converted], grant_years)
    u_when = streams["conversion_timing"].random(converted.size, dtype=VARIATE_DTYPE)
    conversion_span = spec.conversion_years_max - spec.conversion_years_min + 1
    at = (u_when * VARIATE_DTYPE(conversion_span)).astype(np.intp)
    at += row * span + grant_year + spec.conversion_years_min  # flat (draw, year) index
    # converted stakes are in draw order too, so their outcomes keep the prefix property
    outcome = outcomes(converted.size)
    converted_grant = grant[converted]
    stake = converted_grant / (1.0 - spec.conversion_discount)

    def by_year(index, values=None):
        sums = np.bincount(index, values, minlength=n * span).reshape(n, span)
        # (with values, bincount still returns integers when there are none)
        return sums if values is None else sums.astype(float, copy=False)

    return {
        "grants": grants_by_cell,
        "recoveries": recoveries_by_cell,
        "conversions": by_year(at),
        "converted": by_year(at, converted_grant),
        "exits": by_year(at + outcome.lag_years, outcome.multiple * stake),
        "n_projects": counts.sum(axis=1),
        "n_converted": np.bincount(row, minlength=n),
    }


def _simulate_block(spec: ConversionSpec, seed: int, block: int, n: int) -> dict[str, np.ndarray]:
    """Per-draw timelines (from ``first_year``) of rows ``[0, n)`` of a block."""
    key = ("conversion", spec.id)
    counts = stream(seed, *key, "projects", block).integers(
        spec.projects_per_year_min,
        spec.projects_per_year_max + 1,
        size=(n, spec.last_year - spec.first_year + 1),
    )
    streams = {
        name: stream(seed, *key, name, block) for name in ("grant", "convert", "conversion_timing")
    }
    outcomes = StakeOutcomes(spec.equity_outcome, seed=seed, key=key, block=block)
    chunks = [
        _simulate_projects(spec, streams, outcomes, counts[lo : lo + _CHUNK_ROWS])
        for lo in range(0, n, _CHUNK_ROWS) or [0]
    ]
    return join_rows(chunks)


def _conversion_draws(
    spec: ConversionSpec, years: np.ndarray, rows: dict[str, np.ndarray]
) -> ConversionDraws:
    """The programme's draws from the per-draw timelines of :func:`_simulate_block`."""
    n, grant_years = rows["grants"].shape
    span = spec.timeline_years
    grants_by_year = np.zeros((n, span))
    grants_by_year[:, :grant_years] = rows["grants"]
    recoveries_by_year = np.zeros((n, span))
    recovery_at = spec.conversion_years_max  # the end of the window
    recoveries_by_year[:, recovery_at : recovery_at + grant_years] = rows["recoveries"]

    def horizon(values, stock=False):
        return to_horizon(values, spec.first_year, years, stock=stock)

    grants, grants_before, grants_beyond = horizon(grants_by_year)
    recoveries, recoveries_before, recoveries_beyond = horizon(recoveries_by_year)
    exits, exits_before, exits_beyond = horizon(rows["exits"])
    return ConversionDraws(
        conversion_id=spec.id,
        years=tuple(int(y) for y in years),
        grants_yuan=grants,
        conversions=horizon(rows["conversions"])[0],
        converted_yuan=horizon(rows["converted"])[0],
        recoveries_yuan=recoveries,
        exit_proceeds_yuan=exits,
        n_projects=rows["n_projects"],
        n_converted=rows["n_converted"],
        grants_total_yuan=rows["grants"].sum(axis=1),
        grants_before_yuan=grants_before,
        recoveries_before_yuan=recoveries_before,
        exit_proceeds_before_yuan=exits_before,
        grants_beyond_yuan=grants_beyond,
        recoveries_beyond_yuan=recoveries_beyond,
        exit_proceeds_beyond_yuan=exits_beyond,
    )


def simulate_conversion(
    spec: ConversionSpec, years: Sequence[int], start: int, stop: int, *, seed: int
) -> ConversionDraws:
    """Simulate draws ``[start, stop)`` of the 先投后股 programme (article 11).

    Parameters
    ----------
    spec : ConversionSpec
    years : sequence of int
        The horizon (consecutive calendar years); later flows are "beyond horizon".
    start, stop : int
        The draw range; draw ``i`` is the same whatever range it is simulated in.
    seed : int
        Root seed; streams are keyed ``("conversion", spec.id, quantity, block)``.

    Returns
    -------
    ConversionDraws
    """
    horizon = check_years(years)
    check_draw_range(start, stop)
    rows = rows_of_blocks(lambda block, n: _simulate_block(spec, seed, block, n), start, stop)
    return _conversion_draws(spec, horizon, rows)


def conversion_quantities(
    draws: ConversionDraws, periods: Periods | None = None
) -> dict[str, np.ndarray]:
    """The per-draw quantities the programme's tables are statistics of."""
    flows = {
        "grants": (draws.grants_yuan, draws.grants_before_yuan, draws.grants_beyond_yuan),
        "recoveries": (
            draws.recoveries_yuan,
            draws.recoveries_before_yuan,
            draws.recoveries_beyond_yuan,
        ),
        "exits": (
            draws.exit_proceeds_yuan,
            draws.exit_proceeds_before_yuan,
            draws.exit_proceeds_beyond_yuan,
        ),
    }
    by_period = period_quantities(flows, draws.years, periods or Periods.of_years(draws.years))
    for name in list(by_period):
        if name.endswith(":grants"):
            period = name.rpartition(":")[0]
            by_period[f"{period}:net"] = (
                by_period[name] - by_period[f"{period}:recoveries"] - by_period[f"{period}:exits"]
            )
    return {
        "grants": draws.grants_yuan,
        "conversions": draws.conversions,
        "converted": draws.converted_yuan,
        "recoveries": draws.recoveries_yuan,
        "exit_proceeds": draws.exit_proceeds_yuan,
        "net_cost": draws.net_cost_yuan,
        "n_projects": draws.n_projects,
        "n_converted": draws.n_converted,
        **by_period,
    }


def conversion_tables(
    stats: DrawStats, years: Sequence[int], spec: ConversionSpec, periods: Periods | None = None
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`summarize_conversion` from the statistics of
    :func:`conversion_quantities` over a run."""
    q = stats.quantiles("net_cost", [0.05, 0.95])
    index = pd.MultiIndex.from_product([[spec.id], list(years)], names=["programme", "year"])
    by_year = pd.DataFrame(
        {
            "grants_mean_yuan": stats.mean("grants"),
            "conversions_mean": stats.mean("conversions"),
            "converted_mean_yuan": stats.mean("converted"),
            "recoveries_mean_yuan": stats.mean("recoveries"),
            "exit_proceeds_mean_yuan": stats.mean("exit_proceeds"),
            "net_cost_mean_yuan": stats.mean("net_cost"),
            "net_cost_p05_yuan": q[0],
            "net_cost_p95_yuan": q[1],
        },
        index=index,
    )
    periods = periods or Periods.of_years(years)

    def row(p: Mapping[str, str]) -> dict[str, Any]:
        return {
            "grants_mean_yuan": stats.mean(p["grants"]),
            "recoveries_mean_yuan": stats.mean(p["recoveries"]),
            "exit_proceeds_mean_yuan": stats.mean(p["exits"]),
            "net_cost_mean_yuan": stats.mean(p["net"]),
            "net_cost_p95_yuan": stats.quantiles(p["net"], [0.95])[0],
        }

    totals = totals_frame(
        period_names(("grants", "recoveries", "exits", "net")),
        row,
        periods,
        programme_id=spec.id,
        level="programme",
    )
    totals["conversion_share_mean"] = stats.sum("n_converted") / max(
        int(stats.sum("n_projects")), 1
    )
    return {"conversion": by_year, "conversion_totals": totals}


def summarize_conversion(
    draws: ConversionDraws,
    spec: ConversionSpec,
    *,
    tolerance: float | None = None,
    periods: Periods | None = None,
) -> dict[str, pd.DataFrame]:
    """Tables of the 先投后股 draws.

    Parameters
    ----------
    draws : ConversionDraws
    spec : ConversionSpec
    tolerance : float, optional
        Accepted for a uniform signature; 先投后股 has no tolerance rate in the text.
    periods : Periods, optional
        The scenario's horizon and plan years (default: the draws' years are the horizon).

    Returns
    -------
    dict of str to DataFrame
        ``conversion`` (index programme, year): means of grants, conversions (count and
        yuan), recoveries, equity proceeds and net cost, with the 5%/95% quantiles of the
        net cost; ``conversion_totals`` (index programme, period): the same in each
        budget period (before, in and beyond the horizon; before, in and after the plan
        years; the whole timeline), with its years.
    """
    del tolerance
    stats = DrawStats.of(conversion_quantities(draws, periods))
    return conversion_tables(stats, draws.years, spec, periods)


@dataclass(frozen=True)
class Conversion(SpecModel[ConversionSpec]):
    """The 先投后股 programme (article 11) as a :class:`~model.finance.contract.Programme`:
    its city outlay is the grants paid."""

    def simulate(
        self, years: Sequence[int], start: int, stop: int, *, seed: int
    ) -> ConversionDraws:
        """Draws ``[start, stop)`` on the run's year axis (see :func:`simulate_conversion`)."""
        return simulate_conversion(self.spec, years, start, stop, seed=seed)

    def budget_flows(self, draws: ConversionDraws) -> dict[str, Flow]:
        """Grants are the appropriation; recoveries and equity proceeds come back to the
        treasury (see :meth:`Programme.budget_flows`)."""
        grants = (draws.grants_yuan, draws.grants_before_yuan, draws.grants_beyond_yuan)
        zero = (np.zeros_like(draws.grants_yuan), 0.0, 0.0)
        returned = (
            draws.budget_inflow,
            draws.recoveries_before_yuan + draws.exit_proceeds_before_yuan,
            draws.recoveries_beyond_yuan + draws.exit_proceeds_beyond_yuan,
        )
        return {
            "capital_calls": grants,
            "fees": zero,
            "recycled": zero,
            "appropriation": grants,
            "returned": returned,
        }

    def summarize(self, draws: ConversionDraws, periods: Periods) -> dict[str, pd.DataFrame]:
        """The programme's tables (see :func:`summarize_conversion`)."""
        return summarize_conversion(draws, self.spec, periods=periods)

    def quantities(self, draws: ConversionDraws, periods: Periods) -> dict[str, np.ndarray]:
        """The per-draw quantities its tables are statistics of."""
        return conversion_quantities(draws, periods)

    def tables(
        self, stats: DrawStats, draws: ConversionDraws, periods: Periods
    ) -> dict[str, pd.DataFrame]:
        """Its tables from the statistics of :meth:`quantities` over a run's chunks."""
        return conversion_tables(stats, draws.years, self.spec, periods)

    def expected_outlay(self, years: Sequence[int]) -> np.ndarray:
        """``E[projects]·E[grant]`` in each programme year (both uniform), yuan."""
        spec = self.spec
        per_year = (
            (spec.projects_per_year_min + spec.projects_per_year_max)
            / 2
            * (spec.grant_min_yuan + spec.grant_max_yuan)
            / 2
        )
        return np.array(
            [per_year if spec.first_year <= year <= spec.last_year else 0.0 for year in years]
        )


__all__ = [
    "Conversion",
    "ConversionDraws",
    "conversion_quantities",
    "conversion_tables",
    "simulate_conversion",
    "summarize_conversion",
]
