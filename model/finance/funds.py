"""Fund portfolios under tolerance rates (容错率), article 20 of the draft policy.

Article 20: 用好10亿元规模未来种子基金 … 种子基金容错率50%，天使基金容错率40%. A fund is
a portfolio of deals made over an investment period; each deal is written off (with a
possible partial recovery) or exits at a multiple of its cost drawn from a lognormal body
with a Pareto tail. Losses are *realised* when a deal is written off or exits below cost;
unrealised holdings stay at cost. Tolerance is tested the way Chinese guidance funds apply
it: cumulative realised loss ÷ invested capital for the fund as a whole (one project may
lose 100% inside the cap), with per-category and per-project rules as alternatives.

Everything is vectorized over draws × deal slots. The only Python loops are over the
random-stream blocks (:func:`model.finance.draw_arrays.rows_of_blocks`), which makes
draws ``[0, n)`` of a longer run those of a run of ``n`` draws, and over chunks of a
block's rows, which keeps temporaries in cache without changing a draw. Deal outcomes
come from :mod:`model.finance.outcomes`; timelines are accumulated with ``bincount`` on
flattened (draw, year) indices; the running-total budget rules only accumulate the
draws that come near their budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.core.streams import stream
from model.finance.contract import SpecModel
from model.finance.draw_arrays import (
    VARIATE_DTYPE,
    check_draw_range,
    check_years,
    join_rows,
    rows_of_blocks,
    to_horizon,
)
from model.finance.fund_draws import NO_BREACH, FundDraws, first_true, recycle
from model.finance.fund_tables import fund_quantities, fund_tables, summarize_funds
from model.finance.outcomes import (
    OutcomeTable,
    conditional_thresholds,
    copula_latent,
    per_category,
    sample_outcomes,
)
from model.finance.period_tables import Flow
from model.policy.periods import Periods
from model.policy.programmes import FundSpec, LossBase, LossMeasure, ToleranceRule

# --------------------------------------------------------------------------- results


def _loss_base_flows(spec: FundSpec, invest_by_year: np.ndarray, fees: np.ndarray) -> np.ndarray:
    """Yearly additions to the loss ratio's denominator, (n, life): the capital invested,
    the capital called (investments and fees, 实缴) or the fund's size in its first year."""
    if spec.loss_base == LossBase.PAID_IN:
        return invest_by_year + fees
    if spec.loss_base == LossBase.COMMITTED:
        flows = np.zeros_like(invest_by_year)
        flows[:, 0] = spec.size_yuan
        return flows
    return invest_by_year


