"""The ``fiscalsim`` command line.

Every input problem is reported with its file, item and field, all at once, and the
command exits with status 2 without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from model.catalog import load_catalog
from model.errors import InputError
from model.paths import CATALOG_PATH, default_output_dir, resolve_scenario_path
from model.scenario import load_scenario
from model.schema import Unit, read_yaml

#: Default root seed: runs are reproducible unless a seed is chosen.
DEFAULT_SEED = 20250101
DEFAULT_DRAWS = 10_000


def _draws(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    draws: int | None = DEFAULT_DRAWS,
    draws_help: str | None = None,
) -> None:
    """The options every simulating command shares: ``--draws``, ``--seed``, ``--unit``.

    Parameters
    ----------
    draws : int or None
        The command's default number of draws.
    draws_help : str, optional
        Help text for ``--draws`` when the command uses draws in its own way.
    """
    default_text = f"{draws:,}" if draws is not None else "none"
    parser.add_argument(
        "--draws",
        type=_draws,
        default=draws,
        help=draws_help or f"Monte Carlo draws (default {default_text})",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=DEFAULT_SEED,
        help=f"root seed (default {DEFAULT_SEED}); same seed, same tables",
    )
    parser.add_argument(
        "--unit",
        type=Unit,
        choices=list(Unit),
        default=Unit.WAN,
        help="presentation unit: yuan, wan (万元, default) or yi (亿元)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="fiscalsim",
        description="Fiscal cost simulation of Changchun's draft S&T innovation policy "
        "(关于科技创新推动新质生产力发展的实施意见).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="simulate a scenario and write budget tables")
    run.add_argument(
        "scenario",
        help="scenario file or name (baseline, variants/cap_cut_20, baseline+cap_cut_20)",
    )
    add_run_options(run)
    run.add_argument("--out", type=Path, help="output folder (default outputs/<scenario>/)")
    run.add_argument("--budget", type=float, help="yearly budget in --unit, for P(total > budget)")
    run.add_argument("--no-draws-file", action="store_true", help="do not write draws.parquet")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument(
        "--report",
        action="store_true",
        help="also write report.html, a self-contained bilingual HTML report",
    )
    run.add_argument(
        "--timeline",
        action="store_true",
        help="add the monthly cash flow (SimPy timeline) in timeline/",
    )
    run.add_argument(
        "--timeline-draws",
        type=_draws,
        default=500,
        help="draws of the timeline (default 500; ~50 KB of memory each)",
    )

    catalog = commands.add_parser("catalog", help="list the policy's fiscal line items")
    catalog.add_argument("scenario", nargs="?", help="show the caps in force in a scenario")
    catalog.add_argument("--format", choices=["table", "csv", "json"], default="table")

    funds = commands.add_parser(
        "funds",
        help="funds, 先投后股 and loan pool: breach risk and "
        "losses against the tolerance rates (article 20)",
    )
    funds.add_argument("scenario")
    add_run_options(funds)
    funds.add_argument("--out", type=Path, help="output folder (default outputs/<scenario>_funds/)")

    from model.compare import add_compare_parser
    from model.goalseek import add_goal_seek_parser
    from model.report import add_report_parser
    from model.sensitivity import add_sensitivity_parser
    from model.timeline_report import add_timeline_parser

    add_timeline_parser(commands)
    add_compare_parser(commands)
    add_sensitivity_parser(commands)
    add_goal_seek_parser(commands)
    add_report_parser(commands)

    validate = commands.add_parser("validate", help="check catalog, scenario or variant files")
    validate.add_argument("files", nargs="+", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fiscalsim`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from model.compare import run_compare
        from model.goalseek import run_goal_seek
        from model.report import run_report
        from model.sensitivity import run_sensitivity
        from model.timeline_report import run_timeline

        commands = {
            "run": _run,
            "catalog": _catalog,
            "validate": _validate,
            "funds": _funds,
            "timeline": run_timeline,
            "compare": run_compare,
            "sensitivity": run_sensitivity,
            "goalseek": run_goal_seek,
            "report": run_report,
        }
        return commands[args.command](args)
    except InputError as error:
        print(error.report(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: earlier outputs were left as they were", file=sys.stderr)
        return 130


# ------------------------------------------------------------------ commands
def _run(args) -> int:
    from model.batch import run_batch

    scenario = load_scenario(args.scenario)
    out_dir = args.out or default_output_dir(scenario.name)
    budget = args.budget * args.unit.divisor if args.budget is not None else None
    output = run_batch(
        scenario,
        draws=args.draws,
        seed=args.seed,
        out_dir=out_dir,
        unit=args.unit,
        budget_yuan=budget,
        write_draws=not args.no_draws_file,
        progress=None if not args.quiet else False,
        timeline_draws=args.timeline_draws if args.timeline else None,
    )
    if args.report:
        from model.report import attach_report

        attach_report(output, scenario, args.unit)
    if not args.quiet:
        print(format_summary(output.summary, args.unit))
        print(f"\nwrote {len(output.files) + 1 + args.report} files to {output.out_dir}")
    return 0


def format_summary(summary, unit: Unit) -> str:
    """The compact budget table printed by ``fiscalsim run``."""
    by_year = summary.tables["summary_by_year"]
    columns = ["mean", "p5", "p50", "p95", "p99", "bar"]
    table = by_year[columns] / unit.divisor
    headers = {
        "mean": "mean",
        "p5": "P5",
        "p50": "P50",
        "p95": "P95",
        "p99": "P99",
        "bar": "BaR(P95-mean)",
    }
    table = table.rename(columns=headers)
    if "p_exceed" in by_year:
        table["P(>budget)"] = by_year["p_exceed"]
    lines = [
        f"{summary.scenario_name}: cost to the city, {unit.label_zh} ({unit.value}); "
        f"{summary.draws:,} draws, seed {summary.seed}",
        table.to_string(float_format=lambda v: f"{v:,.1f}", na_rep=""),
    ]
    commitments = summary.tables["commitments"]
    committed = commitments.loc["total", "committed_mean"] / unit.divisor
    lines.append(f"committed after {summary.horizon[-1]}: mean {committed:,.1f} {unit.label_zh}")
    items = summary.tables["budget_by_item"].nlargest(5, "mean")
    lines.append("largest items (mean over the horizon):")
    for item_id, row in items.iterrows():
        lines.append(
            f"  art.{row['article']:>2} {row['name_zh']} ({item_id}): "
            f"{row['mean'] / unit.divisor:,.1f}"
        )
    return "\n".join(lines)


def _funds(args) -> int:
    from model.batch import package_version
    from model.extras import extra_figures, format_tolerance, simulate_extras, summarize_extras
    from model.output import MANIFEST, atomic_directory, write_csv, write_json
    from model.plots import save_figure
    from model.scenario import check_draws
    from model.tables import yuan_to_unit

    scenario = load_scenario(args.scenario)
    check_draws(args.draws)
    draws = simulate_extras(scenario, args.draws, seed=args.seed)
    tables = summarize_extras(scenario, draws)
    out_dir = args.out or default_output_dir(f"{scenario.name}_funds")
    with atomic_directory(out_dir) as staging:
        for name, table in tables.items():
            write_csv(yuan_to_unit(table, args.unit), staging / f"{name}.csv")
        for file_name, figure in extra_figures(scenario, draws).items():
            save_figure(figure, staging / file_name)
        write_json(
            {
                "tool": "fiscalsim funds",
                "version": package_version(),
                "scenario": scenario.name,
                "scenario_sha256": scenario.digest(),
                "seed": args.seed,
                "draws": args.draws,
                "unit": args.unit.value,
            },
            staging / MANIFEST,
        )
    print(f"{scenario.name}: funds against their tolerance, {args.draws:,} draws, seed {args.seed}")
    print(format_tolerance(tables, args.unit))
    print(f"(money columns of the CSV tables end in _{args.unit.value})")
    print(f"\nwrote {out_dir}")
    return 0


def _catalog(args) -> int:
    if args.scenario:
        scenario = load_scenario(args.scenario)
        catalog = scenario.catalog
        in_force = {i: item.reference_yuan for i, item in scenario.items.items()}
    else:
        catalog = load_catalog(CATALOG_PATH)
        in_force = {}
    rows = []
    for item in catalog.items:
        row = {
            "id": item.id,
            "article": item.article,
            "chapter": item.chapter,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "payment": item.payment.value,
            "cap_yuan": item.cap_yuan,
            "cap_basis": item.cap_basis.value,
            "fixed": item.fixed,
            "years_paid": item.years_paid,
            "floor_yuan": item.floor_yuan,
            "tolerance": item.tolerance,
            "modelled_by": item.modelled_by.value,
            "responsible_units": item.responsible_units,
            "lead_unit": item.paying_unit,
            "quote": item.quote,
        }
        if in_force:
            row["amount_in_force_yuan"] = in_force.get(item.id)
        rows.append(row)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    frame = pd.DataFrame(rows).set_index("id")
    if args.format == "csv":
        frame["responsible_units"] = frame["responsible_units"].map("、".join)
        print(frame.to_csv(lineterminator="\n"), end="")
        return 0
    columns = ["article", "chapter", "payment", "cap_yuan", "fixed", "years_paid", "name_zh"]
    if in_force:
        columns.insert(4, "amount_in_force_yuan")
    shown = frame[columns].copy()
    for column in ("cap_yuan", "amount_in_force_yuan"):
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v / 1e4:,.1f}万")
    shown = shown.rename(columns={"cap_yuan": "cap", "amount_in_force_yuan": "in force"})
    shown["years_paid"] = shown["years_paid"].map(lambda v: "" if pd.isna(v) else int(v))
    print(shown.to_string())
    print(
        f"\n{len(frame)} fiscal line items; non-fiscal articles: "
        f"{', '.join(str(a.article) for a in catalog.non_fiscal)}"
    )
    return 0


def _validate(args) -> int:
    failures = 0
    for path in args.files:
        try:
            path = resolve_scenario_path(path)
            data = read_yaml(path)
            scenario_keys = {"horizon", "extends", "catalog", "admission_years"}
            if "policy" in data or (
                isinstance(data.get("items"), list) and not scenario_keys & set(data)
            ):
                catalog = load_catalog(path)
                print(f"ok: {path} (catalog, {len(catalog.items)} line items)")
            else:
                scenario = load_scenario(path)
                print(f"ok: {path} (scenario '{scenario.name}', {len(scenario.items)} grant items)")
        except InputError as error:
            failures += 1
            print(error.report(), file=sys.stderr)
    return 2 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
