"""The contract of the capital programmes: what a fund, 先投后股 and the loan pool each
provide (:class:`Programme`), what their draws provide (:class:`ProgrammeDraws`), and
the plumbing every model shares (:class:`SpecModel`).

The models live beside their simulations (:mod:`model.finance.funds`,
:mod:`model.finance.conversion`, :mod:`model.finance.loans`); :mod:`model.finance.programme`
picks a specification's model by its type and runs a scenario's programmes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.finance.period_tables import Flow
from model.policy.periods import Periods
from model.policy.programmes import ProgrammeSpec


class ProgrammeDraws(Protocol):
    """Simulated draws of a programme; money in yuan, ``(draws, years)`` arrays follow the
    run's year axis."""

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        ...

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays each year (yuan, (draws, years))."""
        ...

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back to the city each year (yuan, (draws, years))."""
        ...

    @property
    def gross_outlay(self) -> np.ndarray:
        """What all payers put in each year: the city's outlay and, for a fund, the other
        investors' capital (yuan, (draws, years)); the engine's row of the programme."""
        ...

    def existing_outlay(self, plan_start: int) -> np.ndarray:
        """The part of :attr:`gross_outlay` owed under commitments made before
        ``plan_start`` (既有): a fund set up before it, loans made before it (yuan)."""
        ...

    @classmethod
    def concat(cls, parts: Sequence[Self]) -> Self:
        """Join chunks of draws, in order."""
        ...


class Programme(Protocol):
    """A capital programme of a scenario: a fund, 先投后股 or the loan pool."""

    @property
    def id(self) -> str:
        """The catalog id (the programme's row in the results)."""
        ...

    @property
    def last_year(self) -> int:
        """The last calendar year in which the city may pay anything out."""
        ...

    def simulate(self, years: Sequence[int], start: int, stop: int, *, seed: int) -> Any:
        """Draws ``[start, stop)`` on the run's year axis, from keyed streams of its own
        (a :class:`ProgrammeDraws`)."""
        ...

    def summarize(self, draws: Any, periods: Periods) -> dict[str, pd.DataFrame]:
        """The programme's own tables (money in ``*_yuan`` columns), its totals by the
        scenario's budget periods."""
        ...

    def quantities(self, draws: Any, periods: Periods) -> dict[str, np.ndarray]:
        """The per-draw quantities its tables are statistics of (for runs too long to
        keep their draws: see :class:`~model.core.sketch.DrawStats`)."""
        ...

    def tables(self, stats: DrawStats, draws: Any, periods: Periods) -> dict[str, pd.DataFrame]:
        """The tables of :meth:`summarize` from the statistics of :meth:`quantities` over
        a run's chunks (``draws``: any chunk, for its labels)."""
        ...

    def expected_outlay(self, years: Sequence[int]) -> np.ndarray:
        """Closed-form expected city outlay by year where one exists, else NaN (yuan)."""
        ...

    def budget_flows(self, draws: Any) -> dict[str, Flow]:
        """The city's flows in budget terms (yuan): ``capital_calls`` (investments,
        grants or compensation), ``fees``, ``recycled`` (distributions that meet calls),
        ``appropriation`` (what the budget pays: calls + fees − recycled) and ``returned``
        (what comes back to the treasury), each as (by year, before, after the axis)."""
        ...


SpecT = TypeVar("SpecT", bound=ProgrammeSpec)


@dataclass(frozen=True)
class SpecModel(Generic[SpecT]):
    """What every programme model takes from its specification: its id and the last year
    the city may pay anything (:attr:`last_payment_year`)."""

    spec: SpecT

    @property
    def id(self) -> str:
        """The catalog id (the programme's row in the results)."""
        return self.spec.id

    @property
    def last_year(self) -> int:
        """The last calendar year in which the city may pay anything out."""
        return self.spec.last_payment_year


__all__ = ["Programme", "ProgrammeDraws", "SpecModel"]
