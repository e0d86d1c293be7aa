"""The bridged count of article 7 (model/policy/bridge.py): its exact mean, its Poisson
mixture against scipy, and its draws in the engine (factors drawn once per draw)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from model.analysis.factors import swung, uncertain_factors
from model.policy.bridge import BridgeCount, BridgeFactor, PoissonMixture
from model.sim.analytic import expected_city_cost
from model.sim.engine import simulate

ITEM = "enterprise_tech_absorption_grant"


def factor(name: str, low: float, mode: float, high: float) -> BridgeFactor:
    return BridgeFactor(name=name, name_zh=name, low=low, mode=mode, high=high, basis="test")


def test_the_baseline_bridges_from_the_4000_conversion_target(baseline):
    uptake = baseline.items[ITEM].assumptions.uptake
    assert isinstance(uptake, BridgeCount)
    assert uptake.base == 4000  # 总体要求: 科技成果本地转化突破4000项
    by_name = {f.name: f for f in uptake.factors}
    # the stated ranges (docs/calibration.md): 5.8%–12.2%, ×1.0–1.667, 40%–90%
    assert (
        by_name["transfer_or_licence_share"].low,
        by_name["transfer_or_licence_share"].high,
    ) == (
        0.058,
        0.122,
    )
    mean = 4000 * ((0.058 + 0.08 + 0.122) / 3) * ((1.0 + 1.2 + 1.667) / 3) * ((0.4 + 0.6 + 0.9) / 3)
    assert uptake.mean(0, baseline.items[ITEM].takeup) == pytest.approx(mean)
    assert mean == pytest.approx(283.0, abs=0.5)


def test_the_mixture_of_point_masses_is_scipys_poisson():
    mixture = PoissonMixture(250.0, [factor("a", 0.4, 0.4, 0.4), factor("b", 2.0, 2.0, 2.0)])
    poisson = stats.poisson(200.0)
    k = np.arange(120, 300)
    np.testing.assert_allclose(mixture.cdf(k), poisson.cdf(k), atol=1e-12)
    np.testing.assert_allclose(mixture.pmf(k), poisson.pmf(k), atol=1e-12)
    q = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    np.testing.assert_array_equal(mixture.ppf(q), poisson.ppf(q))
    assert mixture.mean() == pytest.approx(200.0, rel=1e-15)


def test_the_mixture_matches_a_monte_carlo_of_its_factors():
    factors = [factor("a", 0.05, 0.08, 0.12), factor("b", 1.0, 1.2, 1.667)]
    mixture = PoissonMixture(4000.0, factors)
    rng = np.random.default_rng(1)
    lam = 4000.0 * factors[0].ppf(rng.random(400_000)) * factors[1].ppf(rng.random(400_000))
    draws = rng.poisson(lam)
    assert mixture.mean() == pytest.approx(draws.mean(), rel=3e-3)
    for q in (0.05, 0.5, 0.95):
        assert mixture.ppf(q) == pytest.approx(np.quantile(draws, q), rel=0.02)


def test_engine_draws_the_factors_once_per_draw(baseline):
    results = simulate(baseline, 20_000, seed=5)
    k = list(results.items.index).index(ITEM)
    counts = results.admitted[:, k, :3]
    mean = baseline.items[ITEM].assumptions.uptake.mean(0, 1.0)
    se = counts.std(axis=0) / math.sqrt(len(counts))
    assert np.all(np.abs(counts.mean(axis=0) - mean) < 4 * se)
    # the same factors hold every year: the years' counts move together
    assert np.corrcoef(counts[:, 0], counts[:, 2])[0, 1] > 0.8
    # and the cost agrees with its closed form
    cost = results.city[:, k, :3].sum(axis=1)
    expected = expected_city_cost(baseline).loc[ITEM, [2025, 2026, 2027]].sum()
    assert abs(cost.mean() - expected) < 4 * cost.std() / math.sqrt(len(cost))


def test_each_bridge_factor_is_a_sensitivity_factor(baseline):
    factors = [f for f in uncertain_factors(baseline, kinds=("bridge",)) if f.item == ITEM]
    assert {f.kind for f in factors} == {
        "bridge:transfer_or_licence_share",
        "bridge:outside_results_multiplier",
        "bridge:apply_and_approved_share",
    }
    share = next(f for f in factors if f.kind == "bridge:apply_and_approved_share")
    assert (share.low, share.high) == pytest.approx((0.4 / (1.9 / 3), 0.9 / (1.9 / 3)))
    low = swung(baseline, {(ITEM, share.kind): share.low})
    # the share fixed at 0.4: the expected count scales by 0.4 over its mean 0.633
    assert low.items[ITEM].assumptions.uptake.mean(0, 1.0) == pytest.approx(
        baseline.items[ITEM].assumptions.uptake.mean(0, 1.0) * share.low
    )
