"""The outcome model of equity stakes (model/finance/outcomes.py): the vectorized,
optionally correlated sampler against the definitions and exact statistics of
model/finance/outcome_reference.py and against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers.funds import assert_probability, binary_outcome
from scipy import integrate, stats

from model.finance.outcome_reference import outcome_statistics, outcomes_from_variates
from model.finance.outcomes import (
    OutcomeTable,
    StakeOutcomes,
    conditional_thresholds,
    copula_latent,
    draw_outcomes,
    sample_outcomes,
)
from model.policy.programmes import OutcomeSpec


def _statistics_of(sampled):
    """(name, per-deal values) pairs whose means estimate ``outcome_statistics``."""
    return [
        ("share_below_1x", sampled.multiple < 1),
        ("share_at_least_10x", sampled.multiple >= 10),
        ("share_written_off", sampled.written_off),
        ("mean_multiple", sampled.multiple),
        ("loss_per_cost", np.maximum(1 - sampled.multiple, 0)),
        ("mean_lag_years", sampled.lag_years),
    ]


def test_outcome_statistics_match_sampling():
    outcome = OutcomeSpec(
        write_off_prob=0.4,
        recovery_prob=0.3,
        recovery_max=0.3,
        body_median=0.8,
        body_sigma=1.0,
        tail_prob=0.13,
        tail_min=5.0,
        tail_alpha=1.16,
        multiple_cap=100.0,
        write_off_years_min=1,
        write_off_years_max=5,
        exit_years_min=3,
        exit_years_max=9,
        basis="test",
    )
    rng = np.random.default_rng(1)
    n = 400_000
    sampled = outcomes_from_variates(
        [outcome], None, rng.random(n), rng.standard_normal(n), rng.random(n)
    )
    exact = outcome_statistics(outcome)
    for name, values in _statistics_of(sampled):
        se = values.std() / math.sqrt(n)
        assert abs(values.mean() - exact[name]) < 4 * se, name
    assert sampled.lag_years[sampled.written_off].min() == 1
    assert sampled.lag_years[sampled.written_off].max() == 5
    assert sampled.lag_years[~sampled.written_off].max() == 9
    assert sampled.multiple.max() <= 100.0


def copula_reference(outcome: OutcomeSpec, rho: float, rows: int, stakes: int, seed: int):
    """The correlated outcomes straight from their definition: u = Φ(√ρ·Z + √(1-ρ)·ε)
    for every stake, turned into outcomes by outcomes_from_variates."""
    rng = np.random.default_rng(seed)
    latent = math.sqrt(rho) * rng.standard_normal((rows, 1)) + math.sqrt(
        1 - rho
    ) * rng.standard_normal((rows, stakes))
    u = np.minimum(stats.norm.cdf(latent), np.nextafter(1.0, 0.0))
    return outcomes_from_variates(
        [outcome], None, u, rng.standard_normal((rows, stakes)), rng.random((rows, stakes))
    )


HEAVY_OUTCOME = OutcomeSpec(
    **binary_outcome(0.4)
    | dict(
        recovery_prob=0.3,
        recovery_max=0.3,
        body_median=0.8,
        body_sigma=1.0,
        tail_prob=0.13,
        write_off_years_max=5,
        exit_years_min=3,
        exit_years_max=9,
    )
)


def test_correlated_sampler_matches_the_copula_definition():
    # The sampler compares a uniform with thresholds conditional on the row's factor and
    # computes u only for recoveries and tail exits. Row (portfolio) statistics carry
    # the common factor, including its effect on the recovery shares and tail sizes.
    rho, rows, stakes = 0.3, 20_000, 12
    reference = copula_reference(HEAVY_OUTCOME, rho, rows, stakes, seed=3)
    sampled = draw_outcomes(
        [HEAVY_OUTCOME], None, (rows, stakes), seed=3, key=("test",), block=0, correlation=rho
    )

    def recovered(o):
        return np.where(o.written_off, o.multiple, 0.0).sum(axis=1)

    def tail_log(o):
        return np.log(np.maximum(o.multiple, 5.0) / 5.0).sum(axis=1)

    for name, statistic in [
        ("mean multiple", lambda o: o.multiple.mean(axis=1)),
        ("written off", lambda o: o.written_off.sum(axis=1)),
        ("recovered", recovered),
        ("tail", tail_log),
        ("lag", lambda o: o.lag_years.sum(axis=1)),
    ]:
        test = stats.ks_2samp(statistic(reference), statistic(sampled))
        assert test.pvalue > 1e-4, (name, test)


@pytest.mark.parametrize("z", [-1.5, 0.0, 1.5])
def test_correlated_branches_given_the_factor(z):
    # Given the row's factor Z, u = Φ(√ρ·Z + √(1-ρ)·ε) has
    # P(u < x | Z) = Φ((Φ⁻¹(x) - √ρ·Z) / √(1-ρ)). The sampler picks branches with that
    # and computes u only for recoveries and tail exits: their sizes must follow u given
    # Z too (not the uniform's position in the branch, which ignores the factor).
    rho, rows, stakes = 0.5, 2_000, 50
    p, r, t, alpha = 0.4, 0.3, 0.13, 1.16
    outcome = OutcomeSpec(
        **binary_outcome(p, 0.8)
        | dict(recovery_prob=r, recovery_max=0.3, tail_prob=t, tail_min=5.0, tail_alpha=alpha)
    )
    table = OutcomeTable.of([outcome])
    factor = np.full(rows, z)
    rng = np.random.default_rng(round(10 * z) + 100)
    thresholds = tuple(c[:, :1] for c in conditional_thresholds(table, factor, rho))
    multiple, _, written_off = sample_outcomes(
        table,
        rng.random((rows, stakes), dtype=np.float32),
        rng.random((rows, stakes), dtype=np.float32),
        rng,
        thresholds=thresholds,
        latent=copula_latent(factor, rho, stakes),
    )
    loading, noise = math.sqrt(rho), math.sqrt(1 - rho)

    def cdf(x):
        return stats.norm.cdf((stats.norm.ppf(x) - loading * z) / noise)

    assert_probability(written_off, cdf(p))
    recovered = written_off & (multiple > 0)
    assert_probability(recovered, cdf(p * r))
    # E[u | u < p·r, Z] over ε below its branch boundary, scaled to the recovery share
    edge = (stats.norm.ppf(p * r) - loading * z) / noise
    mean_u = integrate.quad(
        lambda e: stats.norm.cdf(loading * z + noise * e) * stats.norm.pdf(e), -np.inf, edge
    )[0] / stats.norm.cdf(edge)
    shares = multiple[recovered]
    assert abs(shares.mean() - mean_u * 0.3 / (p * r)) < 4 * shares.std() / math.sqrt(shares.size)
    # a tail exit is at least 10x when 1 - q <= (5 / 10)^alpha (the body is fixed at 0.8x)
    tail_from = p + (1 - p) * (1 - t)
    assert_probability(multiple >= 5, 1 - cdf(tail_from))
    assert_probability(multiple >= 10, 1 - cdf(tail_from + (1 - tail_from) * (1 - 0.5**alpha)))


def test_correlated_marginals_are_the_outcome_model():
    outcome = HEAVY_OUTCOME
    rows, stakes = 40_000, 10
    sampled = draw_outcomes(
        [outcome], None, (rows, stakes), seed=5, key=("test",), block=0, correlation=0.3
    )
    exact = outcome_statistics(outcome)
    for name, values in _statistics_of(sampled):
        per_row = values.mean(axis=1)  # stakes of a row are dependent: rows are not
        se = per_row.std() / math.sqrt(rows)
        assert abs(per_row.mean() - exact[name]) < 4 * se, name


def test_stake_outcomes_continue_across_calls():
    def stakes():
        return StakeOutcomes(HEAVY_OUTCOME, seed=6, key=("test",), block=2)

    whole = draw_outcomes([HEAVY_OUTCOME], None, (2000,), seed=6, key=("test",), block=2)
    in_one = stakes()(2000)
    calls = stakes()
    parts = [calls(size) for size in (0, 1, 13, 986, 1000)]
    for name in ("multiple", "lag_years", "written_off"):
        np.testing.assert_array_equal(getattr(in_one, name), getattr(whole, name))
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, name) for p in parts]), getattr(whole, name)
        )
