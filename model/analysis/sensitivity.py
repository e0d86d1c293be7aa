"""Which assumptions drive the city's cost: the tornado (one factor at a time) and Sobol
indices, their charts, and the ``fiscalsim sensitivity`` command.

The factors and how they are swung are in :mod:`model.factors`; the Monte Carlo
convergence check (``--method convergence``, ``--target-se``) is in
:mod:`model.convergence`; stress pins and goal seeking are in :mod:`model.goalseek`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.compare import table_in_unit
from model.convergence import convergence, convergence_chart
from model.errors import InputError, Problem
from model.factors import Factor, PairedRuns, swung, uncertain_factors
from model.scenario import Scenario, check_draws
from model.schema import Unit
from model.streams import BLOCK_DRAWS, check_seed, stream

#: Money columns of the sensitivity tables (converted for presentation).
MONEY = (
    "base_mean",
    "base_p95",
    "mean_low",
    "mean_high",
    "delta_mean_low",
    "delta_mean_high",
    "p95_low",
    "p95_high",
    "delta_p95_low",
    "delta_p95_high",
    "swing_mean",
    "swing_p95",
    "mean",
    "se_mean",
    "p95",
    "se_p95",
    "statistic_value",
    "budget",
)


# ------------------------------------------------------------------ tornado
@dataclass(frozen=True)
class Tornado:
    """The outcome of :func:`tornado`: one row per factor, biggest swing of the mean first.

    Table columns: multipliers ``low``/``high``; horizon-total mean and P95 at each end
    and their change from the base (``delta_*``, yuan); the swung item's expected cost
    relative to the base (``item_ratio_*``: the multiplier achieved after clipping);
    ``swing_mean`` and ``swing_p95``, the widths of the bars.
    """

    scenario_name: str
    base_mean: float
    base_p95: float
    draws: int
    seed: int
    swing: float | None
    table: pd.DataFrame

    @property
    def factors(self) -> list[Factor]:
        return [Factor(row.item, row.kind, row.low, row.high) for row in self.table.itertuples()]


def tornado(
    scenario: Scenario,
    *,
    swing: float | None = None,
    kinds: Sequence[str] = ("uptake", "award"),
    items: Sequence[str] | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> Tornado:
    """Swing each factor alone to its low and high end; effect on the horizon total.

    Parameters
    ----------
    scenario : Scenario
    swing : float, optional
        ±swing for every factor; by default each count and award swings between its
        P10 and P90 relative to its mean (caps ±20%).
    kinds : sequence of {"uptake", "award", "cap"}
    items : sequence of str, optional
        Only these items' factors (default: every item).
    draws : int
        Draws for the P95 effects (common random numbers); 0 skips them.
    seed : int

    Returns
    -------
    Tornado
        Means and P95s of the horizon total, in yuan. Changes of the mean are exact
        (closed-form expectations), except under appropriation ceilings, where they are
        paired simulated differences; the base mean takes the simulated mean of funds
        without a closed form (NaN with ``draws=0``).
    """
    seed = check_seed(seed)
    paired = PairedRuns(scenario, check_draws(draws, source="tornado") if draws else 0, seed)
    base_mean = paired.base_mean
    base_p95 = float(np.percentile(paired.horizon_totals(scenario, []), 95)) if draws else math.nan
    rows = []
    for factor in uncertain_factors(scenario, swing=swing, kinds=kinds, items=items):
        item = scenario.items[factor.item]
        row = {
            "factor": factor.name,
            "item": factor.item,
            "kind": factor.kind,
            "article": item.line.article,
            "name_en": item.line.name_en,
            "low": factor.low,
            "high": factor.high,
        }
        for side, multiplier in (("low", factor.low), ("high", factor.high)):
            variant = swung(scenario, {(factor.item, factor.kind): multiplier})
            item_mean = paired.changed_means(variant, [factor.item])
            delta = paired.delta_mean(variant, [factor.item], item_mean)
            row[f"mean_{side}"], row[f"delta_mean_{side}"] = base_mean + delta, delta
            base_item = paired.item_means[factor.item]
            row[f"item_ratio_{side}"] = (
                float(item_mean.sum()) / base_item if base_item else math.nan
            )
            if draws:
                p95 = float(np.percentile(paired.horizon_totals(variant, [factor.item]), 95))
                row[f"p95_{side}"], row[f"delta_p95_{side}"] = p95, p95 - base_p95
        rows.append(row)
    columns = ["factor", "item", "kind", "article", "name_en", "low", "high"] + [
        f"{stat}_{side}"
        for stat in ("mean", "delta_mean", "item_ratio", "p95", "delta_p95")
        for side in ("low", "high")
        if draws or "p95" not in stat
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["swing_mean"] = (table["delta_mean_high"] - table["delta_mean_low"]).abs()
    if draws:
        table["swing_p95"] = (table["delta_p95_high"] - table["delta_p95_low"]).abs()
    table = table.sort_values("swing_mean", ascending=False, kind="stable").set_index("factor")
    return Tornado(scenario.name, base_mean, base_p95, draws, seed, swing, table)


# ------------------------------------------------------------------ Sobol
def sobol_indices(
    problem: Mapping,
    model: Callable[[np.ndarray], np.ndarray | pd.DataFrame],
    *,
    n: int,
    seed: int,
    num_resamples: int = 200,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``model`` over ``problem`` (SALib).

    Parameters
    ----------
    problem : mapping
        SALib problem: ``num_vars``, ``names``, ``bounds`` (uniform ranges), optional
        ``groups``.
    model : callable
        Maps the sample matrix (rows × num_vars) to outputs: an array (rows,) or
        (rows, outputs), or a DataFrame whose columns name the outputs.
    n : int
        Base sample size, a power of two; the model is run ``n·(groups + 2)`` times.
    seed : int
        Seeds the scrambled Sobol' sequence and the bootstrap of the intervals (two keyed
        streams; SALib's analysis ignores a seed of 0, so it is given a derived one).

    Returns
    -------
    pandas.DataFrame
        Index (output, factor): ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of
        95% bootstrap intervals).

    References
    ----------
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
    Computer Physics Communications 181(2), 259–270. doi:10.1016/j.cpc.2009.09.018
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    seed = check_seed(seed)
    if n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of two (Sobol' sequence balance), got {n}")
    problem = {**problem}
    sample = sobol_sample.sample(
        problem, n, calc_second_order=False, seed=stream(seed, "sobol", "sample")
    )
    outputs = model(sample)
    if not isinstance(outputs, pd.DataFrame):
        values = np.asarray(outputs, dtype=float)
        outputs = pd.DataFrame(values.reshape(len(sample), -1))
        if outputs.shape[1] == 1:
            outputs.columns = ["y"]
    analyze_seed = int(stream(seed, "sobol", "analyze").integers(1, 2**31))
    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    frames = []
    for output in outputs.columns:
        result = sobol_analyze.analyze(
            problem,
            outputs[output].to_numpy(dtype=float),
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=0.95,
            seed=analyze_seed,
        )
        frames.append(
            pd.DataFrame(
                {
                    key: np.asarray(result[key], dtype=float)
                    for key in ("S1", "S1_conf", "ST", "ST_conf")
                },
                index=pd.MultiIndex.from_product(
                    [[str(output)], names], names=["output", "factor"]
                ),
            )
        )
    return pd.concat(frames)


@dataclass(frozen=True)
class SobolResult:
    """The outcome of :func:`sobol`: indices by (output, factor) and the factors' ranges."""

    scenario_name: str
    n: int
    seed: int
    factors: list[Factor]
    table: pd.DataFrame


