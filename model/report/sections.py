"""The sections of the HTML report (:mod:`model.report.report`): the headline figures,
the budget tables, commitments, the funds against their tolerance, the comparison of
variants, every assumption with its basis and the run manifest. Each returns HTML."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from model.analysis.compare import Comparison
from model.analysis.tables import Summary
from model.core.units import Unit
from model.policy.assumptions import assumption_rows
from model.policy.scenario import Scenario
from model.report.html import (
    esc,
    format_money,
    html_bilingual,
    html_figure,
    html_note,
    html_section,
    html_table,
    html_tile,
    select_columns,
)
from model.report.labels import COLUMNS, MANIFEST_KEYS, PERIODS, column_names
from model.report.readings_report import envelope_tile
from model.report.units import to_unit

#: The budget tables of the report, in order, with the columns shown (the Excel workbook
#: holds them all). ``mean_YEARS`` stands for the yearly means.
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "summary_by_year": (
        "mean",
        "mcse",
        "p5",
        "p50",
        "p95",
        "p99",
        "bar",
        "p_exceed",
        "gross_mean",
        "unfunded_mean",
        "analytic_mean",
    ),
    "budget_by_chapter": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_article": ("chapter", "items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_unit": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_item": (
        "article",
        "name_zh",
        "name_en",
        "unit",
        "payment",
        "cap",
        "mean_YEARS",
        "mean",
        "p5",
        "p95",
        "bar",
        "committed_mean",
    ),
}


COMMITMENT_COLUMNS = (
    "article",
    "name_zh",
    "name_en",
    "payment",
    "mean_YEARS",
    "committed_mean",
    "committed_p50",
    "committed_p95",
)


TOLERANCE_COLUMNS = (
    "tolerance",
    "tolerance_rule",
    "loss_measure",
    "mean_invested",
    "loss_ratio_p05",
    "loss_ratio_p50",
    "loss_ratio_p95",
    "p_breach_liquidation",
    "p_breach_liquidation_se",
    "expected_excess_loss",
    "expected_city_loss",
    "city_net_cost_mean",
    "p_city_net_loss",
)


FUND_PERIOD_COLUMNS = (
    "years",
    "city_calls_mean",
    "city_distributions_mean",
    "city_net_outlay_mean",
)


COMPARE_COLUMNS = (
    "base_mean",
    "variant_mean",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
    "analytic_delta",
    "delta_p95",
    "p_variant_higher",
    "variance_reduction",
)


COMPARE_ITEM_COLUMNS = (
    "rank",
    "article",
    "name_zh",
    "name_en",
    "base_mean",
    "variant_mean",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
)


#: Biggest movers shown per variant.
TOP_MOVERS = 10


#: Manifest entries shown elsewhere in the report.
MANIFEST_SKIP = {"title_zh", "title_en", "years", "files_sha256"}


def headline(summary: Summary, unit: Unit, uncertainty: pd.DataFrame | None = None) -> str:
    """The first screen: the expected total with its Monte Carlo interval and, when the
    clause readings were costed (``uncertainty``), the readings envelope beside it."""
    by_year = summary.tables["summary_by_year"]
    horizon = [str(y) for y in summary.horizon]
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    total = by_year.iloc[-1]
    yearly = by_year.loc[horizon]
    peak = str(yearly["mean_yuan"].idxmax())
    u_zh, u_en = unit.label_zh, unit.value
    money = lambda value: f"{format_money(value / unit.divisor, unit)} {u_zh}"  # noqa: E731
    tiles = [
        html_tile(
            f"{span} 年市级支出预计总额",
            f"expected total cost to the city, {span}",
            money(total["mean_yuan"]),
            f"蒙特卡洛 90% 区间 {format_money(total['p5_yuan'] / unit.divisor, unit)} – "
            f"{format_money(total['p95_yuan'] / unit.divisor, unit)}（所选解读与假设）",
            f"Monte Carlo 90% interval (P5–P95) of the chosen readings and assumptions, {u_en}",
        ),
        *([envelope_tile(uncertainty, unit, span)] if uncertainty is not None else []),
        html_tile(
            "支出峰值年度",
            "peak year (highest mean)",
            peak,
            f"均值 {money(yearly.loc[peak, 'mean_yuan'])}，"
            f"P95 {money(yearly.loc[peak, 'p95_yuan'])}",
            f"mean and P95 in {u_en}",
        ),
        html_tile(
            "风险预算 (P95−均值)",
            f"Budget-at-Risk (P95 − mean), {span}",
            money(total["bar_yuan"]),
            f"峰值年度 {money(yearly.loc[peak, 'bar_yuan'])}",
            f"peak year, {u_en}",
        ),
    ]
    commitments = summary.tables["commitments"]
    if "total" in commitments.index:
        later = [y for y in summary.years if y > summary.horizon[-1]]
        row = commitments.loc["total"]
        after = f"{later[0]}–{later[-1]}" if later else f"after {summary.horizon[-1]}"
        p95 = row.get("committed_p95_yuan", math.nan)
        tiles.append(
            html_tile(
                f"测算期后的跨期承诺 ({after})",
                f"committed beyond the horizon ({after})",
                money(row["committed_mean_yuan"]),
                f"P95 {money(p95)}" if pd.notna(p95) else "均值",
                f"P95, {u_en}" if pd.notna(p95) else "mean",
            )
        )
    if "p_exceed" in yearly and summary.budget_yuan is not None:
        worst = str(yearly["p_exceed"].idxmax())
        tiles.append(
            html_tile(
                "超预算概率 (最高年度)",
                "P(yearly cost > budget), worst year",
                f"{yearly.loc[worst, 'p_exceed']:.1%}",
                f"{worst} 年；预算 {money(summary.budget_yuan)}",
                f"in {worst}; budget in {u_en}",
            )
        )
    notes = html_note(
        f"市级支出指市财政的全部支出：各项奖补、基金出资、先投后股资金和贷款风险补偿，"
        f"未扣减基金回收。基于 {summary.draws:,} 次蒙特卡洛模拟；金额单位为{u_zh}。",
        f"Cost to the city is every outlay of the city budget: grants and subsidies, fund "
        f"capital calls, 先投后股 grants and loan compensation, before any fund "
        f"distributions. {summary.draws:,} Monte Carlo draws; money in {u_zh} ({u_en}).",
    )
    return html_section("headline", f'<div class="tiles">{"".join(tiles)}</div>{notes}')


def budget_sections(summary: Summary, unit: Unit) -> list[str]:
    sections = []
    notes = {
        "summary_by_year": html_note(
            "P5/P95 为分位数；风险预算 = P95 − 均值；最后一行为测算期合计（各年合计的分布）。",
            "P5/P95 are percentiles; Budget-at-Risk = P95 − mean; the last row is the "
            "horizon total (the distribution of the sum over the years).",
        ),
        "budget_by_item": html_note(
            "年度列为均值；均值至 P95 为测算期合计；跨期承诺为测算期后仍需支付的均值。",
            "Yearly columns are means; mean to Budget-at-Risk are of the horizon total; "
            "'committed beyond horizon' is the mean still owed after the horizon.",
        ),
    }
    for name, columns in BUDGET_COLUMNS.items():
        table = select_columns(to_unit(summary.tables[name], unit), columns, unit)
        sections.append(
            html_section(name, html_table(table, unit, table_id=name) + notes.get(name, ""))
        )
    return sections


def commitments_section(summary: Summary, unit: Unit) -> str:
    table = select_columns(to_unit(summary.tables["commitments"], unit), COMMITMENT_COLUMNS, unit)
    note = html_note(
        "测算期内作出、测算期后仍需支付的承诺（年度均值）。",
        "Commitments made within the horizon and paid after it (yearly means).",
    )
    return html_section("commitments", html_table(table, unit, table_id="commitments") + note)


def funds_section(summary: Summary, unit: Unit, charts: Mapping[str, str]) -> str:
    parts = []
    tolerance = summary.programme_tables.get("tolerance")
    if tolerance is not None:
        table = tolerance.droplevel("fund") if "fund" in tolerance.index.names else tolerance
        table = select_columns(to_unit(table, unit), TOLERANCE_COLUMNS, unit)
        parts.append(
            html_section(
                "tolerance",
                html_table(table, unit, table_id="tolerance")
                + html_note(
                    "清算时基金累计亏损与投资额之比超过容忍率即为突破。",
                    "A breach: the fund's cumulative loss over invested "
                    "capital exceeds its tolerance rate at liquidation.",
                ),
                level=3,
            )
        )
    totals = summary.programme_tables.get("funds_totals")
    if totals is not None:
        table = totals.droplevel("id") if "id" in totals.index.names else totals
        table = table.rename(index=lambda name: " ".join(PERIODS.get(name, (name,))))
        table = select_columns(to_unit(table, unit), FUND_PERIOD_COLUMNS, unit)
        parts.append(
            html_section(
                "funds_totals",
                html_table(table, unit, table_id="funds_totals")
                + html_note(
                    "市级出资（资本金缴付与管理费）、市级分配回款及净支出，按期间列示；"
                    "各行注明所含年度。测算期前 + 测算期 + 测算期后 = 全周期；"
                    "规划期前 + 规划期 + 规划期后 = 全周期。",
                    "The city's capital calls (investments and fees), its distributions and its "
                    "net outlay by period, each row with its years: before + in + beyond the "
                    "horizon = the life; before + in + after the plan years = the life.",
                ),
                level=3,
            )
        )
    first = summary.programme_tables.get("first_breach_year")
    if first is not None and "share" in first:
        flat = first.reset_index()
        flat["first_breach_year"] = flat["first_breach_year"].map(str)
        wide = flat.pivot_table(
            index="id", columns="first_breach_year", values="share", aggfunc="sum", sort=False
        )
        years = sorted(wide.columns, key=lambda year: (not year.isdigit(), year))
        # share columns are named p_<year> so that they read as probabilities
        wide = wide[years].fillna(0.0)
        wide.columns = pd.Index([f"p_{year}" for year in years])
        headers = {
            f"p_{year}": (("未超出", "no breach") if year == "none" else (f"{year} 年", str(year)))
            for year in years
        }
        body = html_table(wide, unit, table_id="first_breach_year", headers=headers)
        parts.append(
            html_section(
                "first_breach_year",
                body
                + html_note(
                    "各基金首次超出容忍率的年度分布（模拟次数占比）。",
                    "Share of draws in which each fund first breaches its tolerance, by year.",
                ),
                level=3,
            )
        )
    for name, uri in charts.items():
        if name.startswith("loss_ratio_"):
            fund = name.removeprefix("loss_ratio_").removesuffix(".png")
            parts.append(
                html_figure(
                    uri,
                    f"{fund}：清算亏损率分布",
                    f"{fund}: loss ratio at liquidation, with the tolerance rate",
                )
            )
    return html_section("funds", "".join(parts)) if parts else ""


def _format_value(value: Any) -> str:
    """An assumption's value, compact (``dist: poisson, mean: 2``)."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_format_value(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) < 1e15
        return f"{int(value):,}" if whole else f"{value:,.6g}"
    return "" if value is None else str(value)


