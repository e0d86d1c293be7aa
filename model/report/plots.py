"""Every chart fiscalsim draws.

Charts are built on :class:`matplotlib.figure.Figure` directly, without pyplot: no GUI
backend is involved, nothing global is changed and a figure is freed when it is dropped
(in a notebook, :func:`model.report.chartstyle.show` displays one once). matplotlib is
imported inside the functions, so that importing this module stays light. Money comes
in yuan, in the tables' ``*_yuan`` columns, and is drawn in the chosen unit, named on
its axis. Every chart is bilingual where a CJK font exists and shows names, not ids
(``names``: see :func:`model.report.chartstyle.display_names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from model.core.units import Unit
from model.finance.fund_tables import LossRatios
from model.policy.programmes import FundSpec
from model.policy.scenario import Scenario
from model.report.chartstyle import (
    Names,
    display_names,
    factor_labels,
    heading,
    money_axis,
    money_label,
    name,
    names_for,
    new_figure,
    percent_axis,
    save_figure,
    short,
    text,
    thousands,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from model.analysis.compare import Comparison
    from model.analysis.convergence import Convergence
    from model.analysis.sensitivity import SobolResult, Tornado
    from model.analysis.tables import Summary
    from model.finance.funds import FundDraws
    from model.sim.timeline import TimelineResult

BLUE, RED, GREY = "tab:blue", "tab:red", "grey"


def _year_axis(axis: Axes, years: list[int]) -> None:
    axis.set_xticks(years, [str(y) for y in years])
    axis.set_xlabel(text("年度", "year"))


# ------------------------------------------------------------------ a run
def fan_chart(summary: Summary, unit: Unit = Unit.WAN, names: Names | None = None) -> Figure:
    """Fan chart of the city's yearly total: median, 50% and 90% bands, mean, budget;
    years after the horizon (commitments) shaded."""
    fan = summary.tables["fan"] / unit.divisor
    years = [int(y) for y in fan.index]
    figure = new_figure(8, 4.8)
    axis = figure.add_subplot()
    for low, high, alpha, zh, en in (
        ("p5_yuan", "p95_yuan", 0.2, "5–95 百分位", "5–95th percentile"),
        ("p25_yuan", "p75_yuan", 0.35, "25–75 百分位", "25–75th percentile"),
    ):
        axis.fill_between(years, fan[low], fan[high], alpha=alpha, color=BLUE, label=text(zh, en))
    axis.plot(years, fan["p50_yuan"], color=BLUE, label=text("中位数", "median"))
    axis.plot(years, fan["mean_yuan"], "k--", linewidth=1, label=text("均值", "mean"))
    if years[-1] > summary.horizon[-1]:
        axis.axvspan(
            summary.horizon[-1] + 0.5,
            years[-1] + 0.5,
            color=GREY,
            alpha=0.1,
            label=text("测算期后的跨期承诺", "committed beyond the horizon"),
        )
    if summary.budget_yuan is not None:
        budget = summary.budget_yuan / unit.divisor
        axis.axhline(budget, color=RED, linewidth=1, label=text("年度预算", "yearly budget"))
    elif summary.budgets:  # a budget per year: a step at each year
        budget_years = sorted(summary.budgets)
        axis.step(
            budget_years,
            [summary.budgets[y] / unit.divisor for y in budget_years],
            where="mid",
            color=RED,
            linewidth=1,
            label=text("年度预算", "yearly budget"),
        )
    _year_axis(axis, years)
    axis.set_ylabel(money_label(unit))
    money_axis(axis.yaxis, unit)
    zh, en = names_for(summary.scenario_name, names)
    heading(
        axis,
        f"{zh}：年度市级支出（{summary.draws:,} 次模拟）",
        f"{en}: yearly cost to the city ({summary.draws:,} draws)",
    )
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


def distribution_chart(
    summary: Summary,
    unit: Unit = Unit.WAN,
    names: Names | None = None,
    budget_total_yuan: float | None = None,
) -> Figure:
    """The distribution of the horizon total: histogram, S-curve (cumulative share of
    draws), P5, P50 and P95, and the budget over the horizon (``budget_total_yuan``; by
    default the yearly budget times the horizon's years)."""
    horizon = [year for year in summary.year_totals.columns if year in summary.horizon]
    totals = summary.year_totals[horizon].sum(axis=1).to_numpy() / unit.divisor
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    if budget_total_yuan is None and summary.budgets:
        budget_total_yuan = sum(summary.budgets[y] for y in horizon if y in summary.budgets)
    figure = new_figure(8, 4.8)
    axis = figure.add_subplot()
    axis.hist(totals, bins=min(60, max(10, len(totals) // 50)), color=BLUE, alpha=0.55)
    axis.set_ylabel(text("模拟次数", "draws"))
    thousands(axis.yaxis)
    curve = axis.twinx()
    ordered = np.sort(totals)
    curve.plot(ordered, np.arange(1, len(ordered) + 1) / len(ordered), color="black")
    curve.set_ylim(0, 1.02)
    percent_axis(curve.yaxis)
    curve.set_ylabel(text("累计概率（S 曲线）", "cumulative share (S-curve)"))
    marks = [(p5, "P5", "P5", ":"), (p50, "中位数", "P50 (median)", "--"), (p95, "P95", "P95", ":")]
    for value, zh, en, style in marks:
        shown = f"{text(zh, en)}: {value:,.{unit.decimals}f}"
        axis.axvline(value, color="black", linestyle=style, linewidth=1, label=shown)
    if budget_total_yuan is not None:
        budget = budget_total_yuan / unit.divisor
        share = float((totals > budget).mean())
        shown = text(
            f"预算 {budget:,.{unit.decimals}f}，超出概率 {share:.1%}",
            f"budget {budget:,.{unit.decimals}f}, P(exceed) {share:.1%}",
        )
        axis.axvline(budget, color=RED, linewidth=2, label=shown)
    handles, labels = axis.get_legend_handles_labels()  # on top of the S-curve's axes
    curve.legend(handles, labels, loc="lower right", fontsize="small", framealpha=0.9)
    span = f"{horizon[0]}–{horizon[-1]}"
    axis.set_xlabel(money_label(unit, f"{span} 年市级支出合计", f"total cost to the city {span}"))
    money_axis(axis.xaxis, unit)
    zh, en = names_for(summary.scenario_name, names)
    heading(
        axis,
        f"{zh}：测算期合计的分布（{summary.draws:,} 次模拟）",
        f"{en}: distribution of the horizon total ({summary.draws:,} draws)",
    )
    axis.grid(alpha=0.3)
    return figure


def loss_ratio_chart(draws: FundDraws, spec: FundSpec, names: Names | None = None) -> Figure:
    """Histogram of a fund's liquidation loss ratio (its draws, or a LossRatios histogram)."""
    ratios = draws if isinstance(draws, LossRatios) else LossRatios.of_draws(draws)
    figure = new_figure(7.5, 4.3)
    axis = figure.add_subplot()
    axis.hist(ratios.edges[:-1], bins=list(ratios.edges), weights=ratios.counts, color=BLUE)
    axis.axvline(
        spec.tolerance,
        color=RED,
        linewidth=2,
        label=text(f"容错率 {spec.tolerance:.0%}", f"tolerance {spec.tolerance:.0%}"),
    )
    p = ratios.p_breach
    zh, en = names_for(spec.id, names)
    heading(
        axis,
        f"{zh}：清算时亏损率（{spec.last_year} 年），超出容错率概率 {p:.1%}",
        f"{short(en, 40)}: loss ratio at liquidation ({spec.last_year}); P(breach) {p:.1%}",
        fontsize="medium",
    )
    axis.set_xlabel(
        text("累计已实现亏损 ÷ 投资额", f"realised {spec.loss_measure!s} loss ÷ invested capital")
    )
    percent_axis(axis.xaxis)
    axis.set_ylabel(text("模拟次数", "draws"))
    thousands(axis.yaxis)
    axis.legend()
    axis.grid(alpha=0.3, axis="y")
    return figure


def loss_ratio_charts(
    scenario: Scenario, draws: Mapping[str, Any], names: Names | None = None
) -> dict[str, Figure]:
    """Loss-ratio charts of the scenario's funds, by file name (``loss_ratio_<id>.png``)."""
    names = names or display_names([scenario])
    return {
        f"loss_ratio_{spec.id}.png": loss_ratio_chart(draws[spec.id], spec, names)
        for spec in scenario.programmes
        if isinstance(spec, FundSpec) and spec.id in draws
    }


# ------------------------------------------------------------------ comparisons
def delta_chart(
    comparison: Comparison, unit: Unit = Unit.WAN, names: Names | None = None
) -> Figure:
    """Bars of Δmean with 95% intervals: by year (left) and the horizon total (right)."""
    table = comparison.tables["compare"]
    figure = new_figure(10.5, 5)
    by_year, total = figure.subplots(1, 2, gridspec_kw={"width_ratios": [4, 1.3]})
    labels = [str(y) for y in comparison.years]
    variants = comparison.variant_names
    width = 0.8 / len(variants)
    for k, key in enumerate(variants):
        rows = table.loc[key]
        mean = rows["delta_mean_yuan"] / unit.divisor
        half = (rows["delta_ci_high_yuan"] - rows["delta_ci_low_yuan"]) / 2 / unit.divisor
        x = np.arange(len(labels)) + (k - (len(variants) - 1) / 2) * width
        shown = short(name(names_for(key, names)), 30)
        by_year.bar(
            x, mean[labels], width, yerr=half[labels], capsize=3, label=shown, color=f"C{k}"
        )
        total.bar(
            k,
            mean[comparison.total_label],
            0.8,
            yerr=half[comparison.total_label],
            capsize=4,
            color=f"C{k}",
        )
    by_year.set_xticks(np.arange(len(labels)), labels)
    by_year.axvline(len(comparison.horizon) - 0.5, color=GREY, linewidth=0.8, linestyle=":")
    by_year.set_xlabel(
        text("年度（虚线后为跨期承诺）", "year (after the dotted line: commitments)")
    )
    by_year.set_ylabel(money_label(unit, "市级支出均值变动", "change in mean cost"))
    by_year.legend(fontsize="small")
    total.set_xticks([])
    total.set_xlabel(text("颜色同左图", "colours as left"), fontsize="small")
    total.set_title(
        text(f"合计 {comparison.total_label}", f"total {comparison.total_label}"), fontsize="medium"
    )
    for axis in (by_year, total):
        axis.axhline(0, color="black", linewidth=0.8)
        axis.grid(alpha=0.3, axis="y")
        money_axis(axis.yaxis, unit)
    zh, en = names_for(comparison.base_name, names)
    heading(
        figure,
        f"各方案相对{zh}的市级支出变动，95% 区间（{comparison.draws:,} 次配对模拟）",
        f"Variants minus {en}, with 95% intervals ({comparison.draws:,} paired draws)",
    )
    return figure


def fan_overlay_chart(
    comparison: Comparison, unit: Unit = Unit.WAN, names: Names | None = None
) -> Figure:
    """Overlaid fan charts: median and 5–95th percentile band of each scenario by year."""
    fan = comparison.tables["fan"]
    figure = new_figure(8.5, 4.8)
    axis = figure.add_subplot()
    for k, key in enumerate([comparison.base_name, *comparison.variant_names]):
        rows = fan.loc[key] / unit.divisor
        years = [int(y) for y in rows.index]
        axis.fill_between(years, rows["p5_yuan"], rows["p95_yuan"], alpha=0.15, color=f"C{k}")
        axis.plot(
            years,
            rows["p50_yuan"],
            color=f"C{k}",
            label=short(name(names_for(key, names)), 34),
            linewidth=2 if k == 0 else 1.5,
            linestyle="-" if k == 0 else "--",
        )
    _year_axis(axis, comparison.years)
    axis.set_ylabel(money_label(unit))
    money_axis(axis.yaxis, unit)
    heading(
        axis,
        "各方案年度市级支出：中位数与 5–95 百分位",
        "Yearly cost to the city: median and 5–95th percentile",
    )
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    return figure


# ------------------------------------------------------------------ sensitivity
def tornado_chart(
    result: Tornado, unit: Unit = Unit.WAN, top: int = 20, names: Names | None = None
) -> Figure:
    """Sorted bars of the change in the horizon total's mean (and P95) at each end."""
    from matplotlib.ticker import MaxNLocator

    table = result.table.head(top).iloc[::-1]
    panels = [("mean", result.base_mean)] + ([("p95", result.base_p95)] if result.draws else [])
    figure = new_figure(5.5 + 4 * len(panels), 0.34 * len(table) + 2.2)
    axes: Any = figure.subplots(1, len(panels), squeeze=False, sharey=True)
    y = np.arange(len(table))
    for axis, (stat, base) in zip(axes[0], panels, strict=True):
        for side, colour, zh, en in (
            ("low", BLUE, "低端", "low end"),
            ("high", "tab:orange", "高端", "high end"),
        ):
            axis.barh(
                y,
                table[f"delta_{stat}_{side}_yuan"] / unit.divisor,
                color=colour,
                label=text(f"因素取{zh}", f"factor at its {en}"),
            )
        axis.axvline(0, color="black", linewidth=0.8)
        statistic = ("均值", "mean") if stat == "mean" else ("P95", "P95")
        axis.set_title(
            text(
                f"测算期合计{statistic[0]}，基准 {base / unit.divisor:,.0f}",
                f"horizon total {statistic[1]}, base {base / unit.divisor:,.0f}",
            ),
            fontsize="medium",
        )
        axis.set_xlabel(money_label(unit, "变动", "change"))
        axis.xaxis.set_major_locator(MaxNLocator(5))
        money_axis(axis.xaxis, unit)
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, factor_labels(table.itertuples(), names), fontsize="small")
    axes[0][0].legend(fontsize="small", loc="lower right")
    zh, en = names_for(result.scenario_name, names)
    heading(figure, f"{zh}：单因素敏感性（龙卷风图）", f"{en}: one factor at a time (tornado)")
    return figure


def spider_chart(
    result: Tornado, unit: Unit = Unit.WAN, top: int = 8, names: Names | None = None
) -> Figure:
    """The horizon total's mean against each factor's multiplier (low, base, high): the
    slope is the factor's leverage, the length its plausible range. The tornado's data,
    drawn so that steep and long lines stand apart."""
    multipliers = result.table[result.table["low"].notna() & (result.table["kind"] != "exit_lag")]
    table = multipliers.head(top)  # factors with a multiplier; levels have no slope
    figure = new_figure(9.5, 5.2)
    axis = figure.add_subplot()
    base = result.base_mean / unit.divisor
    for k, (row, shown) in enumerate(
        zip(table.itertuples(), factor_labels(table.itertuples(), names, ranges=False), strict=True)
    ):
        x = [row.low, 1.0, row.high]
        y = [row.mean_low_yuan / unit.divisor, base, row.mean_high_yuan / unit.divisor]
        axis.plot(
            x, y, marker="o", color=f"C{k % 10}", linestyle="-" if k < 10 else "--", label=shown
        )
    axis.axhline(base, color=GREY, linewidth=0.8)
    axis.axvline(1.0, color=GREY, linewidth=0.8)
    axis.set_xlabel(text("因素倍数（1 = 基准假设）", "factor multiplier (1 = base assumption)"))
    percent_axis(axis.xaxis)
    axis.set_ylabel(money_label(unit, "测算期合计均值", "horizon total, mean"))
    money_axis(axis.yaxis, unit)
    axis.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    zh, en = names_for(result.scenario_name, names)
    heading(
        axis,
        f"{zh}：蛛网图（各因素的杠杆与范围）",
        f"{en}: spider chart (leverage and range of each factor)",
    )
    axis.grid(alpha=0.3)
    return figure


def sobol_chart(result: SobolResult, names: Names | None = None) -> Figure:
    """First-order and total Sobol indices with 95% intervals, per output."""
    outputs = list(dict.fromkeys(result.table.index.get_level_values("output")))
    figure = new_figure(5.5 + 4 * len(outputs), 4.8)
    axes: Any = figure.subplots(1, len(outputs), squeeze=False, sharey=True)
    for axis, output in zip(axes[0], outputs, strict=True):
        rows = result.table.loc[output].iloc[::-1]
        y = np.arange(len(rows))
        axis.barh(
            y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label=text("一阶 S1", "first order S1")
        )
        axis.barh(
            y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label=text("总效应 ST", "total ST")
        )
        axis.set_xlim(0, 1.05)
        percent_axis(axis.xaxis)
        axis.set_xlabel(text("方差占比", "share of variance"))
        axis.set_title(text(f"测算期合计 {output}", f"horizon total {output}"), fontsize="medium")
        axis.grid(alpha=0.3, axis="x")
    factors = result.table.loc[outputs[0]].iloc[::-1].index
    by_name = {factor.name: factor for factor in result.factors}
    labels = factor_labels([by_name[str(f)] for f in factors], names, ranges=False)
    axes[0][0].set_yticks(np.arange(len(labels)), labels, fontsize="small")
    axes[0][0].legend(fontsize="small")
    zh, en = names_for(result.scenario_name, names)
    heading(figure, f"{zh}：Sobol 指数（n = {result.n}）", f"{en}: Sobol indices (n = {result.n})")
    return figure


def convergence_chart(
    result: Convergence, unit: Unit = Unit.WAN, names: Names | None = None
) -> Figure:
    """Running mean and P95 of the horizon total with 95% bands, against draws."""
    from matplotlib.ticker import NullFormatter

    table = result.trace
    figure = new_figure(10.5, 4.5)
    axes: list[Axes] = list(figure.subplots(1, 2))
    draws = table.index.to_numpy()
    for axis, stat in zip(axes, ("mean", "p95"), strict=True):
        shown = ("均值", "mean") if stat == "mean" else ("P95", "P95")
        value = table[f"{stat}_yuan"] / unit.divisor
        band = 1.96 * table[f"se_{stat}_yuan"] / unit.divisor
        axis.fill_between(
            draws, value - band, value + band, alpha=0.25, label=text("95% 区间", "95% band")
        )
        axis.plot(draws, value, marker=".", label=text(*shown))
        axis.axvline(result.draws_used, color=GREY, linestyle=":", linewidth=1)
        axis.set_xscale("log")
        thousands(axis.xaxis)
        axis.xaxis.set_minor_formatter(NullFormatter())
        money_axis(axis.yaxis, unit)
        axis.set_xlabel(text("模拟次数", "draws"))
        axis.set_ylabel(money_label(unit, f"测算期合计{shown[0]}", f"horizon total {shown[1]}"))
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    state = ("已达到", "reached") if result.converged else ("未达到", "not reached")
    zh, en = names_for(result.scenario_name, names)
    heading(
        figure,
        f"{zh}：相对标准误目标 {result.target_se:g}，{result.draws_used:,} 次模拟时{state[0]}",
        f"{en}: target relative SE {result.target_se:g} {state[1]} at {result.draws_used:,} draws",
    )
    return figure


# ------------------------------------------------------------------ timeline
def cashflow_chart(
    result: TimelineResult, unit: Unit = Unit.WAN, names: Names | None = None
) -> Figure:
    """Median and 5–95% band of total monthly cash out, with the mean."""
    import pandas as pd

    total = result.total / unit.divisor
    p5, p50, p95 = np.percentile(total, [5, 50, 95], axis=0)
    x = result.months.to_timestamp()
    figure = new_figure(10.5, 4.8)
    axis = figure.add_subplot()
    axis.fill_between(
        x,
        p5,
        p95,
        step="mid",
        alpha=0.25,
        color=BLUE,
        label=text("5–95 百分位", "5–95th percentile"),
    )
    axis.step(x, p50, where="mid", color=BLUE, label=text("中位数", "median"))
    axis.step(
        x,
        total.mean(axis=0),
        where="mid",
        color="black",
        linestyle="--",
        linewidth=0.8,
        label=text("均值", "mean"),
    )
    if result.years[-1] > result.horizon[-1]:
        axis.axvspan(
            pd.Timestamp(f"{result.horizon[-1] + 1}-01-01"),
            x[-1],
            color=GREY,
            alpha=0.1,
            label=text("测算期后", "after the horizon"),
        )
    axis.set_xlabel(text("月份", "month"))
    axis.set_ylabel(money_label(unit, "每月支出", "cash out per month"))
    money_axis(axis.yaxis, unit)
    zh, en = names_for(result.scenario_name, names)
    heading(
        axis,
        f"{zh}：月度现金支出（{result.draws:,} 次模拟）",
        f"{en}: monthly cash out ({result.draws:,} draws)",
    )
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


__all__ = [
    "cashflow_chart",
    "convergence_chart",
    "delta_chart",
    "distribution_chart",
    "fan_chart",
    "fan_overlay_chart",
    "loss_ratio_chart",
    "loss_ratio_charts",
    "save_figure",
    "sobol_chart",
    "spider_chart",
    "tornado_chart",
]
