"""The timeline's tables, chart and output files, and the ``fiscalsim timeline`` command.

:func:`summarize_timeline` turns a :class:`model.timeline.TimelineResult` into the monthly
cash flow, the peak month and rationing by item; :func:`write_timeline` writes them with
the cash-flow chart and a manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.schema import Unit
from model.streams import BLOCK_DRAWS
from model.timeline import OUTCOMES, TimelineResult, timeline
from model.timing import Shortfall, timing_settings

#: Default draws of ``fiscalsim timeline`` (a Python event loop runs per draw).
DEFAULT_TIMELINE_DRAWS = 200


def summarize_timeline(result: TimelineResult) -> dict[str, pd.DataFrame]:
    """The timeline's tables (money in yuan; :func:`model.in_unit` converts them).

    Returns
    -------
    dict of str to DataFrame
        ``monthly_cashflow``: mean, P5, P50 and P95 of cash out by (group, month), the
        groups followed by ``total``. ``peak``: for each month that is some draw's
        largest, the share of draws and the mean, P50 and P95 of that month's cash out,
        then ``all`` (every draw's peak). ``rationing``: by (item, year due), the mean
        per draw of applications and amounts rejected, deferred (paid later) and
        outstanding at the end of the run, the share of draws with any, the mean
        waiting time of deferred applications (months) and the mean demand.
    """
    months = result.months.astype(str)
    groups = [*result.groups, "total"]
    values = np.concatenate([result.cash, result.total[:, None]], axis=1)
    quantiles = np.percentile(values, [5, 50, 95], axis=0)
    index = pd.MultiIndex.from_product([groups, months], names=["group", "month"])
    cashflow = pd.DataFrame(
        {
            "mean": values.mean(axis=0).ravel(),
            "p5": quantiles[0].ravel(),
            "p50": quantiles[1].ravel(),
            "p95": quantiles[2].ravel(),
        },
        index=index,
    )
    return {
        "monthly_cashflow": cashflow,
        "peak": _peak_table(result, months),
        "rationing": _rationing_table(result),
    }


def _peak_table(result: TimelineResult, months: pd.Index) -> pd.DataFrame:
    peak, amount = result.peak_month, result.peak_yuan
    rows = {}
    for position in np.unique(peak):
        chosen = amount[peak == position]
        rows[months[position]] = _peak_stats(chosen, result.draws)
    rows["all"] = _peak_stats(amount, result.draws)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "month"
    return table


def _peak_stats(values: np.ndarray, draws: int) -> dict[str, float]:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {
        "draws": values.size,
        "share": values.size / draws,
        "mean": values.mean(),
        "p5": p5,
        "p50": p50,
        "p95": p95,
    }


def _rationing_table(result: TimelineResult) -> pd.DataFrame:
    columns = ["p_rationed", "wait_months_mean", "mean_demand"] + [
        f"{what}_{outcome}" for outcome in OUTCOMES for what in ("applications", "mean")
    ]
    records = result.rationing
    if records.empty:
        return pd.DataFrame(
            columns=columns, index=pd.MultiIndex.from_arrays([[], []], names=["item", "year"])
        )
    keys = ["item", "year"]
    sums = (
        records.pivot_table(
            index=keys,
            columns="outcome",
            values=["applications", "amount_yuan"],
            aggfunc="sum",
            fill_value=0.0,
        )
        / result.draws
    )
    table = pd.DataFrame(index=sums.index)
    table["p_rationed"] = records.groupby(keys)["draw"].nunique() / result.draws
    deferred = records[records["outcome"] == "deferred"]
    weighted = (
        (deferred["wait_months"] * deferred["applications"])
        .groupby([deferred["item"], deferred["year"]])
        .sum()
    )
    table["wait_months_mean"] = weighted / deferred.groupby(keys)["applications"].sum()
    demand = result.engine.demand.mean(axis=0)
    position = {item: i for i, item in enumerate(result.items.index)}
    table["mean_demand"] = [
        demand[position[item], result.years.index(year)] for item, year in table.index
    ]
    for outcome in OUTCOMES:
        for what, column in (("applications", "applications"), ("mean", "amount_yuan")):
            table[f"{what}_{outcome}"] = sums.get((column, outcome), 0.0)
    return table[columns]


def cashflow_chart(result: TimelineResult, unit: Unit = Unit.WAN):
    """Median and 5–95% band of total monthly cash out, with the mean (a Figure)."""
    import matplotlib.pyplot as plt

    from model.plots import UNIT_NAMES

    total = result.total / unit.divisor
    p5, p50, p95 = np.percentile(total, [5, 50, 95], axis=0)
    x = result.months.to_timestamp()
    figure, axis = plt.subplots(figsize=(10, 4.5), layout="constrained")
    axis.fill_between(
        x, p5, p95, step="mid", alpha=0.25, color="tab:blue", label="5–95th percentile"
    )
    axis.step(x, p50, where="mid", color="tab:blue", label="median")
    axis.step(
        x,
        total.mean(axis=0),
        where="mid",
        color="black",
        linestyle="--",
        linewidth=0.8,
        label="mean",
    )
    if result.years[-1] > result.horizon[-1]:
        axis.axvspan(
            pd.Timestamp(f"{result.horizon[-1] + 1}-01-01"),
            x[-1],
            color="grey",
            alpha=0.1,
            label="after the horizon",
        )
    axis.set_xlabel("month")
    axis.set_ylabel(f"cash out per month ({UNIT_NAMES[unit]})")
    axis.set_title(f"{result.scenario_name}: monthly cash out ({result.draws:,} draws)")
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


def write_timeline(
    result: TimelineResult, out_dir: str | Path, unit: Unit = Unit.WAN
) -> dict[str, str]:
    """Write ``monthly_cashflow.csv``, ``rationing.csv``, ``peak_month.csv``,
    ``monthly_cashflow.png`` and ``manifest.json`` into ``out_dir`` (created if needed).

    Money columns are in ``unit`` (named ``<stat>_<unit>``). Wrap the call in
    :func:`model.output.atomic_directory` to replace an earlier output safely.

    Returns
    -------
    dict of str to str
        File name → SHA-256 of every file written but the manifest.
    """
    from model.batch import package_version
    from model.output import MANIFEST, sha256_of, write_csv, write_json
    from model.plots import save_figure
    from model.tables import in_unit

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = summarize_timeline(result)
    names = {
        "monthly_cashflow": "monthly_cashflow.csv",
        "rationing": "rationing.csv",
        "peak": "peak_month.csv",
    }
    for name, file_name in names.items():
        write_csv(in_unit(tables[name], unit), out_dir / file_name)
    save_figure(cashflow_chart(result, unit), out_dir / "monthly_cashflow.png")
    files = {name: sha256_of(out_dir / name) for name in [*names.values(), "monthly_cashflow.png"]}
    write_json(
        {
            "tool": "fiscalsim timeline",
            "version": package_version(),
            "scenario": result.scenario_name,
            "scenario_sha256": result.scenario_sha256,
            "seed": result.seed,
            "draws": result.draws,
            "block_draws": BLOCK_DRAWS,
            "unit": unit.value,
            "timing": result.settings.model_dump(mode="json"),
            "years": result.years,
            "files_sha256": files,
        },
        out_dir / MANIFEST,
    )
    return files


# ------------------------------------------------------------------ command line
def add_timeline_parser(subparsers) -> Any:
    """Add ``fiscalsim timeline SCENARIO`` to the CLI's subparsers; returns the parser."""
    from model.cli import add_run_options

    parser = subparsers.add_parser(
        "timeline", help="monthly cash out and first-come-first-served rationing"
    )
    parser.add_argument(
        "scenario", help="scenario file or name (baseline, baseline+appropriation_ceilings)"
    )
    add_run_options(parser, draws=DEFAULT_TIMELINE_DRAWS)
    parser.add_argument(
        "--out", type=Path, help="output folder (default outputs/<scenario>_timeline/)"
    )
    parser.add_argument(
        "--timing", type=Path, help="YAML file of timing settings (see docs/timeline.md)"
    )
    parser.add_argument(
        "--on-shortfall",
        choices=[s.value for s in Shortfall],
        help="reject or defer applications that find the appropriation "
        "short (overrides the timing settings)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def run_timeline(args) -> int:
    """Run ``fiscalsim timeline``: simulate, write the outputs atomically, print the peak."""
    from model.output import atomic_directory
    from model.paths import default_output_dir
    from model.scenario import load_scenario
    from model.schema import read_yaml

    scenario = load_scenario(args.scenario)
    settings = None
    if args.timing is not None:
        settings = timing_settings(read_yaml(args.timing), scenario, source=str(args.timing))
    if args.on_shortfall is not None:
        settings = timing_settings(settings, scenario).model_copy(
            update={"on_shortfall": Shortfall(args.on_shortfall)}
        )
    result = timeline(scenario, args.draws, seed=args.seed, timing=settings)
    # a sibling of the run's folder: `fiscalsim run` replaces outputs/<scenario>/ whole
    out_dir = args.out or default_output_dir(f"{scenario.name}_timeline")
    with atomic_directory(out_dir) as staging:
        files = write_timeline(result, staging, args.unit)
    if not args.quiet:
        print(format_timeline(result, args.unit))
        print(f"\nwrote {len(files) + 1} files to {out_dir}")
    return 0


def format_timeline(result: TimelineResult, unit: Unit) -> str:
    """A few lines on the peak month and rationing, for the terminal."""
    tables = summarize_timeline(result)
    peak = tables["peak"]
    busiest = peak.drop(index="all")["share"].idxmax()
    allpeaks = peak.loc["all"]
    lines = [
        f"{result.scenario_name}: monthly cash out, {unit.label_zh} ({unit.value}); "
        f"{result.draws:,} draws, seed {result.seed}",
        f"largest month: most often {busiest} ({peak.loc[busiest, 'share']:.0%} of "
        f"draws); its need P50 {allpeaks['p50'] / unit.divisor:,.1f}, "
        f"P95 {allpeaks['p95'] / unit.divisor:,.1f}",
    ]
    rationing = result.rationing
    for outcome in OUTCOMES:
        chosen = rationing[rationing["outcome"] == outcome]
        if not chosen.empty:
            count = chosen["applications"].sum() / result.draws
            amount = chosen["amount_yuan"].sum() / result.draws / unit.divisor
            lines.append(f"{outcome}: {count:,.1f} applications, {amount:,.1f} per draw")
    return "\n".join(lines)


__all__ = [
    "DEFAULT_TIMELINE_DRAWS",
    "add_timeline_parser",
    "cashflow_chart",
    "format_timeline",
    "run_timeline",
    "summarize_timeline",
    "write_timeline",
]
