"""Tornado, Sobol indices, convergence, stress pins and goal seeking (model/factors.py,
model/sensitivity.py, model/convergence.py, model/goalseek.py).

References are known independently of the code under test: the Ishigami function's and
an additive model's closed-form Sobol indices, scipy's exact quantiles, the deterministic
check scenario (one recipient per item at the full amount), and exact identities of
common random numbers.
"""

from __future__ import annotations

import argparse
import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model import apply_variant, expected_city_cost, load_scenario, simulate
from model.convergence import convergence
from model.errors import InputError
from model.factors import Factor, award_swingable, award_with_mean, swung
from model.goalseek import add_goal_seek_parser, goal_seek, pin_uptake, run_goal_seek, stress
from model.paths import SCENARIOS_DIR
from model.sensitivity import (
    add_sensitivity_parser,
    run_sensitivity,
    sobol,
    sobol_indices,
    tornado,
)

SEED = 20250101


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="module")
def deterministic():
    return load_scenario(SCENARIOS_DIR / "checks" / "deterministic.yaml")


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
        assert row["delta_mean_low"] == pytest.approx(expected_mean[0], abs=1e-3), name
        assert row["delta_mean_high"] == pytest.approx(expected_mean[1], abs=1e-3), name
        # P95: count ×1.2 is Binomial(2, 0.6) (P95 = 2 recipients), ×0.8 Binomial(1, 0.8)
        expected_p95 = (0.0, c) if row["kind"] == "uptake" else expected_mean
        assert row["delta_p95_low"] == pytest.approx(expected_p95[0], abs=1e-3), name
        assert row["delta_p95_high"] == pytest.approx(expected_p95[1], abs=1e-3), name
    kinds = table.groupby("item")["kind"].apply(set)
    assert kinds["provincial_lab_funding"] == {"uptake", "cap"}  # 给予: no award swing
    assert kinds["listing_reward"] == {"uptake", "cap"}  # staged: shares set by stages
    assert (table["swing_mean"].diff().dropna() <= 0).all()  # sorted, biggest first


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
        assert row["delta_mean_low"] == pytest.approx((row["low"] - 1) * expected[row["item"]])
        assert row["delta_mean_high"] == pytest.approx((row["high"] - 1) * expected[row["item"]])


def test_tornado_p95_equals_a_full_run_of_the_swung_variant(baseline):
    # the tornado re-simulates only the swung item; keyed streams make that exact
    table = tornado(baseline, items=["listing_reward"], draws=300, seed=6).table
    row = table.loc["listing_reward:uptake"]
    variant = swung(baseline, {("listing_reward", "uptake"): row["high"]})
    totals = simulate(variant, 300, seed=6).totals_by_year()[baseline.years].sum(axis=1)
    assert row["p95_high"] == pytest.approx(np.percentile(totals, 95), rel=1e-12)


def test_same_seed_gives_identical_tornado(deterministic):
    runs = [
        tornado(deterministic, swing=0.3, items=CHECK_ITEMS[:2], draws=200, seed=4)
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].table, runs[1].table)


def test_uptake_multipliers_are_exact_for_every_count_distribution(baseline):
    for multiplier in (0.35, 1.7):  # 1.7 takes binomials' p past 1 (a wider pool)
        variant = swung(baseline, {(i, "uptake"): multiplier for i in baseline.items})
        for item_id, item in baseline.items.items():
            new = variant.items[item_id]
            for k in range(len(item.admission_years)):
                assert new.assumptions.uptake.mean(k, new.takeup) == pytest.approx(
                    multiplier * item.assumptions.uptake.mean(k, item.takeup), rel=1e-12, abs=1e-12
                ), (item_id, k)


@functools.cache
def swingable_awards():
    return [item for item in load_scenario("baseline").items.values() if award_swingable(item)]


@settings(max_examples=60, deadline=None)
@given(multiplier=st.floats(0.0, 3.0), index=st.integers(0, 100))
def test_award_swings_stay_within_their_bounds_and_hit_their_target(multiplier, index):
    items = swingable_awards()
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


# ------------------------------------------------------------------ convergence
def test_convergence_reaches_the_target_and_needs_more_draws_for_a_tighter_one(baseline):
    loose = convergence(baseline, target_se=0.002, seed=SEED, max_draws=200_000)
    tight = convergence(baseline, target_se=0.0008, seed=SEED, max_draws=200_000)
    assert loose.converged and tight.converged
    assert tight.draws_used > loose.draws_used
    last = tight.table.iloc[-1]
    assert last["rel_se_mean"] <= 0.0008 and last["rel_se_p95"] <= 0.0008
    # earlier draws are reused unchanged: the first check is a run of that many draws
    first_n = int(tight.table.index[0])
    totals = simulate(baseline, first_n, seed=SEED).totals_by_year()[baseline.years].sum(axis=1)
    assert tight.table["mean"].iloc[0] == pytest.approx(totals.mean(), rel=1e-12)
    assert tight.table["p95"].iloc[0] == pytest.approx(np.percentile(totals, 95), rel=1e-12)


# ------------------------------------------------------------------ stress
def test_pinned_counts_are_the_p95_of_each_year(baseline):
    variant = pin_uptake(baseline, ["listing_reward", "key_tech_key_project"])
    assert (
        variant.items["listing_reward"].assumptions.uptake.value
        == [stats.poisson(6.0).ppf(0.95)] * 3
    )
    assert (
        variant.items["key_tech_key_project"].assumptions.uptake.value
        == [stats.poisson(30.0).ppf(0.95)] * 3
    )
    assert variant.items["key_tech_key_project"].takeup == 1.0


