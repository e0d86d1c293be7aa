"""Assumption distributions: how many recipients, and how much of the cap each gets.

Each spec is a small frozen pydantic model tagged by ``dist``. Count specs describe the
number of recipients admitted per admission year; share specs describe one recipient's
award as a fraction of the item's cap (or, for formula items, the formula's base).
Every spec carries a ``basis`` — the source or reasoning behind it — because every
assumption in fiscalsim must say where it comes from.

The engine draws counts by exact inversion of their CDF
(:class:`model.sim.count_tables.CountTable`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy import special

from model.core.schema import (
    Count,
    MeanCount,
    MoneyYuan,
    Multiple,
    PositiveYuan,
    Probability,
    Shape,
    Year,
)
from model.core.validation import register_union_tags
from model.policy.bridge import BridgeCount
from model.policy.spec_base import Basis, _CountSpec, _pick, _Spec, _stats, triangular_ppf


class FixedCount(_CountSpec):
    """A known number of recipients per admission year (one value, or one per year)."""

    dist: Literal["fixed"]
    value: Count | list[Count]

    def per_year(self, n_years: int) -> list[int | float]:
        return list(self.value) if isinstance(self.value, list) else [self.value] * n_years

    def frozen(self, index, takeup):
        n = int(_pick(self.value, index))
        return n if takeup >= 1.0 or n == 0 else _stats().binom(n, takeup)


class PoissonCount(_CountSpec):
    """Poisson number of recipients with the given mean (one value, or one per year)."""

    dist: Literal["poisson"]
    mean_count: MeanCount | list[MeanCount] = Field(alias="mean")

    def per_year(self, n_years):
        value = self.mean_count
        return list(value) if isinstance(value, list) else [value] * n_years

    def frozen(self, index, takeup):
        lam = float(_pick(self.mean_count, index)) * takeup
        return 0 if lam == 0 else _stats().poisson(lam)


class NegativeBinomialCount(_CountSpec):
    """Over-dispersed count: mean ``m`` and dispersion ``k`` (variance ``m + m²/k``).

    Thinning by take-up ``p`` keeps ``k`` and scales the mean to ``m·p``.
    """

    dist: Literal["negative_binomial"]
    mean_count: MeanCount | list[MeanCount] = Field(alias="mean")
    dispersion: Shape

    def per_year(self, n_years):
        value = self.mean_count
        return list(value) if isinstance(value, list) else [value] * n_years

    def frozen(self, index, takeup):
        m = float(_pick(self.mean_count, index)) * takeup
        k = self.dispersion
        return 0 if m == 0 else _stats().nbinom(k, k / (k + m))


class BinomialCount(_CountSpec):
    """Each of ``pool`` candidates qualifies independently with probability ``p``."""

    dist: Literal["binomial"]
    pool: Count | list[Count]
    p: Probability

    def per_year(self, n_years):
        return list(self.pool) if isinstance(self.pool, list) else [self.pool] * n_years

    def frozen(self, index, takeup):
        n = int(_pick(self.pool, index))
        q = self.p * takeup
        if n == 0 or q == 0:
            return 0
        return n if q == 1 else _stats().binom(n, q)


class StockFlowCount(_CountSpec):
    """New entrants derived from a stock target (e.g. 3,300 high-tech firms by 2025).

    The stock grows linearly from ``stock_start`` in ``year_start`` to ``stock_target``
    in ``year_target`` and keeps that slope afterwards (``after_target: grow``) or stays
    flat (``hold``). Entrants in year *t* are the growth ``S_t − S_{t−1}`` plus the
    replacement of exits ``exit_rate · S_{t−1}``; the count is Poisson with that mean, or
    negative binomial when ``dispersion`` is given.
    """

    dist: Literal["stock_flow"]
    stock_start: MeanCount
    year_start: Year
    stock_target: MeanCount
    year_target: Year
    exit_rate: Probability = 0.0
    after_target: Literal["grow", "hold"] = "grow"
    dispersion: Shape | None = None
    first_year: Year | None = Field(
        default=None, description="Set by the scenario: the first admission year."
    )

    @model_validator(mode="after")
    def _years(self) -> StockFlowCount:
        if self.year_target <= self.year_start:
            raise ValueError("year_target must be after year_start")
        return self

    def stock(self, year: int) -> float:
        """The stock at the end of ``year`` on the assumed path."""
        slope = (self.stock_target - self.stock_start) / (self.year_target - self.year_start)
        last = year if self.after_target == "grow" else min(year, self.year_target)
        return max(0.0, self.stock_start + slope * (last - self.year_start))

    def entrants(self, year: int) -> float:
        """Expected entrants in ``year`` (growth plus replacement of exits)."""
        previous = self.stock(year - 1)
        return max(0.0, self.stock(year) - previous) + self.exit_rate * previous

    def per_year(self, n_years):
        start = self.first_year if self.first_year is not None else self.year_start + 1
        return [self.entrants(start + i) for i in range(n_years)]

    def frozen(self, index, takeup):
        start = self.first_year if self.first_year is not None else self.year_start + 1
        m = self.entrants(start + index) * takeup
        if m == 0:
            return 0
        if self.dispersion is None:
            return _stats().poisson(m)
        return _stats().nbinom(self.dispersion, self.dispersion / (self.dispersion + m))


CountSpec = Annotated[
    FixedCount
    | PoissonCount
    | NegativeBinomialCount
    | BinomialCount
    | StockFlowCount
    | BridgeCount,
    Field(discriminator="dist"),
]


# --------------------------------------------------------------------------- shares
class _ShareSpec(_Spec):
    """Common interface of award distributions (per recipient, a fraction of the cap)."""

    @property
    def lower(self) -> float:
        raise NotImplementedError

    @property
    def upper(self) -> float:
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def var(self) -> float:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The share's quantile function (inverse CDF)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Independent shares, by inversion of uniforms (one uniform per share)."""
        return self.ppf(rng.random(size))


