"""Every chart fiscalsim draws.

Charts are built on :class:`matplotlib.figure.Figure` directly, without pyplot: no GUI
backend is involved, nothing global is changed, a figure is freed when it is dropped,
and in a notebook a returned figure shows once. matplotlib is imported inside the
functions, so that importing this module (and the package) stays light. Money comes in
yuan, in the tables' ``*_yuan`` columns, and is drawn in the chosen unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.core.units import Unit
from model.policy.programmes import FundSpec
from model.policy.scenario import Scenario
from model.report.fonts import configure_cjk_font, label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from model.analysis.compare import Comparison
    from model.analysis.convergence import Convergence
    from model.analysis.sensitivity import SobolResult, Tornado
    from model.analysis.tables import Summary
    from model.finance.funds import FundDraws
    from model.sim.timeline import TimelineResult


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _thousands(axis: Any) -> None:
    """Thousands separators on an axis' tick labels."""
    from matplotlib.ticker import StrMethodFormatter

    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def unit_label(unit: Unit) -> str:
    """An axis label of money: ``市级支出 (万元) / city cost (10,000 yuan (wan))``, or the
    English alone without a CJK font."""
    return label(f"市级支出 ({unit.label_zh})", f"city cost ({unit.label_en})")


def save_figure(figure: Figure, path: str | Path) -> None:
    """Save a PNG without run-dependent metadata (so reruns are byte-identical)."""
    figure.savefig(path, dpi=120, metadata={"Software": None})


# ------------------------------------------------------------------ a run
def fan_chart(summary: Summary, unit: Unit = Unit.WAN) -> Figure:
    """Fan chart of the city's yearly total: median, 50% and 90% bands, mean.

    Years after the horizon (commitments) are shaded. Labels are bilingual when a CJK
    font is available (:mod:`model.report.fonts`).
    """
    configure_cjk_font()
    fan = summary.tables["fan"] / unit.divisor
    years = [int(y) for y in fan.index]
    figure = _figure(8, 4.5)
    axis = figure.add_subplot()
    axis.fill_between(
        years,
        fan["p5_yuan"],
        fan["p95_yuan"],
        alpha=0.2,
        color="tab:blue",
        label=label("5–95 百分位", "5–95th percentile"),
    )
    axis.fill_between(
        years,
        fan["p25_yuan"],
        fan["p75_yuan"],
        alpha=0.35,
        color="tab:blue",
        label=label("25–75 百分位", "25–75th percentile"),
    )
    axis.plot(years, fan["p50_yuan"], color="tab:blue", label=label("中位数", "median"))
    axis.plot(
        years,
        fan["mean_yuan"],
        color="black",
        linestyle="--",
        linewidth=1,
        label=label("均值", "mean"),
    )
    if years[-1] > summary.horizon[-1]:
        axis.axvspan(
            summary.horizon[-1] + 0.5,
            years[-1] + 0.5,
            color="grey",
            alpha=0.1,
            label=label("测算期后的跨期承诺", "committed beyond horizon"),
        )
    if summary.budget_yuan is not None:
        axis.axhline(
            summary.budget_yuan / unit.divisor,
            color="tab:red",
            linewidth=1,
            label=label("预算", "budget"),
        )
    axis.set_xticks(years)
    axis.set_xlabel(label("年度", "year"))
    axis.set_ylabel(unit_label(unit))
    _thousands(axis.yaxis)
    name = summary.scenario_name
    axis.set_title(
        label(
            f"{name}：年度市级支出 ({summary.draws:,} 次模拟)",
            f"{name}: yearly cost to the city ({summary.draws:,} draws)",
        )
    )
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


