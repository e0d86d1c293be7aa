"""Stress pins and goal seeking (model/analysis/goalseek.py), checked on the deterministic
scenario (exact answers), on scipy's quantiles and on common random numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model import apply_variant, load_scenario, simulate
from model.analysis.goalseek import goal_seek, pin_uptake, stress
from model.core.errors import InputError


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
    assert items.loc["listing_reward", "delta_mean_yuan"] > 0
    assert (items.drop(index="listing_reward")["delta_mean_yuan"] == 0).all()


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


# ------------------------------------------------------------------ workers
def test_a_goal_seek_is_the_same_bytes_for_any_number_of_workers(baseline):
    # a budget a tenth below the plan year's P95 at full caps: the search bisects
    year = baseline.plan_start
    cost = simulate(baseline, 300, seed=9).city.sum(axis=1)[:, baseline.payment_years.index(year)]
    budget = 0.9 * float(np.percentile(cost, 95))
    answers = {}
    for workers in (1, 2, 3):
        result = goal_seek(
            baseline, budget_yuan=budget, draws=300, seed=9, xtol=0.02, workers=workers
        )
        answers[workers] = (
            result.value,
            result.history.to_csv(),
            result.summary.to_csv(),
        )
    assert answers[1][0] < 1.0 and len(answers[1][1].splitlines()) > 4  # it bisected
    assert answers[2] == answers[1] and answers[3] == answers[1]
