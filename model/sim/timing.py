"""When grant money is paid within the year: timing settings and payment batches.

The vectorized engine (:mod:`model.engine`) says how much each line item pays in each
year; this module says *when*. Every item-year's engine amount is split into individual
applications (the engine's admitted count for one-time awards, the cohorts of
multi-year awards, an estimated number of payees for recurring and staged payments),
each application gets a disbursement date from its item's call for applications, and
applications of one item paid on the same day are gathered into one *batch* carrying a
count. The event model (:mod:`model.timeline`) then runs the batches against the
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

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from model.errors import InputError, Problem, problems_from_validation
from model.extras import scenario_extras
from model.schema import PaymentKind, StrictModel
from model.streams import stream

if TYPE_CHECKING:  # model.scenario may import the settings models from here
    from model.scenario import ResolvedItem, Scenario

#: Days per month on the timeline's 30/360 calendar.
SLOTS_PER_MONTH = 30
#: Days per year on the timeline's calendar.
SLOTS_PER_YEAR = 12 * SLOTS_PER_MONTH
#: Day of the month on which fixed-month payments (later years of multi-year awards) fall.
FIXED_PAY_DAY = 14

Kind = Annotated[PaymentKind, Field(strict=False)]
Month = Annotated[int, Field(ge=1, le=12)]
Months = Annotated[float, Field(ge=0, le=12)]


class Shortfall(StrEnum):
    """What happens to an application that finds its appropriation short."""

    DEFER = "defer"  # waits, first in line, for next year's appropriation (结转下年)
    REJECT = "reject"  # is not paid (the engine's "unfunded")


class CallMode(StrEnum):
    """How applications reach a decision."""

    CALL = "call"  # one call a year; the whole call is reviewed and approved together
    ROLLING = "rolling"  # applications arrive over a window and are decided one by one


class GroupBy(StrEnum):
    """The default reporting group of an item's cash."""

    CHAPTER = "chapter"  # the policy chapter (二 … 八)
    CEILING = "ceiling"  # the appropriation-ceiling group it belongs to, else "other"


class LagRange(StrictModel):
    """A lag in months, uniform on ``[low, high]`` (written ``{low: 3, high: 5}`` or
    ``[3, 5]``)."""

    low: Months
    high: Months

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"low": value[0], "high": value[1]}
        return value

    @model_validator(mode="after")
    def _order(self) -> LagRange:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self


class ItemTiming(StrictModel):
    """The calendar of one line item's payments.

    Attributes
    ----------
    mode : CallMode
        ``call``: applications are decided together ``review_months`` after the call
        closes (one lag per call); ``rolling``: each application is decided
        ``review_months`` after it arrives.
    open_month : int
        Month (1–12) the call opens, the first arrivals of a rolling window, or the
        annual assessment of a recurring subsidy.
    window_months : float
        Applications arrive uniformly over this many months from the start of
        ``open_month``.
    review_months : LagRange
        Months from the close of the call (call) or from arrival (rolling) to approval.
    pay_months : LagRange
        Months from approval to disbursement, drawn for each application.
    continuing_month : int
        Month (1–12) in which the second and later years of a multi-year award are paid
        (day :data:`FIXED_PAY_DAY`); unused by other payment kinds.
    basis : str
        Why these values (an assumption unless it cites a source).
    """

    mode: Annotated[CallMode, Field(strict=False)]
    open_month: Month
    window_months: Months
    review_months: LagRange
    pay_months: LagRange
    continuing_month: Month = 6
    basis: str = Field(min_length=1)


class TimingOverride(StrictModel):
    """Fields of an :class:`ItemTiming` to change; the others keep their defaults."""

    mode: Annotated[CallMode, Field(strict=False)] | None = None
    open_month: Month | None = None
    window_months: Months | None = None
    review_months: LagRange | None = None
    pay_months: LagRange | None = None
    continuing_month: Month | None = None
    basis: str | None = None


def _lag(low: float, high: float) -> LagRange:
    return LagRange(low=low, high=high)


