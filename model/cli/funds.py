"""``fiscalsim funds SCENARIO``: the funds, 先投后股 and the loan pool alone, with the
funds' breach risk and losses against their tolerance rates (article 20)."""

from __future__ import annotations

import argparse

import pandas as pd

from model.analysis.readings import tolerance_by_reading
from model.cli.console import amount, emit, percent, say
from model.cli.options import (
    add_out_option,
    add_output_options,
    add_plan_option,
    add_run_options,
    load_planned,
)
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
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim funds``: simulate, write the tables and charts, print the breaches."""
    scenario = load_planned(args.scenario, args.plan_start)
    check_draws(args.draws)
    draws = simulate_programmes(scenario, args.draws, seed=args.seed)
    tables = summarize_programmes(scenario, draws)
    definitions = tolerance_by_reading(scenario, args.draws, seed=args.seed)
    if not definitions.empty:
        tables["tolerance_definitions"] = definitions
    out_dir = args.out or default_output_dir(f"{scenario.name}_funds")
    manifest = build_manifest("funds", [scenario], seed=args.seed, draws=args.draws, unit=args.unit)
    write_outputs(
        out_dir,
        tables=tables,
        unit=args.unit,
        manifest=manifest,
        figures=loss_ratio_charts(scenario, draws),
    )
    heading = say(
        args.lang,
        f"{scenario.name}：基金与容错率，{args.draws:,} 次模拟，随机种子 {args.seed}",
        f"{scenario.name}: funds against their tolerance, {args.draws:,} draws, seed {args.seed}",
    )
    text = heading + "\n" + format_tolerance(tables, args.unit, args.lang)
    if not definitions.empty:
        text += "\n" + format_tolerance_definitions(definitions)
    emit(
        args, tables.get("tolerance"), text, say(args.lang, f"已写入 {out_dir}", f"wrote {out_dir}")
    )
    return 0


def format_tolerance(
    tables: dict[str, pd.DataFrame], unit: Unit = Unit.WAN, lang: str = "en"
) -> str:
    """The focused text report of ``fiscalsim funds``: breach risk (with its Monte Carlo
    error) and losses by fund, amounts in ``unit``."""
    if "tolerance" not in tables:
        return say(lang, "本情景未设置基金", "no funds configured in this scenario")
    tolerance = tables["tolerance"]
    shown = pd.DataFrame(index=tolerance.index.get_level_values(0))
    shown.index.name = say(lang, "基金", "fund")
    ratio = tolerance[["loss_ratio_p50", "loss_ratio_p05", "loss_ratio_p95"]].to_numpy()
    shown[say(lang, "容错率", "tolerance")] = [f"{v:.0%}" for v in tolerance["tolerance"]]
    shown[say(lang, "清算亏损率 P50 [P5–P95]", "loss ratio P50 [P5–P95]")] = [
        f"{percent(p50)} [{percent(p5)}–{percent(p95)}]" for p50, p5, p95 in ratio
    ]
    shown[say(lang, "超出容错率概率", "P(breach at liquidation)")] = [
        f"{percent(p)} ± {percent(se)}"
        for p, se in zip(
            tolerance["p_breach_liquidation"], tolerance["p_breach_liquidation_se"], strict=True
        )
    ]
    for column, names in {
        "expected_excess_loss_yuan": ("超出容错率的预期损失", "expected loss beyond tolerance"),
        "expected_city_loss_yuan": ("市级承担的预期损失", "city share of losses"),
    }.items():
        header = f"{say(lang, *names)} ({unit.label_zh})"
        shown[header] = [amount(v, unit, with_unit=False) for v in tolerance[column]]
    lines = [shown.to_string()]
    if "first_breach_year" in tables:
        lines.append(
            say(
                lang,
                "首次超出年份见 first_breach_year.csv",
                "first year of breach: see first_breach_year.csv",
            )
        )
    return "\n".join(lines)


def format_tolerance_definitions(table: pd.DataFrame) -> str:
    """P(breach at liquidation) of each fund under each definition of the 容错率, side by
    side, and the source of each clause's default."""
    lines = ["容错率 under each definition: P(breach at liquidation) [* = in force]"]
    wide = table["p_breach_liquidation"].unstack("fund")
    flags = table.groupby(level=["clause", "reading"])["in_force"].any()
    for (clause, reading), row in wide.iterrows():
        mark = "*" if flags[(clause, reading)] else " "
        cells = "  ".join(f"{fund} {value:6.1%}" for fund, value in row.items())
        lines.append(f"  {clause:<22} {mark}{reading:<10} {cells}")
    sources = table[table["default"]].groupby(level="clause")["source"].first()
    for clause, source in sources.items():
        lines.append(f"  default of {clause}: {source}")
    return "\n".join(lines)


__all__ = [
    "add_arguments",
    "format_tolerance",
    "format_tolerance_definitions",
    "run",
]
