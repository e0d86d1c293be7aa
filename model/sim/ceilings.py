"""Annual appropriation ceilings: an item's own, and groups of items rationed pro rata."""

from __future__ import annotations

import numpy as np

from model.policy.scenario import Scenario


def ceiling_by_year(value, years: list[int], horizon: list[int]) -> np.ndarray:
    """An appropriation ceiling as an array over the run's years (inf where none applies)."""
    limits = np.full(len(years), np.inf)
    for i, year in enumerate(years):
        if isinstance(value, dict):
            limits[i] = value.get(year, np.inf)
        elif year in horizon:
            limits[i] = value
    return limits


def apply_ceilings(scenario: Scenario, years: list[int], demand: np.ndarray) -> np.ndarray:
    """Funded amounts after annual appropriation ceilings, rationed pro rata (yuan).

    Item ceilings apply first; then each group's ceiling scales its items' funded
    amounts down by the same factor. Without ceilings the demand array is returned.
    """
    ids = list(scenario.items)
    horizon = scenario.years
    item_limits = {
        i: ceiling_by_year(item.assumptions.ceiling_yuan, years, horizon)
        for i, item in enumerate(scenario.items.values())
        if item.assumptions.ceiling_yuan is not None
    }
    if not item_limits and not scenario.spec.ceilings:
        return demand
    funded = demand.copy()
    for index, limit in item_limits.items():
        np.minimum(funded[:, index, :], limit, out=funded[:, index, :])
    for group in scenario.spec.ceilings:
        members = [ids.index(i) for i in group.items if i in scenario.items]
        if not members:
            continue
        limit = ceiling_by_year(group.annual_yuan, years, horizon)
        total = funded[:, members, :].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(total > limit, limit / total, 1.0)
        funded[:, members, :] *= factor[:, None, :]
    return funded


__all__ = ["apply_ceilings", "ceiling_by_year"]
