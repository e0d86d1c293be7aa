"""The event model: monthly cash out, appropriations and first-come-first-served rationing.

The engine (:func:`model.simulate`) gives each line item's yearly amounts and admitted
counts; :mod:`model.sim.timing` splits them into applications and dates their payments.
Here each draw runs as a SimPy process model against the appropriations
(:mod:`model.sim.appropriations`): a batch that finds an appropriation short is paid as
far as it goes, first come first served; the rest is rejected, or (``on_shortfall:
defer``) joins a queue that is paid first from next year's appropriation, in order,
before newer applications (strict FCFS: while anything waits on an appropriation,
newcomers queue behind it).

Items under no appropriation cannot be delayed or refused, so their batches do not
need the event loop; ``full_loop=True`` sends them through it too (same result).

Funds, 先投后股 and the loan pool are rows of the engine's results (after the grant
items) with yearly outlays only; the timeline pays each year's outlay evenly over its
months or in one month (``extra_months``). Finer schedules from other models (capital
calls by month, say) enter through :class:`ExternalEvents` — (draw, month, amount,
group) — and are added to the cash flow as contractual payments, never rationed; pass
there only money the engine does not already hold.

Its tables are in :mod:`model.analysis.timeline_tables`, its chart and files in
:mod:`model.report`, its command in :mod:`model.cli.timeline`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from model.core.errors import InputError, Problem
from model.core.schema import CHAPTERS
from model.core.streams import BLOCK_DRAWS, check_draws, check_seed
from model.policy.scenario import Scenario
from model.policy.timing_settings import TimingSettings, item_timing
from model.sim.appropriations import OUTCOMES, DrawLoop, appropriations
from model.sim.engine import default_chunk_draws, plan_items, simulate
from model.sim.parallel import map_chunks
from model.sim.results import Results, item_frame
from model.sim.timing import (
    SLOTS_PER_MONTH,
    Batches,
    TimingStreams,
    payment_units,
    reporting_group,
    schedule_item,
)

#: Draws whose applications are dated together (bounds the memory of one step).
CHUNK_DRAWS = 32


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
    workers: int = 1,
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
        Calendars, ``on_shortfall`` and groups (:class:`model.sim.timing.TimingSettings`);
        by default the scenario's ``timing`` section when it has one, else the defaults.
    events : ExternalEvents, optional
        Cash-out events from other models, added unrationed.
    full_loop : bool
        Send the batches of items under no appropriation through the event loop too.
    workers : int
        Processes simulating at once, a random-stream block each
        (:func:`model.sim.parallel.map_chunks`); the same result for any number.

    Returns
    -------
    TimelineResult
    """
    check_draws(draws, source="timeline")
    seed = check_seed(seed)
    settings = scenario.timing_settings(timing)
    years = scenario.payment_years
    items = item_frame(scenario)  # the grant items, then funds, 先投后股 and the loan pool
    items["group"] = [reporting_group(settings, scenario, i) for i in items.index]
    n_years, n_months = len(years), 12 * len(years)
    item_cash = np.zeros((draws, len(items), n_months))
    largest = np.zeros((draws, len(items), n_years))
    batches = np.zeros(draws, dtype=np.int64)
    records: list[np.ndarray] = []
    engine_parts = []
    task = functools.partial(_timeline_chunk, scenario, settings, full_loop, seed)
    warm_up = functools.partial(plan_items, scenario, years)
    chunk_draws = default_chunk_draws(scenario)
    for part in map_chunks(task, draws, chunk_draws=chunk_draws, workers=workers, warm_up=warm_up):
        chunk = part.engine
        rows = slice(chunk.start, chunk.start + chunk.draws)
        engine_parts.append(chunk)
        item_cash[rows], largest[rows], batches[rows] = part.cash, part.largest, part.batches
        records.extend(part.records)
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


@dataclass(frozen=True)
class _TimelineChunk:
    """One chunk of whole blocks of a timeline run (see :func:`_timeline_chunk`)."""

    engine: Results
    cash: np.ndarray
    largest: np.ndarray
    batches: np.ndarray
    records: list[np.ndarray]


def _timeline_chunk(
    scenario: Scenario,
    settings: TimingSettings,
    full_loop: bool,
    seed: int,
    first_draw: int,
    draws: int,
) -> _TimelineChunk:
    """Draws ``[first_draw, first_draw + draws)`` of the timeline (whole random-stream
    blocks, so that the timing streams are consumed in draw order within each)."""
    years = scenario.payment_years
    plans = plan_items(scenario, years)
    calendars = [item_timing(settings, plan.item.line.payment, plan.item.id) for plan in plans]
    _, limits, item_pots = appropriations(scenario, years)
    in_loop = np.array([full_loop or bool(p) for p in item_pots], dtype=bool)
    loop = DrawLoop(limits, item_pots, len(years), settings)
    items = item_frame(scenario)
    n_grants, n_years = len(plans), len(years)
    extra_months = [settings.extra_months.get(i) for i in items.index[n_grants:]]
    chunk = simulate(scenario, draws, seed=seed, start=first_draw)
    cash = np.zeros((draws, len(items), 12 * n_years))
    largest = np.zeros((draws, len(items), n_years))
    batches = np.zeros(draws, dtype=np.int64)
    records: list[np.ndarray] = []
    streams = TimingStreams(seed)
    _spread_extras(chunk.demand[:, n_grants:], extra_months, cash[:, n_grants:])
    for lo in range(0, draws, CHUNK_DRAWS):
        hi = min(lo + CHUNK_DRAWS, draws)
        first = first_draw + lo
        block = first // BLOCK_DRAWS
        parts = [
            _schedule(
                scenario,
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
            Batches.concat(parts), hi - lo, first, in_loop, loop, cash[lo:hi], largest[lo:hi]
        )
        batches[lo:hi] = done[0]
        records.extend(done[1])
    return _TimelineChunk(chunk, cash, largest, batches, records)


def _schedule(scenario: Scenario, *args: Any) -> Batches:
    """:func:`schedule_item`, its problems blamed on the file that set the item's uptake."""
    try:
        return schedule_item(*args)
    except InputError as error:
        raise InputError(
            [
                Problem(
                    scenario.provenance.get(("items", p.item, "uptake"), scenario.files[-1])
                    if scenario.files
                    else p.file,
                    p.item,
                    p.field,
                    p.message,
                )
                for p in error.problems
            ]
        ) from None


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
    loop: DrawLoop,
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
