"""The event model: monthly cash out, appropriations and first-come-first-served rationing.

The engine (:func:`model.simulate`) gives each line item's yearly amounts and admitted
counts; :mod:`model.timing` splits them into applications and dates their payments.
Here each draw runs as a SimPy process model:

* every appropriation — an item's ``ceiling_yuan`` or a ceiling group's
  ``annual_yuan`` — is a :class:`simpy.Container`, emptied on 31 December (unspent
  money lapses) and refilled with the year's amount on 1 January by a fiscal-year
  process;
* every item-year is a call process that walks through its payment batches in date
  order and asks its appropriations for the money;
* a batch that finds an appropriation short is paid as far as it goes, first come first
  served; the rest is rejected, or (``on_shortfall: defer``) joins a queue that is paid
  first from next year's appropriation, in order, before newer applications
  (strict FCFS: while anything waits on an appropriation, newcomers queue behind it).

Items under no appropriation cannot be delayed or refused, so their batches do not
need the event loop; ``full_loop=True`` sends them through it too (same result).

Funds, 先投后股 and the loan pool are rows of the engine's results (after the grant
items) with yearly outlays only; the timeline pays each year's outlay evenly over its
months or in one month (``extra_months``). Finer schedules from other models (capital
calls by month, say) enter through :class:`ExternalEvents` — (draw, month, amount,
group) — and are added to the cash flow as contractual payments, never rationed; pass
there only money the engine does not already hold.

Its tables, chart, output files and the ``fiscalsim timeline`` command are in
:mod:`model.timeline_report`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import simpy

from model.engine import ceiling_by_year, payment_years, plan_items, simulate_chunks
from model.results import Results, item_frame
from model.scenario import Scenario, check_draws
from model.schema import CHAPTERS
from model.streams import BLOCK_DRAWS, check_seed
from model.timing import (
    SLOTS_PER_MONTH,
    SLOTS_PER_YEAR,
    Batches,
    Shortfall,
    TimingSettings,
    TimingStreams,
    item_timing,
    payment_units,
    reporting_group,
    schedule_item,
    timing_settings,
)

#: Draws whose applications are dated together (bounds the memory of one step).
CHUNK_DRAWS = 32
#: A shortfall smaller than half a fen (yuan) is paid: amounts are settled to the fen.
HALF_FEN = 0.005
#: Outcomes of a rationed part of a batch, as written in :attr:`TimelineResult.rationing`.
OUTCOMES = ("rejected", "deferred", "outstanding")
_REJECTED, _DEFERRED, _OUTSTANDING = range(3)


@dataclass(frozen=True)
class ExternalEvents:
    """Cash-out events from other models, added to the timeline as they are.

    Attributes
    ----------
    draw : ndarray of int
        Draw index (0-based, as in the timeline run).
    month : ndarray of int
        Months since January of the run's first year (``12·(year − first) + month − 1``).
    amount_yuan : ndarray
        Cash out, yuan (≥ 0).
    group : ndarray of str
        Reporting group (e.g. ``"funds"``, or a chapter such as ``"六"``).
    """

    draw: np.ndarray
    month: np.ndarray
    amount_yuan: np.ndarray
    group: np.ndarray

    @classmethod
    def from_lists(cls, per_draw: Sequence[Iterable[tuple[int, float, str]]]) -> ExternalEvents:
        """Events from one list of ``(month, amount_yuan, group)`` per draw."""
        rows = [(d, m, a, g) for d, events in enumerate(per_draw) for m, a, g in events]
        draw, month, amount, group = zip(*rows, strict=True) if rows else ((), (), (), ())
        return cls(
            np.asarray(draw, dtype=np.int64),
            np.asarray(month, dtype=np.int64),
            np.asarray(amount, dtype=float),
            np.asarray(group, dtype=str),
        )

    def check(self, draws: int, months: int) -> None:
        """Raise ``ValueError`` naming the field of the first bad event."""
        lengths = {len(self.draw), len(self.month), len(self.amount_yuan), len(self.group)}
        if len(lengths) != 1:
            raise ValueError("events: draw, month, amount_yuan and group differ in length")
        for name, values, high in (("draw", self.draw, draws), ("month", self.month, months)):
            bad = (values < 0) | (values >= high)
            if bad.any():
                raise ValueError(f"events: {name} {values[bad][0]} is outside 0…{high - 1}")
        if (~np.isfinite(self.amount_yuan) | (self.amount_yuan < 0)).any():
            raise ValueError("events: amount_yuan must be finite and ≥ 0")


# ------------------------------------------------------------------ the event loop
class _Pot:
    """One appropriation: a container refilled each January with the year's amount."""

    __slots__ = ("container", "limits", "unlimited", "waiting")

    def __init__(self, env: simpy.Environment, limits: list[float]):
        self.container = simpy.Container(env)
        self.limits = limits
        self.unlimited = True
        self.waiting = 0  # queued claims that need this appropriation

    def refill(self, year: int) -> None:
        if self.container.level > 0:  # unspent appropriation lapses on 31 December
            self.container.get(self.container.level)
        limit = self.limits[year]
        self.unlimited = math.isinf(limit)
        if not self.unlimited and limit > 0:
            self.container.put(limit)

    @property
    def available(self) -> float:
        return math.inf if self.unlimited else self.container.level

    def take(self, amount: float) -> None:
        amount = 0.0 if self.unlimited else min(amount, self.container.level)
        if amount > 0:
            self.container.get(amount)


