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

from model.core.sketch import DrawStats
from model.core.units import YUAN
from model.finance.fund_draws import NO_BREACH, FundDraws, first_true
from model.finance.period_tables import period_names, period_quantities, totals_frame
from model.finance.programme import programmes
from model.policy.periods import Periods
from model.policy.programmes import FundSpec, LossBase, LossMeasure, ToleranceRule
from model.policy.scenario import Scenario

#: The flows of :meth:`~model.finance.contract.Programme.budget_flows`, in table order.
FLOWS = ("capital_calls", "fees", "recycled", "appropriation", "returned")


def fund_budget_quantities(scenario: Scenario, draws: Mapping[str, Any]) -> dict[str, dict]:
    """The per-draw quantities of the programmes' budget tables, by id (names start with
    ``budget:``): what a run keeps of a chunk's programme draws for them."""
    periods = scenario.periods
    found: dict[str, dict] = {}
    for model, spec in zip(programmes(scenario), scenario.programmes, strict=True):
        if model.id not in draws:
            continue
        programme_draws = draws[model.id]
        flows = model.budget_flows(programme_draws)
        years = list(programme_draws.years)
        quantities = {f"budget:{name}": flows[name][0] for name in FLOWS}
        by_period = period_quantities({name: flows[name] for name in FLOWS}, years, periods)
        for name in [n for n in by_period if n.endswith(":appropriation")]:
            period = name.rpartition(":")[0]
            by_period[f"{period}:net"] = by_period[name] - by_period[f"{period}:returned"]
        quantities.update({f"budget:{name}": values for name, values in by_period.items()})
        if isinstance(spec, FundSpec):
            candidates = _breach_years(programme_draws)
            for key, (_, first) in breach_definitions(programme_draws, spec).items():
                quantities[f"budget:breach:{key}"] = first[:, None] == candidates
        found[model.id] = quantities
    return found


def _split(quantities: Mapping[str, np.ndarray], draws: int) -> tuple[dict, dict]:
    """The quantities that vary by draw, and those the same in every draw (such as fixed
    management fees, shaped (1, …)), which a run takes from any chunk."""
    varying = {k: v for k, v in quantities.items() if np.shape(v)[0] == draws}
    return varying, {k: v for k, v in quantities.items() if k not in varying}


def _breach_years(draws: FundDraws) -> np.ndarray:
    """Every calendar year a first breach can fall in: the run's axis and the fund's life."""
    life = draws.loss_ratio_life.shape[1]
    first = min(draws.first_year, draws.years[0])
    last = max(draws.first_year + life - 1, draws.years[-1])
    return np.arange(first, last + 1)


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
    stats = {
        programme_id: DrawStats.of(_split(quantities, draws[programme_id].n_draws)[0])
        for programme_id, quantities in fund_budget_quantities(scenario, draws).items()
    }
    return fund_budget_tables_of(scenario, stats, draws)


