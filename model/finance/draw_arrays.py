"""Per-draw arrays of the fund, 先投后股 and loan-pool models, over random-stream blocks.

The models of :mod:`model.finance.funds`, :mod:`model.finance.conversion` and
:mod:`model.finance.loans` simulate
the rows of each random-stream block of :mod:`model.core.streams` (all rows up to the last one
needed, so that every stream is consumed in row order and draw ``i`` is the same in any
run), keep each block's rows as dicts of per-draw arrays (:func:`rows_of_blocks`), map
their per-draw timelines onto the run's calendar years (:func:`to_horizon`) and join or
slice their draw dataclasses (:func:`concat_draws`, :func:`slice_draws`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from model.core.streams import block_ranges

#: Precision of the standard variates behind deal outcomes, tickets, timing and loan
#: sizes. Single precision halves the cost of the random numbers, the main cost of these
#: models; money (tickets, costs, proceeds, losses) is still computed in float64 from them.
VARIATE_DTYPE = np.float32


def check_years(years: Sequence[int]) -> np.ndarray:
    """Validate a horizon: consecutive calendar years, ascending, at least one."""
    array = np.asarray(list(years), dtype=np.int64)
    if array.ndim != 1 or array.size == 0 or np.any(np.diff(array) != 1):
        raise ValueError(f"years must be consecutive ascending calendar years, got {years!r}")
    return array


def check_draw_range(start: int, stop: int) -> None:
    """Validate a draw range ``[start, stop)``."""
    if isinstance(start, bool) or isinstance(stop, bool) or not 0 <= start <= stop:
        raise ValueError(f"need 0 <= start <= stop, got start={start!r}, stop={stop!r}")


def rows_of_blocks(simulate_block, start: int, stop: int) -> dict[str, np.ndarray]:
    """Per-draw arrays of draws ``[start, stop)`` from the random-stream blocks.

    ``simulate_block(block, hi)`` returns a dict of arrays whose first axis is rows
    ``[0, hi)`` of ``block`` (the rows before ``lo`` are simulated too, so that every
    stream is consumed in row order); each block's rows ``[lo, hi)`` are kept and
    joined. Models return per-draw timelines from their blocks and map them onto the
    horizon once, for all draws.
    """
    pieces = block_ranges(start, stop) or [(0, 0, 0)]
    return join_rows(
        [
            {name: values[lo:hi] for name, values in simulate_block(block, hi).items()}
            for block, lo, hi in pieces
        ]
    )


def join_rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Join dicts of per-draw arrays along the draw axis."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def run_sums(values: np.ndarray, counts: np.ndarray, ufunc=np.add) -> np.ndarray:
    """Reduce consecutive runs of ``values``, ``counts[i]`` long, with ``ufunc`` (0 for an
    empty run).

    Only the non-empty runs are passed to ``ufunc.reduceat``, so each run is reduced on
    its own values alone: numpy's pairwise sum groups a run's elements by its length, so
    a run that took in one more element (even a zero) could round differently, and a
    draw's sums would then depend on the draws after it.
    """
    result = np.zeros(counts.size, dtype=values.dtype)
    nonempty = np.flatnonzero(counts)
    if nonempty.size:
        starts = np.cumsum(counts) - counts
        result[nonempty] = ufunc.reduceat(values, starts[nonempty])
    return result


def slice_draws(draws, lo: int, hi: int):
    """Rows ``[lo, hi)`` of every array field of a draws dataclass."""
    return dataclasses.replace(
        draws,
        **{
            f.name: getattr(draws, f.name)[lo:hi]
            for f in dataclasses.fields(draws)
            if isinstance(getattr(draws, f.name), np.ndarray)
        },
    )


def concat_draws(cls, parts):
    """Join draw dataclasses of type ``cls`` along the draw axis (metadata must agree)."""
    if not parts:
        raise ValueError("concat needs at least one part")
    first, values = parts[0], {}
    for field in dataclasses.fields(cls):
        value = getattr(first, field.name)
        if isinstance(value, np.ndarray):
            values[field.name] = np.concatenate([getattr(p, field.name) for p in parts])
        else:
            if any(getattr(p, field.name) != value for p in parts[1:]):
                raise ValueError(f"cannot concat draws with different {field.name}")
            values[field.name] = value
    return cls(**values)


def to_horizon(
    values: np.ndarray, first_year: int, years: np.ndarray, *, stock: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map (draws, timeline) values onto horizon years.

    Parameters
    ----------
    values : ndarray, shape (draws, T)
        One column per calendar year ``first_year + j``.
    first_year : int
    years : ndarray of int
        The horizon (consecutive).
    stock : bool
        A stock (year-end level) is 0 before the timeline and held at its last value
        after it; a flow is 0 outside the timeline.

    Returns
    -------
    (horizon, before, beyond)
        ``horizon`` shaped (draws, len(years)); ``before`` and ``beyond`` per draw are
        the flow totals of timeline years before and after the horizon (0 for a stock).
    """
    n, span = values.shape
    n_years = years.size
    shift = int(years[0]) - first_year  # the timeline column of the first horizon year
    # both are consecutive years, so timeline columns [lo, hi) are horizon columns
    # [lo - shift, hi - shift) and slices do (no fancy indexing)
    lo, hi = min(max(shift, 0), span), min(max(shift + n_years, 0), span)
    horizon = np.zeros((n, n_years), dtype=values.dtype)
    horizon[:, lo - shift : hi - shift] = values[:, lo:hi]
    if stock:
        after = max(span - shift, 0)  # the first horizon column past the timeline
        if span and after < n_years:
            horizon[:, after:] = values[:, span - 1 :]
        zeros = np.zeros(n, dtype=values.dtype)
        return horizon, zeros, zeros
    return horizon, values[:, :lo].sum(axis=1), values[:, hi:].sum(axis=1)


def quantiles(values: np.ndarray, qs: Sequence[float], axis: int = 0) -> np.ndarray:
    """``np.quantile`` that returns NaN instead of failing on zero draws."""
    if values.shape[axis] == 0:
        return np.full((len(qs), *np.delete(values.shape, axis)), np.nan)
    return np.quantile(values, qs, axis=axis)


__all__ = [
    "VARIATE_DTYPE",
    "check_draw_range",
    "check_years",
    "concat_draws",
    "join_rows",
    "quantiles",
    "rows_of_blocks",
    "run_sums",
    "slice_draws",
    "to_horizon",
]
