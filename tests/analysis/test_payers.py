"""Who pays (model/analysis/payers.py): the payers add up to the gross cost in every year,
the city's row is every other table's cost, and a district share is what it says."""

from __future__ import annotations

import numpy as np
import pytest

from model import load_scenario, simulate, summarize
from model.analysis.payers import by_payer, payer_shares


@pytest.fixture(scope="module")
def cofunded():
    scenario = load_scenario("district_cofunding")
    return scenario, summarize(simulate(scenario, 300, seed=5), scenario)


def _years(table):
    return [c for c in table.columns if c.startswith("mean_")]


def test_the_payers_add_up_to_the_total_in_every_year(cofunded):
    scenario, summary = cofunded
    table = by_payer(summary, scenario)
    years = [*_years(table), "horizon_mean_yuan", "committed_mean_yuan"]
    parts = table.loc[["city", "district", "province", "other"], years].sum()
    np.testing.assert_array_equal(parts, table.loc["total", years])
    by_year = summary.tables["summary_by_year"]
    for column in _years(table):
        year = column.split("_")[1]
        assert table.loc["city", column] == pytest.approx(by_year.loc[year, "mean_yuan"], rel=1e-12)
        assert table.loc["total", column] == pytest.approx(
            by_year.loc[year, "gross_mean_yuan"], rel=1e-12
        )


def test_a_half_district_share_is_the_city_cost_of_those_items(cofunded):
    scenario, summary = cofunded
    shares = payer_shares(scenario)
    shared = shares.index[shares["district"] > 0]
    assert len(shared) == 12 and (shares.loc[shared, "district"] == 0.5).all()
    items = summary.tables["budget_by_item"]
    table = by_payer(summary, scenario)
    for column in _years(table):
        # the district pays what the city pays of those items: half each
        assert table.loc["district", column] == pytest.approx(
            items.loc[shared, column].sum(), rel=1e-12
        )


def test_a_funds_other_investors_pay_the_rest_of_its_calls(baseline):
    summary = summarize(simulate(baseline, 200, seed=2), baseline)
    table = by_payer(summary, baseline)
    calls = summary.programme_tables["funds_by_year"]
    angel = calls.xs("angel_funds", level="fund").droplevel("id")
    for year in (2026, 2027):
        other = angel.loc[year, "calls_mean_yuan"] - angel.loc[year, "city_calls_mean_yuan"]
        assert table.loc["other", f"mean_{year}_yuan"] == pytest.approx(other, rel=1e-9)
    assert table.loc["district", "horizon_mean_yuan"] == 0
