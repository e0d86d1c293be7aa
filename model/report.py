"""A self-contained HTML report of a run, in Chinese and English.

The report is one file that opens in any browser, offline and without a server: the
CSS is inline, the charts are PNG images embedded as ``data:`` URIs, and nothing is
fetched from anywhere (the browser's own fonts show the Chinese text). It holds the
headline figures, the budget tables, the fan chart, the funds against their tolerance
rates, the commitments beyond the horizon, every assumption with its basis, the run
manifest and, when given, a comparison of policy variants.

``fiscalsim report SCENARIO`` runs a batch and writes ``report.html`` beside its tables;
:func:`attach_report` adds the report to a finished :func:`model.batch.run_batch`.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.labels import COLUMN_LABELS, TABLE_TITLES, column_label
from model.scenario import Scenario, assumption_rows
from model.schema import Unit
from model.tables import Summary, in_unit

if TYPE_CHECKING:
    from model.batch import RunOutput
    from model.compare import Comparison

#: File name of the report inside a run's output folder.
REPORT_FILE = "report.html"
#: The policy the model costs.
POLICY_ZH = "关于科技创新推动新质生产力发展的实施意见"
POLICY_EN = "Changchun's draft opinions on S&T innovation driving new quality productive forces"
#: Decimals of money in each presentation unit.
MONEY_DECIMALS = {Unit.YUAN: 0, Unit.WAN: 1, Unit.YI: 2}
#: Units in English, for the tables' captions.
UNIT_EN = {Unit.YUAN: "yuan", Unit.WAN: "10,000 yuan (wan)", Unit.YI: "100 million yuan (yi)"}
#: Payment kinds (:class:`model.schema.PaymentKind`) in Chinese.
PAYMENT_ZH = {"one_time": "一次性", "annual_for_years": "定期按年", "recurring_annual": "持续按年",
              "staged": "分阶段", "per_event": "按次", "formula": "按公式", "fund": "基金出资"}

#: The budget tables of the report, in order, with the columns shown (the Excel workbook
#: holds them all). ``mean_YEARS`` stands for the yearly means.
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "summary_by_year": ("mean", "mcse", "p5", "p50", "p95", "p99", "bar", "p_exceed",
                        "gross_mean", "unfunded_mean", "analytic_mean"),
    "budget_by_chapter": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_article": ("chapter", "items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_unit": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_item": ("article", "name_zh", "name_en", "unit", "payment", "cap", "mean_YEARS",
                       "mean", "p5", "p95", "bar", "committed_mean"),
}
COMMITMENT_COLUMNS = ("article", "name_zh", "name_en", "payment", "mean_YEARS",
                      "committed_mean", "committed_p50", "committed_p95")
TOLERANCE_COLUMNS = ("tolerance", "tolerance_rule", "loss_measure", "mean_invested",
                     "loss_ratio_p05", "loss_ratio_p50", "loss_ratio_p95",
                     "p_breach_liquidation", "p_breach_liquidation_se",
                     "expected_excess_loss", "expected_city_loss", "city_net_cost_mean",
                     "p_city_net_loss")
COMPARE_COLUMNS = ("base_mean", "variant_mean", "delta_mean", "delta_ci_low", "delta_ci_high",
                   "analytic_delta", "delta_p95", "p_variant_higher", "variance_reduction")
COMPARE_ITEM_COLUMNS = ("rank", "article", "name_zh", "name_en", "base_mean", "variant_mean",
                        "delta_mean", "delta_ci_low", "delta_ci_high")
#: Columns dropped when they are zero throughout (and any column that is NaN throughout).
OPTIONAL_COLUMNS = {"unfunded_mean", "committed_mean", "analytic_delta"}
#: Biggest movers shown per variant.
TOP_MOVERS = 10

#: Bilingual names of the columns :mod:`model.labels` does not know (funds, comparison,
#: assumptions, manifest), by column stem (money columns without their unit suffix).
EXTRA_LABELS = {
    "tolerance": ("容忍率", "tolerance rate"), "tolerance_rule": ("容忍规则", "tolerance rule"),
    "loss_measure": ("损失口径", "loss measure"),
    "mean_invested": ("平均投资额", "mean invested"),
    "loss_ratio_p05": ("清算亏损率 P5", "loss ratio at liquidation, P5"),
    "loss_ratio_p50": ("清算亏损率中位数", "loss ratio at liquidation, median"),
    "loss_ratio_p95": ("清算亏损率 P95", "loss ratio at liquidation, P95"),
    "p_breach_liquidation": ("清算时超出容忍率概率", "P(breach at liquidation)"),
    "p_breach_liquidation_se": ("其标准误", "its standard error"),
    "p_breach_ever": ("任一年超出容忍率概率", "P(breach in any year)"),
    "expected_excess_loss": ("超出容忍率的预期损失", "expected loss beyond tolerance"),
    "expected_city_loss": ("市级承担的预期损失", "expected city share of losses"),
    "city_net_cost_mean": ("市级净成本均值", "city net cost, mean"),
    "city_net_cost_p95": ("市级净成本 P95", "city net cost, P95"),
    "p_city_net_loss": ("市级净亏损概率", "P(city loses money)"),
    "id": ("基金", "fund"), "first_breach_year": ("首次超出年度", "first year of breach"),
    "base_mean": ("基准均值", "base mean"), "variant_mean": ("方案均值", "variant mean"),
    "delta_mean": ("均值变动", "Δ mean"), "delta_se": ("变动标准误", "standard error of Δ"),
    "delta_ci_low": ("95% 区间下限", "95% interval, low"),
    "delta_ci_high": ("95% 区间上限", "95% interval, high"),
    "analytic_delta": ("解析变动", "analytic Δ"), "delta_p50": ("中位数变动", "Δ median"),
    "delta_p95": ("P95 变动", "Δ P95"),
    "p_variant_higher": ("方案更高的概率", "P(variant costs more)"),
    "variance_reduction": ("方差缩减倍数", "variance reduction ×"),
    "rank": ("排序", "rank"), "variant": ("方案", "variant"),
    "assumption": ("假设", "assumption"), "value": ("取值", "value"), "basis": ("依据", "basis"),
    "file": ("文件", "file"), "sha256": ("SHA-256", "SHA-256"),
    "name": ("名称", "name"), "item": ("项目", "line item"),
}
#: Bilingual names of manifest entries (others are shown under their key).
MANIFEST_LABELS = {
    "scenario": ("情景", "scenario"), "seed": ("随机种子", "root seed"),
    "draws": ("模拟次数", "draws"), "version": ("fiscalsim 版本", "fiscalsim version"),
    "scenario_sha256": ("情景哈希", "scenario SHA-256"),
    "scenario_files": ("情景文件", "scenario files"), "unit": ("金额单位", "unit"),
    "horizon": ("规划期", "horizon"), "budget_yuan": ("年度预算 (元)", "yearly budget (yuan)"),
    "block_draws": ("随机流分块", "draws per random-stream block"),
    "exact_sum_max_count": ("精确求和上限", "exact-sum max count"),
    "started_utc": ("开始时间 (UTC)", "started (UTC)"),
    "duration_s": ("用时 (秒)", "duration (s)"), "python": ("Python", "Python"),
    "numpy": ("NumPy", "NumPy"), "platform": ("平台", "platform"), "tool": ("工具", "tool"),
}
#: Manifest entries shown elsewhere in the report.
MANIFEST_SKIP = {"title_zh", "title_en", "years", "files_sha256"}
#: Section titles of the report that are not tables of :data:`model.labels.TABLE_TITLES`.
SECTION_TITLES = {
    "headline": ("要点", "Headline"),
    "fan_chart": ("年度市级支出扇形图", "Fan chart of the yearly cost to the city"),
    "funds": ("基金与容忍率", "Funds against their tolerance rates (article 20)"),
    "tolerance": ("容忍率突破风险", "Tolerance breach risk by fund"),
    "first_breach_year": ("首次超出容忍率的年度", "First year of breach"),
    "compare": ("方案对比", "Variants against the base"),
    "compare_items": ("变动最大的项目", "Biggest movers (horizon total)"),
    "files": ("输出文件", "Output files"),
}

_YEAR_MEAN = re.compile(r"^mean_\d{4}$")


# ------------------------------------------------------------------ formatting
def _e(text: Any) -> str:
    return html.escape(str(text))


def _bilingual(zh: str, en: str, tag: str = "span") -> str:
    return f'<{tag} class="zh" lang="zh-CN">{_e(zh)}</{tag}> <{tag} class="en" lang="en">' \
           f"{_e(en)}</{tag}>"


def _stem(column: str, unit: Unit) -> tuple[str, bool]:
    """A column's name without its unit suffix, and whether it holds money."""
    suffix = f"_{unit.value}"
    return (column[: -len(suffix)], True) if column.endswith(suffix) else (column, False)


