"""A fund's summary tables (model/finance/fund_tables.py) against its draws."""

from __future__ import annotations

import pytest
from helpers.funds import TICKET, YEARS, binary_fund

from model.finance.fund_draws import FundDraws
from model.finance.fund_tables import summarize_funds
from model.finance.funds import simulate_fund

DRAWS = 20_000


@pytest.fixture(scope="module")
def binary_draws() -> FundDraws:
    return simulate_fund(binary_fund(), YEARS, 0, DRAWS, seed=11)


def test_summary_tables(binary_draws):
    spec = binary_fund()
    tables = summarize_funds(binary_draws, spec)
    by_year = tables["funds_by_year"]
    assert list(by_year.index.get_level_values("year")) == list(YEARS)
    assert by_year.index.names == ["fund", "year"]
    # write-offs are realised after one year: 2026 and later equal the liquidation value
    assert by_year.loc[("test_fund", 2025), "p_breach"] == 0
    assert by_year.loc[("test_fund", 2027), "p_breach"] == pytest.approx(
        binary_draws.liquidation_breach.mean()
    )
    tol = tables["tolerance"].loc["test_fund"]
    assert tol["tolerance"] == 0.5 and tol["draws"] == DRAWS
    first = tables["first_breach_year"]["share"]
    assert first.sum() == pytest.approx(1.0)
    assert first.loc[("test_fund", "2026")] == pytest.approx(binary_draws.liquidation_breach.mean())
    totals = tables["funds_totals"].loc["test_fund"]
    assert totals.loc["life", "calls_mean_yuan"] == pytest.approx(20 * TICKET)
