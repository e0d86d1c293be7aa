"""Present values of a run's cost to the city, and its cost in constant prices.

A budget is nominal and undiscounted; to compare cost streams of different shapes — a
one-off award against a five-year commitment, the horizon against what it leaves
owing — they are discounted to the plan's first year::

    PV = Σ_t C_t / (1 + r)^(t − t0),    t0 = plan_start

with ``r`` a nominal rate (the city's cost of funds: local-government bond yields, see the
scenario's ``discounting.basis``). Cash flows are taken at the year they are paid, so the
plan's first year is undiscounted and years before it are compounded forward. Inflation
does not change a present value taken at a nominal rate; it gives the cost in constant
``t0`` prices, ``C_t / (1 + i)^(t − t0)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.analysis.tables import Summary
from model.core.units import YUAN
from model.policy.budget_schema import Discounting
from model.policy.scenario import Scenario


def discount_factors(years: Sequence[int], base_year: int, rate: float) -> np.ndarray:
    """``1 / (1 + rate)^(year − base_year)`` for each year."""
    exponents = np.asarray(list(years), dtype=float) - base_year
    return np.power(1.0 + rate, -exponents)


def present_value(
    flows: np.ndarray, years: Sequence[int], base_year: int, rate: float
) -> np.ndarray:
    """Present value at ``base_year`` of flows by year (last axis), yuan."""
    return np.asarray(flows, dtype=float) @ discount_factors(years, base_year, rate)


def discounting_of(
    scenario: Scenario, rate: float | None = None, inflation: float | None = None
) -> Discounting:
    """The scenario's discounting with a command line's rate or inflation over it (their
    basis then says so)."""
    base = scenario.spec.discounting or Discounting(
        basis="Undiscounted, nominal (no discounting section in the scenario)."
    )
    if rate is None and inflation is None:
        return base
    given = ", ".join(
        f"{name} {value:g}"
        for name, value in (("--discount-rate", rate), ("--inflation", inflation))
        if value is not None
    )
    return Discounting(
        rate=base.rate if rate is None else rate,
        inflation=base.inflation if inflation is None else inflation,
        basis=f"Command line ({given}). Scenario's basis: {base.basis}",
    )


def present_value_table(
    summary: Summary, scenario: Scenario, discounting: Discounting
) -> pd.DataFrame:
    """Nominal totals, present values and constant-price totals of the city's cost, in
    the horizon and beyond it, by row and in total (yuan).

    The total row adds P50 and P95 of the present values, from each draw's discounted
    yearly totals; its ``basis`` states the discount basis.
    """
    periods = scenario.periods
    years = summary.years
    base = periods.plan_start
    discount = discount_factors(years, base, discounting.rate)
    deflate = discount_factors(years, base, discounting.inflation)
    horizon = periods.mask("horizon", years)
    beyond = periods.mask("beyond_horizon", years)
    means = summary.row_means["city"]
    table = pd.DataFrame(index=means.index)
    for label, mask in (("horizon", horizon), ("beyond", beyond)):
        flows = means.to_numpy()[:, mask]
        table[f"{label}_mean{YUAN}"] = flows.sum(axis=1)
        table[f"{label}_pv_mean{YUAN}"] = flows @ discount[mask]
        table[f"{label}_real_mean{YUAN}"] = flows @ deflate[mask]
    table[f"total_pv_mean{YUAN}"] = table[f"horizon_pv_mean{YUAN}"] + table[f"beyond_pv_mean{YUAN}"]
    table = table[(table.filter(like="_mean").abs().sum(axis=1) > 0)]
    totals = summary.year_totals.to_numpy()
    row: dict[str, float | str] = {}
    pv_total = np.zeros(totals.shape[0])
    for label, mask in (("horizon", horizon), ("beyond", beyond)):
        pv = totals[:, mask] @ discount[mask]
        pv_total += pv
        row[f"{label}_mean{YUAN}"] = float(totals[:, mask].sum(axis=1).mean())
        row[f"{label}_pv_mean{YUAN}"] = float(pv.mean())
        row[f"{label}_pv_p50{YUAN}"] = float(np.percentile(pv, 50))
        row[f"{label}_pv_p95{YUAN}"] = float(np.percentile(pv, 95))
        row[f"{label}_real_mean{YUAN}"] = float((totals[:, mask] @ deflate[mask]).mean())
    row[f"total_pv_mean{YUAN}"] = float(pv_total.mean())
    row["basis"] = discounting.basis
    table = pd.concat([table, pd.DataFrame([row], index=["total"])])
    table.insert(0, "beyond_years", periods.label("beyond_horizon"))
    table.insert(0, "horizon_years", periods.label("horizon"))
    table.insert(0, "base_year", base)
    table.insert(0, "inflation_rate", discounting.inflation)
    table.insert(0, "discount_rate", discounting.rate)
    table.index.name = "item"
    return table


__all__ = ["discount_factors", "discounting_of", "present_value", "present_value_table"]
