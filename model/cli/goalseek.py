"""``fiscalsim goalseek SCENARIO --budget B``: the largest cap scale, cap or count keeping a
year's P95 (or mean) cost within a budget."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from model.analysis.goalseek import GoalSeek, goal_seek, monte_carlo_errors
from model.cli.console import amount, emit, say, wrote
from model.cli.options import (
    add_budget_option,
    add_out_option,
    add_output_options,
    add_plan_option,
    add_run_options,
    add_workers_option,
    budget_option,
    load_planned,
)
from model.core.errors import InputError, Problem
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim goalseek``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument(
        "--year",
        help="the year whose cost is budgeted, or 'total' for the horizon "
        "(default: the plan's first year, the budget year being drafted)",
    )
    add_budget_option(parser, required=True)
    parser.add_argument("--statistic", choices=["p95", "mean"], default="p95")
    parser.add_argument(
        "--parameter",
        default="cap_scale",
        help="cap_scale (default), ITEM:cap (yuan) or ITEM:count (multiplier)",
    )
    parser.add_argument(
        "--upper",
        type=float,
        help="upper bound of the search (default: the scenario's current value)",
    )
    add_run_options(parser, draws=4_000, draws_help="draws per evaluation (default 4,000)")
    add_workers_option(parser)
    add_plan_option(parser)
    add_out_option(parser, "outputs/goalseek_<scenario>/")
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim goalseek``; exit status 1 when no value meets the budget."""
    scenario = load_planned(args.scenario, args.plan_start)
    if args.year is None:
        year: int | None = scenario.plan_start
    elif args.year == "total":
        year = None
    elif args.year.isdigit():
        year = int(args.year)
    else:
        raise InputError([Problem("goalseek", None, "--year", f"{args.year!r}: a year or total")])
    unit = args.unit
    budgets = budget_option(args.budget, unit, scenario.years) or {}
    by_year = "," in args.budget or Path(args.budget).is_file()
    result = goal_seek(
        scenario,
        budget_yuan=budgets if by_year else next(iter(budgets.values())),
        statistic=args.statistic,
        year=year,
        parameter=args.parameter,
        draws=args.draws,
        seed=args.seed,
        upper=args.upper,
        workers=args.workers or default_workers(),
    )
    answer = pd.DataFrame(
        [
            {
                "parameter": result.parameter,
                "value": result.value,
                "statistic": result.statistic,
                "year": "total" if result.year is None else result.year,
                "budget_yuan": result.budget_yuan,
                "statistic_value_yuan": result.statistic_value,
                "feasible": result.feasible,
                "at_upper": result.at_upper,
                "lower": result.lower,
                "upper": result.upper,
                "draws": result.draws,
                "seed": result.seed,
            }
        ]
    ).set_index("parameter")
    out_dir = args.out or default_output_dir(f"goalseek_{scenario.name}")
    manifest = build_manifest(
        "goalseek",
        [scenario],
        seed=args.seed,
        draws=args.draws,
        unit=unit,
        budget_yuan=budgets if by_year else result.budget_yuan,
    )
    tables = {
        "goal_seek": answer,
        "goal_seek_history": result.history,
        "goal_seek_summary": result.summary,
    }
    written = write_outputs(out_dir, tables=tables, unit=unit, manifest=manifest)
    emit(
        args,
        answer,
        format_answer(result, unit, args.lang),
        wrote(args.lang, len(written["files_sha256"]) + 1, out_dir),
    )
    return 0 if result.feasible else 1


def format_answer(result: GoalSeek, unit: Unit, lang: str = "en") -> str:
    """The answer of ``fiscalsim goalseek``, with its Monte Carlo errors."""
    statistic_se, value_se = monte_carlo_errors(result)
    where = (
        say(lang, "测算期合计", "the horizon total") if result.year is None else str(result.year)
    )
    name = "P95" if result.statistic == "p95" else say(lang, "均值", "mean")
    state = (
        say(lang, "上限处仍在预算内", "the budget holds at the upper bound")
        if result.at_upper
        else say(lang, "范围内没有满足预算的取值", "no value in range meets the budget")
        if not result.feasible
        else say(lang, "已求得", "found")
    )
    value = f"{result.value:.4g}" + (f" ± {value_se:.2g}" if math.isfinite(value_se) else "")
    statistic = f"{amount(result.statistic_value, unit)} ± {amount(statistic_se, unit)}"
    budget = amount(result.budget_yuan, unit)
    return say(
        lang,
        f"{result.scenario_name}：{result.parameter} = {value}（{state}）；{where} 的 "
        f"{name} 为 {statistic}，预算 {budget}\n"
        f"（± 为 {result.draws:,} 次模拟的蒙特卡洛标准误）",
        f"{result.scenario_name}: {result.parameter} = {value} ({state}); "
        f"{name} of {where}: {statistic} vs budget {budget}\n"
        f"(± is the Monte Carlo standard error of {result.draws:,} draws)",
    )


__all__ = ["add_arguments", "format_answer", "run"]
