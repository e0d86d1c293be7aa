"""Shared building blocks of the input schemas: the strict base model, the bounded number
types every numeric field uses, and closed sets of options (payment kinds, cap bases,
modellers, the policy's chapters).

Every number a scenario or catalog may state has a finite documented range
(``docs/scenario-format.md``, "Ranges of numbers"), so that nothing downstream can
overflow: a Poisson mean of 1e12, a count of 1e20 or a cap of 1e308 is an input error
naming its file and field, never a traceback or an ``inf`` in a table. Declare new
numeric fields with these types (``MoneyYuan``, ``Count``, ``Probability``, ``Year`` …)
rather than bare ``float``/``int``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Largest amount of money any input may state: 1e12 yuan (1万亿元). The policy's largest
#: single amount is 10亿元 (the seed fund, article 20) and Changchun's whole general
#: budget is of the order of 1000亿元, so this is generous yet keeps every product of an
#: amount with a count, a year and an item far inside float64.
MAX_YUAN = 1e12
#: Largest number of recipients, events, deals or projects in one year: 1,000,000 (the
#: city has about 9 million people and 7,500 科技型中小企业 a year, the largest count of
#: the baseline).
MAX_COUNT = 1_000_000
#: Largest multiple of an amount an award may be (an award above a 不少于 floor is a
#: multiple of the floor; a cap's share is checked against 1 by the resolver).
MAX_MULTIPLE = 1_000.0

#: Money in yuan, 0 to :data:`MAX_YUAN` (1万亿元).
MoneyYuan = Annotated[float, Field(ge=0, le=MAX_YUAN)]
#: Money in yuan, above 0 and at most :data:`MAX_YUAN`.
PositiveYuan = Annotated[float, Field(gt=0, le=MAX_YUAN)]
#: A whole number of recipients (events, deals, projects) a year, 0 to :data:`MAX_COUNT`.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
#: An expected number of recipients a year (or a stock of firms), 0 to :data:`MAX_COUNT`.
MeanCount = Annotated[float, Field(ge=0, le=MAX_COUNT)]
#: A probability, share or rate: a fraction from 0 to 1.
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
#: A fraction above 0 and at most 1 (a share paid, a fund's city share).
PositiveFraction = Annotated[float, Field(gt=0.0, le=1.0)]
#: A calendar year, 2000 to 2100.
Year = Annotated[int, Field(ge=2000, le=2100)]
#: A number of whole years (a lag, a duration), 0 to 100.
Years = Annotated[int, Field(ge=0, le=100)]
#: A multiple of an amount (an award as a multiple of a floor), 0 to :data:`MAX_MULTIPLE`.
Multiple = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLE)]
#: A shape parameter (negative-binomial dispersion, beta a and b), 0.01 to 1,000,000:
#: smaller values make a distribution's tail too long to draw from.
Shape = Annotated[float, Field(ge=0.01, le=1e6)]


class StrictModel(BaseModel):
    """Frozen pydantic model that rejects unknown keys, silent type coercion (``"100"``
    or ``true`` for a cap is an error, not 100 or 1) and infinite or NaN numbers.

    Enum fields are the one exception: declare them with :data:`Choice`-style
    ``Annotated[SomeEnum, Field(strict=False)]`` so that YAML strings select a member.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
        validate_default=True,
    )


class PaymentKind(StrEnum):
    """How a line item's money is paid out over time."""

    ONE_TIME = "one_time"  # once, in the year of the award
    ANNUAL_FOR_YEARS = "annual_for_years"  # each year for a fixed number of years
    RECURRING_ANNUAL = "recurring_annual"  # each year the recipient stays qualified
    STAGED = "staged"  # in stages as milestones are reached
    PER_EVENT = "per_event"  # per qualifying event (registration, loss)
    FORMULA = "formula"  # an amount computed from a base, capped
    FUND = "fund"  # capital invested, not a grant


class CapBasis(StrEnum):
    """What the catalog's ``cap_yuan`` refers to."""

    PER_AWARD = "per_award"  # per recipient (or project, or event), in total
    PER_YEAR = "per_year"  # per recipient and year


class Modeller(StrEnum):
    """Which part of fiscalsim models a line item."""

    ENGINE = "engine"  # the vectorized grant engine (model.sim.engine)
    FUNDS = "funds"  # fund portfolios under tolerance rates (article 20)
    CONVERSION = "conversion"  # 先投后股 grant-to-equity conversion (article 11)
    LOANS = "loans"  # loan-risk compensation pool (article 21)


#: The policy's chapters, in order (一 … 八).
CHAPTERS = ("一", "二", "三", "四", "五", "六", "七", "八")
