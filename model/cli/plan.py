"""``fiscalsim plan SCENARIO``: the three-year medium-term plan table (中期财政规划), with
who pays, present values and the funds in budget terms."""

from __future__ import annotations

import argparse

import pandas as pd

from model.analysis.budget import budget_tables
from model.analysis.present_value import discounting_of
from model.cli.console import emit, say, wrote
from model.cli.options import (
    add_budget_option,
    add_discount_options,
    add_out_option,
    add_output_options,
    add_plan_option,
    add_run_options,
    budget_option,
    load_planned,
)
from model.core.paths import default_output_dir
from model.core.streams import check_draws, check_seed
from model.core.units import YUAN, Unit
from model.policy.scenario import Scenario
from model.report.batch import accumulate, run_manifest
from model.report.outputs import write_outputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim plan``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    add_run_options(parser)
    add_plan_option(parser)
    add_out_option(parser, "outputs/<scenario>_plan/")
    add_budget_option(parser)
    add_discount_options(parser)
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim plan``: simulate, write the plan's tables and workbook, print it."""
    scenario = load_planned(args.scenario, args.plan_start)
    check_draws(args.draws)
    seed = check_seed(args.seed)
    budgets = budget_option(args.budget, args.unit, scenario.years)
    discounting = discounting_of(scenario, args.discount_rate, args.inflation)
    summary = accumulate(
        scenario,
        draws=args.draws,
        seed=seed,
        budget_yuan=budgets,
        progress=False if args.quiet else None,
    )
    tables = {
        **budget_tables(summary, scenario, discounting),
        "summary_by_year": summary.tables["summary_by_year"],
    }
    manifest = run_manifest(
        "plan",
        scenario,
        draws=args.draws,
        seed=seed,
        unit=args.unit,
        budget_yuan=budgets,
        discounting=discounting,
    )
    out_dir = args.out or default_output_dir(f"{scenario.name}_plan")
    written = write_outputs(
        out_dir, tables=tables, unit=args.unit, manifest=manifest, workbook="plan.xlsx"
    )
    plan = tables["plan"]
    emit(
        args,
        plan[plan["level"].isin(["total", "unit", "line"])],
        format_plan(plan, scenario, args.unit, summary.draws, seed, args.lang),
        wrote(args.lang, len(written["files_sha256"]) + 1, out_dir),
    )
    return 0


def format_plan(
    plan: pd.DataFrame, scenario: Scenario, unit: Unit, draws: int, seed: int, lang: str = "en"
) -> str:
    """The plan table as printed: totals, units and lines (the items are in plan.csv)."""
    periods = scenario.periods
    years = [str(year) for year in periods.plan_years]
    first, rest = years[0], f"{years[1]}–{years[-1]}"
    shown = plan[plan["level"].isin(["total", "unit", "line"])]
    labels = []
    for _, row in shown.iterrows():
        if row["level"] == "total":
            labels.append(f"合计 total [{row['commitment']}]")
        elif row["level"] == "unit":
            labels.append(f"{row['unit']} [{row['commitment']}]")
        else:
            mark = "*" if row.get("confirm") else ""
            labels.append(f"  {row['func_code']}{mark} {row['func_name_zh']} [{row['commitment']}]")
    columns = {}
    for label in [*years, "plan"]:
        for stat in ("mean", "p80", "p95"):
            head = periods.label("plan") if label == "plan" else label
            columns[(head, stat.upper())] = shown[f"{stat}_{label}{YUAN}"].to_numpy() / unit.divisor
    table = pd.DataFrame(columns, index=labels)
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    lines = [
        say(
            lang,
            f"{scenario.name}：中期财政规划 {periods.label('plan')}，{first} 年约束性，{rest} 年"
            f"指导性；市级承担部分，{unit.label_zh}；{draws:,} 次模拟，随机种子 {seed}",
            f"{scenario.name}: medium-term plan 中期财政规划 {periods.label('plan')} — {first} "
            f"binding (约束性), {rest} indicative (指导性); the city's share, {unit.label_zh} "
            f"({unit.value}); {draws:,} draws, seed {seed}",
        ),
        table.to_string(float_format=lambda v: f"{v:,.1f}"),
        say(
            lang,
            "既有：规划起始年度前已作出的承诺；新增：此后作出的承诺。* 科目待与市财政局核实。",
            "existing 既有: commitments made before the plan year; new 新增: made from it on. "
            "* code to be confirmed with 市财政局 (待与市财政局核实).",
        ),
    ]
    total = plan[(plan["level"] == "total") & (plan["commitment"] == "all")].iloc[0]
    inputs = scenario.spec.affordability
    if inputs is not None and inputs.general_budget_revenue is not None:
        revenue = inputs.general_budget_revenue
        shares = ", ".join(f"{y} {total[f'revenue_share_{y}']:.2%}" for y in years)
        lines.append(
            say(
                lang,
                f"占一般公共预算收入（{revenue.year} 年{revenue.caliber} "
                f"{revenue.value_yuan / 1e8:,.1f}亿元，{revenue.kind}）：{shares}",
                f"share of general budget revenue ({revenue.year} {revenue.caliber} "
                f"{revenue.value_yuan / 1e8:,.1f}亿, {revenue.kind}): {shares}",
            )
        )
    return "\n".join(lines)


__all__ = ["add_arguments", "format_plan", "run"]
