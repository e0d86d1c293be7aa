"""Fund portfolios under tolerance rates (容错率), article 20 of the draft policy.

Article 20: 用好10亿元规模未来种子基金 … 种子基金容错率50%，天使基金容错率40%. A fund is
a portfolio of deals made over an investment period; each deal is written off (with a
possible partial recovery) or exits at a multiple of its cost drawn from a lognormal body
with a Pareto tail. Losses are *realised* when a deal is written off or exits below cost;
unrealised holdings stay at cost. Tolerance is tested the way Chinese guidance funds apply
it: cumulative realised loss ÷ invested capital for the fund as a whole (one project may
lose 100% inside the cap), with per-category and per-project rules as alternatives.

Everything is vectorized over draws × deal slots. The only Python loops are over the
random-stream blocks of :mod:`model.streams` (:func:`model.draw_arrays.rows_of_blocks`),
which is what makes draws ``[0, n)`` of a longer run identical to a run of ``n`` draws,
and over chunks of a block's rows, which keeps the temporaries in the processor's cache
without changing any draw (every stream is consumed in row order). Deal outcomes come
from :mod:`model.outcomes`; each draw's timelines are accumulated with ``bincount`` on
flattened (draw, year) indices; the running-total budget rules only accumulate the
draws that come near their budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Self

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from model.draw_arrays import (
    VARIATE_DTYPE,
    check_draw_range,
    check_years,
    concat_draws,
    join_rows,
    quantiles,
    rows_of_blocks,
    to_horizon,
)
from model.outcomes import (
    OutcomeSpec,
    OutcomeTable,
    conditional_thresholds,
    copula_latent,
    per_category,
    sample_outcomes,
)
from model.schema import StrictModel
from model.streams import stream

#: ``first_breach_year`` of a draw that never breaches.
NO_BREACH = 0

_ID = r"^[a-z][a-z0-9_]*$"


class Category(StrEnum):
    """Investment stage of a deal, as tolerance rules group them."""

    SEED = "seed"
    ANGEL = "angel"
    VENTURE = "venture"


class ToleranceRule(StrEnum):
    """How the tolerance rate is tested."""

    FUND = "fund"  # cumulative loss ÷ invested, the fund as a whole
    CATEGORY = "category"  # the same within each stage category, each its own rate
    PER_PROJECT = "per_project"  # each project's loss ÷ its cost (the strict reading)


class LossMeasure(StrEnum):
    """What counts as loss in the numerator of the loss ratio."""

    GROSS = "gross"  # realised losses only (write-offs, exits below cost)
    NET = "net"  # realised losses less realised gains, floored at zero


class StageSpec(StrictModel):
    """The deals of one stage category inside a fund.

    Each investment year the fund makes ``U{deals_per_year_min, …, deals_per_year_max}``
    deals of this stage, with tickets ``U(ticket_min_yuan, ticket_max_yuan)`` (yuan).
    """

    category: Annotated[Category, Field(strict=False)]
    deals_per_year_min: int = Field(ge=0, le=10_000)
    deals_per_year_max: int = Field(ge=0, le=10_000)
    ticket_min_yuan: float = Field(gt=0)
    ticket_max_yuan: float = Field(gt=0)
    tolerance: float = Field(ge=0, le=1, description="Rate used by the category rule.")
    outcome: OutcomeSpec
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _tickets(self) -> Self:
        if self.ticket_min_yuan > self.ticket_max_yuan:
            raise ValueError("ticket_min_yuan must not exceed ticket_max_yuan")
        if self.deals_per_year_min > self.deals_per_year_max:
            raise ValueError("deals_per_year_min must not exceed deals_per_year_max")
        return self


class FundSpec(StrictModel):
    """A fund: size, the city's share, pacing, follow-ons, fees and its tolerance rule.

    Fees are a fixed schedule on committed capital (``fee_rate_investment`` a year in the
    investment period, ``fee_rate_after`` a year afterwards), so the capital left to invest
    is ``size_yuan`` less all fees; ``follow_on_reserve`` of it is kept for follow-ons.
    Capital calls (investments plus fees) never exceed ``size_yuan``. The manager's
    carried interest is ``carry_rate`` of the fund's profit, taken from distributions
    once the investors have got back everything they paid in (a whole-fund waterfall
    without hurdle); profit concessions to social capital (让利) are not modelled.
    ``outcome_correlation`` ties the outcomes of one draw's deals together through a
    common factor (see :func:`draw_outcomes`).
    """

    id: str = Field(pattern=_ID, max_length=64)
    name_zh: str | None = None
    size_yuan: float = Field(gt=0)
    city_share: float = Field(gt=0, le=1, description="City's share of the fund's capital.")
    first_year: int = Field(ge=2000, le=2100)
    investment_years: int = Field(ge=1, le=20)
    life_years: int = Field(ge=1, le=30)
    follow_on_reserve: float = Field(default=0.0, ge=0, lt=1)
    follow_on_prob: float = Field(default=0.0, ge=0, le=1)
    follow_on_ratio: float = Field(default=1.0, ge=0, le=20)
    follow_on_lag_years: int = Field(default=2, ge=1, le=20)
    fee_rate_investment: float = Field(default=0.0, ge=0, le=0.1)
    fee_rate_after: float = Field(default=0.0, ge=0, le=0.1)
    carry_rate: float = Field(default=0.0, ge=0, le=0.5)
    outcome_correlation: float = Field(default=0.0, ge=0, lt=1)
    tolerance: float = Field(ge=0, le=1, description="Tolerance rate (article 20).")
    tolerance_rule: Annotated[ToleranceRule, Field(strict=False)] = ToleranceRule.FUND
    loss_measure: Annotated[LossMeasure, Field(strict=False)] = LossMeasure.GROSS
    stages: list[StageSpec] = Field(min_length=1, max_length=3)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        if self.life_years < self.investment_years:
            problems.append("life_years must be at least investment_years")
        if self.fee_schedule().sum() >= self.size_yuan:
            problems.append("management fees would use up the whole fund")
        categories = [stage.category for stage in self.stages]
        if len(set(categories)) != len(categories):
            problems.append("each stage category may appear once")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def fee_schedule(self) -> np.ndarray:
        """Management fees by year of the fund's life (yuan, length ``life_years``)."""
        rates = np.where(
            np.arange(self.life_years) < self.investment_years,
            self.fee_rate_investment,
            self.fee_rate_after,
        )
        return rates * self.size_yuan

    @property
    def investable_yuan(self) -> float:
        """Capital available for deals: the fund size less all fees (yuan)."""
        return float(self.size_yuan - self.fee_schedule().sum())

    @property
    def last_year(self) -> int:
        """Liquidation year (calendar)."""
        return self.first_year + self.life_years - 1


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FundDraws:
    """Simulated draws of one fund. Money in yuan; ``(n, Y)`` arrays follow ``years``.

    Attributes
    ----------
    fund_id, years, first_year, city_share
        Identity, the horizon, the fund's first calendar year and the city's share.
    invested_cum_yuan : (n, Y)
        Cumulative cost invested (initial tickets and follow-ons) at year-end.
    calls_yuan, distributions_yuan : (n, Y)
        Fund capital calls (investments + fees) and distributions to the investors (exit
        proceeds and recoveries, less carried interest), by year.
    city_calls_yuan, city_distributions_yuan : (n, Y)
        The city's share of the calls and distributions.
    realised_loss_cum_yuan : (n, Y)
        Cumulative realised gross loss (write-offs, exits below cost) at year-end.
    loss_ratio : (n, Y)
        The fund-level loss ratio (per ``loss_measure``) at year-end.
    breach : (n, Y) bool
        The tolerance rule is breached at that year-end.
    loss_ratio_life : (n, life_years)
        The fund-level loss ratio at every year-end of the fund's life.
    n_deals, invested_total_yuan, realised_loss_total_yuan : (n,)
    liquidation_loss_ratio, liquidation_breach : (n,)
        At the end of the fund's life (everything realised).
    first_breach_year : (n,) int
        First calendar year-end with a breach over the whole life, or ``NO_BREACH`` (0).
    excess_loss_yuan : (n,)
        Loss beyond the tolerance at liquidation, per the rule.
    calls_before_yuan, distributions_before_yuan, calls_beyond_yuan,
    distributions_beyond_yuan : (n,)
        Fund flows in years before and after the horizon.
    """

    fund_id: str
    years: tuple[int, ...]
    first_year: int
    city_share: float
    invested_cum_yuan: np.ndarray
    calls_yuan: np.ndarray
    distributions_yuan: np.ndarray
    city_calls_yuan: np.ndarray
    city_distributions_yuan: np.ndarray
    realised_loss_cum_yuan: np.ndarray
    loss_ratio: np.ndarray
    breach: np.ndarray
    loss_ratio_life: np.ndarray
    n_deals: np.ndarray
    invested_total_yuan: np.ndarray
    realised_loss_total_yuan: np.ndarray
    liquidation_loss_ratio: np.ndarray
    liquidation_breach: np.ndarray
    first_breach_year: np.ndarray
    excess_loss_yuan: np.ndarray
    calls_before_yuan: np.ndarray
    distributions_before_yuan: np.ndarray
    calls_beyond_yuan: np.ndarray
    distributions_beyond_yuan: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[FundDraws]) -> FundDraws:
        """Join chunks of draws (in order) into one."""
        return concat_draws(cls, list(parts))

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.n_deals.shape[0])

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays in each horizon year: its capital calls (yuan, (n, Y))."""
        return self.city_calls_yuan

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back to the city each year: its distributions (yuan, (n, Y))."""
        return self.city_distributions_yuan

    @property
    def city_loss_yuan(self) -> np.ndarray:
        """The city's share of the realised gross loss over the fund's life (yuan, (n,))."""
        return self.city_share * self.realised_loss_total_yuan

    @property
    def city_net_cost_yuan(self) -> np.ndarray:
        """City calls less city distributions over the fund's life (yuan; < 0 is a gain)."""
        calls = self.calls_yuan.sum(1) + self.calls_before_yuan + self.calls_beyond_yuan
        dists = (
            self.distributions_yuan.sum(1)
            + self.distributions_before_yuan
            + self.distributions_beyond_yuan
        )
        return self.city_share * (calls - dists)


