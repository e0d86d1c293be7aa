"""Simulation results: labeled arrays of cost by draw, line item and year."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from model.policy.scenario import Scenario


def item_frame(scenario: Scenario) -> pd.DataFrame:
    """Metadata of a scenario's engine items, indexed by item id, in run order."""
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
            "city_share": item.city_share,
        }
        for item in scenario.items.values()
    ]
    # funds, 先投后股 and the loan pool: their rows hold the city's own outlay already
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
                "city_share": 1.0,
            }
        )
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
        tables come from them); their city outlays are rows of the arrays above.
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
        )


__all__ = ["Results", "item_frame"]
