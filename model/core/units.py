"""Units of money: computation is always in yuan; these are the units of presentation.

A table's money columns say their unit in their name: every one ends in ``_yuan``
(:data:`YUAN`), and :func:`model.report.units.to_unit` converts exactly those columns.
"""

from __future__ import annotations

from enum import StrEnum

#: Suffix of a column that holds money in yuan.
YUAN = "_yuan"


class Unit(StrEnum):
    """Presentation unit of money (computation is always in yuan)."""

    YUAN = "yuan"
    WAN = "wan"
    YI = "yi"

    @property
    def divisor(self) -> float:
        """Yuan per presentation unit."""
        return {"yuan": 1.0, "wan": 1e4, "yi": 1e8}[self.value]

    @property
    def label_zh(self) -> str:
        """The unit's Chinese name (元, 万元, 亿元)."""
        return {"yuan": "元", "wan": "万元", "yi": "亿元"}[self.value]

    @property
    def label_en(self) -> str:
        """The unit's English name, for captions and axes."""
        return {"yuan": "yuan", "wan": "10,000 yuan (wan)", "yi": "100 million yuan (yi)"}[
            self.value
        ]

    @property
    def decimals(self) -> int:
        """Decimals shown for an amount in this unit."""
        return {"yuan": 0, "wan": 1, "yi": 2}[self.value]

    @property
    def suffix(self) -> str:
        """The suffix of a money column in this unit (``_wan``)."""
        return f"_{self.value}"


__all__ = ["YUAN", "Unit"]
