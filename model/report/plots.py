"""Charts of a run.

Charts are built on :class:`matplotlib.figure.Figure` directly, without pyplot: no GUI
backend is involved, nothing global is changed at import time, and in a notebook a
returned figure shows inline.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from model.fonts import configure_cjk_font, label
from model.schema import Unit
from model.tables import Summary

#: Units as chart labels in English (the Chinese is ``Unit.label_zh``).
UNIT_NAMES = {Unit.YUAN: "yuan", Unit.WAN: "10k yuan (wan)", Unit.YI: "100m yuan (yi)"}


def unit_label(unit: Unit) -> str:
    """An axis label of money: ``市级支出 (万元) / city cost (10k yuan (wan))``, or the
    English alone without a CJK font."""
    return label(f"市级支出 ({unit.label_zh})", f"city cost ({UNIT_NAMES[unit]})")


def fan_chart(summary: Summary, unit: Unit = Unit.WAN) -> Figure:
    """Fan chart of the city's yearly total: median, 50% and 90% bands, mean.

    Years after the horizon (commitments) are shaded. Labels are bilingual when a CJK
    font is available (:mod:`model.fonts`).
    """
    configure_cjk_font()
    fan = summary.tables["fan"] / unit.divisor
    years = [int(y) for y in fan.index]
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axis = figure.add_subplot()
    axis.fill_between(
        years,
        fan["p5"],
        fan["p95"],
        alpha=0.2,
        color="tab:blue",
        label=label("5–95 百分位", "5–95th percentile"),
    )
    axis.fill_between(
        years,
        fan["p25"],
        fan["p75"],
        alpha=0.35,
        color="tab:blue",
        label=label("25–75 百分位", "25–75th percentile"),
    )
    axis.plot(years, fan["p50"], color="tab:blue", label=label("中位数", "median"))
    axis.plot(
        years, fan["mean"], color="black", linestyle="--", linewidth=1, label=label("均值", "mean")
    )
    if years[-1] > summary.horizon[-1]:
        axis.axvspan(
            summary.horizon[-1] + 0.5,
            years[-1] + 0.5,
            color="grey",
            alpha=0.1,
            label=label("规划期后的跨期承诺", "committed beyond horizon"),
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
    axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
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


def save_figure(figure: Figure, path) -> None:
    """Save a PNG without run-dependent metadata (so reruns are byte-identical)."""
    figure.savefig(path, dpi=120, metadata={"Software": None})
    if figure.canvas.manager is not None:  # a pyplot figure: release it
        import matplotlib.pyplot as plt

        plt.close(figure)


__all__ = ["UNIT_NAMES", "fan_chart", "save_figure", "unit_label"]