def loss_ratio_chart(draws: FundDraws, spec: FundSpec) -> Figure:
    """Histogram of a fund's liquidation loss ratio with the tolerance rate marked."""
    figure = _figure(7, 4)
    axes = figure.subplots()
    axes.hist(
        draws.liquidation_loss_ratio,
        bins=list(np.linspace(0, 1, 51)),
        color="#4c72b0",
        alpha=0.85,
        density=True,
    )
    axes.axvline(
        spec.tolerance, color="#c44e52", linewidth=2, label=f"tolerance {spec.tolerance:.0%}"
    )
    p = draws.liquidation_breach.mean() if draws.n_draws else float("nan")
    axes.set_title(
        f"{spec.id}: loss ratio at liquidation ({spec.last_year})\n"
        f"P(breach, {spec.tolerance_rule!s} rule) = {p:.1%}",
        fontsize=10,
    )
    axes.set_xlabel(f"cumulative realised {spec.loss_measure!s} loss ÷ invested capital")
    axes.set_ylabel("density")
    axes.legend()
    return figure


def loss_ratio_charts(scenario: Scenario, draws: Mapping[str, Any]) -> dict[str, Figure]:
    """Loss-ratio charts of the scenario's funds, by file name (``loss_ratio_<id>.png``)."""
    return {
        f"loss_ratio_{spec.id}.png": loss_ratio_chart(draws[spec.id], spec)
        for spec in scenario.programmes
        if isinstance(spec, FundSpec) and spec.id in draws
    }


# ------------------------------------------------------------------ comparisons
def delta_chart(comparison: Comparison, unit: Unit = Unit.WAN) -> Figure:
    """Bars of Δmean with 95% intervals: by year (left) and the horizon total (right)."""
    table = comparison.tables["compare"]
    figure = _figure(10, 4.5)
    by_year, total = figure.subplots(1, 2, gridspec_kw={"width_ratios": [4, 1]})
    labels = [str(y) for y in comparison.years]
    names = comparison.variant_names
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        rows = table.loc[name]
        mean = rows["delta_mean_yuan"] / unit.divisor
        half = (rows["delta_ci_high_yuan"] - rows["delta_ci_low_yuan"]) / 2 / unit.divisor
        x = np.arange(len(labels)) + (k - (len(names) - 1) / 2) * width
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
    by_year.set_ylabel(f"change in mean city cost ({unit.label_en})")
    by_year.set_xlabel("year (after the dotted line: committed beyond the horizon)")
    by_year.set_title(
        f"Variants minus {comparison.base_name}, with 95% intervals "
        f"({comparison.draws:,} paired draws)"
    )
    by_year.legend(fontsize="small")
    total.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize="small")
    total.set_title(f"total {comparison.total_label}")
    for axis in (by_year, total):
        axis.axhline(0, color="black", linewidth=0.8)
        axis.grid(alpha=0.3, axis="y")
    return figure


def fan_overlay_chart(comparison: Comparison, unit: Unit = Unit.WAN) -> Figure:
    """Overlaid fan charts: median and 5–95th percentile band of each scenario by year."""
    fan = comparison.tables["fan"]
    figure = _figure(8, 4.5)
    axis = figure.subplots()
    for k, name in enumerate([comparison.base_name, *comparison.variant_names]):
        rows = fan.loc[name] / unit.divisor
        years = [int(y) for y in rows.index]
        axis.fill_between(years, rows["p5_yuan"], rows["p95_yuan"], alpha=0.15, color=f"C{k}")
        axis.plot(
            years,
            rows["p50_yuan"],
            color=f"C{k}",
            label=f"{name}: median, 5–95%",
            linewidth=2 if k == 0 else 1.5,
            linestyle="-" if k == 0 else "--",
        )
    axis.set_xticks(comparison.years)
    axis.set_xlabel("year")
    axis.set_ylabel(f"city cost ({unit.label_en})")
    axis.set_title(f"Yearly cost to the city: {comparison.base_name} and variants")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    return figure


