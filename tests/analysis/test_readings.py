"""Costing the clause readings (model/analysis/readings.py) on common random numbers:
each reading's simulated change against its closed form, per draw where a reading is a
fixed sum, and the envelope against the sum of its readings."""

from __future__ import annotations

import numpy as np
import pytest

from model.analysis.readings import (
    evaluate_readings,
    extreme_pins,
    reading_cases,
    reading_overlays,
    tolerance_by_reading,
    tolerance_clauses,
    with_readings,
)
from model.sim.analytic import expected_city_cost

DRAWS = 1_000
SEED = 20250101
YI = 100_000_000


@pytest.fixture(scope="module")
def result(baseline):
    return evaluate_readings(baseline, DRAWS, seed=SEED)


def _change_per_draw(result, name: str, years) -> np.ndarray:
    totals = result.comparison.year_totals
    return (totals[name][years] - totals[result.comparison.base_name][years]).sum(axis=1)


def test_every_reading_but_the_one_in_force_is_a_case(baseline, result):
    cases = reading_cases(baseline)
    assert [c.name for c in cases] == result.comparison.variant_names
    assert set(reading_overlays(baseline)) == {c.name for c in cases}
    for case in cases:
        assert case.reading != baseline.readings[case.clause.id]
    totals = result.totals()
    assert len(totals) == sum(len(c.readings) for c in baseline.catalog.readings)
    assert (totals.loc[totals["in_force"], "delta_mean_yuan"] == 0).all()


def test_programme_total_changes_the_horizon_by_ten_yi_in_every_draw(baseline, result):
    # 对省实验室每年给予1亿元经费支持，连续五年: 3 laboratories -> the programme as a whole
    change = _change_per_draw(
        result, "provincial_lab_funding.programme_total", baseline.years
    ).to_numpy()
    np.testing.assert_allclose(change, -(3 - 1) * 1 * YI * 5, rtol=0, atol=1e-3)
    row = result.totals().loc[("provincial_lab_funding", "programme_total")]
    assert row["delta_se_yuan"] == pytest.approx(0.0, abs=1e-6)


def test_the_capitalised_pool_adds_its_capital_in_every_draw(baseline, result):
    change = _change_per_draw(result, "loan_risk_pool.capitalised_up_front", baseline.years)
    np.testing.assert_allclose(change.to_numpy(), 2 * YI, rtol=0, atol=1e-3)


@pytest.mark.parametrize(
    "name",
    [
        "fund_loss_measure.net",
        "fund_loss_base.paid_in",
        "fund_loss_base.fund_size",
        "fund_tolerance_level.category",
        "fund_tolerance_level.project",
    ],
)
def test_readings_of_the_tolerance_test_change_no_cost_in_any_draw(baseline, result, name):
    years = result.comparison.years
    assert (_change_per_draw(result, name, years) == 0).all()


def test_simulated_changes_agree_with_their_closed_forms(result):
    totals = result.totals()
    closed = totals[totals["analytic_delta_yuan"].notna() & ~totals["in_force"]]
    assert len(closed) >= 9
    for (clause, reading), row in closed.iterrows():
        error = abs(row["delta_mean_yuan"] - row["analytic_delta_yuan"])
        assert error <= 5 * row["delta_se_yuan"] + 1e-3, (clause, reading)


def test_yearly_changes_add_up_to_the_horizon_total(baseline, result):
    table = result.table["delta_mean_yuan"]
    years = [str(y) for y in baseline.years]
    for clause, reading in result.totals().index:
        yearly = table.loc[(clause, reading, years)].sum()
        assert yearly == pytest.approx(table.loc[(clause, reading, result.total_label)], abs=1e-3)


def test_extreme_pins_take_the_lowest_and_highest_reading_and_the_one_in_force_on_ties(
    baseline,
):
    deltas = {
        "provincial_lab_funding": {"programme_total": -10.0},
        "loan_risk_pool": {"capitalised_up_front": 5.0},
        "fund_loss_measure": {"net": 0.0},
    }
    low, high = extreme_pins(baseline, deltas)
    assert low["provincial_lab_funding"] == "programme_total"
    assert high["provincial_lab_funding"] == "per_lab"
    assert (low["loan_risk_pool"], high["loan_risk_pool"]) == (
        "pay_as_claimed",
        "capitalised_up_front",
    )
    assert low["fund_loss_measure"] == high["fund_loss_measure"] == "gross"


