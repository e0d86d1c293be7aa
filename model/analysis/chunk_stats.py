"""What a run keeps of one chunk of draws, reduced where the chunk was simulated.

:func:`chunk_stats` turns a chunk of :class:`~model.sim.results.Results` into a
:class:`ChunkStats` — small enough to send from a worker process — and
:class:`~model.analysis.tables.RunAccumulator` folds the chunks in draw order:

* the city's total per draw by year, over the horizon and beyond it (kept for every draw:
  the top-level totals' percentiles are exact order statistics);
* exact moments of every row × year (city, gross, demand, existing commitments) and the
  recipients admitted;
* the horizon total of every item and group (article, chapter, paying unit) and the
  capital programmes' per-draw quantities (:meth:`Programme.quantities`), as
  :class:`~model.core.sketch.DrawStats`: every draw up to
  :data:`~model.core.sketch.EXACT_DRAWS` draws, exact sums and sketched percentiles
  beyond (docs/methodology.md, "Memory bounded in draws");
* the per-draw totals of the run's :class:`~model.analysis.groupings.Grouping` (the
  medium-term plan's lines).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.groupings import Grouping
from model.core.schema import CHAPTERS
from model.core.sketch import DrawStats
from model.core.stats import Moments
from model.finance.draw_arrays import slice_draws
from model.finance.fund_budget import fund_budget_quantities
from model.finance.programme import programme_quantities
from model.policy.scenario import Scenario
from model.sim.results import Results

#: The groups of items with budget tables of their own (``budget_by_<group>``).
GROUPS = ("article", "chapter", "unit")


def group_keys(items: pd.DataFrame, group: str) -> pd.Series:
    """Each item's key of a group, ordered as the group's table (chapters 一 … 八 in the
    policy's order, not the strings')."""
    keys = items[group]
    if group == "chapter":
        keys = pd.Series(
            pd.Categorical(keys, categories=[c for c in CHAPTERS if c in set(keys)], ordered=True),
            index=items.index,
            name="chapter",
        )
    return keys


@dataclass(frozen=True)
class ChunkStats:
    """What a run keeps of one chunk of draws (see :func:`chunk_stats`)."""

    start: int
    draws: int
    totals: np.ndarray  # (years + 2, draws): the city's total by year, horizon, beyond
    unfunded_sum: np.ndarray  # (years,)
    city: Moments
    funded: Moments | None
    demand: Moments | None
    existing: Moments | None
    admitted_sum: np.ndarray  # (items, years)
    stats: dict[str, DrawStats]  # "items" (items and groups), then each programme's id
    groups: dict[str, np.ndarray | DrawStats]  # per grouping: (draws, groups, years) or
    # beyond EXACT_DRAWS the statistics of its records (Grouping.record_totals)
    labels: Results  # the chunk's first draw: item metadata and programme labels


def chunk_stats(
    results: Results,
    scenario: Scenario,
    *,
    exact: bool,
    groupings: Sequence[Grouping] = (),
) -> ChunkStats:
    """Reduce a chunk to what :class:`~model.analysis.tables.RunAccumulator` keeps of it.

    Parameters
    ----------
    results : Results
    scenario : Scenario
        The scenario simulated.
    exact : bool
        Keep the items' and programmes' per-draw values (a run of at most
        :data:`~model.core.sketch.EXACT_DRAWS` draws), else sums and sketches.
    groupings : sequence of Grouping
        Groups of rows whose per-draw totals to keep.
    """
    h = results.n_horizon
    city = results.city
    by_year = city.sum(axis=1)
    totals = np.empty((by_year.shape[1] + 2, results.draws))
    totals[:-2] = by_year.T
    totals[-2] = by_year[:, :h].sum(axis=1)
    totals[-1] = city[:, :, h:].sum(axis=(1, 2))
    item_horizon = pd.DataFrame(city[:, :, :h].sum(axis=2), columns=results.items.index)
    quantities: dict[str, Any] = {"item": item_horizon.to_numpy()}
    for group in GROUPS:
        keys = group_keys(results.items, group)
        grouped = item_horizon.T.groupby(keys, sort=True, observed=True).sum().T
        quantities[group] = grouped.to_numpy()
    stats = {"items": DrawStats(exact=exact)}
    stats["items"].add(quantities)
    budget = fund_budget_quantities(scenario, results.programme_draws)
    for programme_id, values in programme_quantities(scenario, results.programme_draws).items():
        stats[programme_id] = DrawStats(exact=exact)
        varying = {
            name: value
            for name, value in budget.get(programme_id, {}).items()
            if np.shape(value)[0] == results.draws  # fixed fees come from the labels
        }
        stats[programme_id].add(values | varying)
    # the three views of the money coincide unless ceilings or city shares apply;
    # then one set of moments serves for all (exactly the same numbers, one pass)
    moments = Moments()
    moments.add(city)
    funded = demand = existing = None
    if city is not results.funded:
        funded = Moments()
        funded.add(results.funded)
    if results.rationed:
        demand = Moments()
        demand.add(results.demand)
        unfunded_sum = results.unfunded.sum(axis=1).sum(axis=0)
    else:
        unfunded_sum = np.zeros(len(results.years))
    if results.existing is not None:
        existing = Moments()
        existing.add(results.city_existing)
    return ChunkStats(
        start=results.start,
        draws=results.draws,
        totals=totals,
        unfunded_sum=unfunded_sum,
        city=moments,
        funded=funded,
        demand=demand,
        existing=existing,
        admitted_sum=results.admitted.sum(axis=0, dtype=np.int64),
        stats=stats,
        groups=_groups(results, groupings, exact),
        labels=first_draw(results),
    )


def _groups(
    results: Results, groupings: Sequence[Grouping], exact: bool
) -> dict[str, np.ndarray | DrawStats]:
    """Each grouping's per-draw totals (exact), or its records' statistics (beyond
    EXACT_DRAWS: bounded in draws; a grouping without records is then not kept)."""
    if exact:
        return {grouping.name: grouping.reduce(results) for grouping in groupings}
    found: dict[str, np.ndarray | DrawStats] = {}
    for grouping in groupings:
        if grouping.records:
            found[grouping.name] = DrawStats(exact=False)
            found[grouping.name].add(grouping.record_totals(results))  # type: ignore[union-attr]
    return found


def first_draw(results: Results) -> Results:
    """A chunk's first draw alone (the labels of its items and programmes)."""
    demand = results.demand[:1]
    return dataclasses.replace(
        results,
        demand=demand,
        funded=demand if results.funded is results.demand else results.funded[:1],
        admitted=results.admitted[:1],
        existing=None if results.existing is None else results.existing[:1],
        programme_draws={k: slice_draws(v, 0, 1) for k, v in results.programme_draws.items()},
    )


__all__ = ["GROUPS", "ChunkStats", "chunk_stats", "first_draw", "group_keys"]