# ------------------------------------------------------------------ sensitivity
def tornado_chart(result: Tornado, unit: Unit = Unit.WAN, top: int = 20) -> Figure:
    """Sorted bars of the change in the horizon total's mean (and P95) at each end."""
    from matplotlib.ticker import MaxNLocator

    table = result.table.head(top).iloc[::-1]
    panels = [("mean", result.base_mean)] + ([("p95", result.base_p95)] if result.draws else [])
    figure = _figure(5 + 4 * len(panels), 0.32 * len(table) + 1.8)
    axes: Any = figure.subplots(1, len(panels), squeeze=False, sharey=True)
    labels = [
        f"{row.item} ({row.kind} ×{row.low:.2f}–{row.high:.2f})" for row in table.itertuples()
    ]
    y = np.arange(len(table))
    for axis, (stat, base) in zip(axes[0], panels, strict=True):
        for side, colour in (("low", "tab:blue"), ("high", "tab:orange")):
            axis.barh(
                y,
                table[f"delta_{stat}_{side}_yuan"] / unit.divisor,
                color=colour,
                label=f"factor at its {side} end",
            )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(
            f"horizon total {stat.upper() if stat == 'p95' else stat}: "
            f"base {base / unit.divisor:,.0f}",
            fontsize="medium",
        )
        axis.set_xlabel(f"change ({unit.label_en})")
        axis.xaxis.set_major_locator(MaxNLocator(5))
        _thousands(axis.xaxis)
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, labels, fontsize="small")
    axes[0][0].legend(fontsize="small", loc="lower right")
    figure.suptitle(f"{result.scenario_name}: one factor at a time")
    return figure


def sobol_chart(result: SobolResult) -> Figure:
    """First-order and total Sobol indices with 95% intervals, per output."""
    outputs = list(dict.fromkeys(result.table.index.get_level_values("output")))
    figure = _figure(6 * len(outputs), 4.5)
    axes: Any = figure.subplots(1, len(outputs), squeeze=False)
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


def convergence_chart(result: Convergence, unit: Unit = Unit.WAN) -> Figure:
    """Running mean and P95 of the horizon total with 95% bands, against draws."""
    from matplotlib.ticker import NullFormatter

    table = result.trace
    figure = _figure(10, 4)
    axes: list[Axes] = list(figure.subplots(1, 2))
    draws = table.index.to_numpy()
    for axis, stat in zip(axes, ("mean", "p95"), strict=True):
        value = table[f"{stat}_yuan"] / unit.divisor
        band = 1.96 * table[f"se_{stat}_yuan"] / unit.divisor
        axis.fill_between(draws, value - band, value + band, alpha=0.25, label="95% band")
        axis.plot(draws, value, marker=".", label=stat)
        axis.axvline(result.draws_used, color="grey", linestyle=":", linewidth=1)
        axis.set_xscale("log")
        _thousands(axis.xaxis)
        axis.xaxis.set_minor_formatter(NullFormatter())
        _thousands(axis.yaxis)
        axis.set_xlabel("draws")
        axis.set_ylabel(f"horizon total {stat} ({unit.label_en})")
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    state = "reached" if result.converged else "not reached"
    figure.suptitle(
        f"{result.scenario_name}: target relative SE {result.target_se:g} "
        f"{state} at {result.draws_used:,} draws"
    )
    return figure


# ------------------------------------------------------------------ timeline
def cashflow_chart(result: TimelineResult, unit: Unit = Unit.WAN) -> Figure:
    """Median and 5–95% band of total monthly cash out, with the mean."""
    import pandas as pd

    total = result.total / unit.divisor
    p5, p50, p95 = np.percentile(total, [5, 50, 95], axis=0)
    x = result.months.to_timestamp()
    figure = _figure(10, 4.5)
    axis = figure.subplots()
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
    axis.set_ylabel(f"cash out per month ({unit.label_en})")
    axis.set_title(f"{result.scenario_name}: monthly cash out ({result.draws:,} draws)")
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


__all__ = [
    "cashflow_chart",
    "convergence_chart",
    "delta_chart",
    "fan_chart",
    "fan_overlay_chart",
    "loss_ratio_chart",
    "loss_ratio_charts",
    "save_figure",
    "sobol_chart",
    "tornado_chart",
    "unit_label",
]