class FixedShare(_ShareSpec):
    """Every recipient gets the same fraction of the cap (1.0: the full cap)."""

    dist: Literal["fixed"]
    value: Multiple

    @property
    def lower(self) -> float:
        return self.value

    @property
    def upper(self) -> float:
        return self.value

    def mean(self):
        return self.value

    def var(self):
        return 0.0

    def ppf(self, u):
        return np.full(np.shape(u), self.value)


class UniformShare(_ShareSpec):
    """Award fraction uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Multiple
    high: Multiple

    @model_validator(mode="after")
    def _order(self) -> UniformShare:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    @property
    def lower(self) -> float:
        return self.low

    @property
    def upper(self) -> float:
        return self.high

    def mean(self):
        return (self.low + self.high) / 2

    def var(self):
        return (self.high - self.low) ** 2 / 12

    def ppf(self, u):
        return self.low + (self.high - self.low) * u


class TriangularShare(_ShareSpec):
    """Award fraction triangular on [low, high] with the given mode."""

    dist: Literal["triangular"]
    low: Multiple
    mode: Multiple
    high: Multiple

    @model_validator(mode="after")
    def _order(self) -> TriangularShare:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    @property
    def lower(self) -> float:
        return self.low

    @property
    def upper(self) -> float:
        return self.high

    def mean(self):
        return (self.low + self.mode + self.high) / 3

    def var(self):
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def ppf(self, u):
        return triangular_ppf(u, self.low, self.mode, self.high)


class BetaShare(_ShareSpec):
    """Award fraction ``low + (high − low)·Beta(a, b)``."""

    dist: Literal["beta"]
    a: Shape
    b: Shape
    low: Multiple = 0.0
    high: Multiple = 1.0

    @model_validator(mode="after")
    def _order(self) -> BetaShare:
        if self.high <= self.low:
            raise ValueError("high must be greater than low")
        return self

    @property
    def lower(self) -> float:
        return self.low

    @property
    def upper(self) -> float:
        return self.high

    def mean(self):
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def var(self):
        a, b, width = self.a, self.b, self.high - self.low
        return width**2 * a * b / ((a + b) ** 2 * (a + b + 1))

    def ppf(self, u):
        return self.low + (self.high - self.low) * special.betaincinv(self.a, self.b, u)


class FormulaLognormal(_ShareSpec):
    """Formula award ``min(rate·X, cap)`` with the base ``X`` lognormal (yuan).

    Article 3: 按不超过上年度新增与企业签订的技术合同交易额10%，最高给予300万元. ``X`` is a
    laboratory's new contract value of the previous year; ``rate`` and ``cap`` come from
    the catalog and are bound with :meth:`bind` before use. The share of the cap is
    ``min(rate·X/cap, 1)``; its mean and variance are exact (partial moments of the
    lognormal).
    """

    dist: Literal["formula_lognormal"]
    median_base_yuan: PositiveYuan
    sigma: Annotated[float, Field(gt=0, le=5)]
    rate: Probability | None = Field(default=None, description="Bound from the catalog.")
    cap_yuan: MoneyYuan | None = Field(default=None, description="Bound from the catalog.")

    def bind(self, rate: float, cap_yuan: float) -> FormulaLognormal:
        """A copy with the catalog's rate and cap filled in."""
        return self.model_copy(update={"rate": rate, "cap_yuan": cap_yuan})

    @cached_property
    def _threshold(self) -> float:
        # log of the base at which the formula reaches the cap, minus mu
        if self.rate is None or not self.cap_yuan:
            raise ValueError("formula distribution used before bind(rate, cap)")
        return float(np.log(self.cap_yuan / self.rate) - np.log(self.median_base_yuan))

    @property
    def lower(self) -> float:
        return 0.0

    @property
    def upper(self) -> float:
        return 1.0

    def _partial_moment(self, order: int) -> float:
        # E[(X/K')^order; X < K'] with K' = cap/rate, for lognormal(mu, s): exact
        s, d = self.sigma, self._threshold
        return float(np.exp(-order * d + order**2 * s * s / 2) * special.ndtr(d / s - order * s))

    def mean(self):
        tail = float(special.ndtr(-self._threshold / self.sigma))
        return self._partial_moment(1) + tail

    def var(self):
        tail = float(special.ndtr(-self._threshold / self.sigma))
        second = self._partial_moment(2) + tail
        return max(0.0, second - self.mean() ** 2)

    def ppf(self, u):
        base = self.median_base_yuan * np.exp(self.sigma * special.ndtri(u))
        return np.minimum(base * self.rate / self.cap_yuan, 1.0)


