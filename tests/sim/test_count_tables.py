"""Counts drawn by inversion (model/sim/count_tables.py) against scipy's exact
distributions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model.policy.distributions import FixedCount
from model.sim.count_tables import CountTable

B = "test basis"

COUNT_DISTRIBUTIONS = [
    stats.poisson(3.7),
    stats.poisson(8000.0),
    stats.nbinom(5, 5 / (5 + 40.0)),
    stats.binom(60, 0.35),
    stats.binom(1250, 0.85 * 0.95),
]


@pytest.mark.parametrize("dist", COUNT_DISTRIBUTIONS, ids=lambda d: d.dist.name)
def test_inversion_is_exact(dist):
    """F(k − 1) < u ≤ F(k) for every uniform u: the definition of the inverse CDF."""
    u = np.random.default_rng(0).random(20_000)
    u = np.concatenate([u, [1e-15, 1 - 1e-15, 0.5]])
    k = CountTable.build(dist).draw(u)
    assert np.all(dist.cdf(k) >= u)
    assert np.all(dist.cdf(k - 1) < u)


@pytest.mark.parametrize("dist", COUNT_DISTRIBUTIONS, ids=lambda d: d.dist.name)
def test_inversion_matches_moments(dist):
    k = CountTable.build(dist).draw(np.random.default_rng(1).random(400_000))
    se = dist.std() / np.sqrt(k.size)
    assert abs(k.mean() - dist.mean()) < 5 * se


def test_point_mass_counts():
    assert np.all(CountTable.build(7).draw(np.random.default_rng(0).random(10)) == 7)
    assert FixedCount(dist="fixed", value=7, basis=B).frozen(0, 1.0) == 7


def test_inversion_at_the_ends_of_the_unit_interval():
    """u = 0 and u = 1 (a saturated copula) give the ends of the support, not -1 or
    garbage."""
    dist = stats.poisson(50.0)
    counts = CountTable.build(dist).draw(np.array([0.0, 1.0]))
    assert counts[0] == 0
    assert counts[1] >= dist.ppf(1 - 1e-12)