def sobol(
    scenario: Scenario,
    *,
    n: int = 64,
    seed: int = 0,
    groups: str | Mapping[str, str] | None = None,
    factors: Sequence[Factor] | None = None,
    top: int = 6,
    swing: float | None = None,
    p95_draws: int = 0,
) -> SobolResult:
    """Sobol indices of the horizon total's expected value (and optionally its P95).

    Parameters
    ----------
    scenario : Scenario
    n : int
        SALib base sample size (a power of two).
    seed : int
    groups : {"item"} or mapping of factor name to group, optional
        Indices of groups of factors (``"item"``: an item's uptake and award together).
    factors : sequence of Factor, optional
        Factors and their multiplier ranges (uniform); by default the ``top`` factors of
        :func:`tornado` with ``swing``.
    p95_draws : int
        With draws, the simulated P95 of the horizon total (common random numbers) is a
        second output.

    Returns
    -------
    SobolResult
    """
    seed = check_seed(seed)
    if scenario.has_ceilings and not p95_draws:
        p95_draws = 2_000  # rationed (funded) means need a simulation
    if factors is None:
        factors = tornado(scenario, swing=swing, draws=p95_draws, seed=seed).factors[:top]
    factors = list(factors)
    if not factors:
        raise InputError([Problem(scenario.name, None, "sobol", "no uncertain factor to vary")])
    problem = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if isinstance(groups, str):
        if groups != "item":
            raise ValueError(f"groups must be 'item' or a mapping, got {groups!r}")
        problem["groups"] = [f.item for f in factors]
    elif groups is not None:
        problem["groups"] = [groups.get(f.name, f.name) for f in factors]
    paired = PairedRuns(scenario, p95_draws, seed)
    changed = list(dict.fromkeys(f.item for f in factors))

    def model(sample: np.ndarray) -> pd.DataFrame:
        rows = []
        for values in sample:
            variant = swung(
                scenario, {(f.item, f.kind): float(v) for f, v in zip(factors, values, strict=True)}
            )
            # the change of the mean: a constant shift leaves the indices unchanged
            row = {"mean": paired.delta_mean(variant, changed)}
            if p95_draws:
                row["p95"] = float(np.percentile(paired.horizon_totals(variant, changed), 95))
            rows.append(row)
        return pd.DataFrame(rows)

    table = sobol_indices(problem, model, n=n, seed=seed)
    return SobolResult(scenario.name, n, seed, factors, table)


