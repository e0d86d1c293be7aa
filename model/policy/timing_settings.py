"""Timing settings of a scenario: when grant money is paid within the year.

The schema of a scenario's ``timing`` section and of an item's ``timing`` override, and
the built-in calendars by payment kind (:data:`DEFAULT_TIMING`, all assumptions; see
``docs/timeline.md``). The timeline (:mod:`model.sim.timing`, :mod:`model.sim.timeline`)
applies them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from model.core.schema import PaymentKind, StrictModel

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


def item_timing(settings: TimingSettings, kind: PaymentKind, item_id: str) -> ItemTiming:
    """An item's calendar: the payment kind's default, then the kind's and the item's
    overrides."""
    merged = DEFAULT_TIMING[kind].model_dump()
    for override in (settings.by_payment.get(kind), settings.items.get(item_id)):
        if override is not None:
            merged.update(override.model_dump(exclude_none=True))
    return ItemTiming.model_validate(merged)


__all__ = [
    "DEFAULT_TIMING",
    "CallMode",
    "GroupBy",
    "ItemTiming",
    "LagRange",
    "Shortfall",
    "TimingOverride",
    "TimingSettings",
    "item_timing",
]