# --------------------------------------------------------------------------- simulation


def _cumulative_ratio(loss_by_year, gain_by_year, invest_by_year, measure):
    """Year-end loss ratio from flows on the last axis; also returns the numerator."""
    numerator = np.cumsum(loss_by_year, axis=-1)
    if measure == LossMeasure.NET:
        numerator = np.maximum(numerator - np.cumsum(gain_by_year, axis=-1), 0.0)
    invested = np.cumsum(invest_by_year, axis=-1)
    ratio = np.divide(numerator, invested, out=np.zeros_like(numerator), where=invested > 0)
    return np.minimum(ratio, 1.0), numerator, invested


def _first_true(flags: np.ndarray) -> np.ndarray:
    """Index of the first True on the last axis, or the axis length when none."""
    return np.where(flags.any(axis=-1), flags.argmax(axis=-1), flags.shape[-1])


#: Rows of a block simulated together. The (rows × deal slots) temporaries of a chunk
#: stay in the processor's cache; the random streams are consumed in row order across
#: chunks, so the chunking never changes a draw.
_CHUNK_ROWS = 512

#: Streams drawn per deal slot (or per body exit) in :func:`_simulate_rows`.
_SLOT_STREAMS = ("ticket", "outcome", "timing", "multiple", "follow_on")