# ------------------------------------------------------------------ charts
def tornado_chart(result: Tornado, unit: Unit = Unit.WAN, top: int = 20):
    """Sorted bars of the change in the horizon total's mean (and P95) at each end."""
    import matplotlib.pyplot as plt

    from model.plots import UNIT_NAMES

    table = result.table.head(top).iloc[::-1]
    panels = [("mean", result.base_mean)] + ([("p95", result.base_p95)] if result.draws else [])
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    figure, axes = plt.subplots(
        1,
        len(panels),
        figsize=(5 + 4 * len(panels), 0.32 * len(table) + 1.8),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    labels = [
        f"{row.item} ({row.kind} ×{row.low:.2f}–{row.high:.2f})" for row in table.itertuples()
    ]
    y = np.arange(len(table))
    for axis, (stat, base) in zip(axes[0], panels, strict=True):
        for side, colour in (("low", "tab:blue"), ("high", "tab:orange")):
            axis.barh(
                y,
                table[f"delta_{stat}_{side}"] / unit.divisor,
                color=colour,
                label=f"factor at its {side} end",
            )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(
            f"horizon total {stat.upper() if stat == 'p95' else stat}: "
            f"base {base / unit.divisor:,.0f}",
            fontsize="medium",
        )
        axis.set_xlabel(f"change ({UNIT_NAMES[unit]})")
        axis.xaxis.set_major_locator(MaxNLocator(5))
        axis.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, labels, fontsize="small")
    axes[0][0].legend(fontsize="small", loc="lower right")
    figure.suptitle(f"{result.scenario_name}: one factor at a time")
    return figure


def sobol_chart(result: SobolResult):
    """First-order and total Sobol indices with 95% intervals, per output."""
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(result.table.index.get_level_values("output")))
    figure, axes = plt.subplots(
        1, len(outputs), figsize=(6 * len(outputs), 4.5), layout="constrained", squeeze=False
    )
    for k, (axis, output) in enumerate(zip(axes[0], outputs, strict=True)):
        rows = result.table.loc[output].iloc[::-1]
        y = np.arange(len(rows))
        axis.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1")
        axis.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total ST")
        axis.set_yticks(y, rows.index if k == 0 else [""] * len(y), fontsize="small")
        axis.set_xlim(0, 1.05)
        axis.set_title(f"horizon total: {output}")
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{result.scenario_name}: Sobol indices (n = {result.n})")
    return figure


# ------------------------------------------------------------------ command line
def run_manifest(scenario: Scenario, command: str, **fields) -> dict:
    """The manifest of a sensitivity or goal-seek run: tool, version, scenario files and
    digest, block size, and ``fields`` (seed, draws, method…)."""
    from model.batch import package_version

    return {
        "tool": "fiscalsim",
        "command": command,
        "version": package_version(),
        "scenario": scenario.name,
        "scenario_files": list(scenario.files),
        "scenario_sha256": scenario.digest(),
        "block_draws": BLOCK_DRAWS,
        **fields,
    }