def assumptions_section(scenario: Scenario) -> str:
    header = "".join(
        f'<th scope="col">{html_bilingual(*column_names(c))}</th>'
        for c in ("item", "article", "assumption", "value", "basis")
    )
    rows, previous = [], None
    for row in assumption_rows(scenario):
        first = row["item"] != previous
        previous = row["item"]
        article = "" if row["article"] is None or not first else row["article"]
        item = (
            (
                f'<span class="zh" lang="zh-CN">{esc(row["name_zh"])}</span>'
                f'<span class="id">{esc(row["item"])}</span>'
            )
            if first
            else ""
        )
        cells = [
            f'<td class="name">{item}</td>',
            f'<td class="num">{esc(article)}</td>',
            f'<td class="text">{esc(row["assumption"])}</td>',
            f'<td class="text value">{esc(_format_value(row["value"]))}</td>',
            f'<td class="text basis">{esc(row["basis"])}</td>',
        ]
        row_class = ' class="group"' if first else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    table = (
        f'<div class="scroll"><table id="assumptions" class="assumptions"><thead><tr>'
        f"{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    note = html_note(
        "每项假设及其依据：政策原文（条款）或明示的估计。",
        "Every assumption with its basis: the policy text (article) or a stated estimate.",
    )
    return html_section("assumptions", note + table)


