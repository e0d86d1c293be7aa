"""Tests of model.finance.conversion (先投后股, article 11) against hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.core.streams
import model.finance.conversion
from model.finance.conversion import ConversionDraws, simulate_conversion, summarize_conversion
from model.finance.draw_arrays import slice_draws
from model.finance.outcome_reference import outcome_statistics
from model.policy.programmes import ConversionSpec

YEARS = range(2025, 2031)
GRANT = 2_000_000.0

EXACT_1X = dict(
    write_off_prob=0.0,
    body_median=1.0,
    body_sigma=0.0,
    tail_prob=0.0,
    write_off_years_min=1,
    write_off_years_max=2,
    exit_years_min=2,
    exit_years_max=4,
    basis="test",
)
HEAVY = dict(
    write_off_prob=0.2,
    recovery_prob=0.3,
    recovery_max=0.3,
    body_median=0.9,
    body_sigma=1.0,
    tail_prob=0.1,
    write_off_years_min=1,
    write_off_years_max=5,
    exit_years_min=3,
    exit_years_max=9,
    basis="test",
)


def programme(**changes) -> ConversionSpec:
    base = dict(
        id="test_programme",
        first_year=2025,
        last_year=2030,
        projects_per_year_min=10,
        projects_per_year_max=10,
        grant_min_yuan=GRANT,
        grant_max_yuan=GRANT,
        conversion_prob=0.35,
        conversion_years_min=1,
        conversion_years_max=3,
        equity_outcome=HEAVY,
        basis="test",
    )
    return ConversionSpec.model_validate(base | changes)


def test_no_conversion_costs_exactly_the_grants():
    d = simulate_conversion(programme(conversion_prob=0.0), YEARS, 0, 500, seed=1)
    np.testing.assert_array_equal(d.grants_yuan, np.full((500, 6), 10 * GRANT))
    assert not np.any(d.budget_inflow) and not np.any(d.conversions)
    np.testing.assert_array_equal(d.net_cost_yuan, d.grants_yuan)
    np.testing.assert_array_equal(d.net_cost_life_yuan, np.full(500, 60 * GRANT))
    assert not np.any(d.exit_proceeds_beyond_yuan) and not np.any(d.recoveries_beyond_yuan)


def test_recovery_of_unconverted_grants():
    d = simulate_conversion(
        programme(conversion_prob=0.0, recovery_prob=1.0, recovery_share=0.25), YEARS, 0, 50, seed=2
    )
    # each year's grants come back a quarter at the end of the 3-year window
    np.testing.assert_allclose(d.recoveries_yuan[:, 3:], 0.25 * 10 * GRANT)
    assert not np.any(d.recoveries_yuan[:, :3])
    np.testing.assert_allclose(d.recoveries_beyond_yuan, 0.25 * 30 * GRANT)


@pytest.mark.parametrize("discount", [0.0, 0.2])
def test_sure_conversion_at_exactly_1x_returns_grant_over_price(discount):
    spec = programme(conversion_prob=1.0, conversion_discount=discount, equity_outcome=EXACT_1X)
    d = simulate_conversion(spec, YEARS, 0, 200, seed=3)
    assert np.all(d.n_converted == 60)
    inflow = d.budget_inflow.sum(1) + d.exit_proceeds_beyond_yuan
    np.testing.assert_allclose(inflow, 60 * GRANT / (1 - discount))
    np.testing.assert_allclose(
        d.net_cost_life_yuan, 60 * GRANT * (1 - 1 / (1 - discount)), atol=1e-6
    )
    # conversions happen 1-3 years after the award: none in 2025
    assert not np.any(d.conversions[:, 0])
    np.testing.assert_allclose(d.converted_yuan, d.conversions * GRANT)


def test_conversion_rate_and_equity_value_match_exact_means():
    spec = programme()
    n = 4000
    d = simulate_conversion(spec, YEARS, 0, n, seed=4)
    rate = d.n_converted.sum() / d.n_projects.sum()
    se = math.sqrt(0.35 * 0.65 / d.n_projects.sum())
    assert abs(rate - 0.35) < 4 * se
    # every stake is eventually realised: mean proceeds = E[converted] × E[multiple]
    proceeds = d.exit_proceeds_yuan.sum(1) + d.exit_proceeds_beyond_yuan
    exact = 60 * GRANT * 0.35 * outcome_statistics(spec.equity_outcome)["mean_multiple"]
    assert abs(proceeds.mean() - exact) < 4 * proceeds.std() / math.sqrt(n)


@settings(max_examples=30, deadline=None)
@given(
    low=st.integers(0, 5),
    extra=st.integers(0, 5),
    prob=st.floats(0, 1),
    recovery=st.floats(0, 1),
    share=st.floats(0, 1),
    seed=st.integers(0, 2**32),
    first=st.integers(2020, 2032),
)
def test_invariants(low, extra, prob, recovery, share, seed, first):
    spec = programme(
        first_year=first,
        last_year=first + 2,
        projects_per_year_min=low,
        projects_per_year_max=low + extra,
        grant_min_yuan=1e5,
        grant_max_yuan=3e6,
        conversion_prob=prob,
        recovery_prob=recovery,
        recovery_share=share,
    )
    d = simulate_conversion(spec, YEARS, 0, 30, seed=seed)
    assert np.all(d.n_converted <= d.n_projects)
    assert np.all(d.n_projects <= 3 * (low + extra))
    grants = d.grants_yuan.sum(1) + d.grants_before_yuan + d.grants_beyond_yuan
    np.testing.assert_allclose(grants, d.grants_total_yuan)
    recoveries = d.recoveries_yuan.sum(1) + d.recoveries_before_yuan + d.recoveries_beyond_yuan
    assert np.all(recoveries <= share * d.grants_total_yuan * (1 + 1e-12))
    assert np.all(d.budget_inflow >= 0)
    if low + extra == 0:
        assert not np.any(d.budget_outlay) and not np.any(d.net_cost_life_yuan)


def assert_same(a: ConversionDraws, b: ConversionDraws) -> None:
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
        else:
            assert value == getattr(b, name)


def test_reproducible_and_prefix(monkeypatch):
    spec = programme(projects_per_year_min=5, grant_min_yuan=1e6)
    run = simulate_conversion(spec, YEARS, 0, 200, seed=6)
    assert_same(run, simulate_conversion(spec, YEARS, 0, 200, seed=6))
    assert_same(slice_draws(run, 0, 100), simulate_conversion(spec, YEARS, 0, 100, seed=6))
    monkeypatch.setattr(model.core.streams, "BLOCK_DRAWS", 32)
    long = simulate_conversion(spec, YEARS, 0, 200, seed=6)
    assert_same(slice_draws(long, 0, 100), simulate_conversion(spec, YEARS, 0, 100, seed=6))
    assert_same(
        long,
        ConversionDraws.concat(
            [
                simulate_conversion(spec, YEARS, a, b, seed=6)
                for a, b in [(0, 50), (50, 111), (111, 200)]
            ]
        ),
    )
    other = simulate_conversion(
        programme(id="other", projects_per_year_min=5, grant_min_yuan=1e6), YEARS, 0, 200, seed=6
    )
    assert not np.array_equal(other.exit_proceeds_yuan, long.exit_proceeds_yuan)


def test_summary_tables():
    spec = programme(conversion_prob=0.0)
    d = simulate_conversion(spec, YEARS, 0, 100, seed=7)
    tables = summarize_conversion(d, spec)
    by_year = tables["conversion"]
    assert by_year.index.names == ["programme", "year"]
    assert by_year["net_cost_mean_yuan"].tolist() == [10 * GRANT] * 6
    totals = tables["conversion_totals"].loc["test_programme"]
    assert totals.loc["life", "net_cost_mean_yuan"] == pytest.approx(60 * GRANT)


def test_validation():
    with pytest.raises(ValueError):
        programme(grant_min_yuan=5e6, grant_max_yuan=1e6)
    with pytest.raises(ValueError):
        programme(first_year=2030, last_year=2025)


def test_unconverted_projects_recover_at_the_stated_rate():
    # one uniform decides conversion and, for the rest, recovery: exactly
    # P(convert) = p and P(recover) = (1 - p) · r, never both
    spec = programme(conversion_prob=0.35, recovery_prob=0.3, recovery_share=1.0)
    n = 4000
    d = simulate_conversion(spec, YEARS, 0, n, seed=9)
    recovered = (d.recoveries_yuan.sum(1) + d.recoveries_beyond_yuan) / GRANT
    np.testing.assert_allclose(recovered, np.round(recovered), atol=1e-9)
    assert np.all(d.n_converted + recovered <= d.n_projects)
    projects = d.n_projects.sum()
    for observed, p in [(d.n_converted.sum(), 0.35), (recovered.sum(), 0.65 * 0.3)]:
        assert abs(observed / projects - p) < 4 * math.sqrt(p * (1 - p) / projects)


def test_chunks_of_draws_do_not_change_draws(monkeypatch):
    spec = programme(
        projects_per_year_min=3,
        projects_per_year_max=15,
        grant_min_yuan=1e6,
        recovery_prob=0.2,
        recovery_share=0.5,
    )
    whole = simulate_conversion(spec, YEARS, 0, 300, seed=12)
    monkeypatch.setattr(model.finance.conversion, "_CHUNK_ROWS", 7)
    assert_same(whole, simulate_conversion(spec, YEARS, 0, 300, seed=12))
