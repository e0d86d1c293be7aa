"""The clause readings in the HTML report: the readings envelope beside the Monte Carlo
interval on the first screen, and the section 「条文解读 Clause readings」."""

from __future__ import annotations

import pandas as pd

from model.analysis.readings import ReadingsResult
from model.core.units import Unit
from model.report.html import (
    format_money,
    html_note,
    html_section,
    html_table,
    html_tile,
    select_columns,
)
from model.report.units import to_unit

#: Columns of the readings table shown in the report (the CSV holds them all).
READING_COLUMNS = (
    "where",
    "in_force",
    "reading_zh",
    "reading_en",
    "turns_on",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
    "analytic_delta",
    "delta_p95",
)
ENVELOPE_COLUMNS = (
    "mean",
    "p5",
    "p95",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
    "sum_of_readings",
    "interaction",
    "readings",
)


def envelope_tile(uncertainty: pd.DataFrame, unit: Unit, span: str) -> str:
    """The headline tile of the readings envelope (to stand beside the Monte Carlo one)."""
    row = uncertainty.loc["readings_envelope"]
    low, high = (format_money(row[k] / unit.divisor, unit) for k in ("low_yuan", "high_yuan"))
    return html_tile(
        f"{span} 年条文解读包络",
        f"readings envelope, {span}",
        f"{low} – {high} {unit.label_zh}",
        "最低与最高成本的条文解读组合（均值）；与蒙特卡洛区间是两类不同的不确定性",
        f"means of the lowest- and highest-cost combinations of clause readings, {unit.value}; "
        "a different kind of uncertainty from the Monte Carlo interval",
    )


def readings_section(result: ReadingsResult, unit: Unit) -> str:
    """The section 「条文解读 Clause readings」: every reading's paired change of the cost
    over the horizon (by year in ``readings.csv``), and the envelope."""
    table = select_columns(to_unit(result.totals(), unit), READING_COLUMNS, unit)
    envelope = select_columns(to_unit(result.envelope, unit), ENVELOPE_COLUMNS, unit)
    note = html_note(
        f"每种解读相对现行解读的市级支出变动，{result.draws:,} 次配对模拟（共同随机数），随机种子 "
        f"{result.seed}；区间为均值变动的 95% 置信区间。“所依据的原文”逐字引自征求意见稿。",
        f"Each reading's change of the cost to the city against the readings in force, on "
        f"{result.draws:,} paired draws (common random numbers), seed {result.seed}; the "
        "interval is the 95% confidence interval of the change in the mean. The words each "
        "reading turns on are quoted word for word from the draft.",
    )
    envelope_note = html_note(
        "包络：每条条文取其成本最低（最高）的解读，组合后一并模拟；"
        "交互作用 = 组合变动 − 单项变动之和。",
        "Envelope: every clause at its lowest-cost (highest-cost) reading, simulated "
        "together; interaction = the combination's change − the sum of the single changes.",
    )
    body = (
        note
        + html_table(table, unit, table_id="readings")
        + html_section(
            "readings_envelope",
            html_table(envelope, unit, table_id="readings_envelope") + envelope_note,
            level=3,
        )
    )
    return html_section("readings", body)


__all__ = ["ENVELOPE_COLUMNS", "READING_COLUMNS", "envelope_tile", "readings_section"]
