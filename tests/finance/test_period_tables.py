"""The programmes' totals by budget period (model/finance/period_tables.py) against hand
sums of their own yearly tables and of the run's commitments table.

The defect this guards against: ``horizon`` summed every simulated year (2025–2036) and
``beyond_horizon`` was always 0, while ``commitments.csv`` showed money owed after 2030.
"""

from __future__ import annotations

import pytest

from model import simulate, summarize


@pytest.fixture(scope="module")
def summary(baseline):
    return summarize(simulate(baseline, 300, seed=3), baseline)


def _years(table, level, first, last):
    values = table.index.get_level_values(level)
    return table[(values >= first) & (values <= last)]


@pytest.mark.parametrize(
    ("by_year", "totals", "level", "column"),
    [
        ("funds_by_year", "funds_totals", "year", "city_calls_mean_yuan"),
        ("funds_by_year", "funds_totals", "year", "city_distributions_mean_yuan"),
        ("conversion", "conversion_totals", "year", "grants_mean_yuan"),
        ("loan_compensation", "loan_compensation_totals", "year", "payout_mean_yuan"),
    ],
)
def test_the_horizon_row_sums_the_horizon_years(summary, by_year, totals, level, column):
    yearly = summary.programme_tables[by_year]
    period = summary.programme_tables[totals]
    for programme in period.index.get_level_values("id").unique():
        rows = yearly.loc[programme]
        expected = {
            "horizon": _years(rows, level, 2025, 2030)[column].sum(),
            "plan": _years(rows, level, 2027, 2029)[column].sum(),
            "before_plan": _years(rows, level, 2025, 2026)[column].sum(),
        }
        got = period.loc[programme].droplevel(0)
        for name, value in expected.items():
            assert got.loc[name, column] == pytest.approx(value, rel=1e-12, abs=1e-6), name
        assert got.loc["horizon", "years"] == "2025–2030"
        assert got.loc["plan", "years"] == "2027–2029"


def test_beyond_horizon_matches_the_commitments_table(summary):
    commitments = summary.tables["commitments"]["committed_mean_yuan"]
    funds = summary.programme_tables["funds_totals"]
    loans = summary.programme_tables["loan_compensation_totals"]
    for fund in ("future_seed_fund", "angel_funds"):
        beyond = funds.loc[(fund, fund, "beyond_horizon"), "city_calls_mean_yuan"]
        assert beyond > 0
        assert beyond == pytest.approx(commitments.loc[fund], rel=1e-9)
    pool = "tech_loan_risk_compensation"
    beyond = loans.loc[(pool, pool, "beyond_horizon"), "payout_mean_yuan"]
    assert beyond == pytest.approx(commitments.loc[pool], rel=1e-9)


def test_the_seed_fund_is_a_net_outlay_in_the_horizon_and_a_gain_over_its_life(summary):
    # the measurement: a 5.4亿 net outlay in 2025–2030 was shown as a 7亿 gain
    funds = summary.programme_tables["funds_totals"]
    seed = funds.xs("future_seed_fund", level="fund").droplevel("id")
    net = seed["city_net_outlay_mean_yuan"]
    assert net.loc["horizon"] > 3e8
    assert net.loc["life"] < 0
    assert net.loc["horizon"] + net.loc["beyond_horizon"] == pytest.approx(net.loc["life"])
