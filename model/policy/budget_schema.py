"""The budget sections of a scenario: who pays (``funding``), amounts already decided
(``known_amounts``), the discount basis (``discounting``) and the city's budget
aggregates for affordability (``affordability``).

These are scenario inputs, each with its basis or source, like every assumption. They do
not change a draw: funding shares split each line's gross cost between payers, known
amounts replace the simulated cost of years before the plan, discounting weighs the
years, and the affordability inputs are denominators of shares.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from model.core.schema import MoneyYuan, PositiveYuan, Probability, StrictModel, Year
from model.policy.distributions import Basis

#: The payers of a line item's cost, in the order of the tables: the city (市本级), the
#: counties, districts and development zones (县〔市〕区、开发区), the province (省级)
#: and everyone else (state capital, social capital, banks).
PAYERS = ("city", "district", "province", "other")

#: (Chinese, English) names of the payers.
PAYER_NAMES = {
    "city": ("市本级", "city"),
    "district": ("县（市）区、开发区", "counties, districts and zones"),
    "province": ("省级", "province"),
    "other": ("其他（国有资本、社会资本等）", "other (state or social capital)"),
}


class Funding(StrictModel):
    """Who pays a line item's cost: shares of each payer, adding up to 1, with the basis.

    A share not given is 0, so ``{city: 0.5, district: 0.5, basis: ...}`` splits an
    item between the city and its districts.
    """

    city: Probability = 0.0
    district: Probability = 0.0
    province: Probability = 0.0
    other: Probability = 0.0
    basis: Basis

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        total = self.city + self.district + self.province + self.other
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"the shares add up to {total:g}; they must add up to 1")
        return self

    def shares(self) -> tuple[float, float, float, float]:
        """The shares in :data:`PAYERS` order."""
        return (self.city, self.district, self.province, self.other)


class KnownAmounts(StrictModel):
    """The city's outlay on a line item in years already decided (决算 or 已执行), which
    replaces the simulated cost in those years (yuan, the city's share)."""

    amounts: dict[Year, MoneyYuan] = Field(min_length=1)
    source: Basis


class Discounting(StrictModel):
    """How later years are weighed: a nominal discount rate and an inflation rate, with
    their basis. Present values are in money of the plan's first year."""

    rate: Annotated[float, Field(ge=0.0, le=0.2)] = 0.0
    inflation: Annotated[float, Field(ge=-0.05, le=0.2)] = 0.0
    basis: Basis


class SourcedAmount(StrictModel):
    """A published budget aggregate: its value, the year it is of, its source and its
    caliber (口径: 全市 the whole city, 市本级 the city level)."""

    value_yuan: PositiveYuan
    year: Year
    source: Basis
    caliber: str = Field(default="全市", min_length=1, max_length=40)
    kind: str = Field(
        default="outturn",
        pattern=r"^(outturn|budget|target|derived|estimate)$",
        description="决算 outturn, 预算 budget, a target, a derived figure or an estimate.",
    )


class Affordability(StrictModel):
    """The city's general budget revenue and its 科学技术支出, each sourced: the plan
    tables add the policy's cost as a share of each that is given."""

    general_budget_revenue: SourcedAmount | None = None
    science_tech_expenditure: SourcedAmount | None = None


__all__ = [
    "PAYERS",
    "PAYER_NAMES",
    "Affordability",
    "Discounting",
    "Funding",
    "KnownAmounts",
    "SourcedAmount",
]
