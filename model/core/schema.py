"""Shared building blocks of the input schemas: the strict base model and closed sets of
options (payment kinds, cap bases, modellers, the policy's chapters)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


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