def manifest_section(manifest: Mapping[str, Any]) -> str:
    rows = []
    for key, value in manifest.items():
        if key in MANIFEST_SKIP or value is None:
            continue
        zh, en = MANIFEST_KEYS.get(key, (key, key))
        if isinstance(value, list | tuple) and key == "horizon" and len(value) == 2:
            text = f"{value[0]}–{value[1]}"
        elif isinstance(value, list | tuple):
            text = "\n".join(map(str, value))
        elif isinstance(value, Mapping):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "" if value is None else str(value)
        rows.append(
            f'<tr><th scope="row">{html_bilingual(zh, en)}</th>'
            f'<td class="text mono" data-col="{esc(key)}">{esc(text)}</td></tr>'
        )
    body = f'<table id="manifest" class="manifest"><tbody>{"".join(rows)}</tbody></table>'
    files = manifest.get("files_sha256") or {}
    if files:
        file_rows = "".join(
            f'<tr><td class="text mono" data-col="file">{esc(name)}</td>'
            f'<td class="text mono" data-col="sha256">{esc(digest)}</td></tr>'
            for name, digest in files.items()
        )
        header = "".join(
            f'<th scope="col">{html_bilingual(*COLUMNS[c])}</th>' for c in ("file", "sha256")
        )
        body += html_section(
            "files",
            f'<div class="scroll"><table id="files"><thead><tr>{header}'
            f"</tr></thead><tbody>{file_rows}</tbody></table></div>",
            level=3,
        )
    return html_section("manifest", body)