@dataclass(frozen=True)
class _FundPlan:
    """Constants of a fund's deal slots, computed once per :func:`simulate_fund` call.

    Slots are year-major, then stage, then rank within the stage's yearly maximum
    count; a slot is used when its rank is below its (year, stage) cell's count.
    """

    per_year: int
    n_slots: int
    deals_min: np.ndarray
    deals_max: np.ndarray
    cell_slots: np.ndarray
    slot_rank: np.ndarray
    slot_year: np.ndarray
    slot_stage: np.ndarray
    follow_year: np.ndarray
    investable: float
    ticket_lo: np.ndarray | np.floating
    ticket_span: np.ndarray | np.floating
    table: OutcomeTable
    category: np.ndarray | None

    @classmethod
    def of(cls, spec: FundSpec) -> _FundPlan:
        stages, years = spec.stages, spec.investment_years
        deals_min = np.array([stage.deals_per_year_min for stage in stages])
        deals_max = np.array([stage.deals_per_year_max for stage in stages])
        per_year = int(deals_max.sum())
        slot_stage = np.tile(np.repeat(np.arange(len(stages)), deals_max), years)
        slot_year = np.repeat(np.arange(years, dtype=np.int8), per_year)
        ticket_lo = np.array([stage.ticket_min_yuan for stage in stages])
        ticket_span = np.array([stage.ticket_max_yuan for stage in stages]) - ticket_lo
        table = OutcomeTable.of([stage.outcome for stage in stages])
        return cls(
            per_year=per_year,
            n_slots=years * per_year,
            deals_min=deals_min,
            deals_max=deals_max,
            cell_slots=np.tile(deals_max, years),
            slot_rank=np.tile(np.concatenate([np.arange(k) for k in deals_max]), years).astype(
                np.int16
            ),
            slot_year=slot_year,
            slot_stage=slot_stage,
            follow_year=(slot_year + spec.follow_on_lag_years).astype(np.int8),
            investable=spec.investable_yuan,
            ticket_lo=per_category(ticket_lo, slot_stage),
            ticket_span=per_category(ticket_span, slot_stage),
            table=table,
            category=None if table.shared else slot_stage,
        )


