"""When grant money is paid within the year: applications, their dates and payment batches.

The vectorized engine (:mod:`model.sim.engine`) says how much each line item pays in each
year; this module says *when*, by the calendars of the scenario's timing settings
(:mod:`model.policy.timing_settings`). Every item-year's engine amount is split into individual
applications (the engine's admitted count for one-time awards, the cohorts of
multi-year awards, an estimated number of payees for recurring and staged payments),
each application gets a disbursement date from its item's call for applications, and
applications of one item paid on the same day are gathered into one *batch* carrying a
count. The event model (:mod:`model.sim.timeline`) then runs the batches against the
appropriations.

Time runs in months from 1 January of the run's first year, on a grid of
:data:`SLOTS_PER_MONTH` days a month (a 30/360 calendar). A date that would fall after
31 December of its payment year is paid in the last days of December: the engine books
the money in that year, and Chinese budget units do settle the year's grants before the
fiscal year closes on 31 December (预算法 art. 18).

Timing randoms come from streams of their own, keyed by item id and purpose
(``stream(seed, "timeline", item_id, purpose, block)``), and are consumed draw after
draw within a block, so one item's timing never moves another's and the first ``n``
draws of a longer run equal a run of ``n`` draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.core.errors import InputError, Problem
from model.core.schema import PaymentKind
from model.core.streams import stream
from model.policy.resolve import ResolvedItem
from model.policy.scenario import Scenario
from model.policy.timing_settings import CallMode, GroupBy, ItemTiming, TimingSettings

#: Days per month on the timeline's 30/360 calendar.
SLOTS_PER_MONTH = 30
#: Days per year on the timeline's calendar.
SLOTS_PER_YEAR = 12 * SLOTS_PER_MONTH
#: Day of the month on which fixed-month payments (later years of multi-year awards) fall.
FIXED_PAY_DAY = 14
#: Most applications of one item the timeline follows in one chunk of draws (about 80 MB
#: per array of them; the baseline's largest item has under a million): a count far
#: beyond the policy's scale is refused with a clear message instead of exhausting memory.
MAX_APPLICATIONS = 10_000_000


def reporting_group(settings: TimingSettings, scenario: Scenario, item_id: str) -> str:
    """The reporting group of an engine row's cash (see :class:`TimingSettings`)."""
    if item_id in settings.groups:
        return settings.groups[item_id]
    if settings.group_by is GroupBy.CEILING:
        for group in scenario.spec.ceilings:
            if item_id in group.items:
                return group.id
        return "other"
    return scenario.catalog.by_id[item_id].chapter


# ------------------------------------------------------------------ applications
@dataclass(frozen=True)
class Units:
    """An item's applications in a chunk of draws, by payment unit.

    A unit is a set of equal applications paid in one year on one calendar: the new
    awards of a year, or one cohort's later-year payments.

    Attributes
    ----------
    year : ndarray of int, shape (units,)
        Position of the payment year on the run's year axis.
    fixed : ndarray of bool, shape (units,)
        Paid on the fixed ``continuing_month`` (later years of multi-year awards).
    count : ndarray of int, shape (draws, units)
        Applications.
    amount : ndarray, shape (draws, units)
        Amount of each application, yuan (the unit's engine total ÷ count).
    """

    year: np.ndarray
    fixed: np.ndarray
    count: np.ndarray
    amount: np.ndarray


def payment_units(
    item: ResolvedItem, cohorts: list[int], demand: np.ndarray, admitted: np.ndarray
) -> Units:
    """Split an item's engine amounts (draws × years) into equal applications.

    One-time, per-event and formula awards: the year's admitted count. Multi-year
    awards: each cohort's yearly sum, recovered from the yearly totals, paid to its
    admitted count every year. Recurring and staged payments (the engine does not keep
    their payee counts): ``max(1, round(total ÷ typical payment))`` payees, the typical
    payment being the mean award (recurring) or the mean stage payment (staged).
    The amounts of a unit always add up to the engine's total.
    """
    draws, n_years = demand.shape
    kind = item.line.payment
    years, fixed, counts, totals = [], [], [], []

    def add(year: int, is_fixed: bool, count: np.ndarray, total: np.ndarray) -> None:
        years.append(year)
        fixed.append(is_fixed)
        counts.append(count)
        totals.append(total)

    if kind is PaymentKind.ANNUAL_FOR_YEARS:
        span = item.years_paid or 1
        cohort_sum = np.zeros((draws, n_years))
        for j in range(n_years):
            running = sum((cohort_sum[:, c] for c in cohorts if j - span < c < j), np.zeros(draws))
            if j in cohorts:
                cohort_sum[:, j] = np.where(
                    admitted[:, j] > 0, np.maximum(demand[:, j] - running, 0.0), 0.0
                )
        for c in cohorts:
            for k in range(span):
                add(c + k, k > 0, admitted[:, c].astype(np.int64), cohort_sum[:, c])
    elif kind in (PaymentKind.RECURRING_ANNUAL, PaymentKind.STAGED):
        typical = _typical_payment(item)
        for j in range(n_years):
            total = demand[:, j]
            estimate = np.maximum(1, np.rint(total / typical)) if typical > 0 else 1
            add(j, False, np.where(total > 0, estimate, 0).astype(np.int64), total)
    else:
        for c in cohorts:
            add(c, False, admitted[:, c].astype(np.int64), demand[:, c])
    count = np.column_stack(counts) if counts else np.zeros((draws, 0), dtype=np.int64)
    total = np.column_stack(totals) if totals else np.zeros((draws, 0))
    count = np.where(total > 0, count, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        amount = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return Units(np.asarray(years, dtype=np.int64), np.asarray(fixed, dtype=bool), count, amount)


def _typical_payment(item: ResolvedItem) -> float:
    """The mean payment to one payee in a year (recurring) or at one stage (staged), yuan."""
    if item.line.payment is PaymentKind.STAGED:
        weights, shares, reach = [], [], 1.0
        for stage in item.assumptions.stages or []:
            reach *= stage.probability
            weights.append(reach)
            shares.append(stage.share)
        if not weights or sum(weights) == 0:
            return item.per_year_yuan
        return item.per_year_yuan * float(np.dot(weights, shares) / sum(weights))
    return item.per_year_yuan * float(item.award.mean())


@dataclass(frozen=True)
class Batches:
    """Payment batches of a chunk of draws: applications of one item paid on one day.

    All arrays have one entry per batch; ``slot`` counts days from 1 January of the
    run's first year on the 30/360 calendar.
    """

    draw: np.ndarray
    item: np.ndarray
    year: np.ndarray
    slot: np.ndarray
    count: np.ndarray
    amount: np.ndarray

    @classmethod
    def concat(cls, parts: list[Batches]) -> Batches:
        fields = ("draw", "item", "year", "slot", "count", "amount")
        if not parts:
            return cls(
                *(np.zeros(0, dtype=np.float64 if f == "amount" else np.int64) for f in fields)
            )
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


class TimingStreams:
    """The keyed timing streams of a run, kept open within a random-stream block so
    that chunks of draws consume them in draw order."""

    def __init__(self, seed: int):
        self.seed = seed
        self._block = -1
        self._open: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, item_id: str, purpose: str, block: int) -> np.random.Generator:
        if block != self._block:
            self._block, self._open = block, {}
        key = (item_id, purpose)
        if key not in self._open:
            self._open[key] = stream(self.seed, "timeline", item_id, purpose, block)
        return self._open[key]


