"""``fiscalsim compare BASE VARIANT ...``: variants against a base scenario, draw by draw."""

from __future__ import annotations

import argparse

from model.analysis.compare import Comparison, compare
from model.cli.options import add_out_option, add_plan_option, add_run_options, load_planned
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.report.chartstyle import display_names
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.report.plots import delta_chart, fan_overlay_chart


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim compare``."""
    parser.add_argument("base", help="base scenario (e.g. baseline)")
    parser.add_argument(
        "variants",
        nargs="+",
        metavar="variant",
        help="variant scenarios (e.g. cap_cut_20 two_more_labs, "
        "or chains such as baseline+cap_cut_20)",
    )
    add_run_options(parser)
    add_plan_option(parser)
    add_out_option(parser, "outputs/compare_<base>/")


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim compare``: print Δmean with 95% intervals and write the outputs."""
    base = load_planned(args.base, args.plan_start)
    variants = [load_planned(ref, args.plan_start) for ref in args.variants]
    comparison = compare(base, variants, args.draws, seed=args.seed)
    names = display_names([base, *variants])
    out_dir = args.out or default_output_dir(f"compare_{base.name}")
    manifest = build_manifest(
        "compare",
        [base, *variants],
        seed=args.seed,
        draws=args.draws,
        unit=args.unit,
        horizon=[comparison.horizon[0], comparison.horizon[-1]],
        years=comparison.years,
    )
    written = write_outputs(
        out_dir,
        tables={name: comparison.tables[name] for name in ("compare", "compare_items")},
        unit=args.unit,
        manifest=manifest,
        figures={
            "compare_delta": delta_chart(comparison, args.unit, names),
            "compare_fan": fan_overlay_chart(comparison, args.unit, names),
        },
        workbook="compare.xlsx",
    )
    print(format_comparison(comparison, args.unit))
    print(f"\nwrote {len(written['files_sha256']) + 1} files to {out_dir}")
    return 0


def format_comparison(comparison: Comparison, unit: Unit = Unit.WAN) -> str:
    """The compact table printed by ``fiscalsim compare``."""
    table = comparison.tables["compare"]
    headers = {
        "delta_mean_yuan": "Δmean",
        "delta_ci_low_yuan": "95% low",
        "delta_ci_high_yuan": "95% high",
        "delta_p50_yuan": "ΔP50",
        "delta_p95_yuan": "ΔP95",
    }
    shown = (table[list(headers)] / unit.divisor).rename(columns=headers)
    shown["P(more)"] = table["p_variant_higher"]
    shown["var.red.×"] = table["variance_reduction"]
    lines = [
        f"variants minus {comparison.base_name}: cost to the city, {unit.label_zh} "
        f"({unit.value}); {comparison.draws:,} paired draws, seed {comparison.seed}",
        shown.to_string(float_format=lambda v: f"{v:,.1f}"),
    ]
    items = comparison.tables["compare_items"]
    for name in comparison.variant_names:
        movers = items.loc[name].head(3)
        text = ", ".join(
            f"{item} {row['delta_mean_yuan'] / unit.divisor:+,.1f}"
            for item, row in movers.iterrows()
            if row["delta_mean_yuan"] != 0
        )
        lines.append(f"{name}: biggest movers {text or '(none)'}")
    return "\n".join(lines)


__all__ = ["add_arguments", "format_comparison", "run"]