def _keep_within(amounts: np.ndarray, budget, used: np.ndarray | None = None) -> np.ndarray:
    """Zero, in place, each row's amounts from the first whose running total exceeds
    ``budget`` (a scalar or one per row), clearing ``used`` there too; returns the rows
    that may have been cut (the others are unchanged).

    The amounts are non-negative, so a row whose total is below the budget keeps them
    all: only the rows near or over it are accumulated. The margin covers the
    difference between numpy's pairwise sum and the sequential running sum (below
    ``slots · 2.2e-16`` of the total), so the result is that of the running sum.
    """
    budget = np.asarray(budget, dtype=np.float64)
    total = amounts.sum(axis=1)
    near = np.flatnonzero(total * (1.0 + 1e-15 * amounts.shape[1]) > budget)
    if near.size > amounts.shape[0] // 2:
        # most rows: cutting all of them in place beats gathering and scattering rows
        fits = np.cumsum(amounts, axis=1) <= (budget if budget.ndim == 0 else budget[:, None])
        amounts *= fits
        if used is not None:
            used &= fits
    elif near.size:
        limit = budget if budget.ndim == 0 else budget[near, None]
        fits = np.cumsum(amounts[near], axis=1) <= limit
        amounts[near] *= fits
        if used is not None:
            used[near] &= fits
    return near


