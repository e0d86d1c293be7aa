"""The programmes in budget terms (model/finance/fund_budget.py) and where a fund's
distributions go (model/finance/fund_draws.py ``recycle``), against hand computations
and the programmes' own tables."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.funds import TICKET, YEARS, binary_fund, stage

from model import apply_variant, simulate, summarize
from model.finance.fund_budget import breach_definitions, fund_budget_tables
from model.finance.fund_draws import NO_BREACH, recycle
from model.finance.funds import simulate_fund


def test_recycled_distributions_meet_later_calls_by_hand():
    spec = binary_fund(distributions_to="recycle")
    calls = np.array([[10.0, 10.0, 10.0], [10.0, 10.0, 10.0]])
    dists = np.array([[0.0, 15.0, 5.0], [0.0, 15.0, 25.0]])
    recycled, paid = recycle(spec, calls, dists)
    # draw 0: 15 comes in, 10 meets the year's call, 5 waits and meets the next with 5 more
    np.testing.assert_array_equal(recycled[0], [0, 10, 10])
    np.testing.assert_array_equal(paid[0], [0, 0, 0])
    # draw 1: 30 is on hand in the last year, 10 is called, 20 goes back at liquidation
    np.testing.assert_array_equal(recycled[1], [0, 10, 10])
    np.testing.assert_array_equal(paid[1], [0, 0, 20])
    treasury, as_received = recycle(binary_fund(), calls, dists)
    assert not treasury.any() and as_received is dists


@pytest.fixture(scope="module")
def baseline_run(baseline):
    results = simulate(baseline, 300, seed=9)
    return summarize(results, baseline), fund_budget_tables(baseline, results.programme_draws)


def test_treasury_funds_appropriate_their_calls_and_return_their_distributions(baseline_run):
    summary, tables = baseline_run
    budget = tables["fund_budget"]
    funds = summary.programme_tables["funds_by_year"]
    for fund in ("future_seed_fund", "angel_funds"):
        rows = budget.loc[fund]
        own = funds.xs(fund, level="fund").droplevel("id")
        np.testing.assert_allclose(rows["appropriation_mean_yuan"], own["city_calls_mean_yuan"])
        np.testing.assert_allclose(rows["returned_mean_yuan"], own["city_distributions_mean_yuan"])
        np.testing.assert_allclose(
            rows["capital_calls_mean_yuan"] + rows["fees_mean_yuan"],
            rows["appropriation_mean_yuan"],
        )
        assert (rows["recycled_mean_yuan"] == 0).all()
        assert (rows["distributions_to"] == "treasury").all()
    # the budget line is the city's cost in every other table
    items = summary.tables["budget_by_item"]
    seed = budget.loc["future_seed_fund"]
    assert seed.loc[2027, "appropriation_mean_yuan"] == pytest.approx(
        items.loc["future_seed_fund", "mean_2027_yuan"], rel=1e-12
    )


def test_period_totals_are_sums_of_the_years(baseline_run):
    _, tables = baseline_run
    budget, totals = tables["fund_budget"], tables["fund_budget_totals"]
    for programme in budget.index.get_level_values("id").unique():
        years = budget.loc[programme]
        for period, (first, last) in {"horizon": (2025, 2030), "plan": (2027, 2029)}.items():
            got = totals.loc[(programme, period)]
            inside = years.loc[first:last]
            for flow in ("appropriation", "returned", "net_outlay"):
                column = f"{flow}_mean_yuan"
                assert got[column] == pytest.approx(inside[column].sum(), rel=1e-9, abs=1e-6)


def test_recycling_moves_money_but_not_the_net_cost(baseline):
    recycled = apply_variant(
        baseline,
        {
            "funds": {
                "future_seed_fund": {
                    "distributions_to": "recycle",
                    "distributions_basis": "test: proceeds stay in the fund",
                }
            }
        },
    )
    base = fund_budget_tables(baseline, simulate(baseline, 200, seed=4).programme_draws)
    results = simulate(recycled, 200, seed=4)
    again = fund_budget_tables(recycled, results.programme_draws)
    life = ("future_seed_fund", "life")
    assert again["fund_budget_totals"].loc[life, "net_outlay_mean_yuan"] == pytest.approx(
        base["fund_budget_totals"].loc[life, "net_outlay_mean_yuan"], rel=1e-9
    )
    years = again["fund_budget"].loc["future_seed_fund"]
    before = base["fund_budget"].loc["future_seed_fund"]
    np.testing.assert_allclose(
        years["appropriation_mean_yuan"] + years["recycled_mean_yuan"],
        before["appropriation_mean_yuan"],
    )
    assert years["recycled_mean_yuan"].sum() > 0
    assert (years["returned_mean_yuan"].iloc[:-1] == 0).all()  # back at liquidation only
    seed = list(results.items.index).index("future_seed_fund")
    np.testing.assert_allclose(results.city[:, seed].mean(0), years["appropriation_mean_yuan"])


def test_breach_definitions_by_hand():
    """A binary fund invests its whole size in 2025 (deals of one ticket each); write-offs
    are realised in 2026, so a breach is first seen in 2026, at the same loss ratio under
    every base (no fees: invested = paid in = size)."""
    spec = binary_fund([stage(p=0.45)], tolerance=0.5)
    draws = simulate_fund(spec, YEARS, 0, 2000, seed=5)
    found = breach_definitions(draws, spec)
    assert set(found) == {"simulated", "fund_gross_paid_in", "fund_gross_committed"}
    simulated = found["simulated"][1]
    for key in ("fund_gross_paid_in", "fund_gross_committed"):
        np.testing.assert_array_equal(found[key][1], simulated)
    breached = simulated != NO_BREACH
    assert breached.any() and (simulated[breached] == 2026).all()
    lost = draws.realised_loss_total_yuan / (TICKET * 20)
    np.testing.assert_array_equal(breached, lost > 0.5)
