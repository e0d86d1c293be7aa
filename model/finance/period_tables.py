"""Totals of a programme's flows by budget period, for the ``*_totals`` tables.

The funds, 先投后股 and the loan pool are simulated on the run's year axis (the horizon,
extended to the last year anything is paid) and keep what falls outside it as per-draw
totals before and after it. :func:`period_totals` sums each flow over every period of
:data:`~model.policy.periods.PERIOD_NAMES` — before, in and beyond the horizon; before,
in and after the plan years; the whole life — and :func:`totals_frame` lays the means out
as a table whose ``years`` column says which years each row sums.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from model.policy.periods import PERIOD_NAMES, Periods

#: A flow: its amounts by year of the axis (draws, years), and its per-draw totals
#: before and after the axis.
Flow = tuple[np.ndarray, np.ndarray | float, np.ndarray | float]


def period_totals(
    flows: Mapping[str, Flow], years: Sequence[int], periods: Periods
) -> dict[str, dict[str, np.ndarray]]:
    """Per-draw totals of each flow in every period: ``{period: {flow: (draws,)}}``."""
    sums = {
        name: periods.sums(by_year, years, before, beyond)
        for name, (by_year, before, beyond) in flows.items()
    }
    return {period: {name: sums[name][period] for name in flows} for period in PERIOD_NAMES}


def period_quantities(
    flows: Mapping[str, Flow], years: Sequence[int], periods: Periods
) -> dict[str, np.ndarray]:
    """:func:`period_totals` as named per-draw quantities, ``"<period>:<flow>"``, for a
    :class:`~model.core.sketch.DrawStats` (runs too long to keep their draws)."""
    return {
        f"{period}:{name}": values
        for period, by_flow in period_totals(flows, years, periods).items()
        for name, values in by_flow.items()
    }


def period_names(flows: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{period: {flow: "<period>:<flow>"}}``: the names :func:`period_quantities` gives,
    for :func:`totals_frame` over statistics."""
    return {period: {flow: f"{period}:{flow}" for flow in flows} for period in PERIOD_NAMES}


def totals_frame(
    totals: Mapping[str, Mapping[str, Any]],
    row: Callable[[Mapping[str, Any]], dict[str, Any]],
    periods: Periods,
    *,
    programme_id: str,
    level: str,
) -> pd.DataFrame:
    """One row per period (``row`` turns its per-draw totals, or their names in a
    :class:`~model.core.sketch.DrawStats`, into statistics), indexed by (programme,
    period), with the period's ``years`` first."""
    table = pd.DataFrame(
        [row(totals[name]) for name in PERIOD_NAMES],
        index=pd.MultiIndex.from_product(
            [[programme_id], list(PERIOD_NAMES)], names=[level, "period"]
        ),
    )
    table.insert(0, "years", [periods.label(name) for name in PERIOD_NAMES])
    return table


__all__ = ["Flow", "period_names", "period_quantities", "period_totals", "totals_frame"]
