"""先投后股 (invest first, take equity later), article 11 of the draft policy.

Article 11: 财政资金以科技项目方式向企业投入，在企业达到转股条件时将所投入的财政资金转化为
相应股权. The city pays project grants; a project converts to equity when its firm raises a
qualifying round inside a window (converted at that round's price, optionally at a
discount). A converted stake then follows the equity outcome model of :mod:`model.funds`
(write-off or exit at a heavy-tailed multiple); an unconverted grant is sunk, or partly
recovered at the end of the window. The text gives no amounts: every number is an
assumption of the scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from model.funds import (
    OutcomeSpec,
    check_draw_range,
    check_years,
    concat_draws,
    draw_outcomes,
    quantiles,
    slice_draws,
    to_horizon,
)
from model.schema import StrictModel
from model.streams import block_ranges, stream


class ConversionSpec(StrictModel):
    """Assumptions of the 先投后股 programme (amounts in yuan, times in whole years).

    Each year from ``first_year`` to ``last_year`` the city funds
    ``U{projects_per_year_min, …, projects_per_year_max}`` projects with grants
    ``U(grant_min_yuan, grant_max_yuan)``, paid in the award year. A project converts with
    probability ``conversion_prob``, ``U{conversion_years_min, …, conversion_years_max}``
    years after the award, into a stake worth ``grant / (1 - conversion_discount)`` at the
    round's price; the stake then follows ``equity_outcome``. An unconverted project
    returns ``recovery_share`` of its grant with probability ``recovery_prob`` at the end
    of the window (award year + ``conversion_years_max``).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    first_year: int = Field(ge=2000, le=2100)
    last_year: int = Field(ge=2000, le=2100)
    projects_per_year_min: int = Field(ge=0, le=10_000)
    projects_per_year_max: int = Field(ge=0, le=10_000)
    grant_min_yuan: float = Field(gt=0)
    grant_max_yuan: float = Field(gt=0)
    conversion_prob: float = Field(ge=0, le=1)
    conversion_years_min: int = Field(ge=0, le=20)
    conversion_years_max: int = Field(ge=0, le=20)
    conversion_discount: float = Field(default=0.0, ge=0, le=0.9)
    recovery_prob: float = Field(default=0.0, ge=0, le=1)
    recovery_share: float = Field(default=0.0, ge=0, le=1)
    equity_outcome: OutcomeSpec
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        problems = []
        if self.first_year > self.last_year:
            problems.append("first_year must not be after last_year")
        if self.projects_per_year_min > self.projects_per_year_max:
            problems.append("projects_per_year_min must not exceed projects_per_year_max")
        if self.grant_min_yuan > self.grant_max_yuan:
            problems.append("grant_min_yuan must not exceed grant_max_yuan")
        if self.conversion_years_min > self.conversion_years_max:
            problems.append("conversion_years_min must not exceed conversion_years_max")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def timeline_years(self) -> int:
        """Length of the timeline from ``first_year`` that holds every cash flow."""
        outcome = self.equity_outcome
        realise = max(outcome.write_off_years_max, outcome.exit_years_max)
        return self.last_year - self.first_year + self.conversion_years_max + realise + 1


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
    def net_cost_yuan(self) -> np.ndarray:
        """Net fiscal cost by horizon year: outlay less inflow (yuan, (n, Y))."""
        return self.budget_outlay - self.budget_inflow

    @property
    def net_cost_life_yuan(self) -> np.ndarray:
        """Net fiscal cost over the programme's whole timeline (yuan, (n,))."""
        inflow = (self.budget_inflow.sum(1) + self.recoveries_before_yuan
                  + self.recoveries_beyond_yuan + self.exit_proceeds_before_yuan
                  + self.exit_proceeds_beyond_yuan)
        return self.grants_total_yuan - inflow