def _column_names(column: Any, unit: Unit) -> tuple[str, str]:
    """The (Chinese, English) header of a column; money columns without their unit,
    which the table's caption names."""
    stem, _ = _stem(str(column), unit)
    if stem in EXTRA_LABELS and stem not in COLUMN_LABELS:
        return EXTRA_LABELS[stem]
    zh, _, en = column_label(stem, unit).partition(" / ")
    return zh, en


def _money(value: float, unit: Unit) -> str:
    return f"{value:,.{MONEY_DECIMALS[unit]}f}"


def _format(column: str, value: Any, unit: Unit) -> tuple[str, bool]:
    """A cell's text and whether it is a number (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "", True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value), False
    stem, money = _stem(column, unit)
    if money:
        return _money(value, unit), True
    if stem.startswith(("p_", "loss_ratio_")) or stem in ("tolerance", "share", "city_share"):
        return f"{value:.1%}", True
    if stem in ("items", "article", "rank", "draws") or stem.endswith("year"):
        return f"{value:.0f}", True
    if stem.startswith("recipients_"):
        return f"{value:,.1f}", True
    if stem == "z":
        return f"{value:+.2f}", True
    if stem == "variance_reduction":
        return "∞" if math.isinf(value) else f"{value:,.1f}", True
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}", True


def _select(table: pd.DataFrame, columns: Sequence[str], unit: Unit) -> pd.DataFrame:
    """The listed columns that exist (``mean_YEARS`` expanded), in the given order, less
    columns that are empty throughout."""
    chosen: list[str] = []
    for wanted in columns:
        for column in map(str, table.columns):
            stem, _ = _stem(column, unit)
            if (stem == wanted or (wanted == "mean_YEARS" and _YEAR_MEAN.match(stem))) and (
                    column not in chosen):
                chosen.append(column)
    out = table[chosen]
    keep = []
    for column in chosen:
        values = out[column]
        if values.isna().all():
            continue
        if _stem(column, unit)[0] in OPTIONAL_COLUMNS and (values.fillna(0) == 0).all():
            continue
        keep.append(column)
    return out[keep]


def _yuan_to_unit(table: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """The extras' ``*_yuan`` columns converted to ``unit`` and renamed ``*_<unit>``."""
    out = table.copy()
    renames = {}
    for column in out.columns:
        name = str(column)
        if name.endswith("_yuan"):
            out[column] = out[column] / unit.divisor
            renames[column] = f"{name[:-5]}_{unit.value}"
    return out.rename(columns=renames)


