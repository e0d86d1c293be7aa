"""``fiscalsim timeline SCENARIO``: monthly cash out and first-come-first-served rationing
against the appropriations (the SimPy timeline)."""

from __future__ import annotations

import argparse
from pathlib import Path

from model.analysis.timeline_tables import summarize_timeline
from model.cli.console import amount, emit, percent, say, wrote
from model.cli.options import (
    add_out_option,
    add_output_options,
    add_run_options,
    add_workers_option,
)
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.core.yamlio import read_yaml
from model.policy.scenario import load_scenario
from model.policy.timing_settings import Shortfall
from model.report.manifest import build_manifest
from model.report.output import atomic_directory
from model.report.outputs import write_timeline
from model.sim.parallel import default_workers
from model.sim.timeline import OUTCOMES, TimelineResult, timeline

#: Default draws of ``fiscalsim timeline`` (a Python event loop runs per draw).
DEFAULT_TIMELINE_DRAWS = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim timeline``."""
    parser.add_argument(
        "scenario", help="scenario file or name (baseline, baseline+appropriation_ceilings)"
    )
    add_run_options(parser, draws=DEFAULT_TIMELINE_DRAWS)
    add_workers_option(parser)
    add_out_option(parser, "outputs/<scenario>_timeline/")
    parser.add_argument(
        "--timing", type=Path, help="YAML file of timing settings (see docs/timeline.md)"
    )
    parser.add_argument(
        "--on-shortfall",
        choices=[s.value for s in Shortfall],
        help="reject or defer applications that find the appropriation "
        "short (overrides the timing settings)",
    )
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim timeline``: simulate, write the outputs atomically, print the peak."""
    scenario = load_scenario(args.scenario)
    settings = None
    if args.timing is not None:
        settings = scenario.timing_settings(read_yaml(args.timing), source=str(args.timing))
    if args.on_shortfall is not None:
        settings = scenario.timing_settings(settings).model_copy(
            update={"on_shortfall": Shortfall(args.on_shortfall)}
        )
    result = timeline(
        scenario,
        args.draws,
        seed=args.seed,
        timing=settings,
        workers=args.workers or default_workers(),
    )
    # a sibling of the run's folder: `fiscalsim run` replaces outputs/<scenario>/ whole
    out_dir = args.out or default_output_dir(f"{scenario.name}_timeline")
    manifest = build_manifest(
        "timeline", [scenario], seed=args.seed, draws=args.draws, unit=args.unit
    )
    with atomic_directory(out_dir) as staging:
        written = write_timeline(result, staging, args.unit, manifest)
    emit(
        args,
        summarize_timeline(result)["peak"],
        format_timeline(result, args.unit, args.lang),
        wrote(args.lang, len(written["files_sha256"]) + 1, out_dir),
    )
    return 0


def format_timeline(result: TimelineResult, unit: Unit, lang: str = "en") -> str:
    """A few lines on the peak month and rationing, for the terminal, every amount with
    its unit."""
    tables = summarize_timeline(result)
    peak = tables["peak"]
    busiest = peak.drop(index="all")["share"].idxmax()
    allpeaks = peak.loc["all"]
    share = percent(peak.loc[busiest, "share"])
    p50, p95 = amount(allpeaks["p50_yuan"], unit), amount(allpeaks["p95_yuan"], unit)
    lines = [
        say(
            lang,
            f"{result.scenario_name}：月度现金支出，单位 {unit.label_zh}；"
            f"{result.draws:,} 次模拟，随机种子 {result.seed}",
            f"{result.scenario_name}: monthly cash out, {unit.label_zh} ({unit.value}); "
            f"{result.draws:,} draws, seed {result.seed}",
        ),
        say(
            lang,
            f"支出最多的月份：最常为 {busiest}（{share} 的模拟）；该月需求 P50 {p50}，P95 {p95}",
            f"largest month: most often {busiest} ({share} of draws); its need P50 {p50}, "
            f"P95 {p95}",
        ),
    ]
    rationing = result.rationing
    for outcome in OUTCOMES:
        chosen = rationing[rationing["outcome"] == outcome]
        if not chosen.empty:
            count = chosen["applications"].sum() / result.draws
            money = amount(chosen["amount_yuan"].sum() / result.draws, unit)
            lines.append(
                say(
                    lang,
                    f"{outcome}：平均每次模拟 {count:,.1f} 笔申请，{money}",
                    f"{outcome}: {count:,.1f} applications, {money} per draw (mean)",
                )
            )
    return "\n".join(lines)


__all__ = ["DEFAULT_TIMELINE_DRAWS", "add_arguments", "format_timeline", "run"]
