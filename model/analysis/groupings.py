"""Per-draw totals of groups of a run's rows, kept chunk by chunk for exact percentiles.

A budget table of groups — the medium-term plan's lines (责任单位 × 功能分类 × existing
or new), its items — needs each group's total *in every draw*: percentiles of a sum are
not sums of percentiles. A :class:`Grouping` names the groups as weights over the run's
rows and the calendar years it keeps; :meth:`Grouping.reduce` turns one chunk of results
into its per-draw totals, and :class:`~model.analysis.tables.RunAccumulator` keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.sim.results import Results

#: The parts of a run's cost a grouping can total: the city's cost, the city's cost of
#: commitments made before the plan (既有), or the gross cost of all payers.
PARTS = ("city", "city_existing", "gross")


@dataclass(frozen=True)
class Grouping:
    """Groups of rows whose per-draw totals a run keeps, for some years.

    Attributes
    ----------
    name : str
        Key of the totals in :attr:`~model.analysis.tables.Summary.groups`.
    labels : pandas.Index
        One label per group, in column order of ``matrix``.
    matrix : ndarray, shape (rows, groups)
        Weight of each row in each group (1 or 0 for a partition).
    years : list of int
        The calendar years kept (a subset of the run's year axis).
    part : str
        One of :data:`PARTS`.
    records : tuple of (commitment, rows)
        Sums of rows a table needs from this grouping, each of the city's cost (``all``),
        its existing part (``existing``) or the rest (``new``): what a run too long to
        keep every draw's row totals keeps instead (:meth:`record_totals`).
    """

    name: str
    labels: pd.Index
    matrix: np.ndarray
    years: list[int]
    part: str = "city"
    records: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def record_totals(self, results: Results) -> dict[str, np.ndarray]:
        """The chunk's :attr:`records`: ``values`` (draws, records, years + 1: each plan
        year and their sum) and ``nonzero`` (draws, records: any year's rows non-zero),
        summed as a table does from per-draw row totals."""
        positions = [results.years.index(year) for year in self.years]
        city = results.city[:, :, positions]
        existing = results.city_existing[:, :, positions]
        parts = {"all": city, "existing": existing, "new": city - existing}
        draws, n_years = city.shape[0], len(positions)
        values = np.empty((draws, len(self.records), n_years + 1))
        nonzero = np.empty((draws, len(self.records)), dtype=bool)
        for k, (commitment, rows) in enumerate(self.records):  # one record's rows at a time
            chosen = parts[commitment][:, list(rows)]
            values[:, k, :n_years] = chosen.sum(axis=1)
            nonzero[:, k] = (chosen != 0).any(axis=(1, 2))
        values[:, :, n_years] = values[:, :, :n_years].sum(axis=2)
        return {"values": values, "nonzero": nonzero}

    def reduce(self, results: Results) -> np.ndarray:
        """The chunk's per-draw group totals, shape (draws, groups, years), yuan."""
        if self.part not in PARTS:
            raise ValueError(f"unknown part {self.part!r}; expected one of {PARTS}")
        positions = [results.years.index(year) for year in self.years]
        values = {
            "city": lambda: results.city,
            "city_existing": lambda: results.city_existing,
            "gross": lambda: results.funded,
        }[self.part]()[:, :, positions]
        return np.einsum("dry,rg->dgy", values, self.matrix)

    @classmethod
    def of_rows(cls, name: str, rows: Sequence[str], years: list[int], part: str) -> Grouping:
        """One group per row (the identity)."""
        return cls(name, pd.Index(list(rows), name="item"), np.eye(len(rows)), years, part)


__all__ = ["PARTS", "Grouping"]