class _DrawLoop:
    """The SimPy model of one draw: fiscal years, calls, appropriations."""

    def __init__(
        self,
        limits: list[list[float]],
        item_pots: list[tuple[int, ...]],
        n_years: int,
        settings: TimingSettings,
    ):
        self.limits = limits
        self.item_pots = item_pots
        self.n_years = n_years
        self.defer = settings.on_shortfall is Shortfall.DEFER
        self.divisible = settings.divisible

    def run(
        self,
        slot: list[int],
        item: list[int],
        year: list[int],
        count: list[int],
        amount: list[float],
    ) -> tuple[list[float], list, list]:
        """Run one draw's batches (sorted by day); return what each batch was paid on
        its day (yuan), later payments ``(batch, year, yuan)`` and rationing records
        ``(batch, outcome, applications, yuan, paid day or −1, wait months)``."""
        self.slot, self.item, self.count, self.amount = slot, item, count, amount
        # months; within a day, items come in catalog order (never on a day's boundary)
        share = 1.0 / (len(self.item_pots) + 1)
        self.at = [
            (day + (i + 1) * share) / SLOTS_PER_MONTH for day, i in zip(slot, item, strict=True)
        ]
        env = simpy.Environment()
        self.pots = [_Pot(env, limits) for limits in self.limits]
        self.backlog: list[list] = []
        self.paid = [0.0] * len(slot)
        self.late: list[tuple[int, int, float]] = []
        self.records: list[tuple] = []
        env.process(self._fiscal_years(env))
        calls: dict[tuple[int, int], list[int]] = {}
        for row, key in enumerate(zip(item, year, strict=True)):
            calls.setdefault(key, []).append(row)
        for rows in calls.values():
            env.process(self._call(env, rows))
        env.run()
        for row, rest in self.backlog:
            self.records.append((row, _OUTSTANDING, rest, rest * amount[row], -1, math.nan))
        return self.paid, self.late, self.records

    def _fiscal_years(self, env: simpy.Environment):
        for year in range(self.n_years):
            if year:
                yield env.timeout(12 * year - env.now)
            for pot in self.pots:
                pot.refill(year)
            self._serve_backlog(year)

    def _call(self, env: simpy.Environment, rows: list[int]):
        for row in rows:
            at = self.at[row]
            if at > env.now:
                yield env.timeout(at - env.now)
            self._request(row)

    def _fit(self, wanted: float, amount: float, available: float) -> float:
        """Applications (of ``amount`` yuan each) that ``available`` yuan pays."""
        if available >= wanted * amount - HALF_FEN:
            return wanted
        if self.divisible:
            return max(available, 0.0) / amount
        return float(min(wanted, math.floor(available / amount + 1e-9)))

    def _pay(self, pots: tuple[int, ...], wanted: float, amount: float) -> float:
        if not pots:
            return wanted
        chosen = [self.pots[p] for p in pots]
        paid = self._fit(wanted, amount, min(pot.available for pot in chosen))
        for pot in chosen:
            pot.take(paid * amount)
        return paid

    def _request(self, row: int) -> None:
        pots = self.item_pots[self.item[row]]
        wanted, amount = self.count[row], self.amount[row]
        paid: float = 0
        if not (self.defer and any(self.pots[p].waiting for p in pots)):
            paid = self._pay(pots, wanted, amount)
            self.paid[row] = paid * amount
        rest = wanted - paid
        if rest <= 1e-9:
            return
        if self.defer:
            self.backlog.append([row, rest])
            for p in pots:
                self.pots[p].waiting += 1
        else:
            self.records.append((row, _REJECTED, rest, rest * amount, -1, math.nan))

    def _serve_backlog(self, year: int) -> None:
        failed: set[int] = set()
        keep = []
        for claim in self.backlog:
            row, rest = claim
            pots = self.item_pots[self.item[row]]
            if failed.intersection(pots):
                keep.append(claim)
                continue
            amount = self.amount[row]
            paid = self._pay(pots, rest, amount)
            if paid > 0:
                self.late.append((row, year, paid * amount))
                self.records.append(
                    (
                        row,
                        _DEFERRED,
                        paid,
                        paid * amount,
                        year * SLOTS_PER_YEAR,
                        12 * year - self.at[row],
                    )
                )
            if rest - paid > 1e-9:
                keep.append([row, rest - paid])
                failed.update(pots)
            else:
                for p in pots:
                    self.pots[p].waiting -= 1
        self.backlog = keep


