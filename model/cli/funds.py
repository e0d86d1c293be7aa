"""``fiscalsim funds SCENARIO``: the funds, 先投后股 and the loan pool alone, with the
funds' breach risk and losses against their tolerance rates (article 20)."""

from __future__ import annotations

import argparse

import pandas as pd

from model.cli.options import add_out_option, add_plan_option, add_run_options, load_planned
from model.core.paths import default_output_dir
from model.core.streams import check_draws
from model.core.units import Unit
from model.finance.programme import simulate_programmes, summarize_programmes
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.report.plots import loss_ratio_charts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim funds``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    add_run_options(parser)
    add_plan_option(parser)
    add_out_option(parser, "outputs/<scenario>_funds/")


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim funds``: simulate, write the tables and charts, print the breaches."""
    scenario = load_planned(args.scenario, args.plan_start)
    check_draws(args.draws)
    draws = simulate_programmes(scenario, args.draws, seed=args.seed)
    tables = summarize_programmes(scenario, draws)
    out_dir = args.out or default_output_dir(f"{scenario.name}_funds")
    manifest = build_manifest("funds", [scenario], seed=args.seed, draws=args.draws, unit=args.unit)
    write_outputs(
        out_dir,
        tables=tables,
        unit=args.unit,
        manifest=manifest,
        figures=loss_ratio_charts(scenario, draws),
    )
    print(f"{scenario.name}: funds against their tolerance, {args.draws:,} draws, seed {args.seed}")
    print(format_tolerance(tables, args.unit))
    print(f"(money columns of the CSV tables end in _{args.unit.value})")
    print(f"\nwrote {out_dir}")
    return 0


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


__all__ = ["add_arguments", "format_tolerance", "run"]
