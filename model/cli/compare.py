"""``fiscalsim compare BASE VARIANT ...``: variants against a base scenario, draw by draw."""

from __future__ import annotations

import argparse

import pandas as pd

from model.analysis.compare import Comparison, compare
from model.cli.console import amount, emit, percent, say, times, wrote
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
from model.report.chartstyle import display_names
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.report.plots import delta_chart, fan_overlay_chart
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim compare``."""
    parser.add_argument("base", help="base scenario (e.g. baseline)")
    parser.add_argument(
        "variants",
        nargs="+",
        metavar="variant",
        help="variant scenarios (e.g. cap_cut_20_max two_more_labs, "
        "or chains such as baseline+cap_cut_20_max)",
    )
    add_run_options(parser)
    add_plan_option(parser)
    add_workers_option(parser)
    add_out_option(parser, "outputs/compare_<base>/")
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim compare``: print Δmean with 95% intervals and write the outputs."""
    base = load_planned(args.base, args.plan_start)
    variants = [load_planned(ref, args.plan_start) for ref in args.variants]
    comparison = compare(
        base, variants, args.draws, seed=args.seed, workers=args.workers or default_workers()
    )
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
    emit(
        args,
        comparison.tables["compare"],
        format_comparison(comparison, args.unit, args.lang),
        wrote(args.lang, len(written["files_sha256"]) + 1, out_dir),
    )
    return 0


def format_comparison(comparison: Comparison, unit: Unit = Unit.WAN, lang: str = "en") -> str:
    """The compact table printed by ``fiscalsim compare``: Δmean with its Monte Carlo
    standard error and 95% interval, in ``unit``; P(variant costs more) as a percentage;
    the variance reduction of pairing (``∞`` where the draws are identical)."""
    table = comparison.tables["compare"]
    shown = pd.DataFrame(index=table.index)
    money = {
        "delta_mean_yuan": ("均值变动", "Δmean"),
        "delta_se_yuan": ("蒙特卡洛标准误", "±MC s.e."),
        "delta_ci_low_yuan": ("95% 下限", "95% low"),
        "delta_ci_high_yuan": ("95% 上限", "95% high"),
        "delta_p95_yuan": ("P95 变动", "ΔP95"),
    }
    for column, names in money.items():
        sign = column != "delta_se_yuan"
        shown[say(lang, *names)] = table[column].map(
            lambda v, sign=sign: amount(v, unit, sign=sign, with_unit=False)
        )
    shown[say(lang, "方案更高概率", "P(more)")] = table["p_variant_higher"].map(percent)
    shown[say(lang, "方差缩减", "var.red.")] = table["variance_reduction"].map(times)
    shown.index.names = [say(lang, "方案", "variant"), say(lang, "年度", "year")]
    unit_name = f"{unit.label_zh} ({unit.value})"
    lines = [
        say(
            lang,
            f"各方案减 {comparison.base_name}：市级支出，单位 {unit_name}；"
            f"{comparison.draws:,} 次配对模拟，随机种子 {comparison.seed}",
            f"variants minus {comparison.base_name}: cost to the city, {unit_name}; "
            f"{comparison.draws:,} paired draws, seed {comparison.seed}",
        ),
        shown.to_string(),
    ]
    items = comparison.tables["compare_items"]
    for name in comparison.variant_names:
        movers = items.loc[name].head(3)
        text = ", ".join(
            f"{item} {amount(row['delta_mean_yuan'], unit, sign=True)}"
            for item, row in movers.iterrows()
            if row["delta_mean_yuan"] != 0
        )
        lines.append(
            say(lang, f"{name}：变动最大的项目 ", f"{name}: biggest movers ")
            + (text or say(lang, "（无）", "(none)"))
        )
    return "\n".join(lines)


__all__ = ["add_arguments", "format_comparison", "run"]
