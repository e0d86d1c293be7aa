"""Charts of a run (matplotlib, drawn off-screen)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from model.schema import Unit
from model.tables import Summary

#: Units as chart labels (English until a CJK font is bundled).
UNIT_NAMES = {Unit.YUAN: "yuan", Unit.WAN: "10k yuan (wan)", Unit.YI: "100m yuan (yi)"}


def fan_chart(summary: Summary, unit: Unit = Unit.WAN) -> Figure:
    """Fan chart of the city's yearly total: median, 50% and 90% bands, mean.

    Years after the horizon (commitments) are shaded.
    """
    fan = summary.tables["fan"] / unit.divisor
    years = [int(y) for y in fan.index]
    figure, axis = plt.subplots(figsize=(8, 4.5), layout="constrained")
    axis.fill_between(years, fan["p5"], fan["p95"], alpha=0.2, color="tab:blue",
                      label="5–95th percentile")
    axis.fill_between(years, fan["p25"], fan["p75"], alpha=0.35, color="tab:blue",
                      label="25–75th percentile")
    axis.plot(years, fan["p50"], color="tab:blue", label="median")
    axis.plot(years, fan["mean"], color="black", linestyle="--", linewidth=1, label="mean")
    if years[-1] > summary.horizon[-1]:
        axis.axvspan(summary.horizon[-1] + 0.5, years[-1] + 0.5, color="grey", alpha=0.1,
                     label="committed beyond horizon")
    if summary.budget_yuan is not None:
        axis.axhline(summary.budget_yuan / unit.divisor, color="tab:red", linewidth=1,
                     label="budget")
    axis.set_xticks(years)
    axis.set_xlabel("year")
    axis.set_ylabel(f"city cost ({UNIT_NAMES[unit]})")
    axis.set_title(f"{summary.scenario_name}: yearly cost to the city "
                   f"({summary.draws:,} draws)")
    axis.legend(loc="upper right", fontsize="small")
    axis.grid(alpha=0.3)
    return figure


def save_figure(figure: Figure, path) -> None:
    """Save a PNG without run-dependent metadata (so reruns are byte-identical)."""
    figure.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(figure)


__all__ = ["fan_chart", "save_figure"]