def _simulate_rows(
    spec: FundSpec,
    plan: _FundPlan,
    streams: dict,
    counts: np.ndarray,
    factor: np.ndarray | None,
    per_row: tuple[np.ndarray, ...] | None,
) -> dict[str, np.ndarray]:
    """Per-draw results of a chunk of rows: flows by year of the fund's life and the
    rule's breach inputs. ``streams`` are consumed in row order; ``factor`` and
    ``per_row`` are the rows' copula factors and :func:`conditional_thresholds`."""
    n = counts.shape[0]
    life, invest_years = spec.life_years, spec.investment_years
    per_year, n_slots = plan.per_year, plan.n_slots

    cell_counts = counts.reshape(n, plan.cell_slots.size).astype(np.int16)
    active = plan.slot_rank < np.repeat(cell_counts, plan.cell_slots, axis=1)
    # yuan, in float64 from the single-precision variates
    ticket = streams["ticket"].random((n, n_slots), dtype=VARIATE_DTYPE) * plan.ticket_span
    ticket += plan.ticket_lo
    ticket *= active
    # deals are made in order until the next one no longer fits the initial budget
    investable = plan.investable
    near = _keep_within(ticket, investable * (1.0 - spec.follow_on_reserve), active)
    n_deals = counts.sum(axis=(1, 2))
    n_deals[near] = np.count_nonzero(active[near], axis=1)

    v = streams["outcome"].random((n, n_slots), dtype=VARIATE_DTYPE)
    u_timing = streams["timing"].random((n, n_slots), dtype=VARIATE_DTYPE)
    thresholds = latent = None
    if factor is not None and per_row is not None:
        if plan.category is None:
            thresholds = tuple(t[:, :1] for t in per_row)
        else:  # one per slot: comparing with a broadcast (rows, 1, per_year) is slower
            thresholds = tuple(
                np.repeat(np.tile(t, invest_years), plan.cell_slots, axis=1) for t in per_row
            )
        latent = copula_latent(factor, spec.outcome_correlation, n_slots)
    category_of = None if plan.category is None else lambda index: plan.slot_stage[index % n_slots]
    multiple, realised, _ = sample_outcomes(
        plan.table,
        v,
        u_timing,
        streams["multiple"],
        category=plan.category,
        category_of=category_of,
        thresholds=thresholds,
        latent=latent,
        active=active,
    )
    realised += plan.slot_year
    np.minimum(realised, life - 1, out=realised)

    follow = None
    if spec.follow_on_prob > 0 and spec.follow_on_ratio > 0:
        eligible = (
            streams["follow_on"].random((n, n_slots), dtype=VARIATE_DTYPE) < spec.follow_on_prob
        )
        eligible &= active
        eligible &= realised > plan.follow_year  # the stake is still held at the round
        follow = np.multiply(ticket, eligible)
        if spec.follow_on_ratio != 1:
            follow *= spec.follow_on_ratio
        _keep_within(follow, investable - ticket.sum(axis=1))
    cost = ticket if follow is None else ticket + follow
    proceeds = multiple * cost
    loss = np.subtract(cost, proceeds)
    np.maximum(loss, 0.0, out=loss)

    # flows by year of the fund's life, (n, life)
    invest_by_year = np.zeros((n, life))
    invest_by_year[:, :invest_years] = ticket.reshape(n, invest_years, per_year).sum(axis=2)
    lag = spec.follow_on_lag_years
    if follow is not None and lag < life:
        width = min(invest_years, life - lag)
        follow_by_year = follow.reshape(n, invest_years, per_year).sum(axis=2)
        invest_by_year[:, lag : lag + width] += follow_by_year[:, :width]
    flat = np.add(realised, (np.arange(n) * life)[:, None], dtype=np.intp).reshape(-1)

    def by_realised_year(values):
        # (bincount returns integers when there are no deals at all)
        sums = np.bincount(flat, values.reshape(-1), minlength=n * life)
        return sums.astype(float, copy=False).reshape(n, life)

    rows = {
        "invest_by_year": invest_by_year,
        "dist_by_year": by_realised_year(proceeds),
        "loss_by_year": by_realised_year(loss),
        "n_deals": n_deals,
    }
    rows["realised_loss_total"] = rows["loss_by_year"].sum(axis=1)
    gain = None
    if spec.loss_measure == LossMeasure.NET:
        gain = np.subtract(proceeds, cost)
        np.maximum(gain, 0.0, out=gain)
        rows["gain_by_year"] = by_realised_year(gain)

    rule, tolerance = spec.tolerance_rule, spec.tolerance
    if rule == ToleranceRule.CATEGORY:
        n_cat = len(spec.stages)
        index = (np.arange(n)[:, None] * n_cat + plan.slot_stage) * life

        def by_category(values, years_of):
            sums = np.bincount(
                (index + years_of).ravel(), values.ravel(), minlength=n * n_cat * life
            )
            return sums.astype(float, copy=False).reshape(n, n_cat, life)

        cat_gain = None if gain is None else by_category(gain, realised)
        cat_invest = by_category(ticket, np.broadcast_to(plan.slot_year, realised.shape))
        if follow is not None:
            follow_at = np.minimum(plan.follow_year, life - 1)
            cat_invest += by_category(follow, np.broadcast_to(follow_at, realised.shape))
        cat_ratio, cat_num, cat_inv = _cumulative_ratio(
            by_category(loss, realised), cat_gain, cat_invest, spec.loss_measure
        )
        rates = np.array([s.tolerance for s in spec.stages])
        rows["breach_life"] = (cat_ratio > rates[None, :, None]).any(axis=1)
        rows["excess"] = np.maximum(cat_num[:, :, -1] - rates * cat_inv[:, :, -1], 0.0).sum(axis=1)
    elif rule == ToleranceRule.PER_PROJECT:
        bad = active & (loss > tolerance * cost)
        rows["first_bad"] = np.where(bad, realised, life).min(axis=1, initial=life)
        rows["excess"] = np.maximum(loss - tolerance * cost, 0.0).sum(axis=1)
    return rows