def schedule_item(
    index: int,
    item: ResolvedItem,
    timing: ItemTiming,
    units: Units,
    streams: TimingStreams,
    block: int,
    n_years: int,
) -> Batches:
    """Disbursement days of an item's applications in a chunk, gathered into batches.

    Parameters
    ----------
    index : int
        The item's position on the results' item axis.
    units : Units
        The item's applications (:func:`payment_units`), draws of the chunk in order.
    streams : TimingStreams
        Consumed in draw order: ``review`` (one lag per draw and year for a call, one
        per application for a rolling window), ``arrival`` and ``pay`` (per application).
    block : int
        The random-stream block of the chunk's draws.
    n_years : int
        Length of the run's year axis.
    """
    draws, n_units = units.count.shape
    parts: list[Batches] = []
    calendar = ~units.fixed
    review = timing.review_months
    if timing.mode is CallMode.CALL:  # one decision date per call, drawn for every year
        call_lag = review.low + (review.high - review.low) * streams.get(
            item.id, "review", block
        ).random((draws, n_years))
    counts = np.where(calendar[None, :], units.count, 0)
    flat = counts.ravel()
    n = int(flat.sum())
    if n > MAX_APPLICATIONS:
        raise InputError(
            [
                Problem(
                    "timeline",
                    item.id,
                    "uptake",
                    f"{n:,} applications in {draws} draws: the timeline follows each "
                    f"application, and at most {MAX_APPLICATIONS:,} per item and "
                    f"{draws} draws fit in memory; lower the count, or leave out the "
                    "timeline (the yearly tables of fiscalsim run do not need it)",
                )
            ]
        )
    if n:
        cell = np.repeat(np.arange(flat.size), flat)
        draw, unit = np.divmod(cell, n_units)
        pay = timing.pay_months
        start = timing.open_month - 1.0
        months = pay.low + (pay.high - pay.low) * streams.get(item.id, "pay", block).random(n)
        if timing.mode is CallMode.CALL:
            months += start + timing.window_months + call_lag[draw, units.year[unit]]
        else:
            months += start + timing.window_months * streams.get(item.id, "arrival", block).random(
                n
            )
            months += review.low + (review.high - review.low) * streams.get(
                item.id, "review", block
            ).random(n)
        day = np.minimum((months * SLOTS_PER_MONTH).astype(np.int64), SLOTS_PER_YEAR - 1)
        tally = np.bincount(cell * SLOTS_PER_YEAR + day, minlength=flat.size * SLOTS_PER_YEAR)
        where = np.flatnonzero(tally)
        cell, day = np.divmod(where, SLOTS_PER_YEAR)
        draw, unit = np.divmod(cell, n_units)
        parts.append(_batches(index, units, draw, unit, day, tally[where]))
    fixed = np.flatnonzero(units.fixed)
    if fixed.size:
        draw, position = np.nonzero(units.count[:, fixed] > 0)
        unit = fixed[position]
        day = np.full(unit.size, (timing.continuing_month - 1) * SLOTS_PER_MONTH + FIXED_PAY_DAY)
        parts.append(_batches(index, units, draw, unit, day, units.count[draw, unit]))
    return Batches.concat(parts)


def _batches(index: int, units: Units, draw, unit, day, count) -> Batches:
    year = units.year[unit]
    return Batches(
        draw=draw.astype(np.int64),
        item=np.full(draw.size, index, dtype=np.int64),
        year=year,
        slot=year * SLOTS_PER_YEAR + day,
        count=count.astype(np.int64),
        amount=units.amount[draw, unit],
    )


__all__ = [
    "FIXED_PAY_DAY",
    "MAX_APPLICATIONS",
    "SLOTS_PER_MONTH",
    "SLOTS_PER_YEAR",
    "Batches",
    "TimingStreams",
    "Units",
    "payment_units",
    "reporting_group",
    "schedule_item",
]
