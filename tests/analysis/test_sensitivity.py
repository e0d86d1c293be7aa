"""Tornado and Sobol indices (model/analysis/sensitivity.py) and the uncertain factors they
swing (model/analysis/factors.py).

References are known independently of the code under test: the Ishigami function's and
an additive model's closed-form Sobol indices, scipy's exact quantiles, the deterministic
check scenario (one recipient per item at the full amount), and exact identities of
common random numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model import expected_city_cost, load_scenario, simulate
from model.analysis.factors import (
    Factor,
    award_swingable,
    award_with_mean,
    count_range,
    swung,
    total_count_quantiles,
    uncertain_factors,
)
from model.analysis.sensitivity import needed_sample, sobol, sobol_indices, tornado

SEED = 20250101


def horizon_cost_by_item(scenario) -> pd.Series:
    """Each item's cost over the horizon in the deterministic scenario (every draw alike)."""
    results = simulate(scenario, 1, seed=0)
    return pd.Series(results.city[0, :, : results.n_horizon].sum(axis=1), index=results.items.index)


# ------------------------------------------------------------------ Sobol
def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1):
    """Closed-form first-order and total indices on [−π, π]³ (Ishigami & Homma 1990)."""
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a * a / 8
    v13 = b * b * pi8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def test_sobol_wrapper_recovers_the_ishigami_indices():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    table = sobol_indices(problem, ishigami, n=2**12, seed=SEED).loc["y"]
    first, total = ishigami_indices()
    assert first == pytest.approx([0.314, 0.442, 0.0], abs=1e-3)  # the values in the brief
    assert total == pytest.approx([0.558, 0.442, 0.244], abs=1e-3)
    assert table["S1"].to_numpy() == pytest.approx(first, abs=0.03)
    assert table["ST"].to_numpy() == pytest.approx(total, abs=0.03)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()


def test_sobol_wrapper_on_an_additive_model():
    # Y = Σ c_i·x_i, x_i independent U(0, 1): S1_i = ST_i = c_i² / Σ c_j²
    c = np.array([1.0, 2.0, 3.0])
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    table = sobol_indices(problem, lambda x: x @ c, n=2**11, seed=7).loc["y"]
    assert table["S1"].to_numpy() == pytest.approx(c**2 / (c**2).sum(), abs=0.03)
    assert table["ST"].to_numpy() == pytest.approx(c**2 / (c**2).sum(), abs=0.03)
    grouped = sobol_indices(
        {**problem, "groups": ["ab", "ab", "c"]}, lambda x: x @ c, n=2**11, seed=7
    ).loc["y"]
    assert list(grouped.index) == ["ab", "c"]
    assert grouped.loc["ab", "S1"] == pytest.approx(5 / 14, abs=0.03)


@pytest.mark.parametrize("seed", [0, 12345])
def test_sobol_wrapper_is_reproducible_even_with_seed_zero(seed):
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    first = sobol_indices(problem, ishigami, n=256, seed=seed)
    pd.testing.assert_frame_equal(first, sobol_indices(problem, ishigami, n=256, seed=seed))


def test_sobol_sample_size_must_be_a_power_of_two():
    problem = {"num_vars": 1, "names": ["x"], "bounds": [[0.0, 1.0]]}
    with pytest.raises(ValueError, match="power of two"):
        sobol_indices(problem, lambda x: x[:, 0], n=100, seed=1)


def test_sobol_on_a_scenario_ranks_the_wider_factor_first(deterministic):
    # the expected total is linear in the caps: the lab's ±50% outweighs the centre's ±10%
    factors = [
        Factor("provincial_lab_funding", "cap", 0.5, 1.5),
        Factor("productivity_promotion_centre_subsidy", "cap", 0.9, 1.1),
    ]
    result = sobol(deterministic, n=8, seed=3, factors=factors)
    table = result.table.loc["mean"]
    assert table.loc["provincial_lab_funding:cap", "ST"] > 0.9
    assert table.loc["productivity_promotion_centre_subsidy:cap", "ST"] < 0.1


# ------------------------------------------------------------------ tornado
CHECK_ITEMS = [
    "productivity_promotion_centre_subsidy",  # recurring, capped award
    "national_key_lab_joint_programme",  # 不少于 floor
    "national_key_lab_conversion_reward",  # formula, at its cap
    "provincial_lab_funding",  # fixed 给予 amount, five years
    "listing_reward",  # staged
    "industry_professor_subsidy",
]  # fixed amount over two years


