"""Bilingual names of tables and columns, for the Excel workbook, charts and reports."""

from __future__ import annotations

from model.schema import Unit

#: Table name → (Chinese, English) sheet title.
TABLE_TITLES = {
    "summary_by_year": ("年度汇总", "Summary by year"),
    "budget_by_item": ("分项预算", "Budget by line item"),
    "budget_by_article": ("分条款预算", "Budget by article"),
    "budget_by_chapter": ("分章节预算", "Budget by chapter"),
    "budget_by_unit": ("分责任单位预算", "Budget by responsible unit"),
    "commitments": ("跨期承诺", "Commitments beyond the horizon"),
    "recipients_by_item": ("受益对象数量", "Recipients by item"),
    "analytic_check": ("解析期望核对", "Analytic expectation check"),
    "fan": ("扇形图分位数", "Fan chart percentiles"),
    "assumptions": ("假设及依据", "Assumptions and their basis"),
    "compare": ("方案对比", "Variants against the base, by year"),
    "compare_items": ("分项变动", "Change by line item (horizon total)"),
    "tolerance": ("基金容错", "Funds against their tolerance"),
    "funds_by_year": ("基金年度", "Funds by year"),
    "first_breach_year": ("首次突破年份", "First year of breach"),
    "conversion": ("先投后股", "先投后股 conversion programme"),
    "loan_compensation": ("贷款风险补偿", "Loan-risk compensation"),
    "manifest": ("运行信息", "Run manifest"),
}

#: Column stem → (Chinese, English).
COLUMN_LABELS = {
    "mean": ("均值", "mean"),
    "sd": ("标准差", "standard deviation"),
    "mcse": ("均值的蒙特卡洛标准误", "Monte Carlo standard error of the mean"),
    "p5": ("P5", "5th percentile"),
    "p10": ("P10", "10th percentile"),
    "p25": ("P25", "25th percentile"),
    "p50": ("中位数", "median"),
    "p75": ("P75", "75th percentile"),
    "p90": ("P90", "90th percentile"),
    "p95": ("P95", "95th percentile"),
    "p99": ("P99", "99th percentile"),
    "bar": ("风险预算 (P95−均值)", "Budget-at-Risk (P95 − mean)"),
    "p_exceed": ("超预算概率", "P(total > budget)"),
    "gross_mean": ("总额均值 (含非市级)", "gross mean (all payers)"),
    "demand_mean": ("需求均值", "demand mean"),
    "unfunded_mean": ("未获拨款均值", "unfunded mean"),
    "analytic_mean": ("解析期望", "analytic expectation"),
    "z": ("z 值", "z-score"),
    "p_variant_higher": ("方案更贵的概率", "P(variant costs more)"),
    "committed_mean": ("跨期承诺均值", "committed beyond horizon, mean"),
    "committed_p50": ("跨期承诺中位数", "committed beyond horizon, median"),
    "committed_p95": ("跨期承诺 P95", "committed beyond horizon, P95"),
    "cap": ("政策上限/金额", "policy cap or amount"),
    "article": ("条款", "article"),
    "chapter": ("章", "chapter"),
    "name_zh": ("名称", "name (Chinese)"),
    "name_en": ("英文名称", "name (English)"),
    "unit": ("责任单位", "responsible unit"),
    "payment": ("支付方式", "payment"),
    "items": ("项目数", "line items"),
    "recipients": ("受益对象", "recipients"),
    "item": ("项目", "item"),
    "year": ("年度", "year"),
}


def column_label(column: str, unit: Unit) -> str:
    """A bilingual header such as ``均值 2025 / mean 2025 (万元)``."""
    name = str(column)
    money = name.endswith(f"_{unit.value}")
    if money:
        name = name[: -len(unit.value) - 1]
    stem, _, year = (
        name.partition("_") if name.startswith(("mean_", "recipients_")) else (name, "", "")
    )
    if stem not in COLUMN_LABELS or (year and not year.isdigit()):
        stem, year = name, ""
    zh, en = COLUMN_LABELS.get(stem, (stem, stem))
    suffix = f" {year}" if year else ""
    unit_text = f" ({unit.label_zh})" if money else ""
    return f"{zh}{suffix} / {en}{suffix}{unit_text}"


__all__ = ["COLUMN_LABELS", "TABLE_TITLES", "column_label"]
