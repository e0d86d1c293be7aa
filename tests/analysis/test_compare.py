"""Variants against a base on common random numbers (model/analysis/compare.py).

References are known independently of the comparison code: exact identities of paired
differences, the engine's draws of each scenario, and the closed-form expectations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import expected_city_cost, load_scenario, simulate
from model.analysis.compare import Z95, compare, paired_stats

DRAWS = 2_000
SEED = 20250101
VARIANTS = ("cap_cut_20_max", "two_more_labs", "lower_takeup")
DELTA_STATS = (
    "delta_mean_yuan",
    "delta_se_yuan",
    "delta_ci_low_yuan",
    "delta_ci_high_yuan",
    "delta_p50_yuan",
    "delta_p95_yuan",
    "p_variant_higher",
)


@pytest.fixture(scope="module")
def comparison(baseline):
    return compare(baseline, [load_scenario(v) for v in VARIANTS], DRAWS, seed=SEED)


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(baseline):
    result = compare(baseline, [baseline], 500, seed=3)
    table = result.tables["compare"]
    for column in DELTA_STATS:
        assert (table[column] == 0.0).all(), column
    items = result.tables["compare_items"]
    assert (items[["delta_mean_yuan", "delta_se_yuan"]] == 0.0).all().all()


def test_a_one_item_variant_leaves_every_other_item_unchanged_draw_by_draw(baseline):
    variant = load_scenario("two_more_labs")
    base_run, variant_run = simulate(baseline, 300, seed=9), simulate(variant, 300, seed=9)
    changed = list(base_run.items.index).index("provincial_lab_funding")
    others = [k for k in range(len(base_run.items)) if k != changed]
    assert np.array_equal(base_run.city[:, others, :], variant_run.city[:, others, :])
    assert not np.array_equal(base_run.city[:, changed, :], variant_run.city[:, changed, :])


def test_the_item_table_moves_only_the_changed_item(comparison):
    items = comparison.tables["compare_items"].loc["two_more_labs"]
    moved = items[items["delta_mean_yuan"] != 0]
    assert list(moved.index) == ["provincial_lab_funding"]
    # one more laboratory from 2026 and one from 2027, 1亿 a year each (article 2), to 2030
    assert moved.loc["provincial_lab_funding", "delta_mean_yuan"] == pytest.approx(9e8, abs=1e-3)
    assert (items.drop(index="provincial_lab_funding")["delta_se_yuan"] == 0).all()


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_95_interval_of_the_mean_change_covers_the_analytic_change(
    baseline, comparison, variant
):
    horizon = baseline.years
    expected = [expected_city_cost(s)[horizon] for s in (baseline, load_scenario(variant))]
    change = expected[1].sum(axis=0) - expected[0].sum(axis=0).reindex(
        expected[1].columns, fill_value=0.0
    )
    rows = comparison.tables["compare"].loc[variant]
    total = rows.loc[comparison.total_label]
    tolerance = 1e-9 * abs(change.sum()) + 1e-3  # zero-width intervals of exact changes
    assert (
        total["delta_ci_low_yuan"] - tolerance
        <= change.sum()
        <= total["delta_ci_high_yuan"] + tolerance
    )
    for year in horizon:  # and each year within 4 standard errors
        row = rows.loc[str(year)]
        assert abs(row["delta_mean_yuan"] - change[year]) <= 4 * row["delta_se_yuan"] + tolerance, (
            year
        )


def test_common_random_numbers_reduce_the_variance_of_a_cap_cut(comparison):
    rows = comparison.tables["compare"].loc["cap_cut_20_max"]
    horizon = [str(y) for y in comparison.horizon] + [comparison.total_label]
    assert (rows.loc[horizon, "variance_reduction"] > 1).all()


def test_the_variance_reduction_of_a_proportional_cut_is_exact():
    # variant = c·base: var(diff) = (1−c)²·v, independent runs (1 + c²)·v
    rng = np.random.default_rng(4)
    base = rng.gamma(3.0, 2.0, size=(5_000, 2))
    stats = paired_stats(base, 0.8 * base)
    assert stats["variance_reduction"] == pytest.approx((1 + 0.64) / 0.04 * np.ones(2), rel=1e-9)
    diff = 0.8 * base - base
    assert stats["delta_se"] == pytest.approx(diff.std(axis=0, ddof=1) / np.sqrt(5_000))
    assert stats["delta_ci_high"] - stats["delta_ci_low"] == pytest.approx(
        2 * Z95 * stats["delta_se"]
    )
    assert (stats["p_variant_higher"] == 0).all()


def test_extra_costs_are_added_to_the_totals(baseline):
    variant = load_scenario("two_more_labs")

    def extra(scenario, draws, seed):  # 1百万 a year, but only in the variant
        value = 1e6 if scenario.name == "two_more_labs" else 0.0
        return np.full((draws, len(scenario.payment_years)), value)

    plain = compare(baseline, [variant], 300, seed=5).tables["compare"]
    with_extra = compare(baseline, [variant], 300, seed=5, extra_costs=extra).tables["compare"]
    label = f"{baseline.years[0]}–{baseline.years[-1]}"
    shift = 1e6 * len(baseline.years)
    assert with_extra.loc[("two_more_labs", label), "delta_mean_yuan"] == pytest.approx(
        plain.loc[("two_more_labs", label), "delta_mean_yuan"] + shift
    )


def test_same_seed_gives_identical_tables(baseline):
    variant = load_scenario("cap_cut_20_max")
    first = compare(baseline, [variant], 300, seed=11)
    second = compare(baseline, [variant], 300, seed=11)
    for name in ("compare", "compare_items", "fan"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
