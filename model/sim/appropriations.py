"""Appropriations as SimPy containers, and one draw's payments run against them.

Every appropriation — an item's ``ceiling_yuan`` or a ceiling group's ``annual_yuan`` —
is a pot refilled on 1 January and emptied on 31 December (unspent money lapses). Each
item-year is a call process that walks through its payment batches in date order and
asks its pots for the money; a batch that finds a pot short is paid as far as it goes,
first come first served, and the rest is rejected or waits, first in line, for next
year's appropriation (:class:`~model.policy.timing_settings.Shortfall`).
"""

from __future__ import annotations

import math

import simpy

from model.policy.scenario import Scenario
from model.policy.timing_settings import Shortfall, TimingSettings
from model.sim.ceilings import ceiling_by_year
from model.sim.timing import SLOTS_PER_MONTH, SLOTS_PER_YEAR

#: A shortfall smaller than half a fen (yuan) is paid: amounts are settled to the fen.
HALF_FEN = 0.005


#: Outcomes of a rationed part of a batch, as written in :attr:`TimelineResult.rationing`.
_REJECTED, _DEFERRED, _OUTSTANDING = range(3)
OUTCOMES = ("rejected", "deferred", "outstanding")


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


class DrawLoop:
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


__all__ = ["HALF_FEN", "OUTCOMES", "DrawLoop", "appropriations"]
