"""The vectorized engine: agreement with closed forms, reproducibility, keyed streams,
ceilings and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from model import apply_variant, expected_demand, load_scenario, simulate, simulate_chunks
from model.core.stats import z_scores
from model.core.streams import BLOCK_DRAWS
from model.sim.engine import EXACT_SUM_MAX_COUNT
from model.sim.results import Results

B = "test basis"


@pytest.fixture(scope="module")
def baseline_run(baseline):
    return simulate(baseline, 40_000, seed=2025)


def _assert_agrees_with_closed_form(scenario, results, limit=5.0):
    """Every item-year with a closed form (all but fund capital calls) agrees with the
    simulation within ``limit`` Monte Carlo standard errors."""
    frame = expected_demand(scenario)
    expected = frame.to_numpy()
    no_closed_form = sorted({frame.index[i] for i in np.argwhere(np.isnan(expected))[:, 0]})
    assert no_closed_form == sorted(scenario.spec.funds)
    mean = results.demand.mean(axis=0)
    mcse = results.demand.std(axis=0, ddof=1) / np.sqrt(results.draws)
    z = np.nan_to_num(z_scores(mean, expected, mcse), nan=0.0)
    worst = np.unravel_index(np.argmax(np.abs(z)), z.shape)
    item, year = frame.index[worst[0]], results.years[worst[1]]
    assert np.all(np.abs(z) < limit), f"{item} {year}: z = {z[worst]:.2f}"


def test_every_baseline_item_agrees_with_its_closed_form(baseline, baseline_run):
    _assert_agrees_with_closed_form(baseline, baseline_run)


@pytest.mark.parametrize(
    "variant", ["climate_correlated", "two_more_labs", "lower_takeup", "registration_first_only"]
)
def test_variants_agree_with_their_closed_form(variant):
    """The climate copula changes the joint distribution, never the margins."""
    scenario = load_scenario(variant)
    _assert_agrees_with_closed_form(scenario, simulate(scenario, 20_000, seed=9))


def test_same_seed_same_draws_other_seed_other_draws(baseline):
    first = simulate(baseline, 700, seed=1)
    assert np.array_equal(first.demand, simulate(baseline, 700, seed=1).demand)
    assert not np.array_equal(first.demand, simulate(baseline, 700, seed=2).demand)


def test_seed_zero_is_a_seed(baseline):
    assert not np.array_equal(
        simulate(baseline, 50, seed=0).demand, simulate(baseline, 50, seed=1).demand
    )


def test_draws_do_not_depend_on_run_length_or_start(baseline):
    long = simulate(baseline, BLOCK_DRAWS + 300, seed=4)
    short = simulate(baseline, 1000, seed=4)
    assert np.array_equal(short.demand, long.demand[:1000])
    middle = simulate(baseline, 500, seed=4, start=BLOCK_DRAWS - 200)
    assert np.array_equal(middle.demand, long.demand[BLOCK_DRAWS - 200 : BLOCK_DRAWS + 300])
    assert np.array_equal(middle.admitted, long.admitted[BLOCK_DRAWS - 200 : BLOCK_DRAWS + 300])


def test_chunks_concatenate_to_the_whole_run(baseline):
    draws = 2 * BLOCK_DRAWS + 123
    chunks = list(simulate_chunks(baseline, draws, seed=8, chunk_draws=BLOCK_DRAWS))
    assert [c.start for c in chunks] == [0, BLOCK_DRAWS, 2 * BLOCK_DRAWS]
    whole = simulate(baseline, draws, seed=8)
    assert np.array_equal(Results.concat(chunks).demand, whole.demand)


def test_changing_one_item_leaves_every_other_item_untouched(baseline):
    variant = apply_variant(
        baseline,
        {
            "items": {
                "basic_research_project": {
                    "uptake": {"dist": "poisson", "mean": 250, "basis": B},
                    "climate_loading": 0.0,
                }
            }
        },
    )
    base = simulate(baseline, 3000, seed=5)
    changed = simulate(variant, 3000, seed=5)
    index = list(baseline.items).index("basic_research_project")
    others = [i for i in range(len(baseline.items)) if i != index]
    assert np.array_equal(base.demand[:, others], changed.demand[:, others])
    assert not np.array_equal(base.demand[:, index], changed.demand[:, index])


def test_item_streams_do_not_depend_on_catalog_order(baseline):
    """Keys are item ids, not positions: reversing the items changes no item's draws."""
    from dataclasses import replace

    reversed_items = dict(reversed(list(baseline.items.items())))
    flipped = replace(baseline, items=reversed_items)
    a = simulate(baseline, 500, seed=6)
    b = simulate(flipped, 500, seed=6)
    for i, item in enumerate(baseline.items):
        j = list(reversed_items).index(item)
        assert np.array_equal(a.demand[:, i], b.demand[:, j]), item