def _cell(column: str, value: Any, unit: Unit) -> str:
    """A ``<td>`` (contents escaped)."""
    if column == "payment" and isinstance(value, str) and value in PAYMENT_ZH:
        return (f'<td class="text" data-col="payment">'
                f'{_bilingual(PAYMENT_ZH[value], value.replace("_", " "))}</td>')
    text, number = _format(column, value, unit)
    css = "num" if number else "text"
    return f'<td class="{css}" data-col="{_e(column)}">{_e(text)}</td>'


def _name_cell(name_zh: Any, name_en: Any, item_id: str | None) -> str:
    """A line item's names (and id) in one cell."""
    ident = f'<span class="id">{_e(item_id)}</span>' if item_id else ""
    return (f'<td class="name" data-col="name_zh"><span class="zh" lang="zh-CN">'
            f'{_e(name_zh)}</span> <span class="en" lang="en">{_e(name_en)}</span>'
            f"{ident}</td>")


def html_table(table: pd.DataFrame, unit: Unit, *, table_id: str | None = None,
               headers: Mapping[str, tuple[str, str]] | None = None) -> str:
    """A DataFrame as an HTML table: bilingual headers, numbers right-aligned with
    thousands separators, money in ``unit`` (named in the caption); the index, when
    named, as row headers.

    A line item's ``name_zh`` and ``name_en`` (and its id, when the index is ``item``)
    share one cell. Every other cell carries ``data-col`` (the column's name), so that
    a reader or a test can find a figure without depending on the layout. ``headers``
    overrides the (Chinese, English) header of columns by name.
    """
    headers = headers or {}
    columns = [str(c) for c in table.columns]
    merge_names = {"name_zh", "name_en"} <= set(columns)
    names = list(table.index.names)
    ids_in_names = merge_names and names == ["item"]
    show_index = any(name is not None for name in names) and not ids_in_names
    head = []
    if show_index:
        head += [f'<th scope="col">{_bilingual(*_column_names(name or "", unit))}</th>'
                 for name in names]
    for column in columns:
        if merge_names and column == "name_en":
            continue
        if merge_names and column == "name_zh":
            names_of = EXTRA_LABELS["item" if ids_in_names else "name"]
        else:
            names_of = headers.get(column) or _column_names(column, unit)
        head.append(f'<th scope="col">{_bilingual(*names_of)}</th>')
    rows = []
    for key, values in zip(table.index, table.itertuples(index=False, name=None), strict=True):
        keys = key if isinstance(key, tuple) else (key,)
        total = any(str(k) == "total" or "–" in str(k) for k in keys)
        cells = []
        if show_index:
            cells += [f'<th scope="row">{_e("" if pd.isna(k) else k)}</th>' for k in keys]
        row = dict(zip(columns, values, strict=True))
        for column in columns:
            if merge_names and column == "name_en":
                continue
            if merge_names and column == "name_zh":
                item_id = str(key) if ids_in_names and not total else None
                cells.append(_name_cell(row["name_zh"], row["name_en"], item_id))
            else:
                cells.append(_cell(column, row[column], unit))
        row_class = ' class="total"' if total else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    attribute = f' id="{_e(table_id)}"' if table_id else ""
    money = any(_stem(column, unit)[1] for column in columns)
    caption = (f"<caption>{_bilingual(f'金额单位：{unit.label_zh}', f'money in {UNIT_EN[unit]}')}"
               "</caption>" if money else "")
    return (f'<div class="scroll"><table{attribute}>{caption}<thead><tr>{"".join(head)}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>')


