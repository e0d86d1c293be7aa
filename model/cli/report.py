"""``fiscalsim report SCENARIO``: a batch run and its self-contained bilingual HTML report,
optionally with variants compared."""

from __future__ import annotations

import argparse

import pandas as pd

from model.analysis.compare import compare
from model.cli.console import emit, say
from model.cli.options import (
    add_budget_option,
    add_discount_options,
    add_out_option,
    add_output_options,
    add_plan_option,
    add_readings_option,
    add_run_options,
    add_workers_option,
    load_planned,
)
from model.cli.run import batch, output_dir
from model.report.folders import atomic_directory
from model.report.report import REPORT_FILE, attach_report
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim report``."""
    parser.add_argument(
        "scenario",
        help="scenario file or name (baseline, variants/cap_cut_20_max, baseline+cap_cut_20_max)",
    )
    add_run_options(parser)
    add_plan_option(parser)
    add_readings_option(parser)
    add_workers_option(parser)
    parser.add_argument(
        "--compare",
        nargs="+",
        action="extend",
        metavar="VARIANT",
        default=[],
        help="also compare these variants with the scenario (common random numbers)",
    )
    add_out_option(parser, "outputs/<scenario>/")
    add_budget_option(parser)
    add_discount_options(parser)
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim report``: a batch run into the output folder, then its report."""
    scenario = load_planned(args.scenario, args.plan_start)
    comparison = None
    if args.compare:  # before the run, so that a bad variant leaves no output behind
        variants = [load_planned(ref, args.plan_start) for ref in args.compare]
        comparison = compare(
            scenario,
            variants,
            args.draws,
            seed=args.seed,
            workers=args.workers or default_workers(),
        )
    out_dir = output_dir(scenario, args)
    with atomic_directory(out_dir) as staging:  # the run and its report, swapped in at once
        output = batch(scenario, args, staging)
        attach_report(output, scenario, args.unit, comparison=comparison)
    path = out_dir / REPORT_FILE
    frame = pd.DataFrame([{"report": str(path), "folder": str(out_dir)}])
    emit(args, frame, say(args.lang, f"已写入 {path}", f"wrote {path}"))
    return 0


__all__ = ["add_arguments", "run"]
