"""The one function that converts a table's money into a presentation unit.

Computation is always in yuan (float64). A table's money columns say so in their name:
every one ends in ``_yuan`` (``mean_yuan``, ``mean_2026_yuan``, ``city_calls_mean_yuan``);
:func:`to_unit` divides exactly those columns and renames them ``…_wan`` or ``…_yi``, so
that a file's header always names the unit of its figures. Nothing else is converted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.core.units import YUAN, Unit

if TYPE_CHECKING:  # pandas is only needed by the caller's tables
    import pandas as pd


def money_stem(column: object) -> str | None:
    """The name of a money column in yuan without its suffix (``mean_2026``), or None
    when the column does not hold yuan."""
    name = str(column)
    return name[: -len(YUAN)] if name.endswith(YUAN) else None


def to_unit(table: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """A copy of ``table`` with every ``*_yuan`` column divided into ``unit`` and renamed
    ``*_<unit>`` (``mean_yuan`` → ``mean_wan``); other columns are unchanged.

    Parameters
    ----------
    table : pandas.DataFrame
        Money in yuan, in columns named ``*_yuan``.
    unit : Unit

    Returns
    -------
    pandas.DataFrame
    """
    out = table.copy()
    renames = {}
    for column in out.columns:
        stem = money_stem(column)
        if stem is not None:
            out[column] = out[column] / unit.divisor
            renames[column] = f"{stem}{unit.suffix}"
    return out.rename(columns=renames)


__all__ = ["money_stem", "to_unit"]
