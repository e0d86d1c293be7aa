"""The timeline's tables: monthly cash flow, the peak month and rationing by item.

:func:`summarize_timeline` turns a :class:`model.sim.timeline.TimelineResult` into them;
its chart is :func:`model.report.plots.cashflow_chart`, its command ``fiscalsim timeline``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.sim.timeline import OUTCOMES, TimelineResult


def summarize_timeline(result: TimelineResult) -> dict[str, pd.DataFrame]:
    """The timeline's tables (money in ``*_yuan`` columns).

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
            "mean_yuan": values.mean(axis=0).ravel(),
            "p5_yuan": quantiles[0].ravel(),
            "p50_yuan": quantiles[1].ravel(),
            "p95_yuan": quantiles[2].ravel(),
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
        "mean_yuan": values.mean(),
        "p5_yuan": p5,
        "p50_yuan": p50,
        "p95_yuan": p95,
    }


def _rationing_table(result: TimelineResult) -> pd.DataFrame:
    columns = ["p_rationed", "wait_months_mean", "mean_demand_yuan"] + [
        column
        for outcome in OUTCOMES
        for column in (f"applications_{outcome}", f"mean_{outcome}_yuan")
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
    table["mean_demand_yuan"] = [
        demand[position[item], result.years.index(year)] for item, year in table.index
    ]
    for outcome in OUTCOMES:
        table[f"applications_{outcome}"] = sums.get(("applications", outcome), 0.0)
        table[f"mean_{outcome}_yuan"] = sums.get(("amount_yuan", outcome), 0.0)
    return table[columns]


__all__ = ["summarize_timeline"]