def appropriations(
    scenario: Scenario, years: list[int]
) -> tuple[list[str], list[list[float]], list[tuple[int, ...]]]:
    """The scenario's appropriations: names, yearly limits in yuan (``inf``: none that
    year) and, per item in run order, the appropriations it draws on."""
    names: list[str] = []
    limits: list[list[float]] = []
    item_pots: list[list[int]] = [[] for _ in scenario.items]
    ids = list(scenario.items)
    for i, item in enumerate(scenario.items.values()):
        if item.assumptions.ceiling_yuan is not None:
            item_pots[i].append(len(names))
            names.append(item.id)
            limits.append(
                ceiling_by_year(item.assumptions.ceiling_yuan, years, scenario.years).tolist()
            )
    for group in scenario.spec.ceilings:
        members = [ids.index(i) for i in group.items if i in scenario.items]
        if members:
            for i in members:
                item_pots[i].append(len(names))
            names.append(group.id)
            limits.append(ceiling_by_year(group.annual_yuan, years, scenario.years).tolist())
    return names, limits, [tuple(p) for p in item_pots]


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class TimelineResult:
    """The outcome of :func:`timeline`.

    Attributes
    ----------
    item_cash : ndarray, shape (draws, items, months)
        Cash paid out per line item and month, yuan (after rationing).
    event_cash : ndarray, shape (draws, event groups, months)
        Cash of :class:`ExternalEvents`, yuan.
    rationing : pandas.DataFrame
        One row per rationed part of a batch: ``draw``, ``item``, ``year`` (due),
        ``due_month``, ``outcome`` (rejected, deferred — paid later — or outstanding at
        the end of the run), ``applications`` (fractional when divisible),
        ``amount_yuan``, ``paid_month`` and ``wait_months`` (deferred only).
    batches : ndarray of int, shape (draws,)
        Payment batches (events) per draw.
    largest_application : ndarray, shape (draws, items, years)
        The largest single application per item-year, yuan.
    engine : Results
        The engine run the timeline splits up.
    """

    scenario_name: str
    scenario_sha256: str
    seed: int
    years: list[int]
    horizon: list[int]
    items: pd.DataFrame
    settings: TimingSettings
    item_cash: np.ndarray = field(repr=False)
    event_cash: np.ndarray = field(repr=False)
    event_groups: list[str]
    rationing: pd.DataFrame = field(repr=False)
    batches: np.ndarray = field(repr=False)
    largest_application: np.ndarray = field(repr=False)
    engine: Results = field(repr=False)

    @property
    def draws(self) -> int:
        return self.item_cash.shape[0]

    @property
    def months(self) -> pd.PeriodIndex:
        """The month axis."""
        return pd.period_range(
            f"{self.years[0]}-01", periods=self.item_cash.shape[2], freq="M", name="month"
        )

    @cached_property
    def groups(self) -> list[str]:
        """Reporting groups: the items' (chapters in policy order), then the events'."""
        seen = list(dict.fromkeys(self.items["group"]))
        seen.sort(key=lambda g: CHAPTERS.index(g) if g in CHAPTERS else len(CHAPTERS))
        return seen + [g for g in self.event_groups if g not in seen]

    @cached_property
    def cash(self) -> np.ndarray:
        """Cash out per reporting group and month, shape (draws, groups, months), yuan."""
        out = np.zeros((self.draws, len(self.groups), self.item_cash.shape[2]))
        position = {g: k for k, g in enumerate(self.groups)}
        for i, group in enumerate(self.items["group"]):
            out[:, position[group]] += self.item_cash[:, i]
        for k, group in enumerate(self.event_groups):
            out[:, position[group]] += self.event_cash[:, k]
        return out

    @cached_property
    def total(self) -> np.ndarray:
        """Total cash out per draw and month, yuan."""
        return self.item_cash.sum(axis=1) + self.event_cash.sum(axis=1)

    @property
    def peak_month(self) -> np.ndarray:
        """Position of each draw's largest month on the month axis (the first if tied)."""
        return self.total.argmax(axis=1)

    @property
    def peak_yuan(self) -> np.ndarray:
        """Each draw's largest monthly cash out, yuan."""
        return self.total.max(axis=1)

    def annual_item_cash(self) -> np.ndarray:
        """Cash out per item and year, shape (draws, items, years), yuan."""
        draws, items, months = self.item_cash.shape
        return self.item_cash.reshape(draws, items, months // 12, 12).sum(axis=3)


# ------------------------------------------------------------------ the run
def timeline(
    scenario: Scenario,
    draws: int,
    *,
    seed: int,
    timing: TimingSettings | Mapping[str, Any] | None = None,
    events: ExternalEvents | None = None,
    full_loop: bool = False,
) -> TimelineResult:
    """Monthly cash out of a scenario, with appropriations rationed first come first served.

    Parameters
    ----------
    scenario : Scenario
    draws : int
        Monte Carlo draws; draw ``i`` has the engine's draw ``i`` amounts.
    seed : int
        Root seed, shared with the engine. The same seed gives identical results.
    timing : TimingSettings or mapping, optional
        Calendars, ``on_shortfall`` and groups (:class:`model.timing.TimingSettings`);
        by default the scenario's ``timing`` section when it has one, else the defaults.
    events : ExternalEvents, optional
        Cash-out events from other models, added unrationed.
    full_loop : bool
        Send the batches of items under no appropriation through the event loop too.

    Returns
    -------
    TimelineResult
    """
    check_draws(draws, source="timeline")
    seed = check_seed(seed)
    settings = timing_settings(timing, scenario)
    years = payment_years(scenario)
    plans = plan_items(scenario, years)
    calendars = [item_timing(settings, plan.item) for plan in plans]
    _, limits, item_pots = appropriations(scenario, years)
    in_loop = np.array([full_loop or bool(p) for p in item_pots], dtype=bool)
    loop = _DrawLoop(limits, item_pots, len(years), settings)
    items = item_frame(scenario)  # the grant items, then funds, 先投后股 and the loan pool
    items["group"] = [reporting_group(settings, scenario, i) for i in items.index]
    n_grants, n_years, n_months = len(plans), len(years), 12 * len(years)
    extra_months = [settings.extra_months.get(i) for i in items.index[n_grants:]]
    item_cash = np.zeros((draws, len(items), n_months))
    largest = np.zeros((draws, len(items), n_years))
    batches = np.zeros(draws, dtype=np.int64)
    records: list[np.ndarray] = []
    streams = TimingStreams(seed)
    engine_parts = []
    for chunk in simulate_chunks(scenario, draws, seed=seed):
        engine_parts.append(chunk)
        rows = slice(chunk.start, chunk.start + chunk.draws)
        _spread_extras(chunk.demand[:, n_grants:], extra_months, item_cash[rows, n_grants:])
        for lo in range(0, chunk.draws, CHUNK_DRAWS):
            hi = min(lo + CHUNK_DRAWS, chunk.draws)
            first = chunk.start + lo
            block = first // BLOCK_DRAWS
            parts = [
                schedule_item(
                    plan.index,
                    plan.item,
                    calendars[plan.index],
                    payment_units(
                        plan.item,
                        plan.cohorts,
                        chunk.demand[lo:hi, plan.index],
                        chunk.admitted[lo:hi, plan.index],
                    ),
                    streams,
                    block,
                    n_years,
                )
                for plan in plans
            ]
            done = _settle(
                Batches.concat(parts),
                hi - lo,
                first,
                in_loop,
                loop,
                item_cash[first : first + hi - lo],
                largest[first : first + hi - lo],
            )
            batches[first : first + hi - lo] = done[0]
            records.extend(done[1])
    event_groups, event_cash = _event_cash(events, draws, n_months)
    return TimelineResult(
        scenario_name=scenario.name,
        scenario_sha256=scenario.digest(),
        seed=seed,
        years=years,
        horizon=scenario.years,
        items=items,
        settings=settings,
        item_cash=item_cash,
        event_cash=event_cash,
        event_groups=event_groups,
        rationing=_rationing_frame(records, items.index, years),
        batches=batches,
        largest_application=largest,
        engine=Results.concat(engine_parts),
    )


def _spread_extras(outlay: np.ndarray, months: list[int | None], cash: np.ndarray) -> None:
    """Add the yearly outlays of funds, 先投后股 and the loan pool (draws × rows × years,
    yuan) to ``cash`` (draws × rows × months): in one month, or evenly over the year."""
    for k, month in enumerate(months):
        by_month = cash[:, k].reshape(cash.shape[0], -1, 12)
        if month is None:
            by_month += outlay[:, k, :, None] / 12
        else:
            by_month[:, :, month - 1] += outlay[:, k]


def _settle(
    found: Batches,
    draws: int,
    first: int,
    in_loop: np.ndarray,
    loop: _DrawLoop,
    cash: np.ndarray,
    largest: np.ndarray,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pay a chunk's batches into ``cash`` (draws × items × months, yuan), running the
    event loop draw by draw for the batches under an appropriation."""
    n_items, n_months = cash.shape[1:]
    np.maximum.at(largest, (found.draw, found.item, found.year), found.amount)
    month = found.slot // SLOTS_PER_MONTH
    cell = (found.draw * n_items + found.item) * n_months + month
    direct = ~in_loop[found.item]
    weights = found.count[direct] * found.amount[direct]
    flat = cash.reshape(-1)
    flat += np.bincount(cell[direct], weights=weights, minlength=flat.size)
    records = []
    looped = np.flatnonzero(~direct)
    if looped.size:
        order = looped[np.lexsort((found.item[looped], found.slot[looped], found.draw[looped]))]
        bounds = np.searchsorted(found.draw[order], np.arange(draws + 1))
        paid = np.zeros(order.size)
        late_cell, late_amount = [], []
        for d in range(draws):
            rows = order[bounds[d] : bounds[d + 1]]
            if not rows.size:
                continue
            now, late, rationed = loop.run(
                found.slot[rows].tolist(),
                found.item[rows].tolist(),
                found.year[rows].tolist(),
                found.count[rows].tolist(),
                found.amount[rows].tolist(),
            )
            paid[bounds[d] : bounds[d + 1]] = now
            for row, year, amount in late:
                late_cell.append((d * n_items + found.item[rows[row]]) * n_months + 12 * year)
                late_amount.append(amount)
            if rationed:
                table = np.array(rationed, dtype=float)
                at = rows[table[:, 0].astype(np.int64)]
                records.append(
                    np.column_stack(
                        [
                            np.full(len(at), first + d),
                            found.item[at],
                            found.year[at],
                            found.slot[at],
                            table[:, 1:],
                        ]
                    )
                )
        flat += np.bincount(cell[order], weights=paid, minlength=flat.size)
        if late_cell:
            flat += np.bincount(late_cell, weights=late_amount, minlength=flat.size)
    return np.bincount(found.draw, minlength=draws), records


def _event_cash(
    events: ExternalEvents | None, draws: int, n_months: int
) -> tuple[list[str], np.ndarray]:
    if events is None or not len(events.draw):
        return [], np.zeros((draws, 0, n_months))
    events.check(draws, n_months)
    groups, index = np.unique(events.group, return_inverse=True)
    cash = np.zeros((draws, len(groups), n_months))
    np.add.at(cash, (events.draw, index, events.month), events.amount_yuan)
    return [str(g) for g in groups], cash


def _rationing_frame(
    records: list[np.ndarray], item_ids: pd.Index, years: list[int]
) -> pd.DataFrame:
    columns = [
        "draw",
        "item",
        "year",
        "due_slot",
        "outcome",
        "applications",
        "amount_yuan",
        "paid_slot",
        "wait_months",
    ]
    table = np.concatenate(records) if records else np.zeros((0, len(columns)))
    frame = pd.DataFrame(table, columns=columns)
    months = pd.period_range(f"{years[0]}-01", periods=12 * len(years), freq="M").astype(str)
    due = (frame["due_slot"].to_numpy() // SLOTS_PER_MONTH).astype(np.int64)
    paid = frame["paid_slot"].to_numpy()
    return pd.DataFrame(
        {
            "draw": frame["draw"].astype(np.int64),
            "item": np.asarray(item_ids)[frame["item"].to_numpy(dtype=np.int64)],
            "year": np.asarray(years)[frame["year"].to_numpy(dtype=np.int64)],
            "due_month": np.asarray(months)[due],
            "outcome": np.asarray(OUTCOMES)[frame["outcome"].to_numpy(dtype=np.int64)],
            "applications": frame["applications"],
            "amount_yuan": frame["amount_yuan"],
            "paid_month": np.where(
                paid >= 0,
                np.asarray(months)[np.maximum(paid, 0).astype(np.int64) // SLOTS_PER_MONTH],
                "",
            ),
            "wait_months": frame["wait_months"],
        }
    )


__all__ = [
    "CHUNK_DRAWS",
    "OUTCOMES",
    "ExternalEvents",
    "TimelineResult",
    "appropriations",
    "timeline",
]
