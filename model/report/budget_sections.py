"""The budget sections of the HTML report: the medium-term plan, who pays, present values
and the funds in budget terms (:mod:`model.analysis.budget`). Each returns HTML."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from model.core.units import Unit
from model.policy.scenario import Scenario
from model.report.html import html_note, html_section, html_table, select_columns
from model.report.labels import PERIODS
from model.report.units import to_unit

#: Periods of the funds' budget totals shown in the report.
FUND_PERIODS = ("before_plan", "plan", "horizon", "beyond_horizon", "life")


def plan_section(plan: pd.DataFrame, scenario: Scenario, unit: Unit) -> str:
    """The plan table's totals, 责任单位 and lines (the items are in plan.csv)."""
    periods = scenario.periods
    years = [str(year) for year in periods.plan_years]
    shown = plan[plan["level"].isin(["total", "unit", "line"])].copy()
    columns = ["level", "unit", "func_code", "func_name_zh", "code_status", "commitment"]
    for year in [*years, "plan"]:
        columns += [f"mean_{year}", f"p80_{year}", f"p95_{year}"]
    columns += [f"revenue_share_{years[0]}", "plan_revenue_share"]
    table = select_columns(to_unit(shown, unit), columns, unit)
    first, rest = years[0], f"{years[1]}–{years[-1]}"
    notes = [
        html_note(
            f"规划期 {periods.label('plan')}：{first} 年为约束性（对应年度预算），"
            f"{rest} 年为指导性。"
            "金额为市级承担部分。既有：规划起始年度前已作出的承诺；新增：此后作出的承诺。"
            "科目依据 S 为有来源，C、R 待与市财政局核实。分项见 plan.csv。",
            f"Plan years {periods.label('plan')}: {first} binds the annual budget, {rest} are "
            "indicative. Money is the city's share. Existing: commitments made before the plan "
            "year; new: made from it on. Code status S is sourced; C and R are to be confirmed "
            "with 市财政局. The line items are in plan.csv.",
        )
    ]
    inputs = scenario.spec.affordability
    if inputs is not None and inputs.general_budget_revenue is not None:
        revenue = inputs.general_budget_revenue
        notes.append(
            html_note(
                f"占一般公共预算收入：以 {revenue.year} 年{revenue.caliber}"
                f"{revenue.value_yuan / 1e8:,.1f}亿元为分母（{revenue.kind}）。"
                f"来源：{revenue.source}",
                f"Share of general budget revenue: of {revenue.value_yuan / 1e8:,.1f}亿 "
                f"({revenue.year}, {revenue.caliber}, {revenue.kind}). Source: {revenue.source}",
            )
        )
    return html_section("plan", html_table(table, unit, table_id="plan") + "".join(notes))


def by_payer_section(table: pd.DataFrame, unit: Unit) -> str:
    """Who pays, by year."""
    shown = select_columns(
        to_unit(table, unit),
        ("name_zh", "items", "mean_YEARS", "horizon_mean", "committed_mean"),
        unit,
    )
    note = html_note(
        "各项目总成本按情景的资金来源比例分摊（各比例及依据见假设表）；各出资方之和为合计。"
        "其他表格均为市级承担部分。",
        "Each item's gross cost split by the scenario's funding shares (each with its basis, "
        "in the assumptions); the payers add up to the total. Every other table is the "
        "city's share.",
    )
    return html_section("by_payer", html_table(shown, unit, table_id="by_payer") + note)


def present_value_section(table: pd.DataFrame, unit: Unit) -> str:
    """The present values of the horizon and of the commitments beyond it."""
    total = table.loc[["total"]]
    shown = select_columns(
        to_unit(total, unit),
        (
            "discount_rate",
            "base_year",
            "horizon_mean",
            "horizon_pv_mean",
            "horizon_pv_p95",
            "beyond_mean",
            "beyond_pv_mean",
            "total_pv_mean",
            "inflation_rate",
            "horizon_real_mean",
        ),
        unit,
    )
    basis = str(total["basis"].iloc[0])
    note = html_note(f"折现依据：{basis}", f"Discount basis: {basis}")
    return html_section("present_value", html_table(shown, unit, table_id="present_value") + note)


def fund_budget_section(table: pd.DataFrame, unit: Unit) -> str:
    """The funds, 先投后股 and the loan pool as appropriation lines, by period."""
    shown = table[table.index.get_level_values("period").isin(FUND_PERIODS)]
    shown = shown.rename(index=lambda name: " ".join(PERIODS.get(name, (name,))))
    shown = select_columns(
        to_unit(shown, unit),
        (
            "years",
            "capital_calls_mean",
            "fees_mean",
            "recycled_mean",
            "appropriation_mean",
            "appropriation_p95",
            "returned_mean",
            "net_outlay_mean",
            "distributions_to",
        ),
        unit,
    )
    note = html_note(
        "财政拨款 = 出资 + 管理费 − 循环使用的分配；净支出 = 财政拨款 − 回款入库。"
        "金额为市级承担部分。",
        "Appropriation = calls + fees − recycled distributions; net outlay = appropriation − "
        "what returns to the treasury. The city's share.",
    )
    return html_section(
        "fund_budget_totals", html_table(shown, unit, table_id="fund_budget_totals") + note
    )


def budget_report_sections(
    budget: Mapping[str, pd.DataFrame], scenario: Scenario, unit: Unit
) -> list[str]:
    """Every budget section the run's tables allow, in reading order."""
    sections = []
    if "plan" in budget:
        sections.append(plan_section(budget["plan"], scenario, unit))
    if "by_payer" in budget:
        sections.append(by_payer_section(budget["by_payer"], unit))
    if "present_value" in budget:
        sections.append(present_value_section(budget["present_value"], unit))
    if "fund_budget_totals" in budget:
        sections.append(fund_budget_section(budget["fund_budget_totals"], unit))
    return sections


__all__ = ["budget_report_sections"]