_PROJECT_CALL = (
    "Assumption: Chinese municipal S&T programmes usually call for applications "
    "in Q1–Q2 (here March–April), review and publicise results over 3–5 months "
    "(专家评审, 公示) and pay in H2 (here August–November) after the budget is "
    "released (资金下达)."
)
#: Built-in timing by payment kind, all assumptions (see docs/timeline.md).
DEFAULT_TIMING: dict[PaymentKind, ItemTiming] = {
    PaymentKind.ONE_TIME: ItemTiming(
        mode=CallMode.CALL,
        open_month=3,
        window_months=2,
        review_months=_lag(3, 5),
        pay_months=_lag(0, 2),
        basis=_PROJECT_CALL,
    ),
    PaymentKind.ANNUAL_FOR_YEARS: ItemTiming(
        mode=CallMode.CALL,
        open_month=3,
        window_months=2,
        review_months=_lag(3, 5),
        pay_months=_lag(0, 2),
        continuing_month=6,
        basis=_PROJECT_CALL + " Assumption: later years are paid in June, once the year's "
        "budget is approved (Jan–Feb) and the annual check is done.",
    ),
    PaymentKind.RECURRING_ANNUAL: ItemTiming(
        mode=CallMode.CALL,
        open_month=4,
        window_months=1,
        review_months=_lag(1, 3),
        pay_months=_lag(0, 2),
        basis="Assumption: operating subsidies follow an annual assessment of the previous "
        "year's operation (年度考核) in April, paid June–September.",
    ),
    PaymentKind.PER_EVENT: ItemTiming(
        mode=CallMode.ROLLING,
        open_month=1,
        window_months=9,
        review_months=_lag(1, 2),
        pay_months=_lag(0, 1),
        basis="Assumption: awards without application (免申即享) follow qualifying events "
        "recorded January–September in rolling batches, paid 1–3 months later.",
    ),
    PaymentKind.FORMULA: ItemTiming(
        mode=CallMode.CALL,
        open_month=4,
        window_months=1,
        review_months=_lag(2, 4),
        pay_months=_lag(0, 2),
        basis="Assumption: formula rewards need last year's audited figures (contracts "
        "registered by March), claimed in April, paid July–October.",
    ),
    PaymentKind.STAGED: ItemTiming(
        mode=CallMode.ROLLING,
        open_month=1,
        window_months=10,
        review_months=_lag(0.5, 1.5),
        pay_months=_lag(0, 0.5),
        basis="Assumption: milestones (filing, acceptance, listing) happen through the year "
        "and are paid 0.5–2 months after they are reached.",
    ),
}


class TimingSettings(StrictModel):
    """How the timeline runs: calendars, rationing and reporting groups.

    Attributes
    ----------
    on_shortfall : Shortfall
        ``reject`` (default, as the engine's "unfunded") or ``defer`` to next year.
    divisible : bool
        Whether an application may be paid in part when the appropriation is short
        (default ``False``: whole applications only).
    group_by : GroupBy
        The reporting group of items not named in ``groups``.
    groups : dict of str to str
        Item id → reporting group name.
    by_payment : dict of PaymentKind to TimingOverride
        Changes to :data:`DEFAULT_TIMING` for every item of a payment kind.
    items : dict of str to TimingOverride
        Changes for single items (applied after ``by_payment``).
    extra_months : dict of str to int
        Funds, 先投后股 and the loan pool (the engine's rows after the grant items) are
        paid as a year's outlay: in the month given here (1–12) for the ids listed,
        otherwise spread evenly over the year's twelve months.
    """

    on_shortfall: Annotated[Shortfall, Field(strict=False)] = Shortfall.REJECT
    divisible: bool = False
    group_by: Annotated[GroupBy, Field(strict=False)] = GroupBy.CHAPTER
    groups: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    by_payment: dict[Kind, TimingOverride] = Field(default_factory=dict)
    items: dict[str, TimingOverride] = Field(default_factory=dict)
    extra_months: dict[str, Month] = Field(default_factory=dict)


