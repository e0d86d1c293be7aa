"""Present values (model/analysis/present_value.py) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from model import apply_variant, simulate, summarize
from model.analysis.present_value import (
    discounting_of,
    present_value,
    present_value_table,
)
from model.policy.budget_schema import Discounting

YI = 100_000_000.0


def annuity_due(amount: float, rate: float, years: int) -> float:
    """Σ_{k=0}^{n−1} amount / (1 + r)^k, in closed form."""
    return amount * (1 - (1 + rate) ** -years) / (1 - 1 / (1 + rate))


def test_a_fixed_five_year_commitment_at_three_percent():
    flows = np.full((1, 5), YI)
    pv = present_value(flows, range(2027, 2032), 2027, 0.03)
    assert pv[0] == pytest.approx(annuity_due(YI, 0.03, 5), rel=1e-14)
    assert pv[0] == pytest.approx(471_709_840.2, abs=1)  # 4.7171 亿元


def test_a_laboratory_admitted_in_the_plan_year_in_a_run(deterministic):
    """One provincial laboratory admitted in 2027: 1亿 a year, 2027–2031 (连续五年)."""
    only_the_lab = {
        item_id: {"uptake": {"dist": "fixed", "value": [0, 0, 0], "basis": "check"}}
        for item_id in deterministic.items
    }
    only_the_lab["provincial_lab_funding"] = {
        "uptake": {"dist": "fixed", "value": [0, 0, 1], "basis": "check"}
    }
    scenario = apply_variant(deterministic, {"plan_start": 2027, "items": only_the_lab})
    summary = summarize(simulate(scenario, 3, seed=1), scenario)
    rate = 0.03
    table = present_value_table(summary, scenario, discounting_of(scenario, rate))
    lab = table.loc["provincial_lab_funding"]
    assert lab["horizon_mean_yuan"] == 4 * YI and lab["beyond_mean_yuan"] == YI
    assert lab["total_pv_mean_yuan"] == pytest.approx(annuity_due(YI, rate, 5), rel=1e-12)
    assert lab["beyond_pv_mean_yuan"] == pytest.approx(YI / 1.03**4, rel=1e-12)
    total = table.loc["total"]
    assert total["total_pv_mean_yuan"] == pytest.approx(annuity_due(YI, rate, 5), rel=1e-12)
    assert total["horizon_pv_p95_yuan"] == pytest.approx(annuity_due(YI, rate, 4), rel=1e-12)
    assert "--discount-rate 0.03" in total["basis"]
    assert total["base_year"] == 2027 and total["discount_rate"] == rate


def test_inflation_gives_constant_prices_and_leaves_the_present_value(deterministic):
    scenario = apply_variant(deterministic, {"plan_start": 2026})
    summary = summarize(simulate(scenario, 3, seed=1), scenario)
    nominal = present_value_table(summary, scenario, Discounting(rate=0.02, basis="test"))
    real = present_value_table(
        summary, scenario, Discounting(rate=0.02, inflation=0.03, basis="test")
    )
    np.testing.assert_array_equal(nominal["total_pv_mean_yuan"], real["total_pv_mean_yuan"])
    by_year = summary.tables["summary_by_year"]["mean_yuan"]
    expected = sum(by_year[str(y)] / 1.03 ** (y - 2026) for y in range(2025, 2031))
    assert real.loc["total", "horizon_real_mean_yuan"] == pytest.approx(expected, rel=1e-12)


def test_no_rate_leaves_the_nominal_totals(baseline):
    summary = summarize(simulate(baseline, 50, seed=1), baseline)
    table = present_value_table(summary, baseline, discounting_of(baseline))
    assert (table["discount_rate"] == 0).all()
    np.testing.assert_allclose(
        table["horizon_pv_mean_yuan"], table["horizon_mean_yuan"], rtol=1e-12
    )
    horizon = summary.tables["summary_by_year"].loc["2025–2030", "mean_yuan"]
    assert table.loc["total", "horizon_mean_yuan"] == pytest.approx(horizon, rel=1e-12)
    assert "bonds" in table.loc["total", "basis"]  # the baseline cites its basis
