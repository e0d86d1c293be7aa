"""``fiscalsim goalseek SCENARIO --budget B``: the largest cap scale, cap or count keeping a
year's P95 (or mean) cost within a budget."""

from __future__ import annotations

import argparse

import pandas as pd

from model.analysis.goalseek import goal_seek
from model.cli.options import add_out_option, add_plan_option, add_run_options, load_planned
from model.core.errors import InputError, Problem
from model.core.paths import default_output_dir
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim goalseek``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument(
        "--year",
        help="the year whose cost is budgeted, or 'total' for the horizon "
        "(default: the plan's first year, the budget year being drafted)",
    )
    parser.add_argument("--budget", type=float, required=True, help="budget, in --unit")
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
    add_plan_option(parser)
    add_out_option(parser, "outputs/goalseek_<scenario>/")


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
    result = goal_seek(
        scenario,
        budget_yuan=args.budget * unit.divisor,
        statistic=args.statistic,
        year=year,
        parameter=args.parameter,
        draws=args.draws,
        seed=args.seed,
        upper=args.upper,
    )
    answer = pd.DataFrame(
        [
            {
                "parameter": result.parameter,
                "value": result.value,
                "statistic": result.statistic,
                "year": "total" if year is None else year,
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
    manifest = build_manifest("goalseek", [scenario], seed=args.seed, draws=args.draws, unit=unit)
    tables = {
        "goal_seek": answer,
        "goal_seek_history": result.history,
        "goal_seek_summary": result.summary,
    }
    written = write_outputs(out_dir, tables=tables, unit=unit, manifest=manifest)
    where = "the horizon total" if year is None else str(year)
    state = (
        "the budget holds at the upper bound"
        if result.at_upper
        else "no value in range meets the budget"
        if not result.feasible
        else "found"
    )
    print(
        f"{scenario.name}: {result.parameter} = {result.value:.6g} ({state}); "
        f"{result.statistic} of {where}: {result.statistic_value / unit.divisor:,.1f} vs "
        f"budget {args.budget:,.1f} {unit.label_zh}"
    )
    print(f"\nwrote {len(written['files_sha256']) + 1} files to {out_dir}")
    return 0 if result.feasible else 1


__all__ = ["add_arguments", "run"]