def write_outputs(
    out_dir: Path, tables: dict[str, pd.DataFrame], figures: dict, manifest: dict, unit: Unit
) -> list[str]:
    """Write tables (already in ``unit``), charts and a manifest atomically."""
    from model.output import MANIFEST, atomic_directory, sha256_of, write_csv, write_json
    from model.plots import save_figure

    with atomic_directory(out_dir) as staging:
        for name, table in tables.items():
            write_csv(table, staging / f"{name}.csv")
        for name, figure in figures.items():
            save_figure(figure, staging / f"{name}.png")
        files = {path.name: sha256_of(path) for path in sorted(staging.iterdir())}
        write_json({**manifest, "unit": unit.value, "files_sha256": files}, staging / MANIFEST)
    return sorted(files)


def add_sensitivity_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim sensitivity SCENARIO --method tornado|sobol|convergence``."""
    from model import cli

    parser = subparsers.add_parser(
        "sensitivity",
        help="which assumptions drive the cost: tornado, Sobol indices, Monte Carlo convergence",
    )
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument(
        "--method",
        choices=["tornado", "sobol", "convergence"],
        default="tornado",
        help="analysis (default tornado)",
    )
    cli.add_run_options(
        parser,
        draws=None,
        draws_help=(
            "tornado: draws for the P95 effects (default 10,000); sobol: draws for a "
            "simulated-P95 output (default none); convergence: the most draws to use "
            "(default 1,000,000)"
        ),
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default outputs/sensitivity_<scenario>/)"
    )
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
    return parser


def run_sensitivity(args: argparse.Namespace) -> int:
    """Run ``fiscalsim sensitivity``: print the headline and write tables and charts."""
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.swing is not None and not 0 < args.swing < 1:
        raise InputError([Problem("sensitivity", None, "--swing", "must be between 0 and 1")])
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Any] = {}
    lines: list[str] = []
    manifest = run_manifest(
        scenario, "sensitivity", seed=args.seed, method=args.method, swing=args.swing
    )
    unit = args.unit
    if args.method == "tornado":
        ranked = tornado(scenario, swing=args.swing, draws=args.draws or 10_000, seed=args.seed)
        tables["tornado"], figures["tornado"] = ranked.table, tornado_chart(ranked, unit)
        manifest["draws"] = ranked.draws
        lines.append(
            f"{scenario.name}: base horizon total mean "
            f"{ranked.base_mean / unit.divisor:,.1f} {unit.label_zh}; top factors:"
        )
        for name, row in ranked.table.head(10).iterrows():
            lines.append(
                f"  {name:<55} ×{row['low']:.2f}–{row['high']:.2f}: "
                f"{row['delta_mean_low'] / unit.divisor:+,.1f} / "
                f"{row['delta_mean_high'] / unit.divisor:+,.1f}"
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
        tables["sobol"], figures["sobol"] = indices.table, sobol_chart(indices)
        manifest.update(sobol_n=indices.n, p95_draws=args.draws or 0)
        lines.append(indices.table.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.method == "convergence" or args.target_se is not None:
        target = args.target_se if args.target_se is not None else 0.002
        max_draws = args.draws if args.method == "convergence" and args.draws else 1_000_000
        checked = convergence(scenario, target_se=target, seed=args.seed, max_draws=max_draws)
        tables["convergence"] = checked.table
        figures["convergence"] = convergence_chart(checked, unit)
        manifest.update(target_se=target, convergence_draws=checked.draws_used)
        last = checked.table.iloc[-1]
        lines.append(
            f"convergence to relative SE {target:g}: "
            f"{'reached' if checked.converged else 'NOT reached'} at "
            f"{checked.draws_used:,} draws (mean ±{last['rel_se_mean']:.2%}, "
            f"P95 ±{last['rel_se_p95']:.2%})"
        )
    out_dir = args.out or default_output_dir(f"sensitivity_{scenario.name}")
    tables = {name: table_in_unit(table, unit, MONEY) for name, table in tables.items()}
    files = write_outputs(Path(out_dir), tables, figures, manifest, unit)
    print("\n".join(lines))
    print(f"\nwrote {len(files) + 1} files to {out_dir}")
    return 0


__all__ = [
    "MONEY",
    "SobolResult",
    "Tornado",
    "add_sensitivity_parser",
    "run_manifest",
    "run_sensitivity",
    "sobol",
    "sobol_chart",
    "sobol_indices",
    "tornado",
    "tornado_chart",
    "write_outputs",
]