def test_zero_uptake_costs_zero(baseline):
    zero = {
        "items": {i: {"uptake": {"dist": "fixed", "value": 0, "basis": B}} for i in baseline.items}
    }
    results = simulate(apply_variant(baseline, zero), 2000, seed=3)
    grants = len(baseline.items)  # the rows after them are funds and the loan pool
    assert not results.demand[:, :grants].any()
    assert not results.admitted.any()


def test_one_time_awards_never_exceed_the_cap(baseline_run, baseline):
    for i, item in enumerate(baseline.items.values()):
        if item.line.payment.value in ("one_time", "per_event", "formula"):
            cap = item.reference_yuan * baseline_run.admitted[:, i, :]
            assert np.all(baseline_run.demand[:, i, :] <= cap * (1 + 1e-12)), item.id
            assert np.all(baseline_run.demand[:, i, :] >= 0), item.id


def test_listing_reward_never_exceeds_800_wan_per_firm(baseline_run, baseline):
    i = list(baseline.items).index("listing_reward")
    per_cohort_total = baseline_run.demand[:, i, :].sum(axis=1)
    assert np.all(per_cohort_total <= 8_000_000 * baseline_run.admitted[:, i, :].sum(axis=1))


def test_sums_of_small_cohorts_follow_irwin_hall(baseline):
    """Two recipients with uniform shares: the item's cost / cap is Irwin–Hall(2),
    i.e. triangular on [0, 2] (exact per-award path, count ≤ EXACT_SUM_MAX_COUNT)."""
    assert EXACT_SUM_MAX_COUNT >= 2
    variant = apply_variant(
        baseline,
        {
            "items": {
                "basic_research_project": {
                    "uptake": {"dist": "fixed", "value": 2, "basis": B},
                    "award": {"dist": "uniform", "low": 0.0, "high": 1.0, "basis": B},
                }
            }
        },
    )
    results = simulate(variant, 20_000, seed=12)
    i = list(variant.items).index("basic_research_project")
    shares = results.demand[:, i, 0] / 500_000
    assert stats.kstest(shares, stats.triang(0.5, loc=0, scale=2).cdf).pvalue > 1e-3


def test_large_cohort_sums_have_the_exact_mean_and_variance(baseline):
    """Above EXACT_SUM_MAX_COUNT the normal approximation keeps mean and variance."""
    n = 200
    variant = apply_variant(
        baseline,
        {
            "items": {
                "basic_research_project": {
                    "uptake": {"dist": "fixed", "value": n, "basis": B},
                    "award": {"dist": "uniform", "low": 0.0, "high": 1.0, "basis": B},
                }
            }
        },
    )
    results = simulate(variant, 40_000, seed=13)
    i = list(variant.items).index("basic_research_project")
    shares = results.demand[:, i, 0] / 500_000
    assert shares.mean() == pytest.approx(n / 2, abs=5 * np.sqrt(n / 12 / 40_000))
    assert shares.var() == pytest.approx(n / 12, rel=0.03)


