"""The medium-term plan table (model/analysis/plan.py) against hand-computed totals of
the deterministic scenario, the run's own yearly totals, and its own parts."""

from __future__ import annotations

import numpy as np
import pytest

from model import apply_variant, simulate, summarize
from model.analysis.plan import plan_groupings, plan_table
from model.policy.classification import TO_CONFIRM

LAB = 100_000_000.0  # 对省实验室每年给予1亿元经费支持，连续五年


def _plan(scenario, draws=20, seed=3):
    summary = summarize(
        simulate(scenario, draws, seed=seed), scenario, groupings=plan_groupings(scenario)
    )
    return summary, plan_table(summary, scenario)


def _row(plan, level, commitment, **keys):
    rows = plan[(plan["level"] == level) & (plan["commitment"] == commitment)]
    for key, value in keys.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, (level, commitment, keys)
    return rows.iloc[0]


@pytest.fixture(scope="module")
def two_cohorts(deterministic):
    """The deterministic scenario (everything admitted in 2025) with one more provincial
    laboratory admitted in 2027, the plan starting in 2027."""
    return apply_variant(
        deterministic,
        {
            "plan_start": 2027,
            "items": {
                "provincial_lab_funding": {
                    "uptake": {"dist": "fixed", "value": [1, 0, 1], "basis": "check"}
                }
            },
        },
    )


def test_existing_and_new_commitments_by_hand(two_cohorts):
    summary, plan = _plan(two_cohorts)
    by_year = summary.tables["summary_by_year"]["mean_yuan"]
    total = _row(plan, "total", "all")
    existing, new = _row(plan, "total", "existing"), _row(plan, "total", "new")
    # the 2027 laboratory is the only commitment made in the plan years: 1亿 a year
    for year in (2027, 2028, 2029):
        assert new[f"mean_{year}_yuan"] == LAB
        assert new[f"p95_{year}_yuan"] == LAB
        assert existing[f"mean_{year}_yuan"] == by_year[str(year)] - LAB
    assert existing["mean_2028_yuan"] == LAB  # the 2025 laboratory, its fourth year
    assert total["mean_plan_yuan"] == pytest.approx(by_year[["2027", "2028", "2029"]].sum())
    lab = _row(plan, "item", "new", item="provincial_lab_funding")
    assert lab["func_code"] == "2060299" and lab["unit"] == "市科技局"
    assert lab["mean_plan_yuan"] == 3 * LAB


def test_the_total_row_is_summary_by_year_to_the_yuan(baseline):
    summary, plan = _plan(baseline, draws=300, seed=7)
    by_year = summary.tables["summary_by_year"]
    total = _row(plan, "total", "all")
    for year in (2027, 2028, 2029):
        assert total[f"mean_{year}_yuan"] == by_year.loc[str(year), "mean_yuan"]  # exactly
        assert total[f"p50_{year}_yuan"] == by_year.loc[str(year), "p50_yuan"]
        assert total[f"p95_{year}_yuan"] == by_year.loc[str(year), "p95_yuan"]
    assert plan["plan_period"].eq("2027–2029").all()


def test_parts_add_up_at_every_level(baseline):
    _, plan = _plan(baseline, draws=300, seed=7)
    means = [c for c in plan.columns if c.startswith("mean_")]
    total = _row(plan, "total", "all")[means].astype(float)
    parts = plan[(plan["level"] == "total") & (plan["commitment"] != "all")][means].sum()
    np.testing.assert_allclose(parts, total, rtol=1e-12)
    units = plan[(plan["level"] == "unit") & (plan["commitment"] == "all")][means].sum()
    np.testing.assert_allclose(units, total, rtol=1e-12)
    lines = plan[plan["level"] == "line"][means].sum()
    items = plan[plan["level"] == "item"][means].sum()
    np.testing.assert_allclose(lines, total, rtol=1e-12)
    np.testing.assert_allclose(items, total, rtol=1e-12)
    classes = plan[plan["level"] == "class"]
    assert set(classes["class_code"]) == {"206", "215", "217"}
    np.testing.assert_allclose(classes[means].sum(), total, rtol=1e-12)


def test_percentiles_of_a_group_are_of_its_own_total(baseline):
    _, plan = _plan(baseline, draws=300, seed=7)
    unit = _row(plan, "unit", "all", unit="市科技局")
    lines = plan[(plan["level"] == "line") & (plan["unit"] == "市科技局")]
    # diversification: the group's P95 is below the sum of its lines' P95
    assert unit["p95_2027_yuan"] < lines["p95_2027_yuan"].sum()
    assert unit["p50_2027_yuan"] <= unit["p80_2027_yuan"] <= unit["p95_2027_yuan"]


def test_recalled_codes_say_they_are_to_be_confirmed(baseline):
    _, plan = _plan(baseline, draws=20)
    items = plan[plan["level"] == "item"]
    sourced = items["code_status"] == "S"
    assert (items.loc[~sourced, "confirm"] == TO_CONFIRM).all()
    assert (items.loc[sourced, "confirm"] == "").all()
    assert set(items.loc[sourced, "func_code"]) <= {"2060502", "2060599", "2060503"}
    seed = _row(plan, "item", "existing", item="future_seed_fund")
    assert seed["econ_code"] == "31203" and seed["code_status"] == "R"


def test_affordability_shares_are_the_means_over_the_revenue(baseline):
    _, plan = _plan(baseline, draws=20)
    revenue = baseline.spec.affordability.general_budget_revenue.value_yuan
    total = _row(plan, "total", "all")
    assert total["revenue_share_2027"] == total["mean_2027_yuan"] / revenue
    assert total["plan_revenue_share"] == total["mean_plan_yuan"] / (3 * revenue)
    no_inputs = apply_variant(baseline, {"affordability": None})
    _, plain = _plan(no_inputs, draws=20)
    assert not [c for c in plain.columns if "share_20" in c]


def test_the_plan_follows_plan_start(baseline):
    later = apply_variant(baseline, {"plan_start": 2028})
    _, plan = _plan(later, draws=20)
    assert "mean_2030_yuan" in plan and "mean_2027_yuan" not in plan
    # nothing is admitted after 2027: every 2028–2030 grant payment is an existing one
    new = _row(plan, "total", "new")
    new_items = plan[(plan["level"] == "item") & (plan["commitment"] == "new")]
    assert set(new_items["item"]) <= {
        "invest_then_equity_conversion",
        "tech_loan_risk_compensation",
    }
    assert new["mean_plan_yuan"] == pytest.approx(new_items["mean_plan_yuan"].sum())
