"""Paired evaluation of variants on common random numbers, re-simulating only what changed.

The engine's random streams are keyed by item (and programme) id and block, so a variant
that changes a few grant items or programmes leaves every other row's draws unchanged:
its per-draw total is the base's total with those rows replaced. :class:`PairedRuns`
simulates the base once and, for each variant, only the rows that differ
(:func:`changed_rows`); a variant that changes the year axis, the climate factor or an
appropriation ceiling is simulated whole. Means of grant items come from the closed-form
expectation (:func:`model.expected_city_cost`), which is exact; rows without one (fund
capital calls) take their paired simulated change.

Used by :mod:`model.analysis.sensitivity` (tornado, Sobol) and :mod:`model.analysis.goalseek`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.core.errors import InputError, Problem
from model.policy.scenario import Scenario
from model.sim.analytic import expected_city_cost
from model.sim.engine import simulate


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
    """

    def __init__(self, scenario: Scenario, draws: int, seed: int):
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
        self.horizon = scenario.years
        self.years = scenario.payment_years

    def _need_draws(self) -> None:
        if not self.draws:
            raise ValueError("no draws: this evaluation needs a simulation")

    @functools.cached_property
    def _base(self) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
        """The base's city cost by draw, row and year, its row ids and each programme's
        city inflow by draw and year (simulated once, when needed)."""
        self._need_draws()
        results = simulate(self.scenario, self.draws, seed=self.seed)
        inflows = {i: d.budget_inflow for i, d in results.programme_draws.items()}
        return results.city, list(results.items.index), inflows

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
    ) -> float:
        """Change of the expected horizon total from the base (yuan): exact where the
        changed rows have closed forms, else the paired simulated change."""
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
        return float((self.horizon_totals(variant, changed) - base).mean())

    def year_totals(self, variant: Scenario, changed: Sequence[str] | None = None) -> np.ndarray:
        """The city's total per draw and year of ``self.years`` (yuan); ``changed``: the
        rows that differ (computed when ``None``)."""
        return self.outputs(variant, changed)[0]

    def outputs(
        self, variant: Scenario, changed: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per draw and year of ``self.years``: the city's total cost, and the city's
        inflows from the programmes (fund distributions), both in yuan."""
        base, ids, inflows = self._base
        if variant is self.scenario:
            return base.sum(axis=1), _sum(inflows.values(), base.shape[0], len(self.years))
        if changed is None:
            changed = changed_rows(self.scenario, variant)
        if changed is None:
            results = simulate(variant, self.draws, seed=self.seed)
            cost = results.city.sum(axis=1)
            flows = _sum(
                (d.budget_inflow for d in results.programme_draws.values()),
                cost.shape[0],
                cost.shape[1],
            )
            width = min(cost.shape[1], len(self.years))
            return cost[:, :width], flows[:, :width]
        keep = [k for k, i in enumerate(ids) if i not in changed]
        totals = base[:, keep, :].sum(axis=1)
        kept_inflows = [v for i, v in inflows.items() if i not in changed]
        flows = _sum(kept_inflows, totals.shape[0], totals.shape[1])
        if changed:
            results = simulate(only(variant, changed), self.draws, seed=self.seed)
            city = results.city.sum(axis=1)
            totals[:, : city.shape[1]] += city
            for draws in results.programme_draws.values():
                flows[:, : draws.budget_inflow.shape[1]] += draws.budget_inflow
        return totals, flows

    def horizon_totals(self, variant: Scenario, changed: Sequence[str] | None = None) -> np.ndarray:
        """The city's horizon total per draw (yuan)."""
        return self.year_totals(variant, changed)[:, : len(self.horizon)].sum(axis=1)


def _sum(arrays, draws: int, years: int) -> np.ndarray:
    """The sum of (draws, ≤ years) arrays, padded to ``years`` columns."""
    total = np.zeros((draws, years))
    for values in arrays:
        total[:, : values.shape[1]] += values
    return total


__all__ = ["PairedRuns", "changed_rows", "only"]