def test_tornado_on_the_deterministic_scenario_gives_hand_checkable_swings(deterministic):
    cost = horizon_cost_by_item(deterministic)
    result = tornado(
        deterministic,
        swing=0.2,
        kinds=("uptake", "award", "cap"),
        items=CHECK_ITEMS,
        draws=400,
        seed=SEED,
    )
    table = result.table
    assert result.base_mean == pytest.approx(cost.sum())
    assert set(table["item"]) == set(CHECK_ITEMS)
    for name, row in table.iterrows():
        c = cost[row["item"]]
        if row["kind"] in ("uptake", "cap"):  # ±20% of the count or the cap: ±20% of cost
            expected_mean = (-0.2 * c, 0.2 * c)
        elif row["item"] == "national_key_lab_joint_programme":  # a floor: only upward
            expected_mean = (0.0, 0.2 * c)
        else:  # a full award cannot exceed the cap: only downward
            expected_mean = (-0.2 * c, 0.0)
        assert row["delta_mean_low_yuan"] == pytest.approx(expected_mean[0], abs=1e-3), name
        assert row["delta_mean_high_yuan"] == pytest.approx(expected_mean[1], abs=1e-3), name
        # P95: count ×1.2 is Binomial(2, 0.6) (P95 = 2 recipients), ×0.8 Binomial(1, 0.8)
        expected_p95 = (0.0, c) if row["kind"] == "uptake" else expected_mean
        assert row["delta_p95_low_yuan"] == pytest.approx(expected_p95[0], abs=1e-3), name
        assert row["delta_p95_high_yuan"] == pytest.approx(expected_p95[1], abs=1e-3), name
    kinds = table.groupby("item")["kind"].apply(set)
    assert kinds["provincial_lab_funding"] == {"uptake", "cap"}  # 给予: no award swing
    assert kinds["listing_reward"] == {"uptake", "cap"}  # staged: shares set by stages
    assert (table["swing_mean_yuan"].diff().dropna() <= 0).all()  # sorted, biggest first


def test_default_swings_are_the_p10_and_p90_relative_to_the_mean(baseline):
    items = ["key_tech_major_project", "enterprise_tech_absorption_grant"]
    table = tornado(baseline, items=items, draws=0, seed=1).table
    # key_tech_major_project: Poisson(5) in each of 3 admission years, so its total count
    # over the window is Poisson(15)
    poisson = stats.poisson(15.0)
    row = table.loc["key_tech_major_project:uptake"]
    assert (row["low"], row["high"]) == pytest.approx(
        (poisson.ppf(0.1) / 15, poisson.ppf(0.9) / 15)
    )
    beta = stats.beta(1.5, 3.5)  # enterprise_tech_absorption_grant's award share
    row = table.loc["enterprise_tech_absorption_grant:award"]
    assert (row["low"], row["high"]) == pytest.approx(
        (beta.ppf(0.1) / beta.mean(), beta.ppf(0.9) / beta.mean())
    )
    expected = expected_city_cost(baseline)[baseline.years].sum(axis=1)
    for _, row in table.iterrows():  # the expected cost is linear in both
        assert row["delta_mean_low_yuan"] == pytest.approx((row["low"] - 1) * expected[row["item"]])
        assert row["delta_mean_high_yuan"] == pytest.approx(
            (row["high"] - 1) * expected[row["item"]]
        )


def test_tornado_p95_equals_a_full_run_of_the_swung_variant(baseline):
    # the tornado re-simulates only the swung item; keyed streams make that exact
    table = tornado(baseline, items=["listing_reward"], draws=300, seed=6).table
    row = table.loc["listing_reward:uptake"]
    variant = swung(baseline, {("listing_reward", "uptake"): row["high"]})
    totals = simulate(variant, 300, seed=6).totals_by_year()[baseline.years].sum(axis=1)
    assert row["p95_high_yuan"] == pytest.approx(np.percentile(totals, 95), rel=1e-12)


def test_same_seed_gives_identical_tornado(deterministic):
    runs = [
        tornado(deterministic, swing=0.3, items=CHECK_ITEMS[:2], draws=200, seed=4)
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].table, runs[1].table)


