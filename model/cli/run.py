"""``fiscalsim run SCENARIO``: simulate a scenario and write its budget tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from model.analysis.present_value import discounting_of
from model.analysis.readings import evaluate_readings
from model.analysis.tables import Summary
from model.cli.console import amount, emit, percent, say, wrote
from model.cli.options import (
    add_budget_option,
    add_discount_options,
    add_out_option,
    add_output_options,
    add_plan_option,
    add_readings_option,
    add_run_options,
    add_workers_option,
    budget_option,
    load_planned,
    whole_number,
)
from model.core.paths import default_output_dir
from model.core.streams import check_draws
from model.core.units import Unit
from model.policy.scenario import Scenario
from model.report.batch import RunOutput, run_batch
from model.report.folders import atomic_directory
from model.report.report import attach_report
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim run``."""
    parser.add_argument(
        "scenario",
        help="scenario file or name (baseline, variants/cap_cut_20_max, baseline+cap_cut_20_max)",
    )
    add_run_options(parser)
    add_plan_option(parser)
    add_readings_option(parser)
    add_workers_option(parser)
    add_out_option(parser, "outputs/<scenario>/")
    add_output_options(parser)
    add_budget_option(parser)
    add_discount_options(parser)
    parser.add_argument("--no-draws-file", action="store_true", help="do not write draws.parquet")
    parser.add_argument(
        "--report",
        action="store_true",
        help="also write report.html, a self-contained bilingual HTML report",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="add the monthly cash flow (SimPy timeline) in timeline/",
    )
    parser.add_argument(
        "--timeline-draws",
        type=whole_number,
        default=500,
        help="draws of the timeline (default 500; ~50 KB of memory each)",
    )


def output_dir(scenario: Scenario, args: argparse.Namespace) -> Path:
    """The folder ``run`` and ``report`` write: ``--out``, or ``outputs/<scenario>/``."""
    return args.out or default_output_dir(scenario.name)


def batch(scenario: Scenario, args: argparse.Namespace, out_dir: Path, **options: Any) -> RunOutput:
    """A batch run of ``scenario`` into ``out_dir`` with the options ``run`` and ``report``
    share (``--draws``, ``--seed``, ``--unit``, ``--budget``, ``--discount-rate``,
    ``--inflation``, ``--quiet``, ``--readings-draws``, ``--workers``) and ``options`` of
    :func:`~model.report.batch.run_batch`. The
    clause readings are costed first (on at most the run's draws), so that a failure
    leaves no output behind."""
    budget = budget_option(args.budget, args.unit, scenario.years)
    discounting = discounting_of(scenario, args.discount_rate, args.inflation)
    check_draws(args.draws)  # before the readings, which take a few seconds
    readings = (
        evaluate_readings(
            scenario,
            min(args.readings_draws, args.draws),
            seed=args.seed,
            workers=args.workers or default_workers(),
        )
        if args.readings_draws
        else None
    )
    return run_batch(
        scenario,
        draws=args.draws,
        seed=args.seed,
        out_dir=out_dir,
        unit=args.unit,
        budget_yuan=budget,
        progress=False if args.quiet else None,
        readings=readings,
        discounting=discounting,
        workers=args.workers or default_workers(),
        **options,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim run``."""
    scenario = load_planned(args.scenario, args.plan_start)
    out_dir = output_dir(scenario, args)
    # the batch and its report are one output: the folder is swapped in once, complete
    with atomic_directory(out_dir) as staging:
        output = batch(
            scenario,
            args,
            staging,
            write_draws=not args.no_draws_file,
            timeline_draws=args.timeline_draws if args.timeline else None,
        )
        if args.report:
            attach_report(output, scenario, args.unit)
    emit(
        args,
        output.summary.tables["summary_by_year"],
        format_summary(output.summary, args.unit, args.lang, output.uncertainty),
        wrote(args.lang, len(output.files) + 1 + args.report, out_dir),
    )
    return 0


def format_summary(
    summary: Summary, unit: Unit, lang: str = "en", uncertainty: pd.DataFrame | None = None
) -> str:
    """The compact budget table printed by ``fiscalsim run``: every amount in ``unit``
    (named in the headers), P(total > budget) as a percentage, and the two kinds of
    uncertainty of the horizon total when the readings were costed."""
    by_year = summary.tables["summary_by_year"]
    names = {
        "mean_yuan": ("均值", "mean"),
        "p5_yuan": ("P5", "P5"),
        "p50_yuan": ("中位数", "P50"),
        "p95_yuan": ("P95", "P95"),
        "p99_yuan": ("P99", "P99"),
        "bar_yuan": ("风险预算", "BaR(P95-mean)"),
    }
    table = by_year[list(names)].map(lambda v: amount(v, unit, with_unit=False))
    table.columns = [say(lang, *names[c]) for c in names]
    if "p_exceed" in by_year:
        table[say(lang, "超预算概率", "P(>budget)")] = by_year["p_exceed"].map(percent)
    table.index.name = say(lang, "年度", "year")
    plan = summary.periods
    unit_name = f"{unit.label_zh} ({unit.value})"
    lines = [
        say(
            lang,
            f"{summary.scenario_name}：市级支出，单位 {unit_name}；"
            f"{summary.draws:,} 次模拟，随机种子 {summary.seed}",
            f"{summary.scenario_name}: cost to the city, {unit_name}; "
            f"{summary.draws:,} draws, seed {summary.seed}",
        )
        + (
            say(
                lang,
                f"；规划期 {plan.label('plan')}（{plan.plan_start} 年为编制中的预算年度）",
                f"; plan {plan.label('plan')} ({plan.plan_start} binding, the budget "
                "being drafted)",
            )
            if plan is not None
            else ""
        ),
        table.to_string(na_rep="—"),
    ]
    if uncertainty is not None:
        span = table.index[-1]
        lines.append(
            say(
                lang,
                f"{span} 合计的不确定性（{unit.label_zh}）：",
                f"uncertainty of the {span} total, {unit.label_zh}:",
            )
        )
        for _, row in uncertainty.iterrows():
            label = row.get("label_zh", row["label_en"]) if lang == "zh" else row["label_en"]
            low = amount(row["low_yuan"], unit, with_unit=False)
            lines.append(f"  {label}: {low} – {amount(row['high_yuan'], unit)}")
    commitments = summary.tables["commitments"]
    committed = amount(commitments.loc["total", "committed_mean_yuan"], unit)
    after = summary.horizon[-1]
    lines.append(
        say(
            lang,
            f"{after} 年后的跨期承诺：均值 {committed}",
            f"committed after {after}: mean {committed}",
        )
    )
    items = summary.tables["budget_by_item"].nlargest(5, "mean_yuan")
    lines.append(
        say(lang, "最大的项目（测算期合计均值）：", "largest items (mean over the horizon):")
    )
    for item_id, row in items.iterrows():
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        lines.append(
            f"  {say(lang, '第', 'art.')}{row['article']:>2}{say(lang, '条', '')} {name} "
            f"({item_id}): {amount(row['mean_yuan'], unit)}"
        )
    return "\n".join(lines)


__all__ = ["add_arguments", "batch", "format_summary", "output_dir", "run"]
