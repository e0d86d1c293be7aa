"""The budget-ready tables of a run, in one call: the medium-term plan, who pays, present
values, and the funds in budget terms (all in yuan; every table but ``by_payer`` is the
city's share)."""

from __future__ import annotations

import pandas as pd

from model.analysis.payers import by_payer
from model.analysis.plan import plan_table
from model.analysis.present_value import present_value_table
from model.analysis.tables import Summary
from model.finance.fund_budget import fund_budget_tables_of
from model.policy.budget_schema import Discounting
from model.policy.scenario import Scenario

#: The budget tables, in the order they are written.
BUDGET_TABLES = (
    "plan",
    "by_payer",
    "present_value",
    "fund_budget",
    "fund_budget_totals",
    "fund_breach",
)


def budget_tables(
    summary: Summary, scenario: Scenario, discounting: Discounting
) -> dict[str, pd.DataFrame]:
    """The tables of :data:`BUDGET_TABLES` that apply to the scenario (the fund tables
    only when it has capital programmes). ``summary`` must hold the plan's groupings
    (:func:`model.analysis.plan.plan_groupings`)."""
    tables = {
        "plan": plan_table(summary, scenario),
        "by_payer": by_payer(summary, scenario),
        "present_value": present_value_table(summary, scenario, discounting),
    }
    tables.update(
        fund_budget_tables_of(scenario, summary.programme_stats, summary.programme_labels)
    )
    return {name: tables[name] for name in BUDGET_TABLES if name in tables}


__all__ = ["BUDGET_TABLES", "budget_tables"]