def fund_budget_tables_of(
    scenario: Scenario, stats: Mapping[str, DrawStats], draws: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """:func:`fund_budget_tables` from each programme's statistics of
    :func:`fund_budget_quantities` over a run (``draws``: any chunk's programme draws,
    for their labels)."""
    periods = scenario.periods
    by_year, totals, breaches = [], [], []
    for model, spec in zip(programmes(scenario), scenario.programmes, strict=True):
        if model.id not in stats or model.id not in draws:
            continue
        labels = draws[model.id]
        constants = {
            name: values
            for name, values in fund_budget_quantities(scenario, {model.id: labels})[
                model.id
            ].items()
            if name not in stats[model.id]
        }
        programme_stats = _WithConstants(stats[model.id], constants)
        years = list(labels.years)
        destination = str(spec.distributions_to) if isinstance(spec, FundSpec) else "treasury"
        table = pd.DataFrame(
            {f"{name}_mean{YUAN}": programme_stats.mean(f"budget:{name}") for name in FLOWS},
            index=pd.MultiIndex.from_product([[model.id], years], names=["id", "year"]),
        )
        table[f"appropriation_p95{YUAN}"] = programme_stats.quantiles(
            "budget:appropriation", [0.95]
        )[0]
        table[f"net_outlay_mean{YUAN}"] = (
            table[f"appropriation_mean{YUAN}"] - table[f"returned_mean{YUAN}"]
        )
        table["distributions_to"] = destination
        by_year.append(table)
        totals.append(_totals(model.id, programme_stats, periods, destination))
        if isinstance(spec, FundSpec):
            breaches.append(breach_table(programme_stats, draws[model.id], spec, periods))
    tables = {}
    if by_year:
        tables["fund_budget"] = pd.concat(by_year)
        tables["fund_budget_totals"] = pd.concat(totals)
    if breaches:
        tables["fund_breach"] = pd.concat(breaches)
    return tables


class _WithConstants:
    """A programme's statistics, with the quantities that are the same in every draw
    (taken from one chunk, as numpy computes them there)."""

    def __init__(self, stats: DrawStats, constants: Mapping[str, np.ndarray]):
        self.stats, self.constants, self.n = stats, constants, stats.n

    def mean(self, name: str) -> Any:
        if name in self.constants:
            return self.constants[name].mean(axis=0)
        return self.stats.mean(name)

    def quantiles(self, name: str, levels: list[float]) -> Any:
        if name in self.constants:
            return np.quantile(self.constants[name], levels, axis=0)
        return self.stats.quantiles(name, levels)

    def sum(self, name: str) -> Any:
        return self.stats.sum(name)


def _totals(programme_id: str, stats: Any, periods: Periods, destination: str) -> pd.DataFrame:
    def row(p: Mapping[str, str]) -> dict[str, float]:
        out = {f"{name}_mean{YUAN}": float(stats.mean(f"budget:{p[name]}")) for name in FLOWS}
        out[f"appropriation_p95{YUAN}"] = float(
            stats.quantiles(f"budget:{p['appropriation']}", [0.95])[0]
        )
        out[f"net_outlay_mean{YUAN}"] = float(stats.mean(f"budget:{p['net']}"))
        return out

    table = totals_frame(
        period_names((*FLOWS, "net")), row, periods, programme_id=programme_id, level="id"
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


def breach_table(stats: Any, draws: FundDraws, spec: FundSpec, periods: Periods) -> pd.DataFrame:
    """P(first breach by the end of the plan's first year, of the plan, of the horizon,
    ever), and the median and most common first year among breaching draws, under each
    definition (index fund, definition), from the statistics of
    :func:`fund_budget_quantities` (``draws``: any chunk, for the labels)."""
    n = stats.n
    candidates = _breach_years(draws)
    rows = []
    for key, (label, _) in breach_definitions(draws, spec).items():
        counts = np.rint(stats.sum(f"budget:breach:{key}")).astype(np.int64)
        breached = int(counts.sum())

        def share(last: int, counts=counts) -> float:
            return float(counts[candidates <= last].sum() / n)

        median = np.nan
        if breached:  # np.median of the breaching draws' years, from their counts
            ends = np.cumsum(counts)
            low = candidates[np.searchsorted(ends, (breached - 1) // 2, side="right")]
            high = candidates[np.searchsorted(ends, breached // 2, side="right")]
            median = float((low + high) / 2)
        rows.append(
            {
                "definition": key,
                "label": label,
                "tolerance": spec.tolerance,
                "p_breach_by_plan_start": share(periods.plan_start),
                "p_breach_by_plan_end": share(periods.plan_end),
                "p_breach_by_horizon_end": share(periods.horizon_end),
                "p_breach_ever": float(breached / n),
                "median_first_breach_year": median,
                "modal_first_breach_year": int(candidates[counts.argmax()]) if breached else pd.NA,
            }
        )
    table = pd.DataFrame(rows)
    table.insert(0, "fund", spec.id)
    return table.set_index(["fund", "definition"])


__all__ = [
    "FLOWS",
    "breach_definitions",
    "breach_table",
    "fund_budget_quantities",
    "fund_budget_tables",
    "fund_budget_tables_of",
]