def _simulate_block(spec: ConversionSpec, years: np.ndarray, seed: int, block: int,
                    n: int) -> ConversionDraws:
    key = ("conversion", spec.id)
    grant_years, slots = spec.last_year - spec.first_year + 1, spec.projects_per_year_max
    span = spec.timeline_years
    n_slots = grant_years * slots
    slot_year = np.repeat(np.arange(grant_years), slots)
    slot_rank = np.tile(np.arange(slots), grant_years)

    counts = stream(seed, *key, "projects", block).integers(
        spec.projects_per_year_min, slots + 1, size=(n, grant_years))
    active = slot_rank < counts[:, slot_year]
    u_grant = stream(seed, *key, "grant", block).random((n, n_slots))
    grant = np.where(active, spec.grant_min_yuan
                     + u_grant * (spec.grant_max_yuan - spec.grant_min_yuan), 0.0)
    u_convert = stream(seed, *key, "convert", block).random((n, n_slots))
    converts = active & (u_convert < spec.conversion_prob)
    u_when = stream(seed, *key, "conversion_timing", block).random((n, n_slots))
    conversion_span = spec.conversion_years_max - spec.conversion_years_min + 1
    converted_at = slot_year + (spec.conversion_years_min
                                + u_when * conversion_span).astype(np.int64)
    u_recover = stream(seed, *key, "recovery", block).random((n, n_slots))
    recovers = active & ~converts & (u_recover < spec.recovery_prob)
    outcome = draw_outcomes([spec.equity_outcome], None, (n, n_slots), seed=seed, key=key,
                            block=block)
    stake = np.where(converts, grant / (1.0 - spec.conversion_discount), 0.0)

    rows = np.arange(n)[:, None] * span

    def by_year(values, year_of):
        index = np.broadcast_to(rows + year_of, values.shape).ravel()
        counts = np.bincount(index, values.ravel(), minlength=n * span)
        return counts.astype(float, copy=False).reshape(n, span)

    grants_by_year = np.zeros((n, span))
    grants_by_year[:, :grant_years] = grant.reshape(n, grant_years, slots).sum(axis=2)
    conversions_by_year = by_year(converts.astype(float), converted_at).astype(np.int64)
    converted_by_year = by_year(np.where(converts, grant, 0.0), converted_at)
    recoveries_by_year = by_year(np.where(recovers, spec.recovery_share * grant, 0.0),
                                 slot_year + spec.conversion_years_max)
    exits_by_year = by_year(outcome.multiple * stake, converted_at + outcome.lag_years)

    def horizon(values, stock=False):
        return to_horizon(values, spec.first_year, years, stock=stock)

    grants, grants_before, grants_beyond = horizon(grants_by_year)
    recoveries, recoveries_before, recoveries_beyond = horizon(recoveries_by_year)
    exits, exits_before, exits_beyond = horizon(exits_by_year)
    return ConversionDraws(
        conversion_id=spec.id, years=tuple(int(y) for y in years), grants_yuan=grants,
        conversions=horizon(conversions_by_year)[0],
        converted_yuan=horizon(converted_by_year)[0], recoveries_yuan=recoveries,
        exit_proceeds_yuan=exits, n_projects=active.sum(axis=1),
        n_converted=converts.sum(axis=1), grants_total_yuan=grant.sum(axis=1),
        grants_before_yuan=grants_before, recoveries_before_yuan=recoveries_before,
        exit_proceeds_before_yuan=exits_before, grants_beyond_yuan=grants_beyond,
        recoveries_beyond_yuan=recoveries_beyond, exit_proceeds_beyond_yuan=exits_beyond)


def simulate_conversion(spec: ConversionSpec, years: Sequence[int], start: int, stop: int,
                        *, seed: int) -> ConversionDraws:
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
    pieces = block_ranges(start, stop) or [(0, 0, 0)]
    return ConversionDraws.concat([
        slice_draws(_simulate_block(spec, horizon, seed, block, hi), lo, hi)
        for block, lo, hi in pieces])


def summarize_conversion(draws: ConversionDraws, spec: ConversionSpec, *,
                         tolerance: float | None = None) -> dict[str, pd.DataFrame]:
    """Tables of the 先投后股 draws.

    Parameters
    ----------
    draws : ConversionDraws
    spec : ConversionSpec
    tolerance : float, optional
        Accepted for a uniform signature; 先投后股 has no tolerance rate in the text.

    Returns
    -------
    dict of str to DataFrame
        ``conversion`` (index programme, year): means of grants, conversions (count and
        yuan), recoveries, equity proceeds and net cost, with the 5%/95% quantiles of the
        net cost; ``conversion_totals`` (index programme, period): before, in and beyond
        the horizon and over the whole timeline.
    """
    del tolerance
    net = draws.net_cost_yuan
    q = quantiles(net, [0.05, 0.95])
    index = pd.MultiIndex.from_product([[spec.id], list(draws.years)],
                                       names=["programme", "year"])
    by_year = pd.DataFrame({
        "grants_mean_yuan": draws.grants_yuan.mean(0),
        "conversions_mean": draws.conversions.mean(0),
        "converted_mean_yuan": draws.converted_yuan.mean(0),
        "recoveries_mean_yuan": draws.recoveries_yuan.mean(0),
        "exit_proceeds_mean_yuan": draws.exit_proceeds_yuan.mean(0),
        "net_cost_mean_yuan": net.mean(0),
        "net_cost_p05_yuan": q[0], "net_cost_p95_yuan": q[1],
    }, index=index)
    periods = {
        "before_horizon": (draws.grants_before_yuan, draws.recoveries_before_yuan,
                           draws.exit_proceeds_before_yuan),
        "horizon": (draws.grants_yuan.sum(1), draws.recoveries_yuan.sum(1),
                    draws.exit_proceeds_yuan.sum(1)),
        "beyond_horizon": (draws.grants_beyond_yuan, draws.recoveries_beyond_yuan,
                           draws.exit_proceeds_beyond_yuan),
    }
    periods["life"] = tuple(sum(p[i] for p in periods.values()) for i in range(3))
    totals = pd.DataFrame(
        [{"grants_mean_yuan": g.mean(), "recoveries_mean_yuan": r.mean(),
          "exit_proceeds_mean_yuan": e.mean(), "net_cost_mean_yuan": (g - r - e).mean(),
          "net_cost_p95_yuan": quantiles(g - r - e, [0.95])[0]}
         for g, r, e in periods.values()],
        index=pd.MultiIndex.from_product([[spec.id], list(periods)],
                                         names=["programme", "period"]))
    totals["conversion_share_mean"] = (draws.n_converted.sum()
                                       / max(int(draws.n_projects.sum()), 1))
    return {"conversion": by_year, "conversion_totals": totals}


__all__ = ["ConversionDraws", "ConversionSpec", "simulate_conversion", "summarize_conversion"]
