"""A count bridged from a published number by uncertain shares (article 7's grants from the
policy's own target of 4,000 local conversions a year).

``dist: bridge`` states a base (recipients that *could* qualify, e.g. 科技成果本地转化突破
4000项) and the factors that lead from it to the awards: the share of conversions made by
technology transfer or licence, the multiplier for results from outside the region
(域内外), the share of firms that apply and are approved. Each factor is triangular
(low, mode, high) with its basis. The factors are drawn **once per draw** and hold for
every admission year: they are what we do not know about the policy's reach, not
year-to-year noise. Given them, the count of a year is Poisson with mean
``base × takeup × Π factors``.

Its marginal distribution in one year (for the inversion tables, the closed-form mean
and the quantiles the sensitivity analyses use) is the Poisson mixture over the factors'
product (:class:`PoissonMixture`); the mean is exact, ``base × takeup × Π E[factor]``.
"""

from __future__ import annotations

import functools
import itertools
import math
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from model.core.schema import MeanCount, Multiple, StrictModel
from model.policy.spec_base import Basis, _CountSpec, _pick, _stats, triangular_ppf

#: Quadrature nodes of a mixture (at most; a grid of equal-probability cells per factor).
MIXTURE_NODES = 4_096


class BridgeFactor(StrictModel):
    """One uncertain share or multiplier of a bridge, triangular on [low, high]."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name_zh: str = Field(min_length=1)
    low: Multiple
    mode: Multiple
    high: Multiple
    basis: Basis

    @model_validator(mode="after")
    def _order(self) -> BridgeFactor:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need low <= mode <= high")
        return self

    @property
    def mean(self) -> float:
        """E[factor] = (low + mode + high) / 3."""
        return (self.low + self.mode + self.high) / 3

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The factor's quantile function (a point mass when ``low == high``)."""
        if self.low == self.high:
            return np.full(np.shape(u), self.low)
        return triangular_ppf(u, self.low, self.mode, self.high)


class PoissonMixture:
    """A Poisson count whose mean is ``scale`` times a random product of factors, as a
    distribution with ``mean``, ``pmf``, ``cdf`` and ``ppf`` (what
    :class:`model.sim.count_tables.CountTable` and the sensitivity analyses use).

    The mean is exact; the other functions average the Poisson's over a grid of
    equal-probability cells of each factor (their midpoints), at most
    :data:`MIXTURE_NODES` nodes.
    """

    def __init__(self, scale: float, factors: list[BridgeFactor]):
        self.scale = float(scale)
        self.factors = factors

    def mean(self) -> float:
        """The exact expected count."""
        return self.scale * math.prod(f.mean for f in self.factors)

    @cached_property
    def _means(self) -> np.ndarray:
        per = max(2, int(MIXTURE_NODES ** (1 / max(len(self.factors), 1))))
        cells = (np.arange(per) + 0.5) / per
        grids = [f.ppf(cells) for f in self.factors]
        products = [math.prod(values) for values in itertools.product(*grids)]
        return self.scale * np.asarray(products, dtype=float)

    @cached_property
    def _cdf_table(self) -> np.ndarray:
        return _mixture_cdf(self.scale, tuple(self.factors))

    def cdf(self, k):
        table = self._cdf_table
        k = np.floor(np.asarray(k, dtype=float))
        inside = np.clip(k, 0, len(table) - 1).astype(int)
        return np.where(k < 0, 0.0, np.where(k >= len(table) - 1, 1.0, table[inside]))

    def pmf(self, k):
        k = np.asarray(k)
        return self.cdf(k) - self.cdf(k - 1)

    def ppf(self, q):
        """Smallest ``k`` with ``cdf(k) ≥ q``."""
        found = np.searchsorted(self._cdf_table, np.asarray(q, dtype=float), side="left")
        return np.minimum(found, len(self._cdf_table) - 1).astype(float)


@functools.lru_cache(maxsize=64)
def _mixture_cdf(scale: float, factors: tuple[BridgeFactor, ...]) -> np.ndarray:
    """The CDF table of a mixture, computed once per (scale, factors) and read-only: the
    admission years of a bridge with one base share it (about 0.4 s each to compute)."""
    means = PoissonMixture(scale, list(factors))._means
    top = int(_stats().poisson.ppf(1.0 - 1e-13, max(means.max(), 1e-12))) + 1
    support = np.arange(top + 1)
    table = _stats().poisson.cdf(support[:, None], means[None, :]).mean(axis=1)
    table.flags.writeable = False
    return table


class BridgeCount(_CountSpec):
    """Recipients bridged from a base count by uncertain factors drawn once per draw.

    ``base`` is the count the factors apply to in each admission year (one value, or one
    per year); the year's count is Poisson with mean ``base × takeup × Π factors``.
    """

    dist: Literal["bridge"]
    base: MeanCount | list[MeanCount]
    factors: Annotated[list[BridgeFactor], Field(min_length=1, max_length=6)]

    @model_validator(mode="after")
    def _unique(self) -> BridgeCount:
        names = [factor.name for factor in self.factors]
        if len(set(names)) != len(names):
            raise ValueError("factor names must be unique")
        return self

    @property
    def factor_mean(self) -> float:
        """E[Π factors] (the factors are independent)."""
        return math.prod(factor.mean for factor in self.factors)

    def per_year(self, n_years: int) -> list[int | float]:
        return list(self.base) if isinstance(self.base, list) else [self.base] * n_years

    def mean(self, index: int, takeup: float) -> float:
        return float(_pick(self.base, index)) * takeup * self.factor_mean

    def frozen(self, index: int, takeup: float):
        scale = float(_pick(self.base, index)) * takeup
        return 0 if scale == 0 else PoissonMixture(scale, self.factors)

    def total(self, n_years: int, takeup: float) -> PoissonMixture | int:
        """The count summed over the first ``n_years`` admission years: given the factors
        the years are independent Poissons, so the total is the same mixture of one
        Poisson with the years' summed base."""
        scale = sum(float(_pick(self.base, i)) for i in range(n_years)) * takeup
        return 0 if scale == 0 else PoissonMixture(scale, self.factors)

    def product(self, uniforms: np.ndarray) -> np.ndarray:
        """The factors' product for each row of uniforms (rows × factors)."""
        values = np.ones(uniforms.shape[0])
        for column, factor in enumerate(self.factors):
            values *= factor.ppf(uniforms[:, column])
        return values


__all__ = ["MIXTURE_NODES", "BridgeCount", "BridgeFactor", "PoissonMixture"]
