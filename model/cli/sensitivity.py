"""``fiscalsim sensitivity SCENARIO``: which assumptions drive the cost (tornado, Sobol
indices) and how many draws pin it down (convergence)."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from model.analysis.convergence import convergence
from model.analysis.factors import ITEM_KINDS
from model.analysis.sensitivity import (
    DEFAULT_SOBOL_DRAWS,
    DEFAULT_SOBOL_N,
    DEFAULT_TOP,
    RESOLUTION,
    SobolResult,
    Tornado,
    sobol,
    tornado,
)
from model.cli.console import amount, emit, say, wrote
from model.cli.options import (
    add_out_option,
    add_output_options,
    add_run_options,
    add_workers_option,
)
from model.core.errors import InputError, Problem
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.policy.scenario import load_scenario
from model.report.chartstyle import display_names
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.report.plots import convergence_chart, sobol_chart, spider_chart, tornado_chart
from model.sim.parallel import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim sensitivity``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument(
        "--method",
        choices=["tornado", "sobol", "convergence"],
        default="tornado",
        help="analysis (default tornado)",
    )
    add_run_options(
        parser,
        draws=None,
        draws_help=(
            "tornado: paired draws for the P95 and net effects (default 10,000); sobol: "
            f"draws of each evaluation (default {DEFAULT_SOBOL_DRAWS:,}; 0: the closed-form "
            "mean alone); convergence: the most draws to use (default 1,000,000)"
        ),
    )
    add_workers_option(parser)
    add_out_option(parser, "outputs/sensitivity_<scenario>_<method>/")
    add_output_options(parser)
    parser.add_argument(
        "--swing",
        type=float,
        help="swing every continuous factor ±SWING (e.g. 0.2); default: counts and awards "
        "between their P10 and P90, caps ±20%%, take-up ±0.2, fund outcomes ±25%%",
    )
    parser.add_argument(
        "--sobol-n",
        type=int,
        default=DEFAULT_SOBOL_N,
        help=f"Sobol base sample size, a power of two (default {DEFAULT_SOBOL_N}); the "
        "command says which first-order indices it leaves wider than ±0.1 and the n that "
        "would resolve them",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        help=f"Sobol: the top factors of the tornado (by the swing of the P95) to vary "
        f"(default {DEFAULT_TOP})",
    )
    parser.add_argument(
        "--rank",
        choices=["mean", "p95", "net"],
        default="mean",
        help="tornado: rank factors by the swing of the horizon total's mean (default), its "
        "P95, or its mean net of the city's fund distributions (what fund returns move)",
    )
    parser.add_argument(
        "--top-rows",
        type=int,
        default=15,
        help="tornado: how many factors to print (default 15; the CSV has them all)",
    )
    parser.add_argument(
        "--target-se",
        type=float,
        metavar="REL",
        help="also run (or, with --method convergence, set) the convergence "
        "check to this relative standard error (default 0.002)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim sensitivity``: print the headline and write tables and charts."""
    scenario = load_scenario(args.scenario)
    if args.swing is not None and not 0 < args.swing < 1:
        raise InputError([Problem("sensitivity", None, "--swing", "must be between 0 and 1")])
    workers = args.workers or default_workers()
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Any] = {}
    lines: list[str] = []
    unit = args.unit
    names = display_names([scenario])
    manifest = build_manifest(
        "sensitivity",
        [scenario],
        seed=args.seed,
        draws=args.draws,
        unit=unit,
        method=args.method,
        swing=args.swing,
    )
    if args.method == "tornado":
        ranked = tornado(
            scenario,
            swing=args.swing,
            draws=args.draws or 10_000,
            seed=args.seed,
            rank=args.rank,
            workers=workers,
        )
        tables["tornado"] = ranked.table
        figures["tornado"] = tornado_chart(ranked, unit, names=names)
        figures["spider"] = spider_chart(ranked, unit, names=names)
        manifest["draws"] = ranked.draws
        lines.append(format_tornado(ranked, unit, args.top_rows, args.lang))
    elif args.method == "sobol":
        try:
            indices = sobol(
                scenario,
                n=args.sobol_n,
                seed=args.seed,
                top=args.top,
                swing=args.swing,
                draws=DEFAULT_SOBOL_DRAWS if args.draws is None else args.draws,
                workers=workers,
            )
        except ValueError as error:
            raise InputError([Problem("sensitivity", None, "--sobol-n", str(error))]) from None
        tables["sobol"], figures["sobol"] = indices.table, sobol_chart(indices, names)
        manifest.update(sobol_n=indices.n, sobol_draws=indices.draws)
        lines.append(format_sobol(indices, args.lang))
    if args.method == "convergence" or args.target_se is not None:
        target = args.target_se if args.target_se is not None else 0.002
        max_draws = args.draws if args.method == "convergence" and args.draws else 1_000_000
        checked = convergence(scenario, target_se=target, seed=args.seed, max_draws=max_draws)
        tables["convergence"] = checked.table
        figures["convergence"] = convergence_chart(checked, unit, names)
        manifest.update(target_se=target, convergence_draws=checked.draws_used)
        last = checked.table.iloc[-1]
        lines.append(
            f"convergence to relative SE {target:g}: "
            f"{'reached' if checked.converged else 'NOT reached'} at "
            f"{checked.draws_used:,} draws (mean ±{last['rel_se_mean']:.2%}, "
            f"P95 ±{last['rel_se_p95']:.2%})"
        )
    # each method its own folder: a Sobol run does not replace a convergence study
    out_dir = args.out or default_output_dir(f"sensitivity_{scenario.name}_{args.method}")
    written = write_outputs(out_dir, tables=tables, unit=unit, manifest=manifest, figures=figures)
    main_table = next(iter(tables.values()), None)
    note = wrote(args.lang, len(written["files_sha256"]) + 1, out_dir)
    emit(args, main_table, "\n".join(lines), note)
    return 0


