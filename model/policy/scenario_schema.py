"""The schema of a scenario file (after its variants are merged).

A scenario names its catalog, horizon and admission window, and for every line item
modelled by the grant engine says how many recipients there will be, how much of the
cap each gets, the take-up, the city's share of the cost and any appropriation ceiling
— each with its ``basis`` — and configures the capital programmes and the timeline.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from model.core.schema import MoneyYuan, PositiveFraction, Probability, StrictModel, Year
from model.policy.budget_schema import Affordability, Discounting, Funding, KnownAmounts
from model.policy.distributions import Basis, CountSpec, ShareSpec
from model.policy.programmes import ConversionSpec, FundSpec, LoanPoolSpec
from model.policy.timing_settings import TimingOverride, TimingSettings


class YearRange(StrictModel):
    """An inclusive range of calendar years (with, for an admission window, its reason)."""

    start: Year
    end: Year
    basis: Annotated[str, Field(min_length=3)] | None = None

    @model_validator(mode="after")
    def _order(self) -> YearRange:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    @property
    def years(self) -> list[int]:
        """The years, in order."""
        return list(range(self.start, self.end + 1))


class Assumed(StrictModel):
    """A single assumed probability or share, with its basis."""

    value: Probability
    basis: Basis


class Stage(StrictModel):
    """One stage of a staged award (article 19's listing reward is paid 分阶段)."""

    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    share: PositiveFraction = Field(description="Fraction of the cap paid.")
    probability: Probability = Field(description="Chance of reaching it from the previous stage.")
    lag_years: Annotated[int, Field(ge=0, le=15)] = Field(
        description="Years after the previous stage (the first: after admission)."
    )
    basis: Basis


class ItemAssumptions(StrictModel):
    """What a scenario assumes about one line item."""

    uptake: CountSpec
    award: ShareSpec | None = None
    takeup: Assumed | None = None
    retention: Assumed | None = None
    stages: list[Stage] | None = None
    city_share: Assumed | None = None
    ceiling_yuan: MoneyYuan | dict[Year, MoneyYuan] | None = None
    climate_loading: Probability = 0.0
    admission_years: YearRange | None = None
    recurring_until: Year | None = None
    cap_yuan: MoneyYuan | None = None
    years_paid: Annotated[int, Field(ge=1, le=30)] | None = None
    timing: TimingOverride | None = None
    notes: str | None = None


class Climate(StrictModel):
    """A common "innovation climate" factor moving uptake of all programmes together.

    Yearly values follow a stationary AR(1) Gaussian process with the given persistence;
    each item's uptake loads on it with its ``climate_loading`` (Gaussian copula).
    """

    persistence: Annotated[float, Field(ge=0, lt=1)]
    basis: Basis


class CeilingGroup(StrictModel):
    """An annual appropriation shared by several items, rationed pro rata."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    items: list[str] = Field(min_length=1)
    annual_yuan: MoneyYuan | dict[Year, MoneyYuan]
    basis: Basis


class ScenarioFile(StrictModel):
    """The schema of a resolved scenario document (after variants are merged)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$", max_length=200)
    title_zh: str
    title_en: str
    description: str | None = None
    catalog: str = "catalog.yaml"
    horizon: YearRange
    admission_years: YearRange
    plan_start: Year | None = Field(
        default=None,
        description="The first year of the three-year medium-term plan: the budget year "
        "being drafted. Years before it are already decided. Default: the horizon's start.",
    )
    readings: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=64)]] = (
        Field(
            default_factory=dict,
            description="Readings pinned for ambiguous clauses: clause id → reading id "
            "(the catalog's ``readings``); every other clause takes its default.",
        )
    )
    cap_scale: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0,
        description="Multiplies every grant item's cap or fixed amount (not the "
        "不少于 floor, fund sizes, 先投后股 grants or the loan pool's cap per loss).",
    )
    cap_scale_max: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0,
        description="Multiplies the 最高/不超过 caps only (catalog ``fixed: false``), "
        "on top of ``cap_scale``.",
    )
    cap_scale_fixed: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0,
        description="Multiplies the fixed 给予 amounts only (catalog ``fixed: true``), on "
        "top of ``cap_scale``.",
    )
    climate: Climate | None = None
    ceilings: list[CeilingGroup] = Field(default_factory=list)
    items: dict[str, ItemAssumptions]
    funds: dict[str, FundSpec] = Field(default_factory=dict)
    conversion: ConversionSpec | None = None
    loan_compensation: LoanPoolSpec | None = None
    timing: TimingSettings | None = None
    funding: dict[str, Funding] = Field(
        default_factory=dict,
        description="Who pays each line item (item id → shares of city, district, province, "
        "other); the city pays in full where none is given.",
    )
    known_amounts: dict[str, KnownAmounts] = Field(
        default_factory=dict,
        description="The city's outlay in years before the plan (决算/已执行), replacing the "
        "simulation there.",
    )
    discounting: Discounting | None = None
    affordability: Affordability | None = None
    classification: str = Field(
        default="budget_classes.yaml",
        description="The functional classification of the line items (206 科学技术支出), "
        "relative to the scenario file; by default the file beside the catalog.",
    )

    @model_validator(mode="before")
    @classmethod
    def _fund_ids(cls, data: Any) -> Any:
        # funds are keyed by their catalog id; the key is the fund's id
        if isinstance(data, dict) and isinstance(data.get("funds"), dict):
            data = {
                **data,
                "funds": {
                    key: {"id": key, **value} if isinstance(value, dict) else value
                    for key, value in data["funds"].items()
                },
            }
        return data


VARIANT_KEYS = {"extends"} | set(ScenarioFile.model_fields)


ITEM_KEYS = set(ItemAssumptions.model_fields)


__all__ = [
    "ITEM_KEYS",
    "VARIANT_KEYS",
    "Assumed",
    "CeilingGroup",
    "Climate",
    "ItemAssumptions",
    "ScenarioFile",
    "Stage",
    "YearRange",
]
