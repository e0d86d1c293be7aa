"""Count and award distributions (model/policy/distributions.py) against scipy's exact
distributions and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from model.policy.distributions import (
    BetaShare,
    BinomialCount,
    FixedCount,
    FormulaFixed,
    FormulaLognormal,
    NegativeBinomialCount,
    PoissonCount,
    StockFlowCount,
    TriangularShare,
    UniformShare,
)
from model.sim.count_tables import CountTable

B = "test basis"


def test_takeup_thinning_closed_forms():
    """Thinning keeps the family: Poisson(λ)→Poisson(λp), NB(m, k)→NB(mp, k),
    Binomial(n, q)→Binomial(n, qp), fixed n→Binomial(n, p)."""
    p = 0.3
    assert PoissonCount(dist="poisson", mean=10.0, basis=B).frozen(0, p).mean() == (
        pytest.approx(3.0)
    )
    nb = NegativeBinomialCount(dist="negative_binomial", mean=40.0, dispersion=5.0, basis=B)
    thinned = nb.frozen(0, p)
    m = 40 * p
    assert thinned.mean() == pytest.approx(m)
    assert thinned.var() == pytest.approx(m + m * m / 5)
    assert BinomialCount(dist="binomial", pool=60, p=0.5, basis=B).frozen(0, p).mean() == (
        pytest.approx(60 * 0.5 * p)
    )
    fixed = FixedCount(dist="fixed", value=[10, 20], basis=B)
    assert fixed.frozen(1, p).mean() == pytest.approx(20 * p)
    assert fixed.frozen(1, p).var() == pytest.approx(20 * p * (1 - p))


def test_nb_thinning_matches_simulated_thinning():
    """Binomial thinning of NB draws is distributed as the thinned NB (two-sample KS)."""
    rng = np.random.default_rng(5)
    nb = NegativeBinomialCount(dist="negative_binomial", mean=40.0, dispersion=5.0, basis=B)
    full = CountTable.build(nb.frozen(0, 1.0)).draw(rng.random(50_000))
    thinned_by_hand = rng.binomial(full, 0.3)
    thinned = CountTable.build(nb.frozen(0, 0.3)).draw(rng.random(50_000))
    assert stats.ks_2samp(thinned_by_hand, thinned).pvalue > 1e-3


def test_stock_flow_entrants_by_hand():
    spec = StockFlowCount(
        dist="stock_flow",
        stock_start=2286,
        year_start=2022,
        stock_target=3500,
        year_target=2025,
        exit_rate=0.08,
        basis=B,
    )
    slope = (3500 - 2286) / 3
    stock_2024 = 2286 + 2 * slope
    assert spec.entrants(2025) == pytest.approx(slope + 0.08 * stock_2024)
    stock_2026 = 3500 + slope  # keeps growing after the target year
    assert spec.entrants(2027) == pytest.approx(slope + 0.08 * stock_2026)
    held = spec.model_copy(update={"after_target": "hold"})
    assert held.entrants(2027) == pytest.approx(0.08 * 3500)


SHARES = [
    (UniformShare(dist="uniform", low=0.2, high=0.9, basis=B), stats.uniform(0.2, 0.7)),
    (
        TriangularShare(dist="triangular", low=0.1, mode=0.3, high=1.0, basis=B),
        stats.triang((0.3 - 0.1) / 0.9, loc=0.1, scale=0.9),
    ),
    (BetaShare(dist="beta", a=1.5, b=3.5, basis=B), stats.beta(1.5, 3.5)),
    (
        BetaShare(dist="beta", a=2, b=2, low=0.25, high=0.75, basis=B),
        stats.beta(2, 2, loc=0.25, scale=0.5),
    ),
]


@pytest.mark.parametrize(("spec", "reference"), SHARES, ids=lambda s: getattr(s, "dist", ""))
def test_share_moments_and_quantiles_match_scipy(spec, reference):
    assert spec.mean() == pytest.approx(reference.mean())
    assert spec.var() == pytest.approx(reference.var())
    u = np.linspace(0.001, 0.999, 101)
    assert spec.ppf(u) == pytest.approx(reference.ppf(u))
    assert spec.lower == pytest.approx(reference.support()[0])
    assert spec.upper == pytest.approx(reference.support()[1])


@pytest.mark.parametrize("median", [2e6, 1e7, 1e8])
def test_formula_lognormal_moments_by_quadrature(median):
    """E[min(rX/K, 1)] and its variance, against numerical integration of the lognormal."""
    spec = FormulaLognormal(
        dist="formula_lognormal", median_base_yuan=median, sigma=1.0, basis=B
    ).bind(0.10, 3e6)
    base = stats.lognorm(s=1.0, scale=median)
    threshold = 3e6 / 0.1  # the base at which the award reaches the cap
    tail = base.sf(threshold)  # above it the share is exactly 1
    first = (
        integrate.quad(lambda x: 0.1 * x / 3e6 * base.pdf(x), 0, threshold, limit=200, epsabs=0)[0]
        + tail
    )
    second = (
        integrate.quad(
            lambda x: (0.1 * x / 3e6) ** 2 * base.pdf(x), 0, threshold, limit=200, epsabs=0
        )[0]
        + tail
    )
    assert spec.mean() == pytest.approx(first, rel=1e-6)
    assert spec.var() == pytest.approx(second - first**2, rel=1e-5)


def test_formula_fixed_applies_the_cap():
    # article 3: 10% of the contract value, at most 300万
    assert FormulaFixed(dist="formula_fixed", base_yuan=2e7, basis=B).bind(0.1, 3e6).share == (
        pytest.approx(2e6 / 3e6)
    )
    assert FormulaFixed(dist="formula_fixed", base_yuan=5e7, basis=B).bind(0.1, 3e6).share == 1.0