def timing_settings(
    value: TimingSettings | Mapping[str, Any] | None,
    scenario: Scenario | None = None,
    *,
    source: str = "timing",
) -> TimingSettings:
    """Normalize timing settings, falling back to the scenario's own.

    Parameters
    ----------
    value : TimingSettings, mapping or None
        Explicit settings; ``None`` takes the scenario's ``timing`` section when the
        scenario schema has one, else the defaults.
    scenario : Scenario, optional
        Checked for unknown item ids, and source of per-item ``timing`` overrides
        (``ItemAssumptions.timing``) where the schema has them.
    source : str
        Name of where the settings came from, for error messages.

    Raises
    ------
    InputError
        Naming the item and field of every bad value.
    """
    if value is None and scenario is not None:
        value = getattr(scenario.spec, "timing", None)
    problems: list[Problem] = []
    settings = TimingSettings()
    if isinstance(value, TimingSettings):
        settings = value
    elif value is not None:
        try:
            settings = TimingSettings.model_validate(dict(value))
        except ValidationError as exc:
            problems = problems_from_validation(
                exc, source, model=TimingSettings, item_of=_split_loc
            )
    if scenario is not None:
        settings = _with_item_overrides(settings, scenario)
        sections = value if isinstance(value, Mapping) else settings.model_dump()
        problems.extend(_unknown_ids(sections, scenario, source))
    if problems:
        raise InputError(problems)
    return settings


def _with_item_overrides(settings: TimingSettings, scenario: Scenario) -> TimingSettings:
    """Add the scenario's per-item ``timing`` fields (where the schema has them)."""
    per_item = {
        item_id: getattr(item.assumptions, "timing", None)
        for item_id, item in scenario.items.items()
    }
    per_item = {
        k: TimingOverride.model_validate(v) if isinstance(v, Mapping) else v
        for k, v in per_item.items()
        if v is not None and k not in settings.items
    }
    if not per_item:
        return settings
    return settings.model_copy(update={"items": {**per_item, **settings.items}})


def _unknown_ids(sections: Mapping[str, Any], scenario: Scenario, source: str) -> list[Problem]:
    extras = {extra.id for extra in scenario_extras(scenario)}
    known = {
        "items": set(scenario.items),
        "groups": set(scenario.items) | extras,
        "extra_months": extras,
    }
    return [
        Problem(
            source,
            str(item_id),
            section,
            "unknown item id: not among the "
            f"scenario's {'grant items' if section == 'items' else 'engine rows'}",
        )
        for section, ids in known.items()
        if isinstance(sections.get(section), Mapping)
        for item_id in sections[section]
        if item_id not in ids
    ]


def _split_loc(loc: tuple) -> tuple[str | None, tuple]:
    if len(loc) >= 2 and loc[0] in ("items", "groups", "by_payment", "extra_months"):
        return str(loc[1]), (loc[0], *loc[2:])
    return None, loc


def item_timing(settings: TimingSettings, item: ResolvedItem) -> ItemTiming:
    """An item's calendar: the payment kind's default, then the kind's and the item's
    overrides."""
    kind = item.line.payment
    merged = DEFAULT_TIMING[kind].model_dump()
    for override in (settings.by_payment.get(kind), settings.items.get(item.id)):
        if override is not None:
            merged.update(override.model_dump(exclude_none=True))
    return ItemTiming.model_validate(merged)


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
    "DEFAULT_TIMING",
    "FIXED_PAY_DAY",
    "SLOTS_PER_MONTH",
    "SLOTS_PER_YEAR",
    "Batches",
    "CallMode",
    "GroupBy",
    "ItemTiming",
    "LagRange",
    "Shortfall",
    "TimingOverride",
    "TimingSettings",
    "TimingStreams",
    "Units",
    "item_timing",
    "payment_units",
    "reporting_group",
    "schedule_item",
    "timing_settings",
]
