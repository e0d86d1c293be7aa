"""Simulation results: labeled arrays of cost by draw, line item and year."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from model.policy.budget_schema import PAYERS
from model.policy.scenario import Scenario

#: The payer-share columns of :func:`item_frame`, in :data:`PAYERS` order.
SHARE_COLUMNS = tuple(f"{payer}_share" for payer in PAYERS)


def item_frame(scenario: Scenario) -> pd.DataFrame:
    """Metadata of a scenario's rows (grant items, then funds, 先投后股 and the loan pool),
    indexed by item id, in run order, with each payer's share of the row's gross cost."""
    rows = [
        {
            "item": item.id,
            "article": item.line.article,
            "chapter": item.line.chapter,
            "name_zh": item.line.name_zh,
            "name_en": item.line.name_en,
            "unit": item.line.paying_unit,
            "payment": item.line.payment.value,
            "cap_yuan": item.reference_yuan,
        }
        for item in scenario.items.values()
    ]
    # funds, 先投后股 and the loan pool: their rows hold the gross outlay (a fund's calls
    # from all its investors), of which the city pays its share
    for spec in scenario.programmes:
        line = scenario.catalog.by_id[spec.id]
        size = getattr(spec, "size_yuan", None)
        rows.append(
            {
                "item": spec.id,
                "article": line.article,
                "chapter": line.chapter,
                "name_zh": line.name_zh,
                "name_en": line.name_en,
                "unit": line.paying_unit,
                "payment": line.payment.value,
                "cap_yuan": size if size is not None else (line.cap_yuan or float("nan")),
            }
        )
    for row in rows:
        row.update(zip(SHARE_COLUMNS, scenario.funding(str(row["item"])).shares(), strict=True))
    return pd.DataFrame(rows).set_index("item")


@dataclass(frozen=True)
class Results:
    """The outcome of :func:`model.simulate`.

    Attributes
    ----------
    scenario_name : str
    seed : int
        Root seed of the run.
    start : int
        Global index of the first draw held.
    years : list of int
        The year axis: the horizon, extended to the last year anything is paid.
    horizon : list of int
        The scenario's horizon years (a prefix of ``years``).
    items : pandas.DataFrame
        Item metadata (article, chapter, names, paying unit, city share), in array order.
    demand : ndarray, shape (draws, items, years)
        Gross amounts due before appropriation ceilings, yuan.
    funded : ndarray, shape (draws, items, years)
        Gross amounts paid after ceilings, yuan (``demand`` itself when none apply).
    admitted : ndarray of int, shape (draws, items, years)
        New recipients admitted (after take-up) in each admission year.
    programme_draws : dict of str to ProgrammeDraws
        The draws of each fund, the 先投后股 programme and the loan pool, by id (their own
        tables come from them); their gross outlays are rows of the arrays above.
    existing : ndarray or None, shape (draws, items, years)
        The part of ``funded`` owed under commitments made before ``plan_start`` (既有):
        cohorts admitted earlier, funds set up earlier, loans made earlier; ``None`` when
        the plan starts with the horizon (nothing is existing).
    plan_start : int or None
        The first plan year of the scenario.
    """

    scenario_name: str
    seed: int
    start: int
    years: list[int]
    horizon: list[int]
    items: pd.DataFrame
    demand: np.ndarray = field(repr=False)
    funded: np.ndarray = field(repr=False)
    admitted: np.ndarray = field(repr=False)
    programme_draws: dict = field(default_factory=dict, repr=False)
    existing: np.ndarray | None = field(default=None, repr=False)
    plan_start: int | None = None

    @property
    def draws(self) -> int:
        """Number of draws held."""
        return self.demand.shape[0]

    @property
    def n_horizon(self) -> int:
        """Number of horizon years (the first ``n_horizon`` entries of ``years``)."""
        return len(self.horizon)

    @cached_property
    def city(self) -> np.ndarray:
        """Cost to the city: funded amounts times each item's city share (yuan).

        The funded array itself when every share is 1 (no copy).
        """
        share = self.items["city_share"].to_numpy()
        if np.all(share == 1.0):
            return self.funded
        return self.funded * share[None, :, None]

    @property
    def city_existing(self) -> np.ndarray:
        """The city's cost of existing commitments (yuan; zeros when there are none)."""
        if self.existing is None:
            return np.zeros_like(self.funded)
        share = self.items["city_share"].to_numpy()
        return self.existing * share[None, :, None]

    @property
    def rationed(self) -> bool:
        """Whether appropriation ceilings apply (funded amounts differ from demand)."""
        return self.funded is not self.demand

    @property
    def unfunded(self) -> np.ndarray:
        """Gross demand left unpaid by appropriation ceilings (yuan)."""
        return self.demand - self.funded

    def cost(self, *, basis: str = "city") -> pd.DataFrame:
        """Cost in long form, indexed by (draw, item, year), in yuan.

        Parameters
        ----------
        basis : {"city", "gross", "demand"}
            The city's cost, the gross amount paid, or the gross demand.
        """
        values = {"city": self.city, "gross": self.funded, "demand": self.demand}[basis]
        index = pd.MultiIndex.from_product(
            [np.arange(self.start, self.start + self.draws), self.items.index, self.years],
            names=["draw", "item", "year"],
        )
        return pd.DataFrame({"cost_yuan": values.reshape(-1)}, index=index)

    def totals_by_year(self, *, basis: str = "city") -> pd.DataFrame:
        """Total over items by draw (rows) and year (columns), yuan."""
        values = {"city": self.city, "gross": self.funded, "demand": self.demand}[basis]
        return pd.DataFrame(
            values.sum(axis=1),
            index=pd.RangeIndex(self.start, self.start + self.draws, name="draw"),
            columns=pd.Index(self.years, name="year"),
        )

    @classmethod
    def concat(cls, parts: list[Results]) -> Results:
        """Join consecutive chunks of the same run."""
        first = parts[0]
        return cls(
            scenario_name=first.scenario_name,
            seed=first.seed,
            start=first.start,
            years=first.years,
            horizon=first.horizon,
            items=first.items,
            demand=np.concatenate([p.demand for p in parts]),
            funded=np.concatenate([p.funded for p in parts]),
            admitted=np.concatenate([p.admitted for p in parts]),
            programme_draws={
                key: type(value).concat([p.programme_draws[key] for p in parts])
                for key, value in first.programme_draws.items()
            },
            existing=None
            if first.existing is None
            else np.concatenate([p.existing for p in parts if p.existing is not None]),
            plan_start=first.plan_start,
        )


__all__ = ["SHARE_COLUMNS", "Results", "item_frame"]
