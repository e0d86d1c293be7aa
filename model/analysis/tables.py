"""Budget tables from simulation results, built chunk by chunk in bounded memory.

:class:`RunAccumulator` takes the chunks of a run and keeps only what the tables need:
per-draw totals by year, per-draw totals by item over the horizon (exact percentiles),
and exact running moments of every item × year. :func:`summarize` is the one-call
version for results held in memory. Money is in yuan, in columns whose names end in
``_yuan`` (:func:`model.report.units.to_unit` converts them for presentation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analysis.groupings import Grouping
from model.core.schema import CHAPTERS
from model.core.stats import Moments, describe, describe_columns, z_scores
from model.core.units import YUAN
from model.finance.programme import summarize_programmes
from model.policy.periods import Periods
from model.policy.scenario import Scenario
from model.sim.analytic import expected_city_cost, expected_demand
from model.sim.results import Results

#: Percentile bands of the fan chart (in percent).
FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


@dataclass(frozen=True)
class Summary:
    """All budget tables of a run (money in yuan).

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        ``summary_by_year``, ``budget_by_item``, ``budget_by_article``,
        ``budget_by_chapter``, ``budget_by_unit``, ``commitments``,
        ``recipients_by_item``, ``analytic_check``, ``fan``.
    year_totals : pandas.DataFrame
        The city's total cost per draw (rows) and year (columns), yuan.
    programme_tables : dict of str to pandas.DataFrame
        The funds', 先投后股 and loan pool's own tables (``tolerance``, ``funds_by_year``,
        ``conversion``, ``loan_compensation``, …), see :mod:`model.finance.programme`.
    programme_draws : dict
        Their draws, by item id (for charts).
    periods : Periods
        The scenario's horizon and plan years.
    budgets : dict of int to float, or None
        The budget of each horizon year (yuan), when one was given.
    groups : dict of str to ndarray
        Per-draw totals of each :class:`~model.analysis.groupings.Grouping` of the run,
        shape (draws, groups, years), yuan.
    row_means : dict of str to DataFrame
        Mean ``city``, ``gross`` and ``city_existing`` cost by row (index) and year
        (columns), yuan.
    """

    scenario_name: str
    draws: int
    seed: int
    years: list[int]
    horizon: list[int]
    budget_yuan: float | None
    tables: dict[str, pd.DataFrame]
    year_totals: pd.DataFrame = field(repr=False)
    programme_tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    programme_draws: dict = field(default_factory=dict, repr=False)
    periods: Periods | None = None
    budgets: dict[int, float] | None = None
    groups: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    row_means: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


def budgets_by_year(
    budget: float | Sequence[float] | Mapping[int, float] | None, horizon: Sequence[int]
) -> dict[int, float] | None:
    """A budget for each horizon year: one value for every year, one value per year in
    order, or a mapping year → value (yuan)."""
    if budget is None:
        return None
    years = list(horizon)
    if isinstance(budget, Mapping):
        values = {int(year): float(value) for year, value in budget.items()}
        if sorted(values) != years:
            raise ValueError(f"budgets are for years {sorted(values)}, the horizon is {years}")
        return values
    if isinstance(budget, int | float):
        return dict.fromkeys(years, float(budget))
    values_list = [float(value) for value in budget]
    if len(values_list) == 1:
        return dict.fromkeys(years, values_list[0])
    if len(values_list) != len(years):
        raise ValueError(f"{len(values_list)} budgets for {len(years)} horizon years {years}")
    return dict(zip(years, values_list, strict=True))


class RunAccumulator:
    """Collects a run's chunks and builds its :class:`Summary`.

    Parameters
    ----------
    scenario : Scenario
    budget_yuan : float, sequence or mapping, optional
        A budget (yuan) for ``P(total > budget)`` and the expected shortfall: one for
        every horizon year, one per year, or year → budget (see :func:`budgets_by_year`).
    groupings : sequence of Grouping
        Groups of rows whose per-draw totals to keep (:attr:`Summary.groups`).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        budget_yuan: float | Sequence[float] | Mapping[int, float] | None = None,
        groupings: Sequence[Grouping] = (),
    ):
        self.scenario = scenario
        self.budgets = budgets_by_year(budget_yuan, scenario.years)
        values = set(self.budgets.values()) if self.budgets else set()
        self.budget_yuan = values.pop() if len(values) == 1 else None
        self.groupings = list(groupings)
        self._groups: dict[str, list[np.ndarray]] = {g.name: [] for g in self.groupings}
        self._existing = Moments()
        self._year_totals: list[np.ndarray] = []
        self._unfunded_totals: list[np.ndarray] = []
        self._item_horizon: list[np.ndarray] = []
        self._beyond: list[np.ndarray] = []
        self._city, self._demand, self._funded = Moments(), Moments(), Moments()
        self._admitted_sum: np.ndarray | None = None
        self._meta: Results | None = None
        self._programme_draws: list[dict] = []

    def add(self, results: Results) -> None:
        """Reduce one chunk to what the tables need."""
        if self._meta is None:
            self._meta = results
        h = results.n_horizon
        city = results.city
        self._year_totals.append(city.sum(axis=1))
        self._item_horizon.append(city[:, :, :h].sum(axis=2))
        self._beyond.append(city[:, :, h:].sum(axis=(1, 2)))
        # the three views of the money coincide unless ceilings or city shares apply;
        # then one set of moments serves for all (exactly the same numbers, one pass)
        self._city.add(city)
        if city is not results.funded:
            self._funded.add(results.funded)
        if results.rationed:
            self._demand.add(results.demand)
            self._unfunded_totals.append(results.unfunded.sum(axis=1))
        else:
            self._unfunded_totals.append(np.zeros((results.draws, len(results.years))))
        admitted = results.admitted.sum(axis=0, dtype=np.int64)
        self._admitted_sum = (
            admitted if self._admitted_sum is None else (self._admitted_sum + admitted)
        )
        if results.programme_draws:
            self._programme_draws.append(results.programme_draws)
        if results.existing is not None:
            self._existing.add(results.city_existing)
        for grouping in self.groupings:
            self._groups[grouping.name].append(grouping.reduce(results))

    @property
    def _items(self) -> pd.DataFrame:
        """Metadata of the run's rows (from the first chunk)."""
        if self._meta is None:
            raise ValueError("no results were added")
        return self._meta.items

    @property
    def _gross(self) -> Moments:
        return self._funded if self._funded.n else self._city

    @property
    def _need(self) -> Moments:
        return self._demand if self._demand.n else self._gross

    def finish(self) -> Summary:
        """Build every table."""
        if self._meta is None:
            raise ValueError("no results were added")
        meta = self._meta
        years, horizon = meta.years, meta.horizon
        items = meta.items
        year_totals = pd.DataFrame(
            np.concatenate(self._year_totals), columns=pd.Index(years, name="year")
        )
        year_totals.index.name = "draw"
        item_horizon = pd.DataFrame(np.concatenate(self._item_horizon), columns=items.index)
        beyond = np.concatenate(self._beyond)
        unfunded = np.concatenate(self._unfunded_totals)
        tables = {
            "summary_by_year": self._by_year(year_totals, unfunded, horizon),
            "budget_by_item": self._by_item(item_horizon, horizon),
            "commitments": self._commitments(years, horizon, beyond),
            "recipients_by_item": self._recipients(years),
            "analytic_check": self._analytic_check(),
            "fan": _fan(year_totals),
        }
        for group in ("article", "chapter", "unit"):
            tables[f"budget_by_{group}"] = self._by_group(group, item_horizon, horizon)
        parts = self._programme_draws
        programme_draws = (
            {
                key: type(value).concat([part[key] for part in parts])
                for key, value in parts[0].items()
            }
            if parts
            else {}
        )
        programme_tables = (
            summarize_programmes(self.scenario, programme_draws) if programme_draws else {}
        )
        return Summary(
            meta.scenario_name,
            self._city.n,
            meta.seed,
            years,
            horizon,
            self.budget_yuan,
            tables,
            year_totals,
            programme_tables,
            programme_draws,
            self.scenario.periods,
            self.budgets,
            {name: np.concatenate(parts) for name, parts in self._groups.items()},
            self._row_means(items.index, years),
        )

    def _row_means(self, rows: pd.Index, years: list[int]) -> dict[str, pd.DataFrame]:
        def frame(values: np.ndarray) -> pd.DataFrame:
            return pd.DataFrame(values, index=rows, columns=pd.Index(years, name="year"))

        city = self._city.mean
        existing = self._existing.mean if self._existing.n else np.zeros_like(city)
        return {
            "city": frame(city),
            "gross": frame(self._gross.mean),
            "city_existing": frame(existing),
        }

    # ------------------------------------------------------------ tables
    def _by_year(self, year_totals, unfunded, horizon) -> pd.DataFrame:
        budgets = None if self.budgets is None else [self.budgets[y] for y in horizon]
        stats = describe_columns(year_totals[horizon], budget=budgets, suffix=YUAN)
        if budgets is not None:
            stats.insert(0, "budget_yuan", budgets)
        total = describe(year_totals[horizon].sum(axis=1).to_numpy(), suffix=YUAN)
        n_h = len(horizon)
        stats["gross_mean_yuan"] = self._gross.mean.sum(axis=0)[:n_h]
        stats["demand_mean_yuan"] = self._need.mean.sum(axis=0)[:n_h]
        stats["unfunded_mean_yuan"] = unfunded[:, :n_h].mean(axis=0)
        analytic = expected_city_cost(self.scenario).sum(axis=0, skipna=False).to_numpy()[:n_h]
        stats["analytic_mean_yuan"] = analytic if not self.scenario.has_ceilings else np.nan
        total_row = pd.DataFrame(
            [
                {
                    **total,
                    "gross_mean_yuan": stats["gross_mean_yuan"].sum(),
                    "demand_mean_yuan": stats["demand_mean_yuan"].sum(),
                    "unfunded_mean_yuan": stats["unfunded_mean_yuan"].sum(),
                    "analytic_mean_yuan": stats["analytic_mean_yuan"].sum(min_count=1),
                }
            ],
            index=[f"{horizon[0]}–{horizon[-1]}"],
        )
        table = pd.concat([stats, total_row])
        table.index = pd.Index([str(i) for i in table.index], name="year")
        return table

    def _by_item(self, item_horizon: pd.DataFrame, horizon) -> pd.DataFrame:
        n_h = len(horizon)
        meta = self._items
        mean = self._city.mean
        table = meta[["article", "chapter", "name_zh", "name_en", "unit", "payment"]].copy()
        table["cap_yuan"] = meta["cap_yuan"]
        for j, year in enumerate(horizon):
            table[f"mean_{year}_yuan"] = mean[:, j]
        stats = describe_columns(item_horizon, suffix=YUAN)
        table = table.join(stats)
        table["committed_mean_yuan"] = mean[:, n_h:].sum(axis=1)
        analytic = expected_city_cost(self.scenario).to_numpy()[:, :n_h].sum(axis=1)  # NaN: none
        table["analytic_mean_yuan"] = analytic if not self.scenario.has_ceilings else np.nan
        table["z"] = z_scores(table["mean_yuan"], table["analytic_mean_yuan"], table["mcse_yuan"])
        table.index.name = "item"
        return table

    def _by_group(self, group: str, item_horizon: pd.DataFrame, horizon) -> pd.DataFrame:
        meta = self._items
        keys = meta[group]
        if group == "chapter":  # 一 … 八 in the policy's order, not the strings' order
            keys = pd.Categorical(
                keys, categories=[c for c in CHAPTERS if c in set(keys)], ordered=True
            )
            keys = pd.Series(keys, index=meta.index, name="chapter")
        mean = pd.DataFrame(
            self._city.mean[:, : len(horizon)],
            index=meta.index,
            columns=[f"mean_{y}_yuan" for y in horizon],
        )
        by_year = mean.groupby(keys, sort=True, observed=True).sum()
        totals = item_horizon.T.groupby(keys, sort=True, observed=True).sum().T
        table = by_year.join(describe_columns(totals, suffix=YUAN))
        table.insert(0, "items", keys.value_counts().reindex(table.index).to_numpy())
        if group == "article":
            chapters = meta.groupby("article")["chapter"].first()
            table.insert(0, "chapter", chapters.reindex(table.index))
        table.index.name = group
        return table

    def _commitments(self, years, horizon, beyond) -> pd.DataFrame:
        n_h = len(horizon)
        later = years[n_h:]
        meta = self._items
        mean = self._city.mean[:, n_h:]
        table = meta[["article", "name_zh", "name_en", "payment"]].copy()
        for j, year in enumerate(later):
            table[f"mean_{year}_yuan"] = mean[:, j]
        table["committed_mean_yuan"] = mean.sum(axis=1)
        table = table[table["committed_mean_yuan"] > 0]
        total = describe(beyond, suffix=YUAN)
        total_row = {
            "article": pd.NA,
            "name_zh": "合计",
            "name_en": "Total",
            "payment": "",
            **{f"mean_{y}_yuan": mean[:, j].sum() for j, y in enumerate(later)},
            "committed_mean_yuan": total["mean_yuan"],
            "committed_p50_yuan": total["p50_yuan"],
            "committed_p95_yuan": total["p95_yuan"],
        }
        table = pd.concat([table, pd.DataFrame([total_row], index=["total"])])
        table.index.name = "item"
        return table

    def _recipients(self, years) -> pd.DataFrame:
        meta = self._items
        admitted = pd.DataFrame(
            (self._admitted_sum if self._admitted_sum is not None else 0) / self._city.n,
            index=meta.index,
            columns=[f"recipients_{y}" for y in years],
        )
        admitted = admitted.loc[:, admitted.sum(axis=0) > 0]
        return meta[["article", "name_zh", "name_en"]].join(admitted)

    def _analytic_check(self) -> pd.DataFrame:
        expected = expected_demand(self.scenario)
        mean, mcse = self._need.mean, self._need.mcse
        rows = []
        for i, item in enumerate(expected.index):
            for j, year in enumerate(expected.columns):
                if np.isnan(expected.iat[i, j]) or (expected.iat[i, j] == 0 and mean[i, j] == 0):
                    continue  # no closed form (fund calls), or nothing to compare
                rows.append(
                    {
                        "item": item,
                        "year": year,
                        "analytic_mean_yuan": expected.iat[i, j],
                        "mean_yuan": mean[i, j],
                        "mcse_yuan": mcse[i, j],
                    }
                )
        table = pd.DataFrame(rows)
        table["z"] = z_scores(table["mean_yuan"], table["analytic_mean_yuan"], table["mcse_yuan"])
        return table.set_index(["item", "year"])


def _fan(year_totals: pd.DataFrame) -> pd.DataFrame:
    quantiles = np.percentile(year_totals.to_numpy(), FAN_PERCENTILES, axis=0)
    table = pd.DataFrame(
        quantiles.T,
        index=year_totals.columns,
        columns=[f"p{p}_yuan" for p in FAN_PERCENTILES],
    )
    table["mean_yuan"] = year_totals.mean(axis=0).to_numpy()
    return table


def summarize(
    results: Results,
    scenario: Scenario,
    *,
    budget_yuan: float | Sequence[float] | Mapping[int, float] | None = None,
    groupings: Sequence[Grouping] = (),
) -> Summary:
    """Budget tables of results held in memory (see :class:`RunAccumulator`)."""
    accumulator = RunAccumulator(scenario, budget_yuan=budget_yuan, groupings=groupings)
    accumulator.add(results)
    return accumulator.finish()


__all__ = ["FAN_PERCENTILES", "RunAccumulator", "Summary", "budgets_by_year", "summarize"]
