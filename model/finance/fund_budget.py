"""The funds, 先投后股 and the loan pool in budget terms: what the city appropriates each
year, what comes back to the treasury, and by period; and each fund's first year of
breach under each definition of its tolerance rate.

A fund is one appropriation line of the city (the plan table shows its calls as such): the
city pays its share of the capital calls — investments and management fees — less any
distributions the fund recycles into them, and gets back its share of the distributions
paid out. Where distributions go is the fund's ``distributions_to`` (treasury or
recycle), with its basis. Every figure is the city's share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from model.core.units import YUAN
from model.finance.draw_arrays import quantiles
from model.finance.fund_draws import NO_BREACH, FundDraws, first_true
from model.finance.period_tables import period_totals, totals_frame
from model.finance.programme import programmes
from model.policy.periods import Periods
from model.policy.programmes import FundSpec, LossBase, LossMeasure, ToleranceRule
from model.policy.scenario import Scenario

#: The flows of :meth:`~model.finance.contract.Programme.budget_flows`, in table order.
FLOWS = ("capital_calls", "fees", "recycled", "appropriation", "returned")


def fund_budget_tables(scenario: Scenario, draws: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The programmes' budget tables (yuan, the city's share).

    Returns
    -------
    dict of str to DataFrame
        ``fund_budget`` (index id, year): the mean of each flow of :data:`FLOWS`, the
        appropriation's P95, the net outlay (appropriation − returned) and where
        distributions go; ``fund_budget_totals`` (index id, period): the same by period,
        each with its years; ``fund_breach`` (index fund, definition): the first year of
        breach under each definition of the tolerance (:func:`breach_definitions`).
    """
    periods = scenario.periods
    by_year, totals, breaches = [], [], []
    for model, spec in zip(programmes(scenario), scenario.programmes, strict=True):
        if model.id not in draws:
            continue
        programme_draws = draws[model.id]
        flows = model.budget_flows(programme_draws)
        years = list(programme_draws.years)
        destination = str(spec.distributions_to) if isinstance(spec, FundSpec) else "treasury"
        table = pd.DataFrame(
            {f"{name}_mean{YUAN}": flows[name][0].mean(axis=0) for name in FLOWS},
            index=pd.MultiIndex.from_product([[model.id], years], names=["id", "year"]),
        )
        table[f"appropriation_p95{YUAN}"] = quantiles(flows["appropriation"][0], [0.95])[0]
        table[f"net_outlay_mean{YUAN}"] = (
            table[f"appropriation_mean{YUAN}"] - table[f"returned_mean{YUAN}"]
        )
        table["distributions_to"] = destination
        by_year.append(table)
        totals.append(_totals(model.id, flows, years, periods, destination))
        if isinstance(spec, FundSpec):
            breaches.append(breach_table(programme_draws, spec, periods))
    tables = {}
    if by_year:
        tables["fund_budget"] = pd.concat(by_year)
        tables["fund_budget_totals"] = pd.concat(totals)
    if breaches:
        tables["fund_breach"] = pd.concat(breaches)
    return tables


def _totals(
    programme_id: str, flows: Mapping, years: list[int], periods: Periods, destination: str
) -> pd.DataFrame:
    def row(p: Mapping[str, np.ndarray]) -> dict[str, float]:
        out = {f"{name}_mean{YUAN}": float(np.mean(p[name])) for name in FLOWS}
        out[f"appropriation_p95{YUAN}"] = float(
            quantiles(np.asarray(p["appropriation"]), [0.95])[0]
        )
        out[f"net_outlay_mean{YUAN}"] = float(np.mean(p["appropriation"] - p["returned"]))
        return out

    table = totals_frame(
        period_totals(flows, years, periods), row, periods, programme_id=programme_id, level="id"
    )
    table["distributions_to"] = destination
    return table


def breach_definitions(draws: FundDraws, spec: FundSpec) -> dict[str, tuple[str, np.ndarray]]:
    """Each definition of the tolerance test computable from a fund's draws, with the
    first calendar year each draw breaches it (``NO_BREACH``, 0, when it never does).

    ``simulated`` is the fund's own rule, measure and base, over its whole life. The
    fund-level gross ratios use the realised loss to each year-end over, in turn, the
    capital invested (投资总额), the capital paid in (实缴: investments and fees) and the
    fund's size (基金规模), on the run's year axis (which covers the fund's life in a
    run). Net-of-gains, per-category and per-project tests need deal-level data: only
    the simulated rule gives them.
    """
    years = np.asarray(draws.years)
    loss = draws.realised_loss_cum_yuan
    paid_in = np.cumsum(draws.calls_yuan, axis=1) + draws.calls_before_yuan[:, None]
    bases = {
        "fund_gross_invested": ("fund, gross loss ÷ invested (投资总额)", draws.invested_cum_yuan),
        "fund_gross_paid_in": ("fund, gross loss ÷ paid-in (实缴)", paid_in),
        "fund_gross_committed": (
            "fund, gross loss ÷ fund size (基金规模)",
            np.full_like(loss, spec.size_yuan),
        ),
    }
    rule = f"{spec.tolerance_rule.value}, {spec.loss_measure.value} loss ÷ {spec.loss_base.value}"
    found = {"simulated": (f"simulated rule ({rule})", draws.first_breach_year)}
    for key, (label, base) in bases.items():
        ratio = np.divide(loss, base, out=np.zeros_like(loss), where=base > 0)
        flags = ratio > spec.tolerance
        first = first_true(flags)
        found[key] = (
            label,
            np.where(first < flags.shape[1], years[np.minimum(first, len(years) - 1)], NO_BREACH),
        )
    if (
        spec.tolerance_rule is ToleranceRule.FUND and spec.loss_measure is LossMeasure.GROSS
    ):  # the simulated rule is one of the fund-level gross ones: keep one copy
        found.pop(f"fund_gross_{LossBase(spec.loss_base).value}", None)
    return found


def breach_table(draws: FundDraws, spec: FundSpec, periods: Periods) -> pd.DataFrame:
    """P(first breach by the end of the plan's first year, of the plan, of the horizon,
    ever), and the median and most common first year among breaching draws, under each
    definition (index fund, definition)."""
    rows = []
    for key, (label, first) in breach_definitions(draws, spec).items():
        breached = first != NO_BREACH
        years, counts = np.unique(first[breached], return_counts=True)
        rows.append(
            {
                "definition": key,
                "label": label,
                "tolerance": spec.tolerance,
                "p_breach_by_plan_start": float((breached & (first <= periods.plan_start)).mean()),
                "p_breach_by_plan_end": float((breached & (first <= periods.plan_end)).mean()),
                "p_breach_by_horizon_end": float(
                    (breached & (first <= periods.horizon_end)).mean()
                ),
                "p_breach_ever": float(breached.mean()),
                "median_first_breach_year": float(np.median(first[breached]))
                if breached.any()
                else np.nan,
                "modal_first_breach_year": int(years[counts.argmax()]) if counts.size else pd.NA,
            }
        )
    table = pd.DataFrame(rows)
    table.insert(0, "fund", spec.id)
    return table.set_index(["fund", "definition"])


__all__ = ["FLOWS", "breach_definitions", "breach_table", "fund_budget_tables"]
