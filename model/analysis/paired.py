"""Paired evaluation of variants on common random numbers, re-simulating only what changed.

The engine's random streams are keyed by item (and programme) id and block, so a variant
that changes a few grant items or programmes leaves every other row's draws unchanged:
its per-draw total is the base's total with those rows replaced. :class:`PairedRuns`
simulates the base once and, for each variant, only the rows that differ
(:func:`changed_rows`); a variant that changes the year axis, the climate factor or an
appropriation ceiling is simulated whole. Means of grant items come from the closed-form
expectation (:func:`model.expected_city_cost`), which is exact; rows without one (fund
capital calls) take their paired simulated change.

Simulations run in chunks of whole random-stream blocks over ``workers`` processes
(:mod:`model.sim.parallel`): the base's chunks, and every variant's, are folded in draw
order, so the results are the same bytes for any number of workers. Use it as a context
manager: the worker processes are started once and stopped on leaving.

Used by :mod:`model.analysis.sensitivity` (tornado, Sobol) and :mod:`model.analysis.goalseek`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from model.core.errors import InputError, Problem
from model.core.streams import BLOCK_DRAWS
from model.policy.scenario import Scenario
from model.sim.analytic import expected_city_cost
from model.sim.engine import plan_items, simulate
from model.sim.parallel import chunk_ranges, map_chunks, map_ordered, worker_pool


def only(scenario: Scenario, ids: Sequence[str]) -> Scenario:
    """The scenario cut down to these grant items and programmes.

    The engine and the expectation treat rows independently (streams keyed by id), so
    the cut scenario gives exactly those rows' costs.
    """
    keep = set(ids)
    spec = scenario.spec
    spec = spec.model_copy(
        update={
            "funds": {k: v for k, v in spec.funds.items() if k in keep},
            "conversion": spec.conversion
            if spec.conversion is not None and spec.conversion.id in keep
            else None,
            "loan_compensation": spec.loan_compensation
            if spec.loan_compensation is not None and spec.loan_compensation.id in keep
            else None,
        }
    )
    items = {i: item for i, item in scenario.items.items() if i in keep}
    return dataclasses.replace(scenario, spec=spec, items=items)


def changed_rows(base: Scenario, variant: Scenario) -> list[str] | None:
    """The grant items and programmes whose resolution differs between the scenarios, or
    ``None`` when something scenario-wide differs (the year axis, the climate factor,
    appropriation ceilings), so that the variant must be simulated whole."""
    if (
        variant.payment_years != base.payment_years
        or variant.spec.climate != base.spec.climate
        or variant.has_ceilings
        or base.has_ceilings
        or list(variant.items) != list(base.items)
    ):
        return None
    items = [i for i, item in variant.items.items() if item != base.items[i]]
    base_programmes = {spec.id: spec for spec in base.programmes}
    variant_programmes = {spec.id: spec for spec in variant.programmes}
    if set(base_programmes) != set(variant_programmes):
        return None
    return items + [i for i, spec in variant_programmes.items() if spec != base_programmes[i]]


class PairedRuns:
    """The base scenario's per-row expected and per-draw costs, for evaluating variants
    on common random numbers.

    Rows are the grant items followed by the funds, 先投后股 and the loan pool
    (:func:`model.expected_city_cost`'s order). Item means are the closed-form
    expectations; rows without one (fund capital calls) take their simulated mean when
    there are draws, else stay NaN.

    ``workers`` processes simulate at once (the calling one included); within a
    ``with`` block they are started once for every simulation of the block, else each
    batch of simulations starts its own.
    """

    def __init__(self, scenario: Scenario, draws: int, seed: int, *, workers: int = 1):
        if scenario.has_ceilings and not draws:
            raise InputError(
                [
                    Problem(
                        scenario.name,
                        None,
                        "draws",
                        "with appropriation ceilings the expected cost needs a simulation",
                    )
                ]
            )
        self.scenario, self.draws, self.seed = scenario, draws, seed
        self.workers = workers
        self.horizon = scenario.years
        self.years = scenario.payment_years
        self._pool: ProcessPoolExecutor | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> PairedRuns:
        warm_up = functools.partial(plan_items, self.scenario, self.years)
        self._pool = self._stack.enter_context(worker_pool(self.workers, warm_up))
        return self

    def __exit__(self, *exc) -> None:
        self._pool = None
        self._stack.close()

    def _need_draws(self) -> None:
        if not self.draws:
            raise ValueError("no draws: this evaluation needs a simulation")

    @functools.cached_property
    def _base(self) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
        """The base's city cost by draw, row and year, its row ids and each programme's
        city inflow by draw and year (simulated once, when needed)."""
        self._need_draws()
        task = functools.partial(_base_chunk, self.scenario, self.seed)
        parts = list(map_chunks(task, self.draws, workers=self.workers, pool=self._pool))
        city = _stack([part[0] for part in parts])
        programmes = parts[0][2]
        inflows = {i: _stack([part[2][i] for part in parts]) for i in programmes}
        return city, parts[0][1], inflows

    @property
    def item_draws(self) -> np.ndarray:
        """The base's city cost by draw, row and year (yuan)."""
        return self._base[0]

    @property
    def ids(self) -> list[str]:
        """The base's row ids, in the order of :attr:`item_draws`."""
        return self._base[1]

    @functools.cached_property
    def item_means(self) -> pd.Series:
        """Expected horizon cost by row (yuan); simulated where there is no closed form."""
        means = expected_city_cost(self.scenario)[self.horizon].sum(axis=1, skipna=False)
        if self.draws and means.isna().any():
            simulated = self.item_draws[:, :, : len(self.horizon)].sum(axis=2).mean(axis=0)
            means = means.fillna(pd.Series(simulated, index=self.ids))
        return means

    @property
    def base_mean(self) -> float:
        """Expected horizon total (yuan); NaN when a fund has no closed form and no draws."""
        if self.scenario.has_ceilings:
            return float(self.horizon_totals(self.scenario, []).mean())
        return float(self.item_means.sum(skipna=False))

    def changed_means(self, variant: Scenario, changed: Sequence[str]) -> pd.Series:
        """Expected horizon cost of the changed rows in ``variant`` (yuan; NaN for rows
        without a closed form)."""
        return expected_city_cost(only(variant, changed))[self.horizon].sum(axis=1, skipna=False)

    def delta_mean(
        self,
        variant: Scenario,
        changed: Sequence[str] | None = None,
        changed_means: pd.Series | None = None,
        totals: np.ndarray | None = None,
    ) -> float:
        """Change of the expected horizon total from the base (yuan): exact where the
        changed rows have closed forms, else the paired simulated change (of ``totals``,
        the variant's horizon total per draw, when given)."""
        if changed is None:
            changed = changed_rows(self.scenario, variant)
        exact = changed is not None and not (variant.has_ceilings or self.scenario.has_ceilings)
        if exact and changed is not None:
            if changed_means is None:
                changed_means = self.changed_means(variant, changed)
            before = self.item_means[list(changed)]
            if not (changed_means.isna().any() or before.isna().any()):
                return float(changed_means.sum() - before.sum())
        elif changed is None and not (variant.has_ceilings or self.scenario.has_ceilings):
            expected = expected_city_cost(variant)[self.horizon].sum(axis=1, skipna=False)
            if not expected.isna().any():
                return float(expected.sum() - self.item_means.sum())
        self._need_draws()
        base = self.horizon_totals(self.scenario, [])
        if totals is None:
            totals = self.horizon_totals(variant, changed)
        return float((totals - base).mean())

    def year_totals(self, variant: Scenario, changed: Sequence[str] | None = None) -> np.ndarray:
        """The city's total per draw and year of ``self.years`` (yuan); ``changed``: the
        rows that differ (computed when ``None``)."""
        return self.outputs(variant, changed)[0]

    def outputs(
        self, variant: Scenario, changed: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per draw and year of ``self.years``: the city's total cost, and the city's
        inflows from the programmes (fund distributions), both in yuan."""
        if changed is None and variant is not self.scenario:
            changed = changed_rows(self.scenario, variant)
        return next(self.outputs_many([(variant, changed)]))

    def outputs_many(
        self, pairs: Sequence[tuple[Scenario, Sequence[str] | None]]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """:meth:`outputs` of each ``(variant, changed)``, in order, their simulations
        shared over the workers; ``changed`` ``None``: the variant is simulated whole."""
        base, ids, inflows = self._base
        jobs = [_job(self.scenario, variant, changed) for variant, changed in pairs]
        simulated = self._simulated([job for job in jobs if job is not None])
        for (variant, changed), job in zip(pairs, jobs, strict=True):
            if variant is self.scenario:
                yield base.sum(axis=1), _sum(inflows.values(), base.shape[0], len(self.years))
                continue
            cost, flows = next(simulated) if job is not None else (None, [])
            if changed is None:
                assert cost is not None
                width = min(cost.shape[1], len(self.years))
                whole = _sum(flows, cost.shape[0], cost.shape[1])
                yield cost[:, :width], whole[:, :width]
                continue
            keep = [k for k, i in enumerate(ids) if i not in changed]
            totals = base[:, keep, :].sum(axis=1)
            kept_inflows = [v for i, v in inflows.items() if i not in changed]
            total_flows = _sum(kept_inflows, totals.shape[0], totals.shape[1])
            if cost is not None:
                totals[:, : cost.shape[1]] += cost
            for inflow in flows:
                total_flows[:, : inflow.shape[1]] += inflow
            yield totals, total_flows

    def _simulated(self, jobs: list[Scenario]) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
        """Each job's city cost per draw and year of its own axis (summed over rows) and
        its programmes' inflows, simulated chunk by chunk over the workers, in order."""
        ranges = chunk_ranges(self.draws, BLOCK_DRAWS)
        arguments = [(job, self.seed, first, n) for job in jobs for first, n in ranges]
        warm_up = functools.partial(plan_items, self.scenario, self.years)
        parts = map_ordered(
            _chunk_totals, arguments, workers=self.workers, warm_up=warm_up, pool=self._pool
        )
        for _ in jobs:
            chunks = [next(parts) for _ in ranges]
            flows = [_stack([c[1][k] for c in chunks]) for k in range(len(chunks[0][1]))]
            yield _stack([c[0] for c in chunks]), flows

    def horizon_totals(self, variant: Scenario, changed: Sequence[str] | None = None) -> np.ndarray:
        """The city's horizon total per draw (yuan)."""
        return self.year_totals(variant, changed)[:, : len(self.horizon)].sum(axis=1)


def _job(base: Scenario, variant: Scenario, changed: Sequence[str] | None) -> Scenario | None:
    """What a variant needs simulated: nothing (the base, or no row changed), the rows
    that changed, or (``changed`` ``None``) the whole variant."""
    if variant is base or (changed is not None and not changed):
        return None
    return variant if changed is None else only(variant, changed)


def _base_chunk(
    scenario: Scenario, seed: int, first: int, draws: int
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Draws ``[first, first + draws)`` of the base: city cost by draw, row and year, the
    row ids and each programme's city inflow by draw and year (yuan)."""
    results = simulate(scenario, draws, seed=seed, start=first)
    inflows = {i: d.budget_inflow for i, d in results.programme_draws.items()}
    return np.ascontiguousarray(results.city), list(results.items.index), inflows


def _chunk_totals(
    scenario: Scenario, seed: int, first: int, draws: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Draws ``[first, first + draws)``: the city's cost per draw and year, and each
    programme's city inflow per draw and year (yuan)."""
    results = simulate(scenario, draws, seed=seed, start=first)
    return results.city.sum(axis=1), [d.budget_inflow for d in results.programme_draws.values()]


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """Chunks of draws, in order, as one array."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _sum(arrays, draws: int, years: int) -> np.ndarray:
    """The sum of (draws, ≤ years) arrays, padded to ``years`` columns."""
    total = np.zeros((draws, years))
    for values in arrays:
        total[:, : values.shape[1]] += values
    return total


__all__ = ["PairedRuns", "changed_rows", "only"]
