"""Tests of model.finance.loans: the closed form against independent integrals, the simulation
against the closed form, and invariants (article 21: at most 500,000 yuan per loss)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import integrate, stats

import model.core.streams
import model.finance.loans
from model.core.streams import stream
from model.finance.draw_arrays import slice_draws
from model.finance.loans import (
    LoanDraws,
    _symmetric_beta,
    expected_compensation_per_loss,
    expected_losses,
    expected_payout,
    simulate_loans,
    summarize_loans,
)
from model.policy.programmes import ARTICLE_21_CAP_YUAN, LoanPoolSpec

YEARS = range(2025, 2031)


def pool(**changes) -> LoanPoolSpec:
    base = dict(
        id="test_pool",
        first_year=2025,
        last_year=2029,
        volume_median_yuan=5e8,
        volume_sigma=0.4,
        volume_growth=0.1,
        loan_size_median_yuan=2e6,
        loan_size_sigma=0.7,
        default_rate_min=0.02,
        default_rate_max=0.04,
        lgd_mean=0.5,
        lgd_sd=0.2,
        compensation_share=0.5,
        basis="test",
    )
    return LoanPoolSpec.model_validate(base | changes)


CASES = {
    "fixed_fixed": dict(lgd_sd=0.0, loan_size_sigma=0.0),
    "beta_fixed": dict(loan_size_sigma=0.0),
    "fixed_lognormal": dict(lgd_sd=0.0),
    "beta_lognormal": {},
}


def brute_force_compensation(spec: LoanPoolSpec) -> float:
    """E[min(share · L · S, cap)] by direct numerical integration over the densities."""
    share, cap = spec.compensation_share, spec.cap_per_loss_yuan

    sigma, median = spec.loan_size_sigma, spec.loan_size_median_yuan

    def size_pdf(s: float) -> float:  # lognormal density, written out
        return math.exp(-((math.log(s / median)) ** 2) / (2 * sigma**2)) / (
            s * sigma * math.sqrt(2 * math.pi)
        )

    def given_lgd(lgd: float) -> float:
        if sigma == 0:
            return min(share * lgd * median, cap)
        if lgd <= 0:
            return 0.0
        kink = cap / (share * lgd)
        # integrate min(share·lgd·s, cap)·pdf(s) piecewise on a log scale around the kink
        below = integrate.quad(
            lambda t: share * lgd * math.exp(t) * size_pdf(math.exp(t)) * math.exp(t),
            math.log(median) - 12 * sigma,
            math.log(kink),
            epsrel=1e-11,
            limit=200,
        )[0]
        above = integrate.quad(
            lambda t: cap * size_pdf(math.exp(t)) * math.exp(t),
            math.log(kink),
            math.log(median) + 12 * sigma,
            epsrel=1e-11,
            limit=200,
        )[0]
        return below + max(above, 0.0)

    if spec.lgd_beta is None:
        return given_lgd(spec.lgd_mean)
    a, b = spec.lgd_beta
    beta = stats.beta(a, b)
    return integrate.quad(lambda x: beta.pdf(x) * given_lgd(x), 0, 1, epsrel=1e-10, limit=200)[0]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("size_median", [2e5, 2e6])
def test_closed_form_matches_direct_integration(case, size_median):
    spec = pool(loan_size_median_yuan=size_median, **CASES[case])
    assert expected_compensation_per_loss(spec) == pytest.approx(
        brute_force_compensation(spec), rel=1e-7
    )


def test_closed_form_by_hand():
    # fixed: min(0.5 × 0.6 × 1,000,000, 500,000) = 300,000; and capped at 2,000,000
    assert (
        expected_compensation_per_loss(
            pool(lgd_mean=0.6, lgd_sd=0, loan_size_sigma=0, loan_size_median_yuan=1e6)
        )
        == 300_000
    )
    assert (
        expected_compensation_per_loss(
            pool(lgd_mean=0.6, lgd_sd=0, loan_size_sigma=0, loan_size_median_yuan=2e6)
        )
        == 500_000
    )
    spec = pool(volume_sigma=0, volume_growth=0, loan_size_sigma=0, lgd_sd=0)
    # 5e8 × 3% / 2e6 = 7.5 losses of min(0.5 × 0.5 × 2e6, 5e5) = 5e5 each, a year later
    assert expected_losses(spec, 2025) == pytest.approx(7.5)
    assert expected_payout(spec, 2026) == pytest.approx(7.5 * 500_000)
    assert expected_payout(spec, 2025) == 0 and expected_payout(spec, 2031) == 0


@pytest.mark.parametrize("case", CASES)
def test_simulated_mean_matches_closed_form(case):
    spec = pool(**CASES[case])
    draws = simulate_loans(spec, YEARS, 0, 20_000, seed=21)
    for k, year in enumerate(YEARS):
        exact = expected_payout(spec, year)
        se = draws.payout_yuan[:, k].std() / math.sqrt(draws.n_draws)
        assert abs(draws.payout_yuan[:, k].mean() - exact) <= 4 * se + 1e-9, (year, exact)
    table = summarize_loans(draws, spec)["loan_compensation"]
    assert table["payout_expected_yuan"].tolist() == [expected_payout(spec, y) for y in YEARS]


@st.composite
def pools(draw) -> LoanPoolSpec:
    mean = draw(st.floats(0.05, 0.95))
    changes = dict(
        volume_median_yuan=draw(st.floats(0, 1e9)),
        volume_sigma=draw(st.floats(0, 1)),
        loan_size_median_yuan=draw(st.floats(1e5, 2e7)),
        loan_size_sigma=draw(st.floats(0, 1.5)),
        default_rate_max=draw(st.floats(0.02, 0.2)),
        lgd_mean=mean,
        lgd_sd=draw(st.sampled_from([0.0, 0.5])) * math.sqrt(mean * (1 - mean)),
        compensation_share=draw(st.floats(0, 1)),
        cap_per_loss_yuan=draw(st.sampled_from([ARTICLE_21_CAP_YUAN, 1e5, 0.0])),
        pool_ceiling_yuan=draw(st.one_of(st.none(), st.floats(0, 5e6))),
        payout_lag_years=draw(st.integers(0, 3)),
    )
    try:
        return pool(**changes)
    except ValidationError as error:
        # pools beyond the losses a year the model bounds (MAX_LOSSES_PER_YEAR) are refused
        # by the schema: outside the domain of these invariants
        assume("compensable losses a year" not in str(error))
        raise


@settings(max_examples=40, deadline=None)
@given(spec=pools(), seed=st.integers(0, 2**32))
def test_invariants(spec, seed):
    d = simulate_loans(spec, YEARS, 0, 40, seed=seed)
    assert np.all(d.max_single_payout_yuan <= spec.cap_per_loss_yuan)
    assert np.all(d.payout_yuan <= d.payout_uncapped_yuan + 1e-6)
    assert np.all(d.payout_uncapped_yuan <= d.losses * spec.cap_per_loss_yuan * (1 + 1e-12))
    assert np.all(
        d.payout_uncapped_yuan <= spec.compensation_share * d.bank_loss_yuan * (1 + 1e-9) + 1e-6
    )
    if spec.pool_ceiling_yuan is not None:
        assert np.all(d.payout_yuan <= spec.pool_ceiling_yuan)
    assert np.all(d.payout_yuan >= 0) and not np.any(d.budget_inflow)
    assert np.all(
        (d.default_rate >= spec.default_rate_min) & (d.default_rate <= spec.default_rate_max)
    )


def test_zero_volume_pays_nothing():
    d = simulate_loans(pool(volume_median_yuan=0.0), YEARS, 0, 100, seed=3)
    assert not np.any(d.payout_yuan) and not np.any(d.losses)
    assert not np.any(d.payout_beyond_yuan) and not np.any(d.max_single_payout_yuan)


def test_pool_ceiling_binds():
    spec = pool(pool_ceiling_yuan=2_000_000.0)
    d = simulate_loans(spec, YEARS, 0, 2000, seed=4)
    assert d.payout_yuan.max() == 2_000_000.0
    table = summarize_loans(d, spec)["loan_compensation"]
    assert table["p_ceiling_binds"].max() > 0.5


def assert_same(a: LoanDraws, b: LoanDraws) -> None:
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
        else:
            assert value == getattr(b, name)


def test_reproducible_and_prefix(monkeypatch):
    spec = pool()
    run = simulate_loans(spec, YEARS, 0, 300, seed=8)
    assert_same(run, simulate_loans(spec, YEARS, 0, 300, seed=8))
    assert_same(slice_draws(run, 0, 150), simulate_loans(spec, YEARS, 0, 150, seed=8))
    monkeypatch.setattr(model.core.streams, "BLOCK_DRAWS", 50)
    long = simulate_loans(spec, YEARS, 0, 300, seed=8)
    assert_same(slice_draws(long, 0, 150), simulate_loans(spec, YEARS, 0, 150, seed=8))
    assert_same(
        long,
        LoanDraws.concat(
            [simulate_loans(spec, YEARS, a, b, seed=8) for a, b in [(0, 75), (75, 201), (201, 300)]]
        ),
    )
    other = simulate_loans(pool(id="other_pool"), YEARS, 0, 300, seed=8)
    assert not np.array_equal(other.payout_yuan, long.payout_yuan)


def test_beyond_horizon_totals():
    spec = pool(first_year=2028, last_year=2030, payout_lag_years=2)
    d = simulate_loans(spec, YEARS, 0, 500, seed=9)
    # loans of 2028 pay in 2030 (inside); 2029 and 2030 pay in 2031-2032 (beyond)
    assert not np.any(d.payout_yuan[:, :5])
    assert d.payout_beyond_yuan.mean() > d.payout_yuan[:, 5].mean() > 0
    totals = summarize_loans(d, spec)["loan_compensation_totals"].loc["test_pool"]
    assert totals.loc["life", "payout_mean_yuan"] == pytest.approx(
        d.payout_yuan.sum(1).mean() + d.payout_beyond_yuan.mean()
    )
    exact = sum(expected_payout(spec, y) for y in (2031, 2032))
    se = d.payout_beyond_yuan.std() / math.sqrt(500)
    assert abs(d.payout_beyond_yuan.mean() - exact) < 4 * se


def test_validation():
    with pytest.raises(ValueError, match="beta"):
        pool(lgd_mean=0.5, lgd_sd=0.5)
    with pytest.raises(ValueError):
        pool(default_rate_min=0.05, default_rate_max=0.01)


@pytest.mark.parametrize("a", [0.6, 1.0, 2.625, 8.0])
def test_symmetric_beta_sampler_is_beta(a):
    # Ulrich's method (used when lgd_mean = 0.5) against scipy's Beta(a, a)
    x = _symmetric_beta(stream(1, "radius"), stream(1, "angle"), a, 200_000)
    assert x.min() >= 0 and x.max() <= 1
    assert stats.kstest(x, stats.beta(a, a).cdf).pvalue > 1e-4
    sd = math.sqrt(1 / (4 * (2 * a + 1)))
    assert abs(x.mean() - 0.5) < 4 * sd / math.sqrt(x.size)
    assert abs(x.std() - sd) < 0.005 * sd


@pytest.mark.parametrize(
    "changes", [dict(lgd_mean=0.35, lgd_sd=0.15), dict(lgd_mean=0.5, lgd_sd=0.45)]
)
def test_simulated_mean_matches_closed_form_for_other_lgds(changes):
    # a skewed LGD (numpy's beta sampler) and a symmetric one with a < 1/2 (likewise)
    spec = pool(**changes)
    draws = simulate_loans(spec, YEARS, 0, 20_000, seed=23)
    for k, year in enumerate(YEARS):
        exact = expected_payout(spec, year)
        se = draws.payout_yuan[:, k].std() / math.sqrt(draws.n_draws)
        assert abs(draws.payout_yuan[:, k].mean() - exact) <= 4 * se + 1e-9, (year, exact)


@pytest.mark.parametrize("lgd_mean", [0.5, 0.35])
def test_chunks_of_draws_do_not_change_draws(monkeypatch, lgd_mean):
    spec = pool(lgd_mean=lgd_mean)
    whole = simulate_loans(spec, YEARS, 0, 300, seed=10)
    monkeypatch.setattr(model.finance.loans, "_CHUNK_ROWS", 7)
    assert_same(whole, simulate_loans(spec, YEARS, 0, 300, seed=10))
