"""Funds, 先投后股 and loan-risk compensation inside a scenario run.

The three models of :mod:`model.funds`, :mod:`model.conversion` and :mod:`model.loans`
are configured in a scenario's ``funds``, ``conversion`` and ``loan_compensation``
sections, keyed by their catalog item ids. This module runs them on the run's year axis
and seed, so that the city's outlays on them (capital calls, 先投后股 grants,
compensation paid) join the grant items as rows of the results, and their own tables
(tolerance breaches, conversions, payouts) join the run's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.conversion import ConversionSpec, simulate_conversion, summarize_conversion
from model.funds import FundSpec, plot_loss_ratio, simulate_fund, summarize_funds
from model.loans import LoanPoolSpec, expected_payout, simulate_loans, summarize_loans
from model.schema import Unit


@dataclass(frozen=True)
class Extra:
    """One fund, the 先投后股 programme or the loan pool, as configured in a scenario."""

    id: str
    kind: str  # "funds" | "conversion" | "loans"
    spec: Any

    @property
    def last_year(self) -> int:
        """The last calendar year in which the city may pay anything out."""
        if isinstance(self.spec, FundSpec):
            return self.spec.last_year
        if isinstance(self.spec, LoanPoolSpec):
            return self.spec.last_year + self.spec.payout_lag_years
        return self.spec.last_year

    def simulate(self, years: list[int], start: int, stop: int, *, seed: int):
        """Draws ``[start, stop)`` on the run's year axis (keyed streams of its own)."""
        run = {"funds": simulate_fund, "conversion": simulate_conversion, "loans": simulate_loans}[
            self.kind
        ]
        return run(self.spec, years, start, stop, seed=seed)

    def summarize(self, draws) -> dict[str, pd.DataFrame]:
        """The model's own tables."""
        summarize = {
            "funds": summarize_funds,
            "conversion": summarize_conversion,
            "loans": summarize_loans,
        }[self.kind]
        return summarize(draws, self.spec)

    def expected_outlay(self, years: list[int]) -> np.ndarray:
        """Closed-form expected outlay by year where one exists, else NaN (yuan).

        The 先投后股 grants are ``E[projects]·E[grant]`` in each programme year (both
        uniform); the loan pool's payout is :func:`model.loans.expected_payout` (exact
        without a pool ceiling); fund capital calls have no closed form.
        """
        spec = self.spec
        if isinstance(spec, ConversionSpec):
            per_year = (
                (spec.projects_per_year_min + spec.projects_per_year_max)
                / 2
                * (spec.grant_min_yuan + spec.grant_max_yuan)
                / 2
            )
            return np.array(
                [per_year if spec.first_year <= y <= spec.last_year else 0.0 for y in years]
            )
        if isinstance(spec, LoanPoolSpec) and spec.pool_ceiling_yuan is None:
            return np.array([expected_payout(spec, y) for y in years])
        return np.full(len(years), np.nan)


def scenario_extras(scenario) -> list[Extra]:
    """The funds, 先投后股 programme and loan pool a scenario configures, in that order."""
    spec = scenario.spec
    extras = [Extra(fund_id, "funds", fund) for fund_id, fund in spec.funds.items()]
    if spec.conversion is not None:
        extras.append(Extra(spec.conversion.id, "conversion", spec.conversion))
    if spec.loan_compensation is not None:
        extras.append(Extra(spec.loan_compensation.id, "loans", spec.loan_compensation))
    return extras


def summarize_extras(scenario, draws: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of the funds, 先投后股 and loan models, stacked across funds.

    Returns tables named after the models' own (``funds_by_year``, ``tolerance``,
    ``first_breach_year``, ``conversion``, ``loan_compensation``, …), each with a
    leading ``id`` level where several funds contribute.
    """
    stacked: dict[str, list[pd.DataFrame]] = {}
    for extra in scenario_extras(scenario):
        if extra.id not in draws:
            continue
        for name, table in extra.summarize(draws[extra.id]).items():
            stacked.setdefault(name, []).append(table.assign(id=extra.id))
    tables = {}
    for name, parts in stacked.items():
        table = pd.concat(parts)
        index = [n for n in table.index.names if n is not None]
        table = table.reset_index() if index else table.reset_index(drop=True)
        tables[name] = table.set_index(["id", *index])
    return tables


def extra_figures(scenario, draws: dict[str, Any]) -> dict[str, Any]:
    """Loss-ratio charts of the funds, by file name."""
    return {
        f"loss_ratio_{extra.id}.png": plot_loss_ratio(draws[extra.id], extra.spec)
        for extra in scenario_extras(scenario)
        if extra.kind == "funds" and extra.id in draws
    }


__all__ = ["Extra", "extra_figures", "scenario_extras", "summarize_extras"]


def simulate_extras(scenario, draws: int, *, seed: int) -> dict[str, Any]:
    """Draws of the scenario's funds, 先投后股 programme and loan pool alone (no grants),
    on the run's year axis and keyed streams: the same numbers as in a full run."""
    from model.engine import payment_years

    years = payment_years(scenario)
    return {
        extra.id: extra.simulate(years, 0, draws, seed=seed) for extra in scenario_extras(scenario)
    }


def format_tolerance(tables: dict[str, pd.DataFrame], unit: Unit = Unit.WAN) -> str:
    """The focused text report of ``fiscalsim funds``: breach risk and city loss by fund."""
    if "tolerance" not in tables:
        return "no funds configured in this scenario"
    tolerance = tables["tolerance"].reset_index()
    lines = [
        "fund                 tolerance  loss ratio P50 [P5–P95]   P(breach at liquidation)"
        f"  expected loss beyond tolerance ({unit.label_zh})"
        f"  city share of losses ({unit.label_zh})"
    ]
    for _, row in tolerance.iterrows():
        lines.append(
            f"{row['id']:<20} {row['tolerance']:>8.0%}   {row['loss_ratio_p50']:.3f} "
            f"[{row['loss_ratio_p05']:.3f}–{row['loss_ratio_p95']:.3f}]   "
            f"{row['p_breach_liquidation']:>10.1%} ± {row['p_breach_liquidation_se']:.1%}"
            f"   {row['expected_excess_loss_yuan'] / unit.divisor:>14,.1f}"
            f"   {row['expected_city_loss_yuan'] / unit.divisor:>14,.1f}"
        )
    if "first_breach_year" in tables:
        lines.append("first year of breach: see first_breach_year.csv")
    return "\n".join(lines)
