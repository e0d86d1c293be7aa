"""Specifications of the capital programmes: the funds of article 20, 先投后股 (article 11)
and the loan-risk compensation pool (article 21).

These are the scenario's inputs for :mod:`model.finance`, which simulates them. They are
pure data with a few derived quantities (a fund's fee schedule, the last year the city
may pay anything); every number in them is an assumption of the scenario, with its
``basis``, except the tolerance rates and the article 21 cap, which quote the policy.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

import numpy as np
from pydantic import Field, model_validator

from model.core.schema import Count, MoneyYuan, PositiveYuan, StrictModel, Year


class OutcomeSpec(StrictModel):
    """Outcome of one equity stake, as a multiple of its cost and a realisation lag.

    A stake is written off with probability ``write_off_prob`` (a share of write-offs
    recover ``U(0, recovery_max)`` of cost); otherwise it exits at a multiple drawn from
    a lognormal body (median ``body_median``, log-sd ``body_sigma``) or, with probability
    ``tail_prob``, a Pareto tail ``tail_min · U^(-1/tail_alpha)``; multiples are capped at
    ``multiple_cap``. Lags are whole years, uniform on the given ranges.
    """

    write_off_prob: float = Field(ge=0, le=1)
    recovery_prob: float = Field(default=0.0, ge=0, le=1)
    recovery_max: float = Field(default=0.0, ge=0, le=1)
    body_median: float = Field(gt=0, le=100)
    body_sigma: float = Field(ge=0, le=5)
    tail_prob: float = Field(ge=0, le=1)
    tail_min: float = Field(default=5.0, gt=0, le=1000)
    tail_alpha: float = Field(default=1.16, gt=1, le=10)
    multiple_cap: float = Field(default=100.0, gt=0, le=10_000)
    write_off_years_min: int = Field(ge=0, le=30)
    write_off_years_max: int = Field(ge=0, le=30)
    exit_years_min: int = Field(ge=0, le=30)
    exit_years_max: int = Field(ge=0, le=30)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.write_off_years_min > self.write_off_years_max:
            raise ValueError("write_off_years_min must not exceed write_off_years_max")
        if self.exit_years_min > self.exit_years_max:
            raise ValueError("exit_years_min must not exceed exit_years_max")
        if self.multiple_cap < self.tail_min:
            raise ValueError("multiple_cap must be at least tail_min")
        return self


_ID = r"^[a-z][a-z0-9_]*$"

#: Most deals a fund makes a year in one stage category (18 times the baseline seed fund's
#: 28): every deal of 512 draws is simulated at once, so this bounds a run's memory (about
#: 2 GB with three stages, 20 investment years and follow-ons).
MAX_DEALS_PER_YEAR = 500
#: Most 先投后股 projects a year (60 times the baseline's 16), for the same reason.
MAX_PROJECTS_PER_YEAR = 1_000
#: Longest 先投后股 programme and loan pool, in years from first_year to last_year.
MAX_PROGRAMME_YEARS = 30


class Category(StrEnum):
    """Investment stage of a deal, as tolerance rules group them."""

    SEED = "seed"
    ANGEL = "angel"
    VENTURE = "venture"


class ToleranceRule(StrEnum):
    """How the tolerance rate is tested."""

    FUND = "fund"  # cumulative loss ÷ invested, the fund as a whole
    CATEGORY = "category"  # the same within each stage category, each its own rate
    PER_PROJECT = "per_project"  # each project's loss ÷ its cost (the strict reading)


class LossMeasure(StrEnum):
    """What counts as loss in the numerator of the loss ratio."""

    GROSS = "gross"  # realised losses only (write-offs, exits below cost)
    NET = "net"  # realised losses less realised gains, floored at zero


class LossBase(StrEnum):
    """The denominator of the loss ratio (article 20 does not say; evidence §2: 投资总额)."""

    INVESTED = "invested"  # capital invested in deals (initial tickets and follow-ons)
    PAID_IN = "paid_in"  # capital called from the investors (实缴): investments and fees
    COMMITTED = "committed"  # the fund's size (基金规模, 10亿元 for the seed fund)


class DistributionUse(StrEnum):
    """Where the city's share of a fund's distributions goes."""

    TREASURY = "treasury"  # paid back to the treasury as received (上缴国库)
    RECYCLE = "recycle"  # kept in the fund to meet later calls; the rest at liquidation


#: Basis of the default destination of distributions.
TREASURY_BASIS = (
    "Default: distributions are paid back as received. 财预〔2015〕210号《政府投资基金暂行管理"
    "办法》第十八条: 政府投资基金终止后…将政府出资额和归属政府的收益…及时足额上缴国库 (reprint: "
    "dtgsite.com/Index/show/catid/36/id/7303.html); no rule found on distributions during "
    "the fund's life, so returning them as received is an ASSUMPTION."
)


class FundHistory(StrictModel):
    """What a fund did before its ``first_year`` in the model.

    The future seed fund was set up in 2023 with a ¥100m first phase that made 32 deals
    (evidence-2 §3): that money was called before the horizon. When it is part of the
    fund's size (``included_in_size``), the capital still to come is the size less what
    was called. The first phase's own deals are not simulated (their outcomes are not
    public): they are reported as a period before the horizon, outside the tolerance test.
    """

    first_year: Year
    called_yuan: MoneyYuan
    invested_yuan: MoneyYuan
    deals: Count
    included_in_size: bool
    basis: str = Field(min_length=3)


class StageSpec(StrictModel):
    """The deals of one stage category inside a fund.

    Each investment year the fund makes ``U{deals_per_year_min, …, deals_per_year_max}``
    deals of this stage, with tickets ``U(ticket_min_yuan, ticket_max_yuan)`` (yuan).
    """

    category: Annotated[Category, Field(strict=False)]
    deals_per_year_min: int = Field(ge=0, le=MAX_DEALS_PER_YEAR)
    deals_per_year_max: int = Field(ge=0, le=MAX_DEALS_PER_YEAR)
    ticket_min_yuan: PositiveYuan
    ticket_max_yuan: PositiveYuan
    tolerance: float = Field(ge=0, le=1, description="Rate used by the category rule.")
    outcome: OutcomeSpec
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _tickets(self) -> Self:
        if self.ticket_min_yuan > self.ticket_max_yuan:
            raise ValueError("ticket_min_yuan must not exceed ticket_max_yuan")
        if self.deals_per_year_min > self.deals_per_year_max:
            raise ValueError("deals_per_year_min must not exceed deals_per_year_max")
        return self


class FundSpec(StrictModel):
    """A fund: size, the city's share, pacing, follow-ons, fees and its tolerance rule.

    Fees are a fixed schedule on committed capital (``fee_rate_investment`` a year in the
    investment period, ``fee_rate_after`` a year afterwards), so the capital left to invest
    is ``size_yuan`` less all fees; ``follow_on_reserve`` of it is kept for follow-ons.
    Capital calls (investments plus fees) never exceed ``size_yuan``. The manager's
    carried interest is ``carry_rate`` of the fund's profit, taken from distributions
    once the investors have got back everything they paid in (a whole-fund waterfall
    without hurdle); profit concessions to social capital (让利) are not modelled.
    ``outcome_correlation`` ties the outcomes of one draw's deals together through a
    common factor (see :func:`draw_outcomes`).
    """

    id: str = Field(pattern=_ID, max_length=64)
    name_zh: str | None = None
    size_yuan: PositiveYuan
    city_share: float = Field(gt=0, le=1, description="City's share of the fund's capital.")
    first_year: Year
    investment_years: int = Field(ge=1, le=20)
    life_years: int = Field(ge=1, le=30)
    follow_on_reserve: float = Field(default=0.0, ge=0, lt=1)
    follow_on_prob: float = Field(default=0.0, ge=0, le=1)
    follow_on_ratio: float = Field(default=1.0, ge=0, le=20)
    follow_on_lag_years: int = Field(default=2, ge=1, le=20)
    fee_rate_investment: float = Field(default=0.0, ge=0, le=0.1)
    fee_rate_after: float = Field(default=0.0, ge=0, le=0.1)
    carry_rate: float = Field(default=0.0, ge=0, le=0.5)
    outcome_correlation: float = Field(default=0.0, ge=0, lt=1)
    tolerance: float = Field(ge=0, le=1, description="Tolerance rate (article 20).")
    tolerance_rule: Annotated[ToleranceRule, Field(strict=False)] = ToleranceRule.FUND
    loss_measure: Annotated[LossMeasure, Field(strict=False)] = LossMeasure.GROSS
    loss_base: Annotated[LossBase, Field(strict=False)] = LossBase.INVESTED
    history: FundHistory | None = None
    distributions_to: Annotated[DistributionUse, Field(strict=False)] = DistributionUse.TREASURY
    distributions_basis: str = Field(default=TREASURY_BASIS, min_length=3)
    stages: list[StageSpec] = Field(min_length=1, max_length=3)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        if self.life_years < self.investment_years:
            problems.append("life_years must be at least investment_years")
        history = self.history
        if history is not None:
            if history.first_year >= self.first_year:
                problems.append("history.first_year must be before first_year")
            if history.included_in_size and history.called_yuan >= self.size_yuan:
                problems.append("history.called_yuan must be below size_yuan when included")
        if self.fee_schedule().sum() >= self.new_capital_yuan:
            problems.append("management fees would use up the whole fund")
        if (
            self.loss_base is not LossBase.INVESTED
            and self.tolerance_rule is not ToleranceRule.FUND
        ):
            problems.append(
                f"loss_base {self.loss_base.value} applies to the fund as a whole: it needs "
                "tolerance_rule fund"
            )
        categories = [stage.category for stage in self.stages]
        if len(set(categories)) != len(categories):
            problems.append("each stage category may appear once")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def new_capital_yuan(self) -> float:
        """Capital committed from ``first_year`` on: the size, less what the fund's
        history called when that is part of the size (yuan)."""
        history = self.history
        if history is not None and history.included_in_size:
            return self.size_yuan - history.called_yuan
        return self.size_yuan

    def fee_schedule(self) -> np.ndarray:
        """Management fees by year of the fund's life (yuan, length ``life_years``), on
        the capital committed from ``first_year``."""
        rates = np.where(
            np.arange(self.life_years) < self.investment_years,
            self.fee_rate_investment,
            self.fee_rate_after,
        )
        return rates * self.new_capital_yuan

    @property
    def investable_yuan(self) -> float:
        """Capital available for deals: the new capital less all fees (yuan)."""
        return float(self.new_capital_yuan - self.fee_schedule().sum())

    @property
    def last_year(self) -> int:
        """Liquidation year (calendar)."""
        return self.first_year + self.life_years - 1

    @property
    def last_payment_year(self) -> int:
        """The last calendar year the city may pay anything in: fees are called to the
        liquidation year."""
        return self.last_year


class ConversionSpec(StrictModel):
    """Assumptions of the 先投后股 programme (amounts in yuan, times in whole years).

    Each year from ``first_year`` to ``last_year`` the city funds
    ``U{projects_per_year_min, …, projects_per_year_max}`` projects with grants
    ``U(grant_min_yuan, grant_max_yuan)``, paid in the award year. A project converts with
    probability ``conversion_prob``, ``U{conversion_years_min, …, conversion_years_max}``
    years after the award, into a stake worth ``grant / (1 - conversion_discount)`` at the
    round's price; the stake then follows ``equity_outcome``. An unconverted project
    returns ``recovery_share`` of its grant with probability ``recovery_prob`` at the end
    of the window (award year + ``conversion_years_max``).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    first_year: Year
    last_year: Year
    projects_per_year_min: int = Field(ge=0, le=MAX_PROJECTS_PER_YEAR)
    projects_per_year_max: int = Field(ge=0, le=MAX_PROJECTS_PER_YEAR)
    grant_min_yuan: PositiveYuan
    grant_max_yuan: PositiveYuan
    conversion_prob: float = Field(ge=0, le=1)
    conversion_years_min: int = Field(ge=0, le=20)
    conversion_years_max: int = Field(ge=0, le=20)
    conversion_discount: float = Field(default=0.0, ge=0, le=0.9)
    recovery_prob: float = Field(default=0.0, ge=0, le=1)
    recovery_share: float = Field(default=0.0, ge=0, le=1)
    equity_outcome: OutcomeSpec
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        problems = []
        if self.first_year > self.last_year:
            problems.append("first_year must not be after last_year")
        elif self.last_year - self.first_year >= MAX_PROGRAMME_YEARS:
            problems.append(f"a programme of at most {MAX_PROGRAMME_YEARS} years of grants")
        if self.projects_per_year_min > self.projects_per_year_max:
            problems.append("projects_per_year_min must not exceed projects_per_year_max")
        if self.grant_min_yuan > self.grant_max_yuan:
            problems.append("grant_min_yuan must not exceed grant_max_yuan")
        if self.conversion_years_min > self.conversion_years_max:
            problems.append("conversion_years_min must not exceed conversion_years_max")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def last_payment_year(self) -> int:
        """The last calendar year the city pays a grant in."""
        return self.last_year

    @property
    def timeline_years(self) -> int:
        """Length of the timeline from ``first_year`` that holds every cash flow."""
        outcome = self.equity_outcome
        realise = max(outcome.write_off_years_max, outcome.exit_years_max)
        return self.last_year - self.first_year + self.conversion_years_max + realise + 1