def _simulate_block(
    spec: FundSpec, plan: _FundPlan, seed: int, block: int, n: int
) -> dict[str, np.ndarray]:
    """Per-draw results of rows ``[0, n)`` of a block (see :func:`_simulate_rows`)."""
    key = ("fund", spec.id)
    counts = stream(seed, *key, "deals", block).integers(
        plan.deals_min, plan.deals_max + 1, size=(n, spec.investment_years, len(spec.stages))
    )
    factor = per_row = None
    if spec.outcome_correlation > 0:
        factor = stream(seed, *key, "outcome_factor", block).standard_normal(n)
        per_row = conditional_thresholds(plan.table, factor, spec.outcome_correlation)
    streams = {name: stream(seed, *key, name, block) for name in _SLOT_STREAMS}
    chunks = []
    for lo in range(0, n, _CHUNK_ROWS) or [0]:
        rows = slice(lo, lo + _CHUNK_ROWS)
        chunks.append(
            _simulate_rows(
                spec,
                plan,
                streams,
                counts[rows],
                None if factor is None else factor[rows],
                None if per_row is None else tuple(t[rows] for t in per_row),
            )
        )
    return join_rows(chunks)


def _fund_draws(spec: FundSpec, years: np.ndarray, rows: dict[str, np.ndarray]) -> FundDraws:
    """The fund's draws from the per-draw results of :func:`_simulate_rows`."""
    life = spec.life_years
    invest_by_year, dist_by_year = rows["invest_by_year"], rows["dist_by_year"]
    loss_by_year = rows["loss_by_year"]
    ratio, numerator, invested = _cumulative_ratio(
        loss_by_year, rows.get("gain_by_year"), invest_by_year, spec.loss_measure
    )
    loss_cum = (
        numerator if spec.loss_measure == LossMeasure.GROSS else np.cumsum(loss_by_year, axis=1)
    )

    rule, tolerance = spec.tolerance_rule, spec.tolerance
    if rule == ToleranceRule.FUND:
        breach_life = ratio > tolerance
        excess = np.maximum(numerator[:, -1] - tolerance * invested[:, -1], 0.0)
    elif rule == ToleranceRule.CATEGORY:
        breach_life, excess = rows["breach_life"], rows["excess"]
    elif rule == ToleranceRule.PER_PROJECT:
        breach_life = np.arange(life)[None, :] >= rows["first_bad"][:, None]
        excess = rows["excess"]
    else:
        raise ValueError(f"unknown tolerance rule {rule!r}")

    first = _first_true(breach_life)
    first_year = np.where(first < life, spec.first_year + first, NO_BREACH)
    fees = spec.fee_schedule()
    calls_life = invest_by_year + fees
    if spec.carry_rate:
        # carry accrues on cumulative distributions beyond everything paid in; each
        # year's increment is at most carry_rate of that year's distributions
        paid_in = calls_life.sum(axis=1, keepdims=True)
        excess_paid_out = np.maximum(np.cumsum(dist_by_year, axis=1) - paid_in, 0.0)
        dist_by_year = dist_by_year - spec.carry_rate * np.diff(
            excess_paid_out, axis=1, prepend=0.0
        )
    share = spec.city_share
    calls, calls_before, calls_beyond = to_horizon(calls_life, spec.first_year, years, stock=False)
    dists, dists_before, dists_beyond = to_horizon(
        dist_by_year, spec.first_year, years, stock=False
    )

    def stock(values):
        return to_horizon(values, spec.first_year, years, stock=True)[0]

    return FundDraws(
        fund_id=spec.id,
        years=tuple(int(y) for y in years),
        first_year=spec.first_year,
        city_share=share,
        invested_cum_yuan=stock(invested),
        calls_yuan=calls,
        distributions_yuan=dists,
        city_calls_yuan=share * calls,
        city_distributions_yuan=share * dists,
        realised_loss_cum_yuan=stock(loss_cum),
        loss_ratio=stock(ratio),
        breach=stock(breach_life),
        loss_ratio_life=ratio,
        n_deals=rows["n_deals"],
        invested_total_yuan=invested[:, -1],
        realised_loss_total_yuan=rows["realised_loss_total"],
        liquidation_loss_ratio=ratio[:, -1],
        liquidation_breach=breach_life[:, -1],
        first_breach_year=first_year,
        excess_loss_yuan=excess,
        calls_before_yuan=calls_before,
        distributions_before_yuan=dists_before,
        calls_beyond_yuan=calls_beyond,
        distributions_beyond_yuan=dists_beyond,
    )