# ------------------------------------------------------------------ charts
def png_data_uri(figure) -> str:
    """A matplotlib figure as a ``data:image/png;base64,…`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(uri: str, zh: str, en: str) -> str:
    return (f'<figure><img src="{uri}" alt="{_e(en)}"><figcaption>{_bilingual(zh, en)}'
            f"</figcaption></figure>")


def _charts(summary: Summary, scenario: Scenario, unit: Unit,
            comparison: Comparison | None) -> dict[str, str]:
    """Every chart of the report as a data URI, drawn with a CJK font when one exists
    (matplotlib's settings are restored afterwards)."""
    import matplotlib

    from model.extras import extra_figures
    from model.fonts import configure_cjk_font
    from model.plots import fan_chart

    with matplotlib.rc_context():
        configure_cjk_font()
        charts = {"fan_chart": png_data_uri(fan_chart(summary, unit))}
        if summary.extra_draws:
            for name, figure in extra_figures(scenario, summary.extra_draws).items():
                charts[name] = png_data_uri(figure)
        if comparison is not None:
            from model.compare import delta_chart, fan_overlay_chart

            charts["compare_delta"] = png_data_uri(delta_chart(comparison, unit))
            charts["compare_fan"] = png_data_uri(fan_overlay_chart(comparison, unit))
    return charts


# ------------------------------------------------------------------ sections
def _section(key: str, body: str, titles: tuple[str, str] | None = None,
             level: int = 2) -> str:
    zh, en = titles or TABLE_TITLES.get(key) or SECTION_TITLES[key]
    return (f'<section id="{_e(key)}"><h{level}>{_bilingual(zh, en)}</h{level}>{body}'
            f"</section>")


def _note(zh: str, en: str) -> str:
    return f'<p class="note">{_bilingual(zh, en)}</p>'


def _tile(zh: str, en: str, value: str, detail_zh: str = "", detail_en: str = "") -> str:
    detail = f'<div class="detail">{_bilingual(detail_zh, detail_en)}</div>' if (
        detail_zh or detail_en) else ""
    return (f'<div class="tile"><div class="label">{_bilingual(zh, en)}</div>'
            f'<div class="value">{_e(value)}</div>{detail}</div>')


def _headline(summary: Summary, unit: Unit) -> str:
    by_year = summary.tables["summary_by_year"]
    horizon = [str(y) for y in summary.horizon]
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    total = by_year.iloc[-1]
    yearly = by_year.loc[horizon]
    peak = str(yearly["mean"].idxmax())
    u_zh, u_en = unit.label_zh, unit.value
    money = lambda value: f"{_money(value / unit.divisor, unit)} {u_zh}"  # noqa: E731
    tiles = [
        _tile(f"{span} 年市级支出预计总额", f"expected total cost to the city, {span}",
              money(total["mean"]),
              f"90% 区间 {_money(total['p5'] / unit.divisor, unit)} – "
              f"{_money(total['p95'] / unit.divisor, unit)}",
              f"90% interval (P5–P95), {u_en}"),
        _tile("支出峰值年度", "peak year (highest mean)", peak,
              f"均值 {money(yearly.loc[peak, 'mean'])}，P95 {money(yearly.loc[peak, 'p95'])}",
              f"mean and P95 in {u_en}"),
        _tile("风险预算 (P95−均值)", f"Budget-at-Risk (P95 − mean), {span}",
              money(total["bar"]),
              f"峰值年度 {money(yearly.loc[peak, 'bar'])}", f"peak year, {u_en}"),
    ]
    commitments = summary.tables["commitments"]
    if "total" in commitments.index:
        later = [y for y in summary.years if y > summary.horizon[-1]]
        row = commitments.loc["total"]
        after = f"{later[0]}–{later[-1]}" if later else f"after {summary.horizon[-1]}"
        p95 = row.get("committed_p95", math.nan)
        tiles.append(_tile(f"规划期后的跨期承诺 ({after})",
                           f"committed beyond the horizon ({after})",
                           money(row["committed_mean"]),
                           f"P95 {money(p95)}" if pd.notna(p95) else "均值",
                           f"P95, {u_en}" if pd.notna(p95) else "mean"))
    if "p_exceed" in yearly and summary.budget_yuan is not None:
        worst = str(yearly["p_exceed"].idxmax())
        tiles.append(_tile("超预算概率 (最高年度)", "P(yearly cost > budget), worst year",
                           f"{yearly.loc[worst, 'p_exceed']:.1%}",
                           f"{worst} 年；预算 {money(summary.budget_yuan)}",
                           f"in {worst}; budget in {u_en}"))
    notes = _note(
        f"市级支出指市财政的全部支出：各项奖补、基金出资、先投后股资金和贷款风险补偿，"
        f"未扣减基金回收。基于 {summary.draws:,} 次蒙特卡洛模拟；金额单位为{u_zh}。",
        f"Cost to the city is every outlay of the city budget: grants and subsidies, fund "
        f"capital calls, 先投后股 grants and loan compensation, before any fund "
        f"distributions. {summary.draws:,} Monte Carlo draws; money in {u_zh} ({u_en}).")
    return _section("headline", f'<div class="tiles">{"".join(tiles)}</div>{notes}')


def _budget_sections(summary: Summary, unit: Unit) -> list[str]:
    sections = []
    notes = {
        "summary_by_year": _note(
            "P5/P95 为分位数；风险预算 = P95 − 均值；最后一行为规划期合计（各年合计的分布）。",
            "P5/P95 are percentiles; Budget-at-Risk = P95 − mean; the last row is the "
            "horizon total (the distribution of the sum over the years)."),
        "budget_by_item": _note(
            "年度列为均值；均值至 P95 为规划期合计；跨期承诺为规划期后仍需支付的均值。",
            "Yearly columns are means; mean to Budget-at-Risk are of the horizon total; "
            "'committed beyond horizon' is the mean still owed after the horizon."),
    }
    for name, columns in BUDGET_COLUMNS.items():
        table = _select(in_unit(summary.tables[name], unit), columns, unit)
        sections.append(_section(name, html_table(table, unit, table_id=name)
                                 + notes.get(name, "")))
    return sections


def _commitments(summary: Summary, unit: Unit) -> str:
    table = _select(in_unit(summary.tables["commitments"], unit), COMMITMENT_COLUMNS, unit)
    note = _note("规划期内作出、规划期后仍需支付的承诺（年度均值）。",
                 "Commitments made within the horizon and paid after it (yearly means).")
    return _section("commitments", html_table(table, unit, table_id="commitments") + note)


def _funds(summary: Summary, unit: Unit, charts: Mapping[str, str]) -> str:
    parts = []
    tolerance = summary.extra_tables.get("tolerance")
    if tolerance is not None:
        table = tolerance.droplevel("fund") if "fund" in tolerance.index.names else tolerance
        table = _select(_yuan_to_unit(table, unit), TOLERANCE_COLUMNS, unit)
        parts.append(_section("tolerance", html_table(table, unit, table_id="tolerance")
                              + _note("清算时基金累计亏损与投资额之比超过容忍率即为突破。",
                                      "A breach: the fund's cumulative loss over invested "
                                      "capital exceeds its tolerance rate at liquidation."),
                              level=3))
    first = summary.extra_tables.get("first_breach_year")
    if first is not None and "share" in first:
        flat = first.reset_index()
        flat["first_breach_year"] = flat["first_breach_year"].map(str)
        wide = flat.pivot_table(index="id", columns="first_breach_year", values="share",
                                aggfunc="sum", sort=False)
        years = sorted(wide.columns, key=lambda year: (not year.isdigit(), year))
        # share columns are named p_<year> so that they read as probabilities
        wide = wide[years].fillna(0.0)
        wide.columns = pd.Index([f"p_{year}" for year in years])
        headers = {f"p_{year}": (("未超出", "no breach") if year == "none" else
                                 (f"{year} 年", str(year))) for year in years}
        body = html_table(wide, unit, table_id="first_breach_year", headers=headers)
        parts.append(_section("first_breach_year", body + _note(
            "各基金首次超出容忍率的年度分布（模拟次数占比）。",
            "Share of draws in which each fund first breaches its tolerance, by year."),
            level=3))
    for name, uri in charts.items():
        if name.startswith("loss_ratio_"):
            fund = name.removeprefix("loss_ratio_").removesuffix(".png")
            parts.append(_figure(uri, f"{fund}：清算亏损率分布", f"{fund}: loss ratio at "
                                 "liquidation, with the tolerance rate"))
    return _section("funds", "".join(parts)) if parts else ""


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


def _assumptions(scenario: Scenario) -> str:
    header = "".join(f'<th scope="col">{_bilingual(*_column_names(c, Unit.YUAN))}</th>'
                     for c in ("item", "article", "assumption", "value", "basis"))
    rows, previous = [], None
    for row in assumption_rows(scenario):
        first = row["item"] != previous
        previous = row["item"]
        article = "" if row["article"] is None or not first else row["article"]
        item = (f'<span class="zh" lang="zh-CN">{_e(row["name_zh"])}</span>'
                f'<span class="id">{_e(row["item"])}</span>') if first else ""
        cells = [f'<td class="name">{item}</td>', f'<td class="num">{_e(article)}</td>',
                 f'<td class="text">{_e(row["assumption"])}</td>',
                 f'<td class="text value">{_e(_format_value(row["value"]))}</td>',
                 f'<td class="text basis">{_e(row["basis"])}</td>']
        row_class = ' class="group"' if first else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    table = (f'<div class="scroll"><table id="assumptions" class="assumptions"><thead><tr>'
             f'{header}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    note = _note("每项假设及其依据：政策原文（条款）或明示的估计。",
                 "Every assumption with its basis: the policy text (article) or a stated "
                 "estimate.")
    return _section("assumptions", note + table)


def _manifest(manifest: Mapping[str, Any]) -> str:
    rows = []
    for key, value in manifest.items():
        if key in MANIFEST_SKIP or value is None:
            continue
        zh, en = MANIFEST_LABELS.get(key, (key, key))
        if isinstance(value, list | tuple) and key == "horizon" and len(value) == 2:
            text = f"{value[0]}–{value[1]}"
        elif isinstance(value, list | tuple):
            text = "\n".join(map(str, value))
        elif isinstance(value, Mapping):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "" if value is None else str(value)
        rows.append(f'<tr><th scope="row">{_bilingual(zh, en)}</th>'
                    f'<td class="text mono" data-col="{_e(key)}">{_e(text)}</td></tr>')
    body = f'<table id="manifest" class="manifest"><tbody>{"".join(rows)}</tbody></table>'
    files = manifest.get("files_sha256") or {}
    if files:
        file_rows = "".join(f'<tr><td class="text mono" data-col="file">{_e(name)}</td>'
                            f'<td class="text mono" data-col="sha256">{_e(digest)}</td></tr>'
                            for name, digest in files.items())
        header = "".join(f'<th scope="col">{_bilingual(*EXTRA_LABELS[c])}</th>'
                         for c in ("file", "sha256"))
        body += _section("files", f'<div class="scroll"><table id="files"><thead><tr>{header}'
                         f"</tr></thead><tbody>{file_rows}</tbody></table></div>", level=3)
    return _section("manifest", body)


def _comparison(comparison: Comparison, unit: Unit, charts: Mapping[str, str]) -> str:
    from model.compare import table_in_unit

    table = _select(table_in_unit(comparison.tables["compare"], unit), COMPARE_COLUMNS, unit)
    items = comparison.tables["compare_items"]
    moved = items[items["delta_mean"] != 0]
    movers = moved.groupby(level="variant", sort=False).head(TOP_MOVERS)
    movers = _select(table_in_unit(movers, unit), COMPARE_ITEM_COLUMNS, unit)
    note = _note(
        f"方案减基准，{comparison.draws:,} 次配对模拟（共同随机数），随机种子 {comparison.seed}；"
        "95% 区间为均值变动的置信区间。",
        f"Variant minus {comparison.base_name} on {comparison.draws:,} paired draws (common "
        f"random numbers), seed {comparison.seed}; the 95% interval is that of the change "
        "in the mean.")
    body = [note, html_table(table, unit, table_id="compare")]
    if "compare_delta" in charts:
        body.append(_figure(charts["compare_delta"], "均值变动及 95% 区间",
                            "Change in the mean cost, with 95% intervals"))
    if "compare_fan" in charts:
        body.append(_figure(charts["compare_fan"], "各方案年度支出（中位数及 5–95% 区间）",
                            "Yearly cost of each scenario (median and 5–95% band)"))
    body.append(_section("compare_items", html_table(movers, unit, table_id="compare_items"),
                         level=3))
    return _section("compare", "".join(body))


# ------------------------------------------------------------------ document
CSS = """
:root{--ink:#1d2733;--muted:#5b6776;--line:#d9dee5;--band:#f4f6f9;--accent:#1f4e79}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.5 "Noto Sans CJK SC",
 "Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,
 -apple-system,"Segoe UI",sans-serif}
header{background:var(--accent);color:#fff;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:600}
header h1 .en{display:block;font-size:18px;font-weight:400;opacity:.9}
header p{margin:4px 0 0;opacity:.85}
header p.description{margin-top:10px;font-size:13px;max-width:980px;opacity:.8}
main{max-width:1280px;margin:0 auto;padding:8px 40px 48px}
nav{margin:16px 0 8px;padding:10px 14px;background:var(--band);border-radius:6px}
nav a{display:inline-block;margin:2px 14px 2px 0;color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
h2{margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--accent);font-size:20px}
h3{margin:24px 0 8px;font-size:16px}
h2 .en,h3 .en{color:var(--muted);font-weight:400}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:14px}
.tile{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:6px;
 padding:12px 14px;background:#fff}
.tile .label{font-size:13px;color:var(--muted)}
.tile .label .en,.tile .detail .en{display:block}
.tile .value{font-size:24px;font-weight:600;margin:4px 0;font-variant-numeric:tabular-nums}
.tile .detail{font-size:12px;color:var(--muted)}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.note .en{display:block}
.scroll{overflow-x:auto;margin:6px 0 4px;border:1px solid var(--line);border-radius:4px}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{padding:4px 7px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--band);text-align:left;font-weight:600;vertical-align:bottom}
thead th .en{display:block;font-weight:400;color:var(--muted);font-size:11.5px}
tbody th{text-align:left;font-weight:500;white-space:nowrap}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
tr.total td,tr.total th{font-weight:700;border-top:2px solid var(--ink)}
.mono,td .id{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.mono{font-size:12px}
td.name{min-width:200px;max-width:260px}
td.name .zh{display:block;font-weight:500}
td.name .en{display:block;color:var(--muted);font-size:11.5px}
td.name .id{display:block;color:#8a96a3;font-size:10.5px;word-break:break-all}
td .en{color:var(--muted)}
td[data-col=payment]{white-space:nowrap}
td[data-col=payment] .en{display:block;font-size:11px}
caption{caption-side:top;text-align:left;padding:4px 8px;font-size:11.5px;color:var(--muted);
 background:var(--band)}
td.mono{white-space:pre-wrap;word-break:break-all}
table.assumptions td.basis{min-width:340px}
table.assumptions td.value{min-width:170px}
table.assumptions tr.group td{border-top:1px solid #aab4c0}
table.manifest{width:auto}
table.manifest th{padding-right:24px}
table.manifest th .en{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
figure{margin:14px 0;text-align:center}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:12.5px;color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{header{background:none;color:var(--ink)}nav{display:none}.scroll{overflow:visible}
 section{break-inside:avoid-page}}
"""


def render_report(summary: Summary, scenario: Scenario, manifest: Mapping[str, Any], *,
                  unit: Unit = Unit.WAN, comparison: Comparison | None = None) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    charts = _charts(summary, scenario, unit, comparison)
    sections = [_headline(summary, unit),
                _section("fan_chart", _figure(charts["fan_chart"], "年度市级支出：中位数、"
                         "50% 与 90% 区间、均值", "Yearly cost to the city: median, 50% and "
                         "90% bands, mean"))]
    sections += _budget_sections(summary, unit)
    sections.append(_commitments(summary, unit))
    funds = _funds(summary, unit, charts)
    if funds:
        sections.append(funds)
    if comparison is not None:
        sections.append(_comparison(comparison, unit, charts))
    sections += [_assumptions(scenario), _manifest(manifest)]
    toc = "".join(f'<a href="#{key}">{_e(zh)} {_e(en)}</a>' for key, (zh, en) in _toc(
        sections))
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    description = (f'<p class="description">{_e(scenario.spec.description)}</p>'
                   if scenario.spec.description else "")
    subtitle = (f"情景 {scenario.name} · {span} · {summary.draws:,} 次模拟 · 随机种子 "
                f"{summary.seed} · fiscalsim {manifest.get('version', '')}")
    policy = _bilingual(f"《{POLICY_ZH}》财政成本蒙特卡洛模拟",
                        f"Monte Carlo fiscal cost of {POLICY_EN}")
    footer = _bilingual("由 fiscalsim 生成；完整表格见同一文件夹中的 budget.xlsx 和 CSV 文件。",
                        "Generated by fiscalsim; the full tables are in budget.xlsx and the "
                        "CSV files of the same folder.")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(scenario.title_zh)} / {_e(scenario.title_en)} — fiscalsim</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{_bilingual(scenario.title_zh, scenario.title_en)}</h1>"
        f"<p>{policy}</p><p>{_e(subtitle)}</p>{description}</header>"
        f"<main><nav>{toc}</nav>{''.join(sections)}"
        f"<footer>{footer}</footer></main></body></html>\n")