def _cumulative_ratio(loss_by_year, gain_by_year, invest_by_year, measure):
    """Year-end loss ratio from flows on the last axis; also returns the numerator."""
    numerator = np.cumsum(loss_by_year, axis=-1)
    if measure == LossMeasure.NET:
        numerator = np.maximum(numerator - np.cumsum(gain_by_year, axis=-1), 0.0)
    invested = np.cumsum(invest_by_year, axis=-1)
    ratio = np.divide(numerator, invested, out=np.zeros_like(numerator), where=invested > 0)
    return np.minimum(ratio, 1.0), numerator, invested


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
    fees = spec.fee_schedule()
    ratio, numerator, base = _cumulative_ratio(
        loss_by_year,
        rows.get("gain_by_year"),
        _loss_base_flows(spec, invest_by_year, fees),
        spec.loss_measure,
    )
    invested = np.cumsum(invest_by_year, axis=1)
    loss_cum = (
        numerator if spec.loss_measure == LossMeasure.GROSS else np.cumsum(loss_by_year, axis=1)
    )

    rule, tolerance = spec.tolerance_rule, spec.tolerance
    if rule == ToleranceRule.FUND:
        breach_life = ratio > tolerance
        excess = np.maximum(numerator[:, -1] - tolerance * base[:, -1], 0.0)
    elif rule == ToleranceRule.CATEGORY:
        breach_life, excess = rows["breach_life"], rows["excess"]
    elif rule == ToleranceRule.PER_PROJECT:
        breach_life = np.arange(life)[None, :] >= rows["first_bad"][:, None]
        excess = rows["excess"]
    else:
        raise ValueError(f"unknown tolerance rule {rule!r}")

    first = first_true(breach_life)
    first_year = np.where(first < life, spec.first_year + first, NO_BREACH)
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
    recycled_life, paid_out_life = recycle(spec, calls_life, dist_by_year)
    calls, calls_before, calls_beyond = to_horizon(calls_life, spec.first_year, years, stock=False)
    dists, dists_before, dists_beyond = to_horizon(
        dist_by_year, spec.first_year, years, stock=False
    )
    recycled, recycled_before, recycled_beyond = to_horizon(
        recycled_life, spec.first_year, years, stock=False
    )
    paid_out, paid_out_before, paid_out_beyond = to_horizon(
        paid_out_life, spec.first_year, years, stock=False
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
        loss_base_total_yuan=base[:, -1],
        realised_loss_total_yuan=rows["realised_loss_total"],
        liquidation_loss_ratio=ratio[:, -1],
        liquidation_breach=breach_life[:, -1],
        first_breach_year=first_year,
        excess_loss_yuan=excess,
        calls_before_yuan=calls_before,
        distributions_before_yuan=dists_before,
        calls_beyond_yuan=calls_beyond,
        distributions_beyond_yuan=dists_beyond,
        recycled_yuan=recycled,
        paid_out_yuan=paid_out,
        recycled_before_yuan=recycled_before,
        recycled_beyond_yuan=recycled_beyond,
        paid_out_before_yuan=paid_out_before,
        paid_out_beyond_yuan=paid_out_beyond,
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


@dataclass(frozen=True)
class Fund(SpecModel[FundSpec]):
    """A fund (article 20) as a Programme: its city outlay is its share of the calls."""

    def simulate(self, years: Sequence[int], start: int, stop: int, *, seed: int) -> FundDraws:
        """Draws ``[start, stop)`` on the run's year axis (see :func:`simulate_fund`)."""
        return simulate_fund(self.spec, years, start, stop, seed=seed)

    def summarize(self, draws: FundDraws, periods: Periods) -> dict[str, pd.DataFrame]:
        """The fund's tables (see :func:`summarize_funds`)."""
        return summarize_funds(draws, self.spec, periods=periods)

    def quantities(self, draws: FundDraws, periods: Periods) -> dict[str, np.ndarray]:
        """The per-draw quantities its tables are statistics of."""
        return fund_quantities(draws, periods=periods)

    def tables(self, stats: DrawStats, draws: FundDraws, periods: Periods) -> dict:
        """Its tables from the statistics of :meth:`quantities` over a run's chunks."""
        return fund_tables(stats, draws, self.spec, periods=periods)

    def expected_outlay(self, years: Sequence[int]) -> np.ndarray:
        """Capital calls have no closed form: NaN in every year."""
        return np.full(len(years), np.nan)

    def budget_flows(self, draws: FundDraws) -> dict[str, Flow]:
        """The city's calls split into investments and fees, the distributions it
        recycles and those paid back (see :meth:`Programme.budget_flows`)."""
        spec, share = self.spec, draws.city_share
        fees, fees_before, fees_beyond = to_horizon(
            spec.fee_schedule()[None, :], spec.first_year, np.asarray(draws.years), stock=False
        )
        return {
            "capital_calls": (
                share * (draws.calls_yuan - fees),
                share * (draws.calls_before_yuan - fees_before),
                share * (draws.calls_beyond_yuan - fees_beyond),
            ),
            "fees": (share * fees, share * fees_before, share * fees_beyond),
            "recycled": (
                share * draws.recycled_yuan,
                share * draws.recycled_before_yuan,
                share * draws.recycled_beyond_yuan,
            ),
            "appropriation": (
                draws.budget_outlay,
                share * (draws.calls_before_yuan - draws.recycled_before_yuan),
                share * (draws.calls_beyond_yuan - draws.recycled_beyond_yuan),
            ),
            "returned": (
                draws.budget_inflow,
                share * draws.paid_out_before_yuan,
                share * draws.paid_out_beyond_yuan,
            ),
        }


__all__ = ["Fund", "simulate_fund"]
