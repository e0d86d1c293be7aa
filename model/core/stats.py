"""Monte Carlo statistics over draws: moments, percentiles, risk measures.

Percentiles are exact order statistics of the draws (numpy's default linear
interpolation between adjacent order statistics).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.core.units import YUAN

#: Percentiles reported for every quantity (in percent).
PERCENTILES = (5, 50, 95, 99)


def describe(
    values: np.ndarray, *, budget: float | None = None, suffix: str = ""
) -> dict[str, float]:
    """Summary statistics of one quantity's draws.

    Parameters
    ----------
    values : ndarray, shape (draws,)
        The quantity in each draw.
    budget : float, optional
        A budget in the values' unit; adds ``p_exceed``, the share of draws above it, and
        ``shortfall_mean`` (with ``suffix``), the expected excess over the budget in the
        draws that exceed it, ``E[value − budget | value > budget]`` (NaN when none does).
    suffix : str
        Appended to the name of every statistic in the values' unit (``"_yuan"`` for
        money, so that :func:`model.report.units.to_unit` finds it); ``p_exceed`` is a
        probability and has none.

    Returns
    -------
    dict
        ``mean``, ``sd``, ``mcse`` (Monte Carlo standard error of the mean, ``sd/√n``),
        ``p5``, ``p50``, ``p95``, ``p99``, ``bar`` (Budget-at-Risk, ``p95 − mean``), each
        with ``suffix``, and, with a budget, ``p_exceed`` and ``shortfall_mean``.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else 0.0
    quantiles = np.percentile(values, PERCENTILES)
    stats = {"mean": mean, "sd": sd, "mcse": sd / np.sqrt(n)}
    stats.update({f"p{p}": float(q) for p, q in zip(PERCENTILES, quantiles, strict=True)})
    stats["bar"] = stats["p95"] - mean
    stats = {f"{name}{suffix}": value for name, value in stats.items()}
    if budget is not None:
        over = values[values > budget]
        stats["p_exceed"] = float(over.size / n) if n else float("nan")
        stats[f"shortfall_mean{suffix}"] = float((over - budget).mean()) if over.size else np.nan
    return stats


def describe_columns(
    frame: pd.DataFrame,
    *,
    budget: float | Sequence[float] | None = None,
    suffix: str = "",
) -> pd.DataFrame:
    """:func:`describe` applied to every column of a draws × quantities frame, with one
    budget for all columns or one per column."""
    budgets = (
        [budget] * len(frame.columns)
        if budget is None or isinstance(budget, int | float)
        else list(budget)
    )
    if len(budgets) != len(frame.columns):
        raise ValueError(f"{len(budgets)} budgets for {len(frame.columns)} columns")
    return pd.DataFrame(
        {
            column: describe(frame[column].to_numpy(), budget=limit, suffix=suffix)
            for column, limit in zip(frame.columns, budgets, strict=True)
        }
    ).T


def describe_stats(stats: DrawStats, name: str, columns, *, suffix: str = "") -> pd.DataFrame:
    """:func:`describe_columns` of a (draws, columns) quantity held by ``stats``: the same
    numbers when its draws are kept; beyond, exact means and standard deviations and
    sketched percentiles (:mod:`model.core.sketch`)."""
    if stats.exact:
        return describe_columns(pd.DataFrame(stats.values(name), columns=columns), suffix=suffix)
    mean, sd = stats.mean(name), stats.sd(name)
    table = pd.DataFrame({"mean": mean, "sd": sd, "mcse": sd / np.sqrt(stats.n)}, index=columns)
    quantiles = stats.percentiles(name, PERCENTILES)
    for p, values in zip(PERCENTILES, quantiles, strict=True):
        table[f"p{p}"] = values
    table["bar"] = table["p95"] - table["mean"]
    return table.add_suffix(suffix)


def z_scores(estimate: np.ndarray, expected: np.ndarray, mcse: np.ndarray) -> np.ndarray:
    """``(estimate − expected) / mcse``; 0 where both agree exactly and the error is 0,
    NaN where there is no expectation to compare with."""
    estimate, expected, mcse = (np.asarray(a, dtype=float) for a in (estimate, expected, mcse))
    gap = estimate - expected
    tolerance = 1e-9 * np.maximum(np.abs(expected), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(mcse > 0, gap / mcse, np.where(np.abs(gap) <= tolerance, 0.0, np.inf))
    return np.where(np.isnan(expected), np.nan, z)


class Moments:
    """Exact running sums for means and standard deviations, chunk by chunk.

    Float64 sums of values and of squared deviations from a per-quantity shift (the
    first chunk's mean) keep the variance accurate for large, nearly constant amounts.
    """

    def __init__(self) -> None:
        self.n = 0
        self._shift: np.ndarray | None = None
        self._sum: np.ndarray | None = None
        self._sumsq: np.ndarray | None = None

    def add(self, values: np.ndarray) -> None:
        """Add a chunk, shape (draws, ...)."""
        if self._shift is None:
            self._shift = values.mean(axis=0)
            self._sum = np.zeros_like(self._shift)
            self._sumsq = np.zeros_like(self._shift)
        shift, total, squares = self._sums()
        centred = values - shift
        total += centred.sum(axis=0)
        squares += np.einsum("i...,i...->...", centred, centred)
        self.n += values.shape[0]

    def merge(self, later: Moments) -> None:
        """Fold in the moments of the chunk that follows those held (in draw order, so
        that any split of a run into processes gives the same sums)."""
        if later._shift is None:
            return
        if self._shift is None:
            self.n, self._shift, self._sum, self._sumsq = (
                later.n,
                later._shift,
                later._sum,
                later._sumsq,
            )
            return
        shift, total, squares = self._sums()
        _, other_total, other_squares = later._sums()
        gap = later._shift - shift
        self._sum = total + other_total + later.n * gap
        self._sumsq = squares + other_squares + 2 * gap * other_total + later.n * gap * gap
        self.n += later.n

    def _sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._shift is None or self._sum is None or self._sumsq is None:
            raise ValueError("no values were added")
        return self._shift, self._sum, self._sumsq

    @property
    def mean(self) -> np.ndarray:
        """The mean of every quantity."""
        shift, total, _ = self._sums()
        return shift + total / self.n

    @property
    def sd(self) -> np.ndarray:
        """The sample standard deviation of every quantity (0 with fewer than 2 values)."""
        shift, total, squares = self._sums()
        if self.n < 2:
            return np.zeros_like(shift)
        var = (squares - total**2 / self.n) / (self.n - 1)
        return np.sqrt(np.maximum(var, 0.0))

    @property
    def mcse(self) -> np.ndarray:
        """The Monte Carlo standard error of every mean, ``sd/√n``."""
        return self.sd / np.sqrt(self.n)


__all__ = [
    "PERCENTILES",
    "YUAN",
    "Moments",
    "describe",
    "describe_columns",
    "describe_stats",
    "z_scores",
]