def comparison_section(comparison: Comparison, unit: Unit, charts: Mapping[str, str]) -> str:
    table = select_columns(to_unit(comparison.tables["compare"], unit), COMPARE_COLUMNS, unit)
    items = comparison.tables["compare_items"]
    moved = items[items["delta_mean_yuan"] != 0]
    movers = moved.groupby(level="variant", sort=False).head(TOP_MOVERS)
    movers = select_columns(to_unit(movers, unit), COMPARE_ITEM_COLUMNS, unit)
    note = html_note(
        f"方案减基准，{comparison.draws:,} 次配对模拟（共同随机数），随机种子 {comparison.seed}；"
        "95% 区间为均值变动的置信区间。",
        f"Variant minus {comparison.base_name} on {comparison.draws:,} paired draws (common "
        f"random numbers), seed {comparison.seed}; the 95% interval is that of the change "
        "in the mean.",
    )
    body = [note, html_table(table, unit, table_id="compare")]
    if "compare_delta" in charts:
        body.append(
            html_figure(
                charts["compare_delta"],
                "均值变动及 95% 区间",
                "Change in the mean cost, with 95% intervals",
            )
        )
    if "compare_fan" in charts:
        body.append(
            html_figure(
                charts["compare_fan"],
                "各方案年度支出（中位数及 5–95% 区间）",
                "Yearly cost of each scenario (median and 5–95% band)",
            )
        )
    body.append(
        html_section("compare_items", html_table(movers, unit, table_id="compare_items"), level=3)
    )
    return html_section("compare", "".join(body))


__all__ = [
    "assumptions_section",
    "budget_sections",
    "commitments_section",
    "comparison_section",
    "funds_section",
    "headline",
    "manifest_section",
]
