"""``fiscalsim readings SCENARIO``: what each reading of an ambiguous clause costs, the
envelope of all readings, and the 容错率 under each of its definitions."""

from __future__ import annotations

import argparse

from model.analysis.readings import ReadingsResult, evaluate_readings, tolerance_by_reading
from model.cli.console import emit, wrote
from model.cli.funds import format_tolerance_definitions
from model.cli.options import (
    add_out_option,
    add_output_options,
    add_plan_option,
    add_run_options,
    add_workers_option,
    load_planned,
)
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim readings``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    add_run_options(parser)
    add_workers_option(parser)
    add_plan_option(parser)
    add_out_option(parser, "outputs/readings_<scenario>/")
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim readings``: cost every reading, print them and the envelope."""
    scenario = load_planned(args.scenario, args.plan_start)
    workers = args.workers or default_workers()
    result = evaluate_readings(scenario, args.draws, seed=args.seed, workers=workers)
    tolerance = tolerance_by_reading(scenario, args.draws, seed=args.seed, workers=workers)
    out_dir = args.out or default_output_dir(f"readings_{scenario.name}")
    manifest = build_manifest(
        "readings",
        [scenario],
        seed=args.seed,
        draws=args.draws,
        unit=args.unit,
        horizon=[scenario.years[0], scenario.years[-1]],
        readings=scenario.readings,
    )
    tables = {"readings": result.table, "readings_envelope": result.envelope}
    if not tolerance.empty:
        tables["tolerance_definitions"] = tolerance
    written = write_outputs(
        out_dir, tables=tables, unit=args.unit, manifest=manifest, workbook="readings.xlsx"
    )
    text = format_readings(result, args.unit)
    if not tolerance.empty:
        text += "\n" + format_tolerance_definitions(tolerance)
    emit(args, result.table, text, wrote(args.lang, len(written["files_sha256"]) + 1, out_dir))
    return 0


def format_readings(result: ReadingsResult, unit: Unit = Unit.WAN) -> str:
    """Every reading's change of the horizon total with its 95% interval, and the envelope."""
    totals = result.totals()
    div = unit.divisor
    clauses = totals.index.get_level_values("clause").unique()
    readings = totals[~totals["in_force"]]
    lines = [
        f"{result.scenario_name}: clause readings, change of the {result.total_label} cost to the "
        f"city against the readings in force, {unit.label_zh} ({unit.value}); "
        f"{result.draws:,} paired draws, seed {result.seed}",
        f"{len(readings)} readings of {len(clauses)} clauses "
        f"({len(set(totals['where']))} articles or sections); * = in force",
        f"{'clause':<33} {'reading':<26} {'where':<8} {'Δ mean':>12} {'95% interval':>27}",
    ]
    for (clause, reading), row in totals.iterrows():
        mark = "*" if row["in_force"] else " "
        interval = (
            f"[{row['delta_ci_low_yuan'] / div:,.1f}, {row['delta_ci_high_yuan'] / div:,.1f}]"
            if not row["in_force"]
            else ""
        )
        lines.append(
            f"{clause:<33} {mark}{reading:<25} {row['where']:<8} "
            f"{row['delta_mean_yuan'] / div:>+12,.1f} {interval:>27}"
        )
    envelope = result.envelope
    lines.append("envelope of the readings (each clause at its extreme, simulated together):")
    for bound in ("low", "in_force", "high"):
        row = envelope.loc[bound]
        lines.append(
            f"  {bound:<8} mean {row['mean_yuan'] / div:>12,.1f}  "
            f"Δ {row['delta_mean_yuan'] / div:>+12,.1f}  "
            f"(sum of single readings {row['sum_of_readings_yuan'] / div:+,.1f}; "
            f"interaction {row['interaction_yuan'] / div:+,.1f})  {row['readings']}"
        )
    return "\n".join(lines)


__all__ = ["add_arguments", "format_readings", "run"]