class FormulaFixed(_ShareSpec):
    """Formula award ``min(rate·base, cap)`` with a known base (yuan): a deterministic
    input for checks and for analysts who know a laboratory's contract value."""

    dist: Literal["formula_fixed"]
    base_yuan: MoneyYuan
    rate: Probability | None = Field(default=None, description="Bound from the catalog.")
    cap_yuan: MoneyYuan | None = Field(default=None, description="Bound from the catalog.")

    def bind(self, rate: float, cap_yuan: float) -> FormulaFixed:
        """A copy with the catalog's rate and cap filled in."""
        return self.model_copy(update={"rate": rate, "cap_yuan": cap_yuan})

    @property
    def share(self) -> float:
        """``min(rate·base/cap, 1)``, the award as a fraction of the cap."""
        if self.rate is None or not self.cap_yuan:
            raise ValueError("formula distribution used before bind(rate, cap)")
        return min(self.rate * self.base_yuan / self.cap_yuan, 1.0)

    @property
    def lower(self) -> float:
        return self.share

    @property
    def upper(self) -> float:
        return self.share

    def mean(self):
        return self.share

    def var(self):
        return 0.0

    def ppf(self, u):
        return np.full(np.shape(u), self.share)


FORMULA_SPECS = (FormulaLognormal, FormulaFixed)

ShareSpec = Annotated[
    FixedShare | UniformShare | TriangularShare | BetaShare | FormulaLognormal | FormulaFixed,
    Field(discriminator="dist"),
]

register_union_tags(
    [
        "fixed",
        "poisson",
        "negative_binomial",
        "binomial",
        "stock_flow",
        "bridge",
        "uniform",
        "triangular",
        "beta",
        "formula_lognormal",
        "formula_fixed",
    ]
)

__all__ = [
    "Basis",
    "BetaShare",
    "BinomialCount",
    "CountSpec",
    "FixedCount",
    "FixedShare",
    "FormulaLognormal",
    "NegativeBinomialCount",
    "PoissonCount",
    "ShareSpec",
    "StockFlowCount",
    "TriangularShare",
    "UniformShare",
]