def test_the_shipped_stress_variant_matches_the_baseline_p95(baseline):
    shipped = load_scenario("stress_uptake_p95")
    pinned = [
        i for i, item in shipped.items.items() if item.assumptions.uptake.basis.startswith("Stress")
    ]
    rebuilt = pin_uptake(baseline, pinned)
    for item_id in pinned:
        assert (
            shipped.items[item_id].assumptions.uptake.value
            == rebuilt.items[item_id].assumptions.uptake.value
        ), item_id


def test_stress_moves_only_the_pinned_items(baseline):
    result = stress(baseline, ["listing_reward"], draws=300, seed=2)
    items = result.tables["compare_items"].loc[result.variant_names[0]]
    assert items.loc["listing_reward", "delta_mean"] > 0
    assert (items.drop(index="listing_reward")["delta_mean"] == 0).all()


# ------------------------------------------------------------------ goal seek
def test_goal_seek_of_the_cap_scale_is_exact_on_the_deterministic_scenario(deterministic):
    total = simulate(deterministic, 1, seed=0).totals_by_year()[2026].iloc[0]
    floor = 15_000_000.0  # 不少于1500万 a year (article 3) does not scale with the caps
    budget = floor + 0.6 * (total - floor)
    result = goal_seek(
        deterministic, budget_yuan=budget, statistic="mean", year=2026, draws=20, seed=1
    )
    assert result.feasible and not result.at_upper
    assert result.statistic_value <= budget
    assert 0.6 - 2e-4 <= result.value <= 0.6
    assert result.statistic_value == pytest.approx(floor + result.value * (total - floor))


def test_goal_seek_of_one_item_cap(deterministic):
    total = simulate(deterministic, 1, seed=0).totals_by_year()[2026].iloc[0]
    budget = total - 40_000_000.0  # the laboratory's 1亿 a year must fall to 6000万
    result = goal_seek(
        deterministic,
        budget_yuan=budget,
        statistic="mean",
        year=2026,
        parameter="provincial_lab_funding:cap",
        draws=20,
        seed=1,
    )
    assert result.parameter == "provincial_lab_funding:cap_yuan"
    assert 60_000_000.0 - 2e-4 * 1e8 <= result.value <= 60_000_000.0


def test_goal_seek_of_the_p95_on_common_random_numbers(baseline):
    draws, seed = 200, 8
    unscaled = np.percentile(simulate(baseline, draws, seed=seed).totals_by_year()[2026], 95)
    result = goal_seek(
        baseline, budget_yuan=0.9 * unscaled, year=2026, draws=draws, seed=seed, xtol=4e-3
    )
    assert result.statistic_value <= 0.9 * unscaled
    # every draw's cost is continuous in the cap scale, so the P95 ends close to budget
    assert result.statistic_value >= 0.9 * unscaled * (1 - 1e-2)
    assert result.value < 1.0
    at_answer = simulate(
        apply_variant(baseline, {"cap_scale": result.value}), draws, seed=seed
    ).totals_by_year()[2026]
    assert np.percentile(at_answer, 95) == pytest.approx(result.statistic_value, rel=1e-12)
    above = goal_seek(baseline, budget_yuan=1.1 * unscaled, year=2026, draws=draws, seed=seed)
    assert above.at_upper and above.value == 1.0


def test_goal_seek_rejects_an_unknown_parameter(deterministic):
    with pytest.raises(InputError):
        goal_seek(deterministic, budget_yuan=1e8, parameter="no_such_item:cap", draws=5)


# ------------------------------------------------------------------ command line
def _parser():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_sensitivity_parser(commands)
    add_goal_seek_parser(commands)
    return parser


def test_goalseek_command_writes_its_table(tmp_path, in_project_root, capsys):
    out = tmp_path / "gs"
    args = _parser().parse_args(
        [
            "goalseek",
            "scenarios/checks/deterministic.yaml",
            "--year",
            "2026",
            "--budget",
            "1",
            "--statistic",
            "mean",
            "--draws",
            "10",
            "--out",
            str(out),
        ]
    )
    assert run_goal_seek(args) == 1  # 1万元 is below even the 不少于 floor
    assert "no value in range" in capsys.readouterr().out
    answer = pd.read_csv(out / "goal_seek.csv", encoding="utf-8-sig")
    assert not answer["feasible"].iloc[0]


def test_sensitivity_command_runs_the_convergence_check(tmp_path, in_project_root):
    out = tmp_path / "sens"
    args = _parser().parse_args(
        [
            "sensitivity",
            "baseline",
            "--method",
            "convergence",
            "--target-se",
            "0.01",
            "--out",
            str(out),
        ]
    )
    assert run_sensitivity(args) == 0
    assert {"convergence.csv", "convergence.png", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }


def test_count_range_is_the_total_counts_own_quantiles():
    """Three independent Poisson(2) years total Poisson(6): its P10/P90 are 3 and 9
    (scipy), not the sum of each year's P10/P90 (0 and 12)."""
    from scipy import stats

    from model.factors import count_range, total_count_quantiles

    scenario = load_scenario("baseline")
    low, high = count_range(scenario.items["productivity_promotion_centre_subsidy"])
    assert (low, high) == tuple(stats.poisson(6).ppf([0.1, 0.9]) / 6)
    nb = stats.nbinom(5, 5 / 45)
    expected = [int(v) for v in stats.nbinom(10, 5 / 45).ppf([0.05, 0.5, 0.95])]
    assert total_count_quantiles([nb, nb, 3], [0.05, 0.5, 0.95]) == [e + 3 for e in expected]
