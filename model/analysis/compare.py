"""Policy variants against a base scenario, draw by draw (common random numbers).

Every scenario is simulated with the same root seed. The engine's random streams are
keyed by item id and block (:mod:`model.streams`), so draw ``i`` of an item that a
variant leaves alone is *identical* in the base and the variant, and an item the variant
changes is driven by the same uniforms. The difference of two scenarios is therefore
estimated from per-draw paired differences, whose variance is far below the
``var(base) + var(variant)`` of two independent runs; the ratio is reported as the
variance reduction factor.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from model.analytic import expected_city_cost
from model.engine import payment_years, simulate_chunks
from model.errors import InputError, Problem
from model.extras import scenario_extras
from model.output import MANIFEST, atomic_directory, sha256_of, write_csv, write_json
from model.results import item_frame
from model.scenario import Scenario, check_draws
from model.schema import Unit
from model.stats import Moments
from model.streams import BLOCK_DRAWS, check_seed

#: Two-sided 95% normal quantile, for confidence intervals of mean differences.
Z95 = float(stats.norm.ppf(0.975))
#: Extra cost per draw and year (yuan) added to a scenario's totals, for costs modelled
#: outside the engine (funds, 先投后股 and the loan pool configured in a scenario are
#: already rows of its results): ``extra_costs(scenario, draws, seed)`` returns an array
#: (draws, years) on :func:`model.engine.payment_years` of the scenario, or a DataFrame
#: with year columns.
ExtraCosts = Callable[[Scenario, int, int], "np.ndarray | pd.DataFrame"]
#: Columns of the comparison tables that hold money (converted by :func:`table_in_unit`).
MONEY_COLUMNS = (
    "base_mean",
    "variant_mean",
    "delta_mean",
    "delta_se",
    "delta_ci_low",
    "delta_ci_high",
    "analytic_delta",
    "base_p50",
    "base_p95",
    "delta_p50",
    "delta_p95",
    "mean",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
)
#: Sheet titles of the comparison workbook (Chinese, English).
SHEET_TITLES = {
    "compare": ("方案对比", "Comparison by year"),
    "compare_items": ("分项变动", "Change by item"),
}


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare` (money in yuan).

    Attributes
    ----------
    base_name : str
    variant_names : list of str
    draws, seed : int
    years : list of int
        The common year axis (every year any scenario pays in).
    horizon : list of int
        The horizon years; ``total_label`` names their sum in the tables.
    tables : dict of str to pandas.DataFrame
        ``compare``: index (variant, year), one row per year and the horizon total;
        ``compare_items``: index (variant, item), horizon totals, biggest movers first;
        ``fan``: index (scenario, year), percentiles of each scenario's yearly total.
    year_totals : dict of str to pandas.DataFrame
        The city's total cost per draw (rows) and year (columns) of every scenario,
        base first, yuan.
    """

    base_name: str
    variant_names: list[str]
    draws: int
    seed: int
    years: list[int]
    horizon: list[int]
    tables: dict[str, pd.DataFrame]
    year_totals: dict[str, pd.DataFrame] = field(repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def total_label(self) -> str:
        """Row label of the horizon total (``"2025–2030"``)."""
        return horizon_label(self.horizon)


def horizon_label(horizon: Sequence[int]) -> str:
    """The label of a horizon total, as in the budget tables (``"2025–2030"``)."""
    return f"{horizon[0]}–{horizon[-1]}"


# ------------------------------------------------------------------ statistics
def paired_stats(
    base: np.ndarray, variant: np.ndarray, diff: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Statistics of the paired difference ``variant − base``, column by column.

    Parameters
    ----------
    base, variant : ndarray, shape (draws, columns)
        The same quantity (yuan) in the same draws of two scenarios.
    diff : ndarray, optional
        ``variant − base`` summed item by item (exactly zero where no item changed);
        by default the difference of the totals, which carries rounding noise.

    Returns
    -------
    dict of str to ndarray
        ``delta_mean``, its standard error ``delta_se`` (sd of the differences / √n),
        the 95% interval ``delta_ci_low``/``delta_ci_high``, ``delta_p50`` and
        ``delta_p95`` (difference of the percentiles, not percentile of the
        differences), ``p_variant_higher`` (share of draws where the variant costs
        more) and ``variance_reduction``: ``(var_base + var_variant) / var(diff)``,
        the variance of the difference of two independent runs over that of the
        paired difference (``inf`` when the paired difference does not vary, ``nan``
        when nothing varies).
    """
    base = np.asarray(base, dtype=float)
    variant = np.asarray(variant, dtype=float)
    n = base.shape[0]
    diff = variant - base if diff is None else np.asarray(diff, dtype=float)
    delta = diff.mean(axis=0)
    ddof = 1 if n > 1 else 0
    var_diff = diff.var(axis=0, ddof=ddof)
    independent = base.var(axis=0, ddof=ddof) + variant.var(axis=0, ddof=ddof)
    se = np.sqrt(var_diff / n)
    quantiles_base = np.percentile(base, [50, 95], axis=0)
    quantiles_variant = np.percentile(variant, [50, 95], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(
            var_diff > 0, independent / var_diff, np.where(independent > 0, np.inf, np.nan)
        )
    return {
        "base_mean": base.mean(axis=0),
        "variant_mean": variant.mean(axis=0),
        "delta_mean": delta,
        "delta_se": se,
        "delta_ci_low": delta - Z95 * se,
        "delta_ci_high": delta + Z95 * se,
        "base_p50": quantiles_base[0],
        "base_p95": quantiles_base[1],
        "delta_p50": quantiles_variant[0] - quantiles_base[0],
        "delta_p95": quantiles_variant[1] - quantiles_base[1],
        "p_variant_higher": (diff > 0).mean(axis=0),
        "variance_reduction": reduction,
    }


def _analytic_change(
    base: Scenario, variant: Scenario, item_ids: list[str], years: list[int]
) -> pd.DataFrame | None:
    """Closed-form change of the expected city cost by item and year (yuan), or None
    with appropriation ceilings (no closed form for funded amounts). Rows without a
    closed form (fund capital calls) are NaN unless both scenarios configure them alike,
    in which case their draws, and so their change, are exactly zero."""
    if base.has_ceilings or variant.has_ceilings:
        return None
    expected = [
        expected_city_cost(s).reindex(index=item_ids, columns=years, fill_value=0.0)
        for s in (base, variant)
    ]
    change = expected[1] - expected[0]
    specs = [{extra.id: extra.spec for extra in scenario_extras(s)} for s in (base, variant)]
    alike = [i for i in item_ids if i in specs[0] and specs[0][i] == specs[1].get(i)]
    change.loc[alike] = change.loc[alike].fillna(0.0)
    return change


def _unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    names: list[str] = []
    for scenario in scenarios:
        name, k = scenario.name, 2
        while name in names:
            name, k = f"{scenario.name}#{k}", k + 1
        names.append(name)
    return names


def _extra(
    extra_costs: ExtraCosts, scenario: Scenario, draws: int, seed: int, years: list[int]
) -> np.ndarray:
    """The hook's extra cost on the common year axis (draws × years, yuan)."""
    value = extra_costs(scenario, draws, seed)
    if not isinstance(value, pd.DataFrame):
        value = pd.DataFrame(np.asarray(value, dtype=float), columns=payment_years(scenario))
    if value.shape[0] != draws:
        raise ValueError(f"extra_costs returned {value.shape[0]} rows for {draws} draws")
    return value.reindex(columns=years, fill_value=0.0).to_numpy(dtype=float)


# ------------------------------------------------------------------ compare
def compare(
    base: Scenario,
    variants: Sequence[Scenario],
    draws: int,
    *,
    seed: int,
    extra_costs: ExtraCosts | None = None,
) -> Comparison:
    """Compare variants with a base scenario on common random numbers.

    Parameters
    ----------
    base : Scenario
    variants : sequence of Scenario
        Scenarios with the same horizon as ``base``.
    draws : int
        Monte Carlo draws of every scenario (draw ``i`` is the same draw in each).
    seed : int
        Root seed shared by all scenarios.
    extra_costs : callable, optional
        ``extra_costs(scenario, draws, seed)``: further city cost per draw and year
        (yuan) added to the totals (see :data:`ExtraCosts`). Funds, 先投后股 and the
        loan pool configured in the scenarios are already included, as items.

    Returns
    -------
    Comparison
        Paired-difference statistics by variant and year (see :func:`paired_stats`),
        change of each item's horizon total, and each scenario's fan percentiles.
    """
    check_draws(draws, source="compare")
    seed = check_seed(seed)
    if not variants:
        raise InputError([Problem("compare", None, "variants", "give at least one variant")])
    scenarios = [base, *variants]
    for scenario in variants:
        if scenario.years != base.years:
            raise InputError(
                [
                    Problem(
                        scenario.name,
                        None,
                        "horizon",
                        f"{scenario.years[0]}–"
                        f"{scenario.years[-1]} differs from the base's "
                        f"{base.years[0]}–{base.years[-1]}",
                    )
                ]
            )
    names = _unique_names(scenarios)
    axes = [payment_years(s) for s in scenarios]
    years = list(range(min(a[0] for a in axes), max(a[-1] for a in axes) + 1))
    meta = pd.concat([item_frame(s) for s in scenarios])  # grant items, funds and loans
    meta = meta[~meta.index.duplicated()]
    item_ids = list(meta.index)
    horizon = base.years
    n_h = len(horizon)

    totals = [np.zeros((draws, len(years))) for _ in scenarios]
    diffs = [np.zeros((draws, len(years))) for _ in variants]
    item_sum = np.zeros((len(scenarios), len(item_ids)))
    item_diffs = [Moments() for _ in variants]
    streams = [simulate_chunks(s, draws, seed=seed, chunk_draws=BLOCK_DRAWS) for s in scenarios]
    for chunks in zip(*streams, strict=True):
        span = slice(chunks[0].start, chunks[0].start + chunks[0].draws)
        base_city = np.empty(0)
        for k, chunk in enumerate(chunks):
            # the city's cost on the common item and year axes, so that unchanged items
            # cancel exactly in the paired differences
            city = np.zeros((chunk.draws, len(item_ids), len(years)))
            offset = years.index(chunk.years[0])
            positions = [item_ids.index(i) for i in chunk.items.index]
            city[:, positions, offset : offset + len(chunk.years)] = chunk.city
            totals[k][span] = city.sum(axis=1)
            item_sum[k] += city[:, :, :n_h].sum(axis=(0, 2))
            if k == 0:
                base_city = city
                continue
            change = city - base_city
            diffs[k - 1][span] = change.sum(axis=1)
            item_diffs[k - 1].add(change[:, :, :n_h].sum(axis=2))
    if extra_costs is not None:
        extras = [_extra(extra_costs, s, draws, seed, years) for s in scenarios]
        totals = [t + e for t, e in zip(totals, extras, strict=True)]
        diffs = [d + e - extras[0] for d, e in zip(diffs, extras[1:], strict=True)]

    total_label = horizon_label(horizon)
    labels = [str(y) for y in years] + [total_label]

    def with_total(values: np.ndarray) -> np.ndarray:
        return np.column_stack([values, values[:, :n_h].sum(axis=1)])

    rows, item_rows = [], []
    for v, name in enumerate(names[1:], start=1):
        table = pd.DataFrame(
            paired_stats(with_total(totals[0]), with_total(totals[v]), with_total(diffs[v - 1])),
            index=pd.Index(labels, name="year"),
        )
        analytic = (
            None
            if extra_costs is not None
            else _analytic_change(scenarios[0], scenarios[v], item_ids, years)
        )
        if analytic is not None:
            by_year = analytic.sum(axis=0, skipna=False).to_numpy()
            table.insert(6, "analytic_delta", np.append(by_year, by_year[:n_h].sum()))
        else:
            table.insert(6, "analytic_delta", np.nan)
        rows.append(table.assign(variant=name))
        item_rows.append(
            _item_table(name, meta, item_sum[[0, v]] / draws, item_diffs[v - 1], analytic, n_h)
        )
    compare_table = (
        pd.concat(rows).set_index("variant", append=True).reorder_levels(["variant", "year"])
    )
    tables = {
        "compare": compare_table,
        "compare_items": pd.concat(item_rows),
        "fan": _fan(names, totals, years),
    }
    year_totals = {
        name: pd.DataFrame(
            t, index=pd.RangeIndex(draws, name="draw"), columns=pd.Index(years, name="year")
        )
        for name, t in zip(names, totals, strict=True)
    }
    return Comparison(
        names[0],
        names[1:],
        draws,
        seed,
        years,
        horizon,
        tables,
        year_totals,
        {name: s.digest() for name, s in zip(names, scenarios, strict=True)},
    )


def _item_table(
    name: str,
    meta: pd.DataFrame,
    means: np.ndarray,
    diff: Moments,
    change: pd.DataFrame | None,
    n_h: int,
) -> pd.DataFrame:
    """Change of each item's horizon total, biggest movers (by |Δmean|) first."""
    delta, se = diff.mean, diff.mcse
    table = pd.DataFrame(
        {
            "article": meta["article"].to_numpy(),
            "name_zh": meta["name_zh"].to_numpy(),
            "name_en": meta["name_en"].to_numpy(),
            "base_mean": means[0],
            "variant_mean": means[1],
            "delta_mean": delta,
            "delta_se": se,
            "delta_ci_low": delta - Z95 * se,
            "delta_ci_high": delta + Z95 * se,
        },
        index=pd.Index(meta.index, name="item"),
    )
    if change is not None:
        table["analytic_delta"] = change.iloc[:, :n_h].sum(axis=1, skipna=False).to_numpy()
    else:
        table["analytic_delta"] = np.nan
    order = np.argsort(-np.abs(delta), kind="stable")
    table = table.iloc[order]
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["variant"] = name
    return table.set_index("variant", append=True).reorder_levels(["variant", "item"])


def _fan(names: list[str], totals: list[np.ndarray], years: list[int]) -> pd.DataFrame:
    frames = []
    for name, values in zip(names, totals, strict=True):
        quantiles = np.percentile(values, [5, 25, 50, 75, 95], axis=0)
        frame = pd.DataFrame(
            quantiles.T,
            columns=["p5", "p25", "p50", "p75", "p95"],
            index=pd.Index(years, name="year"),
        )
        frame["mean"] = values.mean(axis=0)
        frames.append(frame.assign(scenario=name))
    return pd.concat(frames).set_index("scenario", append=True).reorder_levels(["scenario", "year"])


# ------------------------------------------------------------------ output
def table_in_unit(
    table: pd.DataFrame, unit: Unit, money: Sequence[str] = MONEY_COLUMNS
) -> pd.DataFrame:
    """A copy with the ``money`` columns divided into ``unit`` and renamed
    ``<name>_<unit>``; other columns are unchanged."""
    out = table.copy()
    renames = {}
    for column in out.columns:
        if column in money:
            out[column] = out[column] / unit.divisor
            renames[column] = f"{column}_{unit.value}"
    return out.rename(columns=renames)


def delta_chart(comparison: Comparison, unit: Unit = Unit.WAN):
    """Bars of Δmean with 95% intervals: by year (left) and the horizon total (right)."""
    import matplotlib.pyplot as plt

    from model.plots import UNIT_NAMES

    table = comparison.tables["compare"]
    figure, (by_year, total) = plt.subplots(
        1, 2, figsize=(10, 4.5), layout="constrained", gridspec_kw={"width_ratios": [4, 1]}
    )
    labels = [str(y) for y in comparison.years]
    width = 0.8 / len(comparison.variant_names)
    for k, name in enumerate(comparison.variant_names):
        rows = table.loc[name]
        mean = rows["delta_mean"] / unit.divisor
        half = (rows["delta_ci_high"] - rows["delta_ci_low"]) / 2 / unit.divisor
        x = np.arange(len(labels)) + (k - (len(comparison.variant_names) - 1) / 2) * width
        by_year.bar(x, mean[labels], width, yerr=half[labels], capsize=3, label=name, color=f"C{k}")
        total.bar(
            k,
            mean[comparison.total_label],
            0.8,
            yerr=half[comparison.total_label],
            capsize=4,
            color=f"C{k}",
        )
    by_year.set_xticks(np.arange(len(labels)), labels)
    by_year.axvline(len(comparison.horizon) - 0.5, color="grey", linewidth=0.8, linestyle=":")
    by_year.set_ylabel(f"change in mean city cost ({UNIT_NAMES[unit]})")
    by_year.set_xlabel("year (after the dotted line: committed beyond the horizon)")
    by_year.set_title(
        f"Variants minus {comparison.base_name}, with 95% intervals "
        f"({comparison.draws:,} paired draws)"
    )
    by_year.legend(fontsize="small")
    total.set_xticks(
        range(len(comparison.variant_names)),
        comparison.variant_names,
        rotation=30,
        ha="right",
        fontsize="small",
    )
    total.set_title(f"total {comparison.total_label}")
    for axis in (by_year, total):
        axis.axhline(0, color="black", linewidth=0.8)
        axis.grid(alpha=0.3, axis="y")
    return figure


def fan_overlay_chart(comparison: Comparison, unit: Unit = Unit.WAN):
    """Overlaid fan charts: median and 5–95th percentile band of each scenario by year."""
    import matplotlib.pyplot as plt

    from model.plots import UNIT_NAMES

    fan = comparison.tables["fan"]
    figure, axis = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for k, name in enumerate([comparison.base_name, *comparison.variant_names]):
        rows = fan.loc[name] / unit.divisor
        years = [int(y) for y in rows.index]
        axis.fill_between(years, rows["p5"], rows["p95"], alpha=0.15, color=f"C{k}")
        axis.plot(
            years,
            rows["p50"],
            color=f"C{k}",
            label=f"{name}: median, 5–95%",
            linewidth=2 if k == 0 else 1.5,
            linestyle="-" if k == 0 else "--",
        )
    axis.set_xticks(comparison.years)
    axis.set_xlabel("year")
    axis.set_ylabel(f"city cost ({UNIT_NAMES[unit]})")
    axis.set_title(f"Yearly cost to the city: {comparison.base_name} and variants")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    return figure


def write_comparison(
    comparison: Comparison, out_dir: str | Path, unit: Unit = Unit.WAN
) -> dict[str, str]:
    """Write a comparison's tables and charts into ``out_dir`` atomically.

    Files: ``compare.csv``, ``compare_items.csv``, ``compare.xlsx``,
    ``compare_delta.png``, ``compare_fan.png`` and ``manifest.json``.

    Returns
    -------
    dict of str to str
        SHA-256 of every file written (but the manifest).
    """
    from model.batch import package_version
    from model.output import write_workbook
    from model.plots import save_figure

    tables = {
        name: table_in_unit(comparison.tables[name], unit) for name in ("compare", "compare_items")
    }
    manifest = {
        "tool": "fiscalsim",
        "command": "compare",
        "version": package_version(),
        "base": comparison.base_name,
        "variants": comparison.variant_names,
        "scenario_sha256": comparison.digests,
        "seed": comparison.seed,
        "draws": comparison.draws,
        "block_draws": BLOCK_DRAWS,
        "unit": unit.value,
        "horizon": [comparison.horizon[0], comparison.horizon[-1]],
        "years": comparison.years,
    }
    with atomic_directory(Path(out_dir)) as staging:
        for name, table in tables.items():
            write_csv(table, staging / f"{name}.csv")
        sheets = {_sheet_key(name): table for name, table in tables.items()}
        sheets["manifest"] = pd.DataFrame({"value": {k: str(v) for k, v in manifest.items()}})
        write_workbook(sheets, staging / "compare.xlsx", unit)
        save_figure(delta_chart(comparison, unit), staging / "compare_delta.png")
        save_figure(fan_overlay_chart(comparison, unit), staging / "compare_fan.png")
        files = {path.name: sha256_of(path) for path in sorted(staging.iterdir())}
        write_json({**manifest, "files_sha256": files}, staging / MANIFEST)
    return files


def _sheet_key(name: str) -> str:
    """The workbook key of a table: its name once ``model.labels.TABLE_TITLES`` knows it,
    else a bilingual title that reads well in the workbook's fallback (``name / name``)."""
    from model.labels import TABLE_TITLES

    if name in TABLE_TITLES:
        return name
    zh, en = SHEET_TITLES[name]
    return f"{zh} {en}"[:31]


# ------------------------------------------------------------------ command line
def add_compare_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim compare BASE VARIANT [VARIANT ...]``."""
    from model import cli

    parser = subparsers.add_parser(
        "compare", help="compare variants with a base scenario on common random numbers"
    )
    parser.add_argument("base", help="base scenario (e.g. baseline)")
    parser.add_argument(
        "variants",
        nargs="+",
        metavar="variant",
        help="variant scenarios (e.g. cap_cut_20 two_more_labs, "
        "or chains such as baseline+cap_cut_20)",
    )
    cli.add_run_options(parser)
    parser.add_argument("--out", type=Path, help="output folder (default outputs/compare_<base>/)")
    return parser


def run_compare(args: argparse.Namespace) -> int:
    """Run ``fiscalsim compare``: print Δmean with 95% intervals and write the outputs."""
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    base = load_scenario(args.base)
    variants = [load_scenario(ref) for ref in args.variants]
    comparison = compare(base, variants, args.draws, seed=args.seed)
    out_dir = args.out or default_output_dir(f"compare_{base.name}")
    files = write_comparison(comparison, out_dir, args.unit)
    print(format_comparison(comparison, args.unit))
    print(f"\nwrote {len(files) + 1} files to {out_dir}")
    return 0


def format_comparison(comparison: Comparison, unit: Unit = Unit.WAN) -> str:
    """The compact table printed by ``fiscalsim compare``."""
    table = comparison.tables["compare"]
    money = ["delta_mean", "delta_ci_low", "delta_ci_high", "delta_p50", "delta_p95"]
    shown = table[money] / unit.divisor
    shown = shown.rename(
        columns={
            "delta_mean": "Δmean",
            "delta_ci_low": "95% low",
            "delta_ci_high": "95% high",
            "delta_p50": "ΔP50",
            "delta_p95": "ΔP95",
        }
    )
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
            f"{item} {row['delta_mean'] / unit.divisor:+,.1f}"
            for item, row in movers.iterrows()
            if row["delta_mean"] != 0
        )
        lines.append(f"{name}: biggest movers {text or '(none)'}")
    return "\n".join(lines)


__all__ = [
    "Z95",
    "Comparison",
    "ExtraCosts",
    "add_compare_parser",
    "compare",
    "delta_chart",
    "fan_overlay_chart",
    "format_comparison",
    "horizon_label",
    "paired_stats",
    "run_compare",
    "table_in_unit",
    "write_comparison",
]