# ------------------------------------------------------------------ factors
def test_uptake_multipliers_are_exact_for_every_count_distribution(baseline):
    for multiplier in (0.35, 1.7):  # 1.7 takes binomials' p past 1 (a wider pool)
        variant = swung(baseline, {(i, "uptake"): multiplier for i in baseline.items})
        for item_id, item in baseline.items.items():
            new = variant.items[item_id]
            for k in range(len(item.admission_years)):
                assert new.assumptions.uptake.mean(k, new.takeup) == pytest.approx(
                    multiplier * item.assumptions.uptake.mean(k, item.takeup), rel=1e-12, abs=1e-12
                ), (item_id, k)


@settings(max_examples=60, deadline=None)
@given(multiplier=st.floats(0.0, 3.0), index=st.integers(0, 100))
def test_award_swings_stay_within_their_bounds_and_hit_their_target(baseline, multiplier, index):
    items = [item for item in baseline.items.values() if award_swingable(item)]
    item = items[index % len(items)]
    # shares of a cap lie in [0, 1]; multiples of a 不少于 floor (article 3) in [1, ∞)
    low, high = (1.0, math.inf) if item.line.cap_yuan is None else (0.0, 1.0)
    mean = item.award.mean()
    spec = award_with_mean(item, multiplier * mean)
    assert low - 1e-12 <= spec.lower <= spec.upper <= high + 1e-12
    assert spec.mean() == pytest.approx(min(max(multiplier * mean, low), high), abs=1e-9)


def test_award_swings_pass_the_scenario_validation(baseline):
    settings_ = {(i, "award"): 1.5 for i, item in baseline.items.items() if award_swingable(item)}
    variant = swung(baseline, settings_)  # raises InputError if a share exceeded its cap
    for item_id, _ in settings_:
        if baseline.items[item_id].line.cap_yuan is not None:  # not the 不少于 floor
            assert variant.items[item_id].award.upper <= 1.0


def test_count_range_is_the_total_counts_own_quantiles(baseline):
    """Three independent Poisson(2) years total Poisson(6): its P10/P90 are 3 and 9
    (scipy), not the sum of each year's P10/P90 (0 and 12)."""
    low, high = count_range(baseline.items["productivity_promotion_centre_subsidy"])
    assert (low, high) == tuple(stats.poisson(6).ppf([0.1, 0.9]) / 6)
    nb = stats.nbinom(5, 5 / 45)
    expected = [int(v) for v in stats.nbinom(10, 5 / 45).ppf([0.05, 0.5, 0.95])]
    assert total_count_quantiles([nb, nb, 3], [0.05, 0.5, 0.95]) == [e + 3 for e in expected]


# ------------------------------------------------------------------ what matters
@pytest.fixture(scope="module")
def structural(baseline):
    """The tornado of the baseline's structural factors, on few paired draws."""
    items = ["provincial_lab_funding", "admission_years", "future_seed_fund", "listing_reward"]
    return tornado(baseline, items=items, draws=300, seed=SEED)


def test_tornado_ranks_the_lab_count_the_window_and_fund_returns(structural):
    table = structural.table
    for factor in (
        "provincial_lab_funding:uptake",
        "admission_years:window",
        "future_seed_fund:multiple",
        "future_seed_fund:write_off",
        "future_seed_fund:exit_lag",
        "provincial_lab_funding:reading",
    ):
        assert factor in table.index, factor
    # a known count of three laboratories swings by one laboratory: 1亿 a year, five years
    labs = table.loc["provincial_lab_funding:uptake"]
    assert (labs["low_level"], labs["high_level"]) == ("×0.67", "×1.33")
    assert labs["delta_mean_low_yuan"] == pytest.approx(-5e8, abs=1e-3)
    assert labs["delta_mean_high_yuan"] == pytest.approx(5e8, abs=1e-3)
    assert labs["delta_p95_high_yuan"] == pytest.approx(5e8, abs=1e-3)  # in every draw
    # the bars are sorted by the swing of the mean
    assert (table["swing_mean_yuan"].diff().dropna() <= 1e-6).all()


