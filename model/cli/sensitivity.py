"""``fiscalsim sensitivity SCENARIO``: which assumptions drive the cost (tornado, Sobol
indices) and how many draws pin it down (convergence)."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from model.analysis.convergence import convergence
from model.analysis.sensitivity import sobol, tornado
from model.cli.console import amount, emit, say, wrote
from model.cli.options import add_out_option, add_output_options, add_run_options
from model.core.errors import InputError, Problem
from model.core.paths import default_output_dir
from model.policy.scenario import load_scenario
from model.report.chartstyle import display_names
from model.report.manifest import build_manifest
from model.report.outputs import write_outputs
from model.report.plots import convergence_chart, sobol_chart, spider_chart, tornado_chart


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
            "tornado: draws for the P95 effects (default 10,000); sobol: draws for a "
            "simulated-P95 output (default none); convergence: the most draws to use "
            "(default 1,000,000)"
        ),
    )
    add_out_option(parser, "outputs/sensitivity_<scenario>_<method>/")
    add_output_options(parser)
    parser.add_argument(
        "--swing",
        type=float,
        help="swing every factor ±SWING (e.g. 0.2); "
        "default: counts and awards between their P10 and P90",
    )
    parser.add_argument(
        "--sobol-n",
        type=int,
        default=64,
        help="Sobol base sample size, a power of two (default 64)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=6,
        help="Sobol: the top factors of the tornado to vary (default 6)",
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
        ranked = tornado(scenario, swing=args.swing, draws=args.draws or 10_000, seed=args.seed)
        tables["tornado"] = ranked.table
        figures["tornado"] = tornado_chart(ranked, unit, names=names)
        figures["spider"] = spider_chart(ranked, unit, names=names)
        manifest["draws"] = ranked.draws
        lines.append(
            say(
                args.lang,
                f"{scenario.name}：测算期合计均值基准 {amount(ranked.base_mean, unit)}；主要因素：",
                f"{scenario.name}: base horizon total mean {amount(ranked.base_mean, unit)}; "
                "top factors:",
            )
        )
        for name, row in ranked.table.head(10).iterrows():
            lines.append(
                f"  {name:<55} ×{row['low']:.2f}–{row['high']:.2f}: "
                f"{amount(row['delta_mean_low_yuan'], unit, sign=True, with_unit=False)} / "
                f"{amount(row['delta_mean_high_yuan'], unit, sign=True)}"
            )
    elif args.method == "sobol":
        try:
            indices = sobol(
                scenario,
                n=args.sobol_n,
                seed=args.seed,
                top=args.top,
                swing=args.swing,
                p95_draws=args.draws or 0,
            )
        except ValueError as error:
            raise InputError([Problem("sensitivity", None, "--sobol-n", str(error))]) from None
        tables["sobol"], figures["sobol"] = indices.table, sobol_chart(indices, names)
        manifest.update(sobol_n=indices.n, p95_draws=args.draws or 0)
        lines.append(indices.table.to_string(float_format=lambda v: f"{v:.3f}"))
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


__all__ = ["add_arguments", "run"]
