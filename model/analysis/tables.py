"""Budget tables from simulation results, built chunk by chunk in bounded memory.

A run's chunks are each reduced to a :class:`~model.analysis.chunk_stats.ChunkStats`
(where they were simulated, possibly in a worker process) and folded in draw order by
:class:`RunAccumulator`, which keeps only what the tables need (see
:mod:`model.analysis.chunk_stats`): top-level totals of every draw (exact percentiles),
exact moments, and the items', groups' and programmes' statistics (exact up to
:data:`~model.core.sketch.EXACT_DRAWS` draws, sketched beyond). :func:`summarize` is the
one-call version for results held in memory. Money is in yuan, in columns whose names
end in ``_yuan`` (:func:`model.report.units.to_unit` converts them for presentation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analysis.chunk_stats import GROUPS, ChunkStats, chunk_stats, group_keys
from model.analysis.groupings import Grouping
from model.core.sketch import DrawStats
from model.core.stats import Moments, describe, describe_columns, describe_stats, z_scores
from model.core.units import YUAN
from model.finance.fund_tables import LossRatios
from model.finance.programme import programme_tables
from model.policy.periods import Periods
from model.policy.programmes import FundSpec
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
    loss_ratios : dict of str to LossRatios
        Each fund's loss ratio at liquidation (for its chart), by id.
    programme_stats : dict of str to DrawStats
        The programmes' per-draw quantities' statistics, by id (for their budget tables).
    programme_labels : dict
        One draw of each programme (the labels of its tables), by id.
    periods : Periods
        The scenario's horizon and plan years.
    budgets : dict of int to float, or None
        The budget of each horizon year (yuan), when one was given.
    groups : dict of str to ndarray or DrawStats
        Per-draw totals of each :class:`~model.analysis.groupings.Grouping` of the run,
        shape (draws, groups, years), yuan; beyond
        :data:`~model.core.sketch.EXACT_DRAWS` draws, the statistics of its records
        (:meth:`~model.analysis.groupings.Grouping.record_totals`).
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
    loss_ratios: dict[str, LossRatios] = field(default_factory=dict, repr=False)
    programme_stats: dict[str, DrawStats] = field(default_factory=dict, repr=False)
    programme_labels: dict = field(default_factory=dict, repr=False)
    periods: Periods | None = None
    budgets: dict[int, float] | None = None
    groups: dict[str, np.ndarray | DrawStats] = field(default_factory=dict, repr=False)
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
    draws : int, optional
        The run's number of draws: with more than
        :data:`~model.core.sketch.EXACT_DRAWS`, items' and programmes' percentiles are
        sketched (their draws are not kept); without it, everything is kept.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        budget_yuan: float | Sequence[float] | Mapping[int, float] | None = None,
        groupings: Sequence[Grouping] = (),
        draws: int | None = None,
    ):
        self.scenario = scenario
        self.budgets = budgets_by_year(budget_yuan, scenario.years)
        values = set(self.budgets.values()) if self.budgets else set()
        self.budget_yuan = values.pop() if len(values) == 1 else None
        self.groupings = list(groupings)
        self._groups: dict[str, list] = {g.name: [] for g in self.groupings}
        self.exact = DrawStats(draws=draws).exact
        self._draws = draws
        self._existing = Moments()
        self._totals: list[np.ndarray] = []  # one array (years + 2, draws) once draws known
        self._unfunded_sum: np.ndarray | None = None
        self._city, self._demand, self._funded = Moments(), Moments(), Moments()
        self._admitted_sum: np.ndarray | None = None
        self._stats: dict[str, DrawStats] = {}
        self._meta: Results | None = None
        self.n = 0

    def add(self, results: Results) -> None:
        """Reduce one chunk (the next in draw order) to what the tables need."""
        self.merge(chunk_stats(results, self.scenario, exact=self.exact, groupings=self.groupings))

    def merge(self, chunk: ChunkStats) -> None:
        """Fold in the statistics of the next chunk in draw order."""
        if chunk.start != self.n:
            raise ValueError(
                f"chunks must come in draw order: expected {self.n}, got {chunk.start}"
            )
        if self._meta is None:
            self._meta = chunk.labels
            if self._draws is not None:  # all at once: fails at once if memory is short
                self._totals.append(np.empty((chunk.totals.shape[0], self._draws)))
        if self._draws is not None:
            self._totals[0][:, chunk.start : chunk.start + chunk.draws] = chunk.totals
        else:
            self._totals.append(chunk.totals)
        self._city.merge(chunk.city)
        for mine, theirs in (
            (self._funded, chunk.funded),
            (self._demand, chunk.demand),
            (self._existing, chunk.existing),
        ):
            if theirs is not None:
                mine.merge(theirs)
        self._unfunded_sum = (
            chunk.unfunded_sum
            if self._unfunded_sum is None
            else self._unfunded_sum + chunk.unfunded_sum
        )
        self._admitted_sum = (
            chunk.admitted_sum
            if self._admitted_sum is None
            else (self._admitted_sum + chunk.admitted_sum)
        )
        for name, stats in chunk.stats.items():
            if name in self._stats:
                self._stats[name].merge(stats)
            else:
                self._stats[name] = stats
        for name, values in chunk.groups.items():
            kept = self._groups[name]
            if isinstance(values, DrawStats) and kept:
                kept[0].merge(values)
            else:
                kept.append(values)
        self.n += chunk.draws

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
        totals = self._totals[0] if len(self._totals) == 1 else np.concatenate(self._totals, 1)
        self._totals = [totals]
        totals = totals[:, : self.n]
        # a (years, draws) block: one year's draws are contiguous, and pandas keeps it
        year_totals = pd.DataFrame(
            totals[: len(years)].T, columns=pd.Index(years, name="year"), copy=False
        )
        year_totals.index.name = "draw"
        unfunded_mean = (
            self._unfunded_sum / self.n if self._unfunded_sum is not None else np.zeros(len(years))
        )
        tables = {
            "summary_by_year": self._by_year(year_totals, totals[-2], unfunded_mean, horizon),
            "budget_by_item": self._by_item(horizon),
            "commitments": self._commitments(years, horizon, totals[-1]),
            "recipients_by_item": self._recipients(years),
            "analytic_check": self._analytic_check(),
            "fan": _fan(year_totals),
        }
        for group in GROUPS:
            tables[f"budget_by_{group}"] = self._by_group(group, horizon)
        programmes = {k: v for k, v in self._stats.items() if k != "items"}
        return Summary(
            meta.scenario_name,
            self.n,
            meta.seed,
            years,
            horizon,
            self.budget_yuan,
            tables,
            year_totals,
            programme_tables(self.scenario, programmes, meta.programme_draws) if programmes else {},
            {
                spec.id: LossRatios.of_stats(programmes[spec.id])
                for spec in self.scenario.programmes
                if isinstance(spec, FundSpec) and spec.id in programmes
            },
            programmes,
            meta.programme_draws,
            self.scenario.periods,
            self.budgets,
            {
                name: parts[0] if isinstance(parts[0], DrawStats) else np.concatenate(parts)
                for name, parts in self._groups.items()
                if parts
            },
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
    def _by_year(self, year_totals, horizon_total, unfunded_mean, horizon) -> pd.DataFrame:
        budgets = None if self.budgets is None else [self.budgets[y] for y in horizon]
        stats = describe_columns(year_totals[horizon], budget=budgets, suffix=YUAN)
        if budgets is not None:
            stats.insert(0, "budget_yuan", budgets)
        total = describe(horizon_total, suffix=YUAN)
        n_h = len(horizon)
        stats["gross_mean_yuan"] = self._gross.mean.sum(axis=0)[:n_h]
        stats["demand_mean_yuan"] = self._need.mean.sum(axis=0)[:n_h]
        stats["unfunded_mean_yuan"] = unfunded_mean[:n_h]
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

    def _by_item(self, horizon) -> pd.DataFrame:
        n_h = len(horizon)
        meta = self._items
        mean = self._city.mean
        table = meta[["article", "chapter", "name_zh", "name_en", "unit", "payment"]].copy()
        table["cap_yuan"] = meta["cap_yuan"]
        for j, year in enumerate(horizon):
            table[f"mean_{year}_yuan"] = mean[:, j]
        table = table.join(describe_stats(self._stats["items"], "item", meta.index, suffix=YUAN))
        table["committed_mean_yuan"] = mean[:, n_h:].sum(axis=1)
        analytic = expected_city_cost(self.scenario).to_numpy()[:, :n_h].sum(axis=1)  # NaN: none
        table["analytic_mean_yuan"] = analytic if not self.scenario.has_ceilings else np.nan
        table["z"] = z_scores(table["mean_yuan"], table["analytic_mean_yuan"], table["mcse_yuan"])
        table.index.name = "item"
        return table

    def _by_group(self, group: str, horizon) -> pd.DataFrame:
        meta = self._items
        keys = group_keys(meta, group)
        mean = pd.DataFrame(
            self._city.mean[:, : len(horizon)],
            index=meta.index,
            columns=[f"mean_{y}_yuan" for y in horizon],
        )
        by_year = mean.groupby(keys, sort=True, observed=True).sum()
        table = by_year.join(
            describe_stats(self._stats["items"], group, by_year.index, suffix=YUAN)
        )
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
            (self._admitted_sum if self._admitted_sum is not None else 0) / self.n,
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
    # one year at a time: a copy of one column, not of every draw of every year
    quantiles = np.array(
        [np.percentile(year_totals[year].to_numpy(), FAN_PERCENTILES) for year in year_totals]
    )
    table = pd.DataFrame(
        quantiles,
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