def test_the_window_factor_at_2030_is_the_reading_admitting_to_2030(baseline, structural):
    row = structural.table.loc["admission_years:window"]
    assert (row["low_level"], row["high_level"]) == ("2026", "2030")
    reading = load_scenario("admission_to_2030")
    expected = (
        expected_city_cost(reading)[baseline.years].sum().sum()
        - expected_city_cost(baseline)[baseline.years].sum().sum()
    )
    # funds are the same in both, so the change of the mean has a closed form
    assert row["delta_mean_high_yuan"] == pytest.approx(expected, rel=1e-9)


def test_fund_returns_move_what_comes_back_not_the_outlays(structural):
    row = structural.table.loc["future_seed_fund:multiple"]
    # exit multiples change the proceeds of exits, never a capital call
    assert row["delta_mean_low_yuan"] == pytest.approx(0.0, abs=1e-3)
    assert row["delta_p95_high_yuan"] == pytest.approx(0.0, abs=1e-3)
    # lower multiples, less coming back in the horizon: a higher net cost
    assert row["delta_net_mean_low_yuan"] > 0 > row["delta_net_mean_high_yuan"]


def test_a_reading_is_a_discrete_factor_from_its_cheapest_to_its_dearest_reading(structural):
    row = structural.table.loc["provincial_lab_funding:reading"]
    assert (row["low_level"], row["high_level"]) == ("programme_total", "per_lab")
    assert row["delta_mean_low_yuan"] == pytest.approx(-1e9, abs=1e-3)
    assert row["delta_mean_high_yuan"] == 0.0
    assert math.isnan(row["low"]) and math.isnan(row["high"])


def test_discrete_factors_sample_each_level_with_equal_probability():
    factor = Factor("admission_years", "window", 2026, 2030, (2026, 2027, 2028, 2029, 2030))
    assert factor.bounds == (0.0, 5.0)
    samples = np.linspace(0.0, 5.0, 100_000, endpoint=False)
    values = [factor.value(v) for v in samples]
    counts = pd.Series(values).value_counts(normalize=True)
    assert counts.to_dict() == pytest.approx({year: 0.2 for year in factor.levels}, abs=1e-4)
    assert factor.value(5.0) == 2030  # the closed upper bound falls on the last level


def test_needed_sample_follows_the_square_root_law():
    assert needed_sample(64, 0.2) == 256  # intervals halve when n quadruples
    assert needed_sample(64, 0.21) == 512  # the next power of two
    assert needed_sample(64, 0.05) == 64


def test_sobol_on_simulated_outputs_reports_intervals_and_resolution(baseline):
    factors = [
        Factor("provincial_lab_funding", "reading", 0, 1, ("per_lab", "programme_total")),
        Factor("listing_reward", "uptake", 0.5, 1.5),
    ]
    result = sobol(baseline, n=16, seed=SEED, factors=factors, draws=200)
    table = result.table
    assert set(table.index.get_level_values("output")) == {"mean", "p95"}
    assert {"S1", "S1_conf", "ST", "ST_conf", "resolved", "n_needed"} <= set(table.columns)
    # the reading moves the total by 10亿 in every draw; the listing count by far less
    p95 = table.loc["p95"]
    assert p95.loc["provincial_lab_funding:reading", "S1"] > 0.9
    assert (table["resolved"] == (table["S1_conf"] <= 0.1)).all()
    assert result.n_needed == max(needed_sample(16, c) for c in table["S1_conf"])


# ------------------------------------------------------------------ workers
def test_the_tornado_is_the_same_bytes_for_any_number_of_workers(baseline):
    # grant items (partly re-simulated), a fund and the admission window (simulated
    # whole): each variant's simulation may run in another process
    items = ["national_key_lab_conversion_reward", "future_seed_fund", "admission_years"]
    tables = {
        workers: tornado(baseline, items=items, draws=300, seed=5, workers=workers).table.to_csv()
        for workers in (1, 2, 3)
    }
    assert len(tables[1].splitlines()) >= 5
    assert tables[2] == tables[1] and tables[3] == tables[1]


def test_sobol_indices_are_the_same_bytes_for_any_number_of_workers(baseline):
    by_name = {f.name: f for f in uncertain_factors(baseline)}
    factors = [
        by_name["national_key_lab_conversion_reward:uptake"],
        by_name["future_seed_fund:write_off"],
    ]
    tables = {
        workers: sobol(
            baseline, n=4, factors=factors, draws=200, seed=3, workers=workers
        ).table.to_csv()
        for workers in (1, 3)
    }
    assert tables[3] == tables[1]