def simulate_fund(
    spec: FundSpec, years: Sequence[int], start: int, stop: int, *, seed: int
) -> FundDraws:
    """Simulate draws ``[start, stop)`` of one fund.

    Parameters
    ----------
    spec : FundSpec
    years : sequence of int
        The horizon (consecutive calendar years). Flows outside it are reported as
        before/beyond-horizon totals; the fund's whole life is always simulated.
    start, stop : int
        The draw range; draw ``i`` is the same whatever range it is simulated in.
    seed : int
        Root seed; streams are keyed ``("fund", spec.id, quantity, block)``.

    Returns
    -------
    FundDraws
    """
    horizon = check_years(years)
    check_draw_range(start, stop)
    plan = _FundPlan.of(spec)
    rows = rows_of_blocks(lambda block, n: _simulate_block(spec, plan, seed, block, n), start, stop)
    return _fund_draws(spec, horizon, rows)


# --------------------------------------------------------------------------- summaries


def _rule_flags(draws: FundDraws, tolerance: float | None):
    """Breach flags (by horizon year, at liquidation, first year) and excess loss."""
    if tolerance is None:
        return (
            draws.breach,
            draws.liquidation_breach,
            draws.first_breach_year,
            draws.excess_loss_yuan,
        )
    life = draws.loss_ratio_life > tolerance
    first = _first_true(life)
    first_year = np.where(first < life.shape[1], draws.first_year + first, NO_BREACH)
    numerator = draws.liquidation_loss_ratio * draws.invested_total_yuan
    excess = np.maximum(numerator - tolerance * draws.invested_total_yuan, 0.0)
    return draws.loss_ratio > tolerance, life[:, -1], first_year, excess