def test_the_high_envelope_is_the_sum_of_its_readings_which_do_not_interact(result):
    high = result.envelope.loc["high"]
    # each of its clauses changes different items (the article 3 programme keeps its own
    # 2025 window when admissions run to 2030), so the effects add up draw by draw
    assert high["readings"].count("=") >= 3
    assert high["interaction_yuan"] == pytest.approx(0.0, abs=1e-6 * abs(high["delta_mean_yuan"]))
    assert high["delta_mean_yuan"] == pytest.approx(high["sum_of_readings_yuan"], rel=1e-9)


def test_the_low_envelope_interaction_is_the_overlap_of_its_readings(baseline, result):
    low = result.envelope.loc["low"]
    assert "operating_subsidy_frequency=once" in low["readings"]
    assert "admission_window=policy_ends_2027" in low["readings"]
    # paying the article 13 subsidies once already removes their 2028-2030 payments, which
    # the policy ending in 2027 removes again when the two are added: the interaction is
    # those payments, by hand from the baseline's assumptions (3 and 2 a year, 0.65 x 200万,
    # retention 0.8 and 0.85)
    overlap = sum(
        count * 0.65 * 2_000_000 * retention ** (year - cohort)
        for count, retention in ((3, 0.8), (2, 0.85))
        for cohort in (2025, 2026, 2027)
        for year in (2028, 2029, 2030)
    )
    assert overlap == pytest.approx(
        expected_city_cost(baseline)
        .loc[
            [
                "concept_verification_centre_operating_subsidy",
                "pilot_base_operating_subsidy",
            ],
            [2028, 2029, 2030],
        ]
        .to_numpy()
        .sum()
    )
    half_width = low["delta_ci_high_yuan"] - low["delta_mean_yuan"]
    assert low["interaction_yuan"] == pytest.approx(overlap, abs=3 * half_width + 1.0)


def test_the_envelope_brackets_every_single_reading(result):
    totals = result.totals()
    envelope = result.envelope
    assert envelope.loc["low", "delta_mean_yuan"] <= totals["delta_mean_yuan"].min()
    assert envelope.loc["high", "delta_mean_yuan"] >= totals["delta_mean_yuan"].max()
    base = envelope.loc["in_force"]
    assert envelope.loc["low", "mean_yuan"] < base["mean_yuan"] < envelope.loc["high", "mean_yuan"]


def test_tolerance_definitions_side_by_side(baseline):
    clauses = {c.id for c in tolerance_clauses(baseline)}
    assert clauses == {"fund_loss_measure", "fund_loss_base", "fund_tolerance_level"}
    table = tolerance_by_reading(baseline, 2_000, seed=SEED)
    for fund in ("future_seed_fund", "angel_funds"):
        p = table.loc[fund, "p_breach_liquidation"]
        # a larger denominator never raises the loss ratio, draw by draw
        assert p[("fund_loss_base", "invested")] >= p[("fund_loss_base", "paid_in")]
        assert p[("fund_loss_base", "paid_in")] >= p[("fund_loss_base", "fund_size")]
        # gains netted against losses never raise it either
        assert p[("fund_loss_measure", "net")] <= p[("fund_loss_measure", "gross")]
        # every fund has some project that loses more than half its cost
        assert p[("fund_tolerance_level", "project")] == 1.0
        defaults = table.loc[fund][table.loc[fund, "default"]]
        assert (defaults["source"].str.len() > 40).all()
        assert (table.loc[fund][~table.loc[fund, "default"]]["source"] == "").all()
    # the default readings give the scenario's own tolerance table
    in_force = table[table["in_force"]]["p_breach_liquidation"].groupby(level="fund").nunique()
    assert (in_force == 1).all()


def test_a_pinned_scenario_is_the_reference_of_its_own_readings(baseline):
    pinned = with_readings(baseline, {"provincial_lab_funding": "programme_total"}, label="t")
    names = [c.name for c in reading_cases(pinned)]
    assert "provincial_lab_funding.per_lab" in names
    assert "provincial_lab_funding.programme_total" not in names


# ------------------------------------------------------------------ workers
def test_readings_are_the_same_bytes_for_any_number_of_workers(baseline):
    tables = {}
    for workers in (1, 2, 3):
        result = evaluate_readings(baseline, 300, seed=SEED, workers=workers)
        tolerance = tolerance_by_reading(baseline, 300, seed=SEED, workers=workers)
        tables[workers] = (result.table.to_csv(), result.envelope.to_csv(), tolerance.to_csv())
    assert len(tables[1][2].splitlines()) > 2  # the 容错率's readings, simulated apart
    assert tables[2] == tables[1] and tables[3] == tables[1]
