"""The budget periods of a scenario: the horizon, the plan years and what lies around them.

A finance bureau drafts a three-year rolling medium-term plan (中期财政规划): the first
year binds the budget being drafted (第一年规划约束对应年度预算), the next two guide it
(后两年规划指引对应年度预算), and each year the plan rolls on by a year (国发〔2015〕3号;
Beijing's 2015 implementing opinion, calibration-evidence-2 §5). The plan starts in the
scenario's ``plan_start`` year; years before it are already decided (budgets passed or
executed). :class:`Periods` names every span the tables report, each with its years, so
that no table labels a period it does not sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Years of a medium-term plan: the binding first year and two indicative ones.
PLAN_YEARS = 3

#: The periods of the budget tables, in order. ``before_horizon + horizon +
#: beyond_horizon`` and ``before_plan + plan + after_plan`` each partition ``life``.
PERIOD_NAMES = (
    "before_horizon",
    "horizon",
    "beyond_horizon",
    "before_plan",
    "plan",
    "after_plan",
    "life",
)


@dataclass(frozen=True)
class Periods:
    """The horizon and the plan years of a scenario (calendar years, inclusive).

    Attributes
    ----------
    horizon_start, horizon_end : int
        The scenario's horizon.
    plan_start : int
        The first plan year: the budget year being drafted (约束性); the two after it
        are indicative (指导性).
    """

    horizon_start: int
    horizon_end: int
    plan_start: int

    @property
    def plan_years(self) -> list[int]:
        """The three plan years, the binding one first."""
        return list(range(self.plan_start, self.plan_start + PLAN_YEARS))

    @property
    def plan_end(self) -> int:
        """The last plan year."""
        return self.plan_start + PLAN_YEARS - 1

    def span(self, name: str) -> tuple[int | None, int | None]:
        """First and last year of a period (``None``: open-ended)."""
        spans: dict[str, tuple[int | None, int | None]] = {
            "before_horizon": (None, self.horizon_start - 1),
            "horizon": (self.horizon_start, self.horizon_end),
            "beyond_horizon": (self.horizon_end + 1, None),
            "before_plan": (None, self.plan_start - 1),
            "plan": (self.plan_start, self.plan_end),
            "after_plan": (self.plan_end + 1, None),
            "life": (None, None),
        }
        return spans[name]

    def label(self, name: str) -> str:
        """The years of a period as the tables show them: ``2025–2030``, ``…–2026``,
        ``2031–…``, ``all years``."""
        first, last = self.span(name)
        if first is None and last is None:
            return "all years"
        return f"{'…' if first is None else first}–{'…' if last is None else last}"

    def mask(self, name: str, years: Sequence[int]) -> np.ndarray:
        """Which of ``years`` fall in a period (bool array)."""
        first, last = self.span(name)
        array = np.asarray(list(years), dtype=np.int64)
        inside = np.ones(array.shape, dtype=bool)
        if first is not None:
            inside &= array >= first
        if last is not None:
            inside &= array <= last
        return inside

    def sums(
        self,
        by_year: np.ndarray,
        years: Sequence[int],
        before: np.ndarray | float = 0.0,
        beyond: np.ndarray | float = 0.0,
    ) -> dict[str, np.ndarray]:
        """Per-draw totals of a flow in every period.

        Parameters
        ----------
        by_year : ndarray, shape (draws, len(years))
            The flow in each year of ``years`` (consecutive).
        years : sequence of int
        before, beyond : ndarray of shape (draws,) or float
            The flow in the years before and after ``years`` (a programme's flows
            outside the run's year axis).

        Returns
        -------
        dict of str to ndarray (draws,)
            One entry per :data:`PERIOD_NAMES`.
        """
        years = list(years)
        out = {}
        for name in PERIOD_NAMES:
            first, last = self.span(name)
            total = by_year[:, self.mask(name, years)].sum(axis=1)
            if first is None or (years and first < years[0]):
                total = total + before
            if last is None or (years and last > years[-1]):
                total = total + beyond
            out[name] = total
        return out

    @classmethod
    def of_years(cls, years: Sequence[int]) -> Periods:
        """Periods whose horizon is ``years`` and whose plan starts with them (for a
        programme simulated on its own)."""
        years = list(years)
        return cls(years[0], years[-1], years[0])


__all__ = ["PERIOD_NAMES", "PLAN_YEARS", "Periods"]