def summarize_funds(
    draws: FundDraws, spec: FundSpec, *, tolerance: float | None = None
) -> dict[str, pd.DataFrame]:
    """Summary tables of one fund's draws.

    Parameters
    ----------
    draws : FundDraws
    spec : FundSpec
        The spec the draws came from.
    tolerance : float, optional
        Test this rate against the fund-level loss ratio instead of the spec's rule
        (``None``: the flags simulated with the spec's rule and rates).

    Returns
    -------
    dict of str to DataFrame
        ``funds_by_year`` (index fund, year): means and quantiles of invested capital,
        calls, distributions, the city's flows, realised loss and the loss ratio, and
        P(breach) at each year-end and P(first breach by then);
        ``funds_totals`` (index fund, period): mean flows before, in and beyond the
        horizon and over the life; ``tolerance`` (index fund): the liquidation loss-ratio
        distribution, P(breach) with its standard error, expected excess loss and the
        city's loss; ``first_breach_year`` (index fund, first_breach_year): shares.
    """
    rate = spec.tolerance if tolerance is None else tolerance
    rule = str(spec.tolerance_rule) if tolerance is None else str(ToleranceRule.FUND)
    breach, breach_liq, first_year, excess = _rule_flags(draws, tolerance)
    n, years = draws.n_draws, list(draws.years)
    first_by = (first_year[:, None] != NO_BREACH) & (first_year[:, None] <= np.array(years))
    q = quantiles(draws.loss_ratio, [0.05, 0.5, 0.95])
    by_year = pd.DataFrame(
        {
            "invested_cum_mean_yuan": draws.invested_cum_yuan.mean(0),
            "calls_mean_yuan": draws.calls_yuan.mean(0),
            "distributions_mean_yuan": draws.distributions_yuan.mean(0),
            "city_calls_mean_yuan": draws.city_calls_yuan.mean(0),
            "city_calls_p95_yuan": quantiles(draws.city_calls_yuan, [0.95])[0],
            "city_distributions_mean_yuan": draws.city_distributions_yuan.mean(0),
            "city_net_outlay_mean_yuan": (
                draws.city_calls_yuan - draws.city_distributions_yuan
            ).mean(0),
            "realised_loss_cum_mean_yuan": draws.realised_loss_cum_yuan.mean(0),
            "loss_ratio_mean": draws.loss_ratio.mean(0),
            "loss_ratio_p05": q[0],
            "loss_ratio_p50": q[1],
            "loss_ratio_p95": q[2],
            "p_breach": breach.mean(0),
            "p_first_breach_by_year": first_by.mean(0),
        },
        index=pd.MultiIndex.from_product([[spec.id], years], names=["fund", "year"]),
    )

    share = draws.city_share
    periods = {
        "before_horizon": (draws.calls_before_yuan, draws.distributions_before_yuan),
        "horizon": (draws.calls_yuan.sum(1), draws.distributions_yuan.sum(1)),
        "beyond_horizon": (draws.calls_beyond_yuan, draws.distributions_beyond_yuan),
    }
    periods["life"] = tuple(sum(p[i] for p in periods.values()) for i in range(2))
    totals = pd.DataFrame(
        [
            {
                "calls_mean_yuan": c.mean(),
                "distributions_mean_yuan": d.mean(),
                "city_calls_mean_yuan": share * c.mean(),
                "city_distributions_mean_yuan": share * d.mean(),
                "city_net_outlay_mean_yuan": share * (c - d).mean(),
            }
            for c, d in periods.values()
        ],
        index=pd.MultiIndex.from_product([[spec.id], list(periods)], names=["fund", "period"]),
    )

    levels = [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    ql = quantiles(draws.liquidation_loss_ratio, levels)
    p_breach = breach_liq.mean() if n else np.nan
    row = {
        "tolerance": rate,
        "tolerance_rule": rule,
        "loss_measure": str(spec.loss_measure),
        "draws": n,
        "mean_deals": draws.n_deals.mean(),
        "mean_invested_yuan": draws.invested_total_yuan.mean(),
        "loss_ratio_mean": draws.liquidation_loss_ratio.mean(),
        **{f"loss_ratio_p{round(level * 100):02d}": v for level, v in zip(levels, ql, strict=True)},
        "p_breach_liquidation": p_breach,
        "p_breach_liquidation_se": np.sqrt(p_breach * (1 - p_breach) / n) if n else np.nan,
        "p_breach_ever": (first_year != NO_BREACH).mean(),
        "expected_excess_loss_yuan": excess.mean(),
        "excess_loss_p95_yuan": quantiles(excess, [0.95])[0],
        "city_share": share,
        "expected_city_loss_yuan": draws.city_loss_yuan.mean(),
        "city_net_cost_mean_yuan": draws.city_net_cost_yuan.mean(),
        **{
            f"city_net_cost_p{round(level * 100):02d}_yuan": v
            for level, v in zip(
                (0.05, 0.5, 0.95),
                quantiles(draws.city_net_cost_yuan, [0.05, 0.5, 0.95]),
                strict=True,
            )
        },
        "p_city_net_loss": (draws.city_net_cost_yuan > 0).mean(),
    }
    tolerance_table = pd.DataFrame([row], index=pd.Index([spec.id], name="fund"))

    labels = np.where(first_year == NO_BREACH, "none", first_year.astype(str))
    values, counts = np.unique(labels, return_counts=True)
    first_table = pd.DataFrame(
        {"share": counts / max(n, 1)},
        index=pd.MultiIndex.from_product([[spec.id], values], names=["fund", "first_breach_year"]),
    )
    return {
        "funds_by_year": by_year,
        "funds_totals": totals,
        "tolerance": tolerance_table,
        "first_breach_year": first_table,
    }


def plot_loss_ratio(draws: FundDraws, spec: FundSpec) -> Figure:
    """Histogram of the liquidation loss ratio with the tolerance rate marked.

    Built on :class:`matplotlib.figure.Figure` directly, so no GUI backend is involved.
    """
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.subplots()
    axes.hist(
        draws.liquidation_loss_ratio,
        bins=list(np.linspace(0, 1, 51)),
        color="#4c72b0",
        alpha=0.85,
        density=True,
    )
    axes.axvline(
        spec.tolerance, color="#c44e52", linewidth=2, label=f"tolerance {spec.tolerance:.0%}"
    )
    p = draws.liquidation_breach.mean() if draws.n_draws else float("nan")
    axes.set_title(
        f"{spec.id}: loss ratio at liquidation ({spec.last_year})\n"
        f"P(breach, {spec.tolerance_rule!s} rule) = {p:.1%}",
        fontsize=10,
    )
    axes.set_xlabel(f"cumulative realised {spec.loss_measure!s} loss ÷ invested capital")
    axes.set_ylabel("density")
    axes.legend()
    return figure


__all__ = [
    "NO_BREACH",
    "Category",
    "FundDraws",
    "FundSpec",
    "LossMeasure",
    "StageSpec",
    "ToleranceRule",
    "plot_loss_ratio",
    "simulate_fund",
    "summarize_funds",
]