def format_tornado(ranked: Tornado, unit: Unit, rows: int = 15, lang: str = "en") -> str:
    """The tornado's biggest factors: their ends and the change of the mean, the P95 and
    the mean net of fund distributions; then the structural factors further down."""
    table = ranked.table
    head = say(
        lang,
        f"{ranked.scenario_name}：测算期合计均值 {amount(ranked.base_mean, unit)}，P95 "
        f"{amount(ranked.base_p95, unit)}；{ranked.draws:,} 次配对模拟；{len(table)} 个因素中"
        f"前 {rows} 个（均值变动 低端/高端；P95 变动；扣除基金回款后的净额变动）：",
        f"{ranked.scenario_name}: horizon total mean {amount(ranked.base_mean, unit)}, P95 "
        f"{amount(ranked.base_p95, unit)}; {ranked.draws:,} paired draws; top {rows} of "
        f"{len(table)} factors (Δ mean low / high; Δ P95 low / high; Δ net of fund "
        "distributions low / high):",
    )

    def pair(row: pd.Series, stat: str) -> str:
        low = amount(row[f"{stat}_low_yuan"], unit, sign=True, with_unit=False)
        return (
            f"{low:>11} / {amount(row[f'{stat}_high_yuan'], unit, sign=True, with_unit=False):>11}"
        )

    def line(rank: int, name: str, row: pd.Series) -> str:
        ends = f"{row['low_level']} … {row['high_level']}"
        text = f"  {rank:>3}. {name:<48} {ends:<36} {pair(row, 'delta_mean')}"
        if "delta_p95_low_yuan" in table:
            text += f"   {pair(row, 'delta_p95')}   {pair(row, 'delta_net_mean')}"
        return text

    ranked_rows = list(table.iterrows())
    lines = [head] + [
        line(k, name, row) for k, (name, row) in enumerate(ranked_rows[:rows], start=1)
    ]
    structural = [
        (k, name, row)
        for k, (name, row) in enumerate(ranked_rows, start=1)
        if k > rows and row["kind"] not in ITEM_KINDS
    ]
    if structural:
        lines.append(
            say(
                lang,
                f"排名靠后的结构性因素（按{ranked.rank}的摆幅排序；基金回报影响回款净额，不影响出资）：",
                f"structural factors further down (rank by the swing of the {ranked.rank}; "
                "fund returns move the net, not the outlays):",
            )
        )
        lines += [line(k, name, row) for k, name, row in structural]
    return "\n".join(lines)


def format_sobol(result: SobolResult, lang: str = "en") -> str:
    """The Sobol indices with their intervals, and which first-order indices are not
    resolved to ±0.1 with the base sample that would resolve them."""
    table = result.table
    evaluations = result.n * (len(result.factors) + 2)
    lines = [
        say(
            lang,
            f"{result.scenario_name}：测算期合计模拟均值与 P95 的 Sobol 指数；n = {result.n}"
            f"（{evaluations:,} 次评估，每次 {result.draws:,} 次配对模拟）",
            f"{result.scenario_name}: Sobol indices of the simulated mean and P95 of the "
            f"horizon total; n = {result.n} ({evaluations:,} evaluations of "
            f"{result.draws:,} paired draws each)",
        ),
        table[["S1", "S1_conf", "ST", "ST_conf"]].to_string(float_format=lambda v: f"{v:.3f}"),
    ]
    unresolved = result.unresolved
    if unresolved.empty:
        lines.append(
            say(
                lang,
                f"所有一阶指数的 95% 区间均在 ±{RESOLUTION:g} 以内",
                f"every first-order index is resolved to ±{RESOLUTION:g} (95%)",
            )
        )
        return "\n".join(lines)
    names = ", ".join(
        f"{output}/{factor} (±{row['S1_conf']:.2f})"
        for (output, factor), row in unresolved.iterrows()
    )
    needed = result.n_needed * (len(result.factors) + 2)
    lines.append(
        say(
            lang,
            f"未分辨（NOT RESOLVED）：n = {result.n} 过小，以下一阶指数的 95% 区间宽于 "
            f"±{RESOLUTION:g}：{names}。请以 --sobol-n {result.n_needed} 重新运行（约 "
            f"{needed:,} 次评估；可用 Dask 并行）。",
            f"NOT RESOLVED: n = {result.n} is too small; these first-order indices have 95% "
            f"intervals wider than ±{RESOLUTION:g}: {names}. Rerun with --sobol-n "
            f"{result.n_needed} (about {needed:,} evaluations; a Dask sweep spreads them "
            "over workers).",
        )
    )
    return "\n".join(lines)


__all__ = ["add_arguments", "format_sobol", "format_tornado", "run"]
