"""What kind of quantity a column holds — money, a percentage, a count, a year … — and
how each kind is shown: the one table the workbook formats its columns from.

A column's kind comes from its name: money by its unit suffix (``mean_2026_wan``, as
:func:`model.report.units.to_unit` names it), everything else by the first rule of
:data:`KIND_RULES` its stem matches (the name less a unit suffix and a trailing year).
A new table needs no new code when its columns follow the names in use (``p_…`` for
probabilities, ``…_share`` for shares, ``…_year`` for years); a column of a new kind
needs one row here.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

from model.core.units import Unit


class Kind(StrEnum):
    """The kinds of column, with their Excel number formats."""

    MONEY = "money"
    PERCENT = "percent"
    SMALL_PERCENT = "small_percent"
    COUNT = "count"
    COUNT_MEAN = "count_mean"
    YEAR = "year"
    RATIO = "ratio"
    SCORE = "score"
    INDEX = "index"
    NUMBER = "number"
    TEXT = "text"
    LONG_TEXT = "long_text"

    @property
    def number_format(self) -> str:
        """The Excel number format of this kind (money: see :func:`money_format`)."""
        return {
            "percent": "0.0%",
            "small_percent": "0.00%",
            "count": "#,##0",
            "count_mean": "#,##0.0",
            "year": "0",
            "ratio": "0.00",
            "score": "+0.00;-0.00;0.00",
            "index": "0.000",
            "number": "#,##0.00",
        }.get(self.value, "General")


#: (pattern of a column's stem, kind), first match wins; stems are lower case.
KIND_RULES: tuple[tuple[str, Kind], ...] = (
    (r"^(rel_se.*|p_.*_se|.*_share_se)$", Kind.SMALL_PERCENT),
    (r"^(p|p_.*|share|.*_share|.*_share_mean|tolerance|loss_ratio.*|.*_rate)$", Kind.PERCENT),
    (r"^(year|.*_year|plan_start|first_year|last_year)$", Kind.YEAR),
    (r"^(items|article|rank|row|draws|n|sobol_n|applications|count|deals|years_paid)$", Kind.COUNT),
    (r"^(recipients.*|mean_deals|conversions_mean|losses_mean|.*_count_mean)$", Kind.COUNT_MEAN),
    (r"^(low|high|item_ratio_.*|variance_reduction|.*_multiplier|value_multiplier)$", Kind.RATIO),
    (r"^(z|z_score)$", Kind.SCORE),
    (r"^(s1|st|s1_conf|st_conf|s2|s2_conf)$", Kind.INDEX),
    (
        r"^(basis|quote|description|assumption|value|files|note|turns_on|.*_en|label_zh)$",
        Kind.LONG_TEXT,
    ),
)
_RULES = tuple((re.compile(pattern), kind) for pattern, kind in KIND_RULES)
_YEAR_SUFFIX = re.compile(r"_(\d{4})$")


def stem(column: object, unit: Unit) -> tuple[str, bool]:
    """A column's stem (lower case, less its unit suffix and a trailing year) and
    whether it holds money."""
    name = str(column)
    money = name.endswith(unit.suffix)
    if money:
        name = name[: -len(unit.suffix)]
    return _YEAR_SUFFIX.sub("", name).lower(), money


def column_kind(column: object, unit: Unit, numeric: bool = True) -> Kind:
    """The kind of a column by its name (``numeric``: whether it holds numbers, for the
    columns no rule names)."""
    name, money = stem(column, unit)
    if money:
        return Kind.MONEY
    for pattern, kind in _RULES:
        if pattern.match(name):
            return kind
    return Kind.NUMBER if numeric else Kind.TEXT


def money_decimals(values: list[float], unit: Unit) -> int:
    """Decimals for a money column in ``unit``: the unit's own (元 0, 万元 1, 亿元 2), more
    (up to 2 for 万元, 4 for 亿元) while some non-zero amount would show as 0."""
    most = {Unit.YUAN: 0, Unit.WAN: 2, Unit.YI: 4}[unit]
    decimals = unit.decimals
    nonzero = [abs(v) for v in values if v and math.isfinite(v)]
    while nonzero and decimals < most and min(nonzero) < 0.5 * 10.0**-decimals:
        decimals += 1
    return decimals


def money_format(decimals: int) -> str:
    """The Excel format of money with ``decimals`` decimals and thousands separators."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


__all__ = ["KIND_RULES", "Kind", "column_kind", "money_decimals", "money_format", "stem"]