def test_climate_widens_the_tails_but_keeps_the_mean(baseline, baseline_run):
    climate = load_scenario("climate_correlated")
    correlated = simulate(climate, 40_000, seed=2025)
    # the items the climate moves (grant uptake, not the funds); article 7's bridged count
    # is left out: most of its spread is that of its once-per-draw factors (what is not
    # known about the clause's reach), which the climate does not touch
    grants = [
        k
        for k, item in enumerate(climate.items.values())
        if item.assumptions.climate_loading > 0 and item.id != "enterprise_tech_absorption_grant"
    ]
    base_total = baseline_run.city[:, grants].sum(axis=(1, 2))
    corr_total = correlated.city[:, grants].sum(axis=(1, 2))
    assert corr_total.std() > 1.2 * base_total.std()
    assert np.percentile(corr_total, 95) > np.percentile(base_total, 95)
    se = np.hypot(corr_total.std(), base_total.std()) / np.sqrt(40_000)
    assert abs(corr_total.mean() - base_total.mean()) < 5 * se
    i = list(climate.items).index("tech_sme_registration_award")
    j = list(climate.items).index("high_tech_enterprise_first_certification")
    rho = np.corrcoef(correlated.admitted[:, i, 0], correlated.admitted[:, j, 0])[0, 1]
    assert rho > 0.2


@pytest.fixture(scope="module")
def ceilings_run():
    """The appropriation_ceilings variant, 5,000 draws (shared by TestCeilings)."""
    scenario = load_scenario("appropriation_ceilings")
    return scenario, simulate(scenario, 5000, seed=21)


class TestCeilings:
    def test_group_ceiling_is_never_exceeded(self, ceilings_run):
        scenario, results = ceilings_run
        group = scenario.spec.ceilings[0]
        members = [list(scenario.items).index(i) for i in group.items]
        funded = results.funded[:, members, : results.n_horizon].sum(axis=1)
        assert np.all(funded <= group.annual_yuan * (1 + 1e-12))
        assert results.unfunded[:, members].sum() > 0  # the ceiling binds in this variant

    def test_item_ceiling_and_conservation(self, ceilings_run):
        scenario, results = ceilings_run
        i = list(scenario.items).index("productivity_promotion_centre_subsidy")
        assert np.all(results.funded[:, i, : results.n_horizon] <= 30_000_000 * (1 + 1e-12))
        assert np.all(results.funded <= results.demand + 1e-6)
        assert np.all(results.unfunded >= -1e-6)
        untouched = [
            k
            for k, item in enumerate(scenario.items)
            if item not in scenario.spec.ceilings[0].items and k != i
        ]
        assert np.array_equal(results.funded[:, untouched], results.demand[:, untouched])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scale=st.floats(0.1, 3.0), takeup=st.floats(0.0, 1.0), seed=st.integers(0, 2**32))
def test_invariants_under_random_settings(baseline, scale, takeup, seed):
    """Costs are non-negative; scaling the caps scales every capped item's cost in the
    same draw (common random numbers), moves the capped formula award (article 3's
    min(10%·X, cap)) in the same direction, and leaves the 不少于 floor alone; the
    per-item totals add up to the year totals."""
    items = {
        i: {"takeup": {"value": takeup, "basis": B}}
        for i in ("basic_research_project", "tech_broker_award", "specialised_sme_municipal")
    }
    base = apply_variant(baseline, {"items": items})
    bigger = apply_variant(base, {"cap_scale": base.spec.cap_scale * scale})
    a = simulate(base, 200, seed=seed)
    b = simulate(bigger, 200, seed=seed)
    assert np.all(a.demand >= 0)
    kinds = {
        i: (
            "floor"
            if item.line.cap_yuan is None
            else "formula"
            if item.line.payment.value == "formula"
            else "capped"
        )
        for i, item in enumerate(base.items.values())
    }
    capped = [i for i, kind in kinds.items() if kind == "capped"]
    formula = [i for i, kind in kinds.items() if kind == "formula"]
    floors = [i for i, kind in kinds.items() if kind == "floor"]
    assert capped and formula and floors
    assert np.allclose(b.demand[:, capped], a.demand[:, capped] * scale, rtol=1e-12, atol=1e-6)
    direction = np.sign(scale - 1.0)
    rounding = 1e-9 * a.demand[:, formula] + 1e-6  # (rate·X/cap)·cap is not exactly rate·X
    assert np.all(direction * (b.demand[:, formula] - a.demand[:, formula]) >= -rounding)
    assert np.all(b.demand[:, formula] <= a.demand[:, formula] * max(scale, 1.0) + rounding)
    assert np.array_equal(b.demand[:, floors], a.demand[:, floors])
    assert np.allclose(a.totals_by_year().to_numpy(), a.city.sum(axis=1))