#: Article 21: 最高给予50万元补偿 (yuan per loss).
ARTICLE_21_CAP_YUAN = 500_000.0

#: Most compensable losses a year the loan pool may expect (80 times the baseline's 25):
#: each loss is drawn one by one, for 512 draws at a time, so the bound keeps a run's
#: memory under about 1 GB whatever the number of draws.
MAX_LOSSES_PER_YEAR = 2_000


class PoolCapital(StrictModel):
    """The risk-compensation pool capitalised up front (article 21 names the 科技贷款风险补偿
    资金 but sets no amount): the city pays ``capital_yuan`` into the pool in ``year`` and
    tops it up by what it pays out, so the pool's balance stays at the capital (a
    restricted balance the city keeps at the end)."""

    capital_yuan: MoneyYuan
    year: Year
    basis: str = Field(min_length=3)


class LoanPoolSpec(StrictModel):
    """Assumptions of the loan-risk compensation pool (yuan; rates a year).

    Loans made in year ``y`` (``first_year`` … ``last_year``) total
    ``volume_median_yuan · (1 + volume_growth)^(y - first_year) · exp(volume_sigma · Z)``.
    Their number of compensable losses is Poisson with mean
    ``volume · default_rate · claim_share / E[loan size]``, where ``default_rate`` is drawn
    once per draw from ``U(default_rate_min, default_rate_max)``. Loan sizes are lognormal
    (``loan_size_sigma = 0``: fixed); LGD is beta with the given mean and sd (``lgd_sd =
    0``: fixed).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    first_year: Year
    last_year: Year
    volume_median_yuan: MoneyYuan
    volume_sigma: float = Field(default=0.0, ge=0, le=1)
    volume_growth: float = Field(default=0.0, ge=-0.5, le=2)
    loan_size_median_yuan: PositiveYuan
    loan_size_sigma: float = Field(default=0.0, ge=0, le=3)
    default_rate_min: float = Field(ge=0, le=1)
    default_rate_max: float = Field(ge=0, le=1)
    claim_share: float = Field(default=1.0, ge=0, le=1)
    lgd_mean: float = Field(gt=0, le=1)
    lgd_sd: float = Field(default=0.0, ge=0, le=0.5)
    compensation_share: float = Field(ge=0, le=1)
    cap_per_loss_yuan: MoneyYuan = ARTICLE_21_CAP_YUAN
    pool_ceiling_yuan: MoneyYuan | None = None
    payout_lag_years: int = Field(default=1, ge=0, le=10)
    capitalisation: PoolCapital | None = None
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        if self.first_year > self.last_year:
            problems.append("first_year must not be after last_year")
        if self.capitalisation is not None and self.capitalisation.year > self.last_year:
            problems.append("capitalisation.year must not be after last_year")
        if self.default_rate_min > self.default_rate_max:
            problems.append("default_rate_min must not exceed default_rate_max")
        if self.lgd_sd > 0 and (
            self.lgd_mean >= 1 or self.lgd_sd**2 >= self.lgd_mean * (1 - self.lgd_mean)
        ):
            problems.append(
                "lgd_sd too large for a beta distribution with mean lgd_mean "
                "(need lgd_sd^2 < lgd_mean * (1 - lgd_mean))"
            )
        if not problems and self.expected_losses_max > MAX_LOSSES_PER_YEAR:
            problems.append(
                f"about {self.expected_losses_max:,.0f} compensable losses a year expected "
                f"(volume in {self.last_year} × default_rate_max × claim_share ÷ mean loan "
                f"size); at most {MAX_LOSSES_PER_YEAR:,} are modelled: check "
                "volume_median_yuan, volume_growth and loan_size_median_yuan"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def lgd_beta(self) -> tuple[float, float] | None:
        """Beta parameters ``(a, b)`` of the LGD, or ``None`` when it is fixed."""
        if self.lgd_sd == 0:
            return None
        concentration = self.lgd_mean * (1 - self.lgd_mean) / self.lgd_sd**2 - 1
        return self.lgd_mean * concentration, (1 - self.lgd_mean) * concentration

    @property
    def expected_losses_max(self) -> float:
        """Expected compensable losses in the last year of lending at the highest default
        rate (losses a year): the largest Poisson mean the pool's draws use, before the
        volume's own spread."""
        volume = self.volume_median(self.last_year) * float(np.exp(self.volume_sigma**2 / 2))
        return volume * self.default_rate_max * self.claim_share / self.mean_loan_size_yuan

    @property
    def mean_loan_size_yuan(self) -> float:
        """E[loan size] (yuan)."""
        return self.loan_size_median_yuan * float(np.exp(self.loan_size_sigma**2 / 2))

    @property
    def last_payment_year(self) -> int:
        """The last calendar year the pool pays compensation in (the last loans' losses
        are paid ``payout_lag_years`` later)."""
        return self.last_year + self.payout_lag_years

    def volume_median(self, year: int) -> float:
        """Median loan volume of loans made in ``year`` (yuan)."""
        return self.volume_median_yuan * (1 + self.volume_growth) ** (year - self.first_year)


#: A capital programme's specification; :func:`model.finance.programme.programme` builds
#: its model, by type.
ProgrammeSpec = FundSpec | ConversionSpec | LoanPoolSpec

__all__ = [
    "ARTICLE_21_CAP_YUAN",
    "MAX_DEALS_PER_YEAR",
    "MAX_LOSSES_PER_YEAR",
    "MAX_PROGRAMME_YEARS",
    "MAX_PROJECTS_PER_YEAR",
    "TREASURY_BASIS",
    "Category",
    "ConversionSpec",
    "DistributionUse",
    "FundHistory",
    "FundSpec",
    "LoanPoolSpec",
    "LossBase",
    "LossMeasure",
    "OutcomeSpec",
    "PoolCapital",
    "ProgrammeSpec",
    "StageSpec",
    "ToleranceRule",
]