def _toc(sections: Iterable[str]) -> list[tuple[str, tuple[str, str]]]:
    """The top-level sections' anchors and titles."""
    entries = []
    for section in sections:
        key = re.match(r'<section id="([^"]+)">', section)
        if key:
            name = html.unescape(key.group(1))
            entries.append((name, TABLE_TITLES.get(name) or SECTION_TITLES[name]))
    return entries


def _write_atomically(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so that a
    reader never sees a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(summary: Summary, scenario: Scenario, manifest: Mapping[str, Any],
                 path: str | Path, *, unit: Unit = Unit.WAN,
                 comparison: Comparison | None = None) -> Path:
    """Write the self-contained bilingual HTML report of a run.

    Parameters
    ----------
    summary : Summary
        The run's tables (yuan).
    scenario : Scenario
        The scenario that was run (titles and assumptions with their basis).
    manifest : dict
        The run's manifest (seed, draws, version, scenario hash, files).
    path : str or Path
        The ``.html`` file to write (replaced atomically).
    unit : Unit
        Presentation unit of money (万元 by default).
    comparison : Comparison, optional
        Policy variants against this scenario (:func:`model.compare.compare`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    text = render_report(summary, scenario, manifest, unit=unit, comparison=comparison)
    _write_atomically(text, path)
    return path


def attach_report(output: RunOutput, scenario: Scenario, unit: Unit = Unit.WAN, *,
                  comparison: Comparison | None = None) -> Path:
    """Write ``report.html`` into a finished run's folder and list it in the manifest.

    The report shows the manifest as the run wrote it; ``manifest.json`` then gains the
    report's SHA-256 under ``files_sha256`` (rewritten atomically).
    """
    from model.output import MANIFEST, sha256_of

    path = write_report(output.summary, scenario, output.manifest,
                        output.out_dir / REPORT_FILE, unit=unit, comparison=comparison)
    manifest_path = output.out_dir / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest.setdefault("files_sha256", {})[REPORT_FILE] = sha256_of(path)
        _write_atomically(json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
                          + "\n", manifest_path)
    return path


# ------------------------------------------------------------------ command line
def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim report SCENARIO [--compare VARIANT ...]``."""
    from model import cli

    parser = subparsers.add_parser(
        "report", help="run a scenario and write a self-contained HTML report (report.html)")
    parser.add_argument("scenario", help="scenario file or name (baseline, "
                        "variants/cap_cut_20, baseline+cap_cut_20)")
    cli._add_run_options(parser)
    parser.add_argument("--compare", nargs="+", action="extend", metavar="VARIANT",
                        default=[], help="also compare these variants with the scenario "
                        "(common random numbers)")
    parser.add_argument("--out", type=Path, help="output folder (default outputs/<scenario>/)")
    parser.add_argument("--budget", type=float, help="yearly budget in --unit, for "
                        "P(total > budget)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def run_report(args: argparse.Namespace) -> int:
    """Run ``fiscalsim report``: a batch run into the output folder, then its report."""
    from model.batch import run_batch
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    comparison = None
    if args.compare:  # before the run, so that a bad variant leaves no output behind
        from model.compare import compare

        variants = [load_scenario(ref) for ref in args.compare]
        comparison = compare(scenario, variants, args.draws, seed=args.seed)
    out_dir = args.out or default_output_dir(scenario.name)
    budget = args.budget * args.unit.divisor if args.budget is not None else None
    output = run_batch(scenario, draws=args.draws, seed=args.seed, out_dir=out_dir,
                       unit=args.unit, budget_yuan=budget,
                       progress=False if args.quiet else None)
    path = attach_report(output, scenario, args.unit, comparison=comparison)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


__all__ = ["REPORT_FILE", "add_report_parser", "attach_report", "html_table", "png_data_uri",
           "render_report", "run_report", "write_report"]
