"""Every bilingual name the outputs show, in one place: tables and report sections, columns,
manifest entries and payment kinds, each as (Chinese, English).

The workbook's sheet titles and headers, the HTML report's sections and headers and the
charts' labels all come from here, so that one thing has one name in both languages.
The tolerance rate is called 容错率, as the policy (article 20) calls it.
"""

from __future__ import annotations

from model.core.units import Unit

#: Table or report-section key → (Chinese, English) title.
TITLES = {
    "plan": ("中期财政规划", "Medium-term plan (the city's share)"),
    "summary_by_year": ("年度汇总", "Summary by year (the city's share)"),
    "budget_by_item": ("分项预算", "Budget by line item (the city's share)"),
    "budget_by_article": ("分条款预算", "Budget by article (the city's share)"),
    "budget_by_chapter": ("分章节预算", "Budget by chapter (the city's share)"),
    "budget_by_unit": ("分责任单位预算", "Budget by responsible unit (the city's share)"),
    "commitments": ("跨期承诺", "Commitments beyond the horizon (the city's share)"),
    "by_payer": ("资金来源", "Who pays: the cost by payer (all payers)"),
    "present_value": ("现值", "Present values (the city's share)"),
    "fund_budget": ("基金预算口径", "Funds in budget terms, by year (the city's share)"),
    "fund_budget_totals": (
        "基金预算口径分期间",
        "Funds in budget terms, by period (the city's share)",
    ),
    "fund_breach": ("容错率各口径首次突破", "First breach under each tolerance definition"),
    "recipients_by_item": ("受益对象数量", "Recipients by item"),
    "analytic_check": ("解析期望核对", "Analytic expectation check"),
    "fan": ("扇形图分位数", "Fan chart percentiles (the city's share)"),
    "assumptions": ("假设及依据", "Assumptions and their basis"),
    "compare": ("方案对比", "Variants against the base, by year"),
    "compare_items": ("分项变动", "Change by line item (horizon total)"),
    "tolerance": ("基金容错", "Funds against their tolerance"),
    "funds_by_year": ("基金年度", "Funds by year"),
    "funds_totals": ("基金分期间合计（市级）", "Funds by period (the city's share)"),
    "first_breach_year": ("首次突破年份", "First year of breach"),
    "conversion": ("先投后股", "先投后股 conversion programme (the city's share)"),
    "conversion_totals": ("先投后股分期合计", "先投后股 by period"),
    "loan_compensation": ("贷款风险补偿", "Loan-risk compensation (the city's share)"),
    "loan_compensation_totals": ("贷款风险补偿分期合计", "Loan-risk compensation by period"),
    "readings": ("条文解读", "Clause readings"),
    "readings_envelope": ("条文解读包络", "Envelope of the clause readings"),
    "tolerance_definitions": ("容错率口径", "容错率 under each definition"),
    "uncertainty": ("两类不确定性", "Two kinds of uncertainty of the horizon total"),
    "tornado": ("单因素敏感性", "One factor at a time (tornado)"),
    "sobol": ("Sobol 指数", "Sobol indices"),
    "convergence": ("蒙特卡洛收敛", "Monte Carlo convergence"),
    "goal_seek": ("目标求解", "Goal seek"),
    "goal_seek_history": ("求解过程", "Goal-seek evaluations"),
    "goal_seek_summary": ("求解结果年度汇总", "Summary by year at the answer"),
    "monthly_cashflow": ("月度现金流", "Monthly cash out"),
    "peak": ("支出峰值月份", "Peak month"),
    "rationing": ("额度不足的申请", "Applications rationed"),
    "manifest": ("运行信息", "Run manifest"),
    # sections of the HTML report
    "headline": ("要点", "Headline"),
    "fan_chart": ("年度市级支出扇形图", "Fan chart of the yearly cost to the city"),
    "funds": ("基金与容错率", "Funds against their tolerance rates (article 20)"),
    "files": ("输出文件", "Output files"),
}

#: Column stem (money columns without their unit suffix) → (Chinese, English).
COLUMNS = {
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
    "committed_mean": ("跨期承诺均值", "committed beyond horizon, mean"),
    "committed_p50": ("跨期承诺中位数", "committed beyond horizon, median"),
    "committed_p95": ("跨期承诺 P95", "committed beyond horizon, P95"),
    "cap": ("政策上限/金额", "policy cap or amount"),
    "article": ("条款", "article"),
    "chapter": ("章", "chapter"),
    "name_zh": ("名称", "name (Chinese)"),
    "name_en": ("英文名称", "name (English)"),
    "name": ("名称", "name"),
    "unit": ("责任单位", "responsible unit"),
    "payment": ("支付方式", "payment"),
    "items": ("项目数", "line items"),
    "recipients": ("受益对象", "recipients"),
    "item": ("项目", "line item"),
    "year": ("年度", "year"),
    # funds, 先投后股, loan pool
    "id": ("编号", "id"),
    "tolerance": ("容错率", "tolerance rate"),
    "tolerance_rule": ("容错规则", "tolerance rule"),
    "loss_measure": ("损失口径", "loss measure"),
    "mean_invested": ("平均投资额", "mean invested"),
    "loss_ratio_p05": ("清算亏损率 P5", "loss ratio at liquidation, P5"),
    "loss_ratio_p50": ("清算亏损率中位数", "loss ratio at liquidation, median"),
    "loss_ratio_p95": ("清算亏损率 P95", "loss ratio at liquidation, P95"),
    "p_breach_liquidation": ("清算时超出容错率概率", "P(breach at liquidation)"),
    "p_breach_liquidation_se": ("其标准误", "its standard error"),
    "p_breach_ever": ("任一年超出容错率概率", "P(breach in any year)"),
    "expected_excess_loss": ("超出容错率的预期损失", "expected loss beyond tolerance"),
    "expected_city_loss": ("市级承担的预期损失", "expected city share of losses"),
    "city_net_cost_mean": ("市级全周期净成本均值", "city net cost over the fund's life, mean"),
    "city_net_cost_p95": ("市级全周期净成本 P95", "city net cost over the fund's life, P95"),
    "p_city_net_loss": ("市级净亏损概率", "P(city loses money)"),
    "first_breach_year": ("首次超出年度", "first year of breach"),
    "period": ("期间", "period"),
    "years": ("所含年度", "years"),
    "calls_mean": ("基金缴款均值", "fund capital calls, mean"),
    "distributions_mean": ("基金分配均值", "fund distributions, mean"),
    "city_calls_mean": ("市级出资均值", "city capital calls, mean"),
    "city_calls_p95": ("市级出资 P95", "city capital calls, P95"),
    "city_distributions_mean": ("市级回款均值", "city distributions, mean"),
    "city_net_outlay_mean": ("市级净支出均值", "city net outlay, mean"),
    # comparisons
    "base_mean": ("基准均值", "base mean"),
    "variant_mean": ("方案均值", "variant mean"),
    "delta_mean": ("均值变动", "Δ mean"),
    "delta_se": ("变动标准误", "standard error of Δ"),
    "delta_ci_low": ("95% 区间下限", "95% interval, low"),
    "delta_ci_high": ("95% 区间上限", "95% interval, high"),
    "analytic_delta": ("解析变动", "analytic Δ"),
    "delta_p50": ("中位数变动", "Δ median"),
    "delta_p95": ("P95 变动", "Δ P95"),
    "p_variant_higher": ("方案成本更高的概率", "P(variant costs more)"),
    "variance_reduction": ("方差缩减倍数", "variance reduction ×"),
    "rank": ("排序", "rank"),
    "variant": ("方案", "variant"),
    # run information
    "entry": ("项目", "entry"),
    # funds, 先投后股 and loan pool, by year
    "fund": ("基金", "fund"),
    "programme": ("计划", "programme"),
    "pool": ("资金池", "pool"),
    "draws": ("模拟次数", "draws"),
    "share": ("占比", "share of draws"),
    "mean_deals": ("平均投资项目数", "mean number of deals"),
    "invested_cum_mean": ("累计投资额均值", "invested to date, mean"),
    "realised_loss_cum_mean": ("累计已实现亏损均值", "realised loss to date, mean"),
    "loss_ratio_mean": ("亏损率均值", "loss ratio, mean"),
    "loss_ratio_p25": ("清算亏损率 P25", "loss ratio at liquidation, P25"),
    "loss_ratio_p75": ("清算亏损率 P75", "loss ratio at liquidation, P75"),
    "loss_ratio_p99": ("清算亏损率 P99", "loss ratio at liquidation, P99"),
    "p_breach": ("当年超出容错率概率", "P(breach this year)"),
    "p_first_breach": ("当年首次超出容错率概率", "P(first breach this year)"),
    "excess_loss_p95": ("超出容错率损失 P95", "loss beyond tolerance, P95"),
    "city_share": ("市级出资比例", "city share"),
    "grants_mean": ("资助均值", "grants, mean"),
    "conversions_mean": ("转股项目数均值", "conversions, mean count"),
    "converted_mean": ("转股金额均值", "converted, mean"),
    "recoveries_mean": ("回收均值", "recoveries, mean"),
    "exit_proceeds_mean": ("退出收益均值", "exit proceeds, mean"),
    "net_cost_mean": ("净成本均值", "net cost, mean"),
    "net_cost_p05": ("净成本 P5", "net cost, P5"),
    "net_cost_p95": ("净成本 P95", "net cost, P95"),
    "conversion_share_mean": ("转股比例均值", "share converted, mean"),
    "payout_mean": ("补偿支出均值", "payout, mean"),
    "payout_sd": ("补偿支出标准差", "payout, standard deviation"),
    "payout_mean_se": ("补偿支出均值标准误", "payout mean, standard error"),
    "payout_expected": ("补偿支出解析期望", "payout, analytic expectation"),
    "payout_p50": ("补偿支出中位数", "payout, median"),
    "payout_p90": ("补偿支出 P90", "payout, P90"),
    "payout_p95": ("补偿支出 P95", "payout, P95"),
    "payout_p99": ("补偿支出 P99", "payout, P99"),
    "payout_max": ("补偿支出最大值", "payout, maximum"),
    "losses_mean": ("不良贷款笔数均值", "defaulted loans, mean count"),
    "bank_loss_mean": ("银行损失均值", "bank losses, mean"),
    "volume_mean": ("贷款规模均值", "loan volume, mean"),
    "p_ceiling_binds": ("触及补偿上限概率", "P(compensation ceiling binds)"),
    "p_first_breach_by_year": ("截至当年已超出容错率概率", "P(first breach by this year)"),
    "loss_base": ("亏损率分母", "loss-ratio base"),
    "history_called": ("此前已缴出资", "capital called before"),
    "city_net_cost_p05": ("市级全周期净成本 P5", "city net cost over the fund's life, P5"),
    "city_net_cost_p50": ("市级全周期净成本中位数", "city net cost over the fund's life, median"),
    # clause readings
    "clause": ("条文", "clause"),
    "reading": ("解读", "reading"),
    "where": ("位置", "article or section"),
    "in_force": ("现行解读", "in force"),
    "default": ("默认解读", "default"),
    "reading_zh": ("解读（中文）", "reading (Chinese)"),
    "reading_en": ("解读（英文）", "reading (English)"),
    "turns_on": ("所依据的原文", "words it turns on"),
    "source": ("默认口径的依据", "source of the default"),
    "bound": ("包络", "bound"),
    "sum_of_readings": ("单项解读变动之和", "sum of the single readings' Δ"),
    "interaction": ("交互作用", "interaction"),
    "readings": ("解读组合", "readings"),
    "kind": ("不确定性类型", "kind of uncertainty"),
    "label_zh": ("说明", "what it is (Chinese)"),
    "label_en": ("说明（英文）", "what it is (English)"),
    "low": ("下限", "low"),
    "high": ("上限", "high"),
    # budget tables: plan, payers, present values, funds in budget terms
    "p80": ("P80", "80th percentile"),
    "mean_plan": ("规划期合计均值", "plan years' total, mean"),
    "p50_plan": ("规划期合计中位数", "plan years' total, median"),
    "p80_plan": ("规划期合计 P80", "plan years' total, P80"),
    "p95_plan": ("规划期合计 P95", "plan years' total, P95"),
    "row": ("序号", "row"),
    "level": ("层级", "level"),
    "plan_period": ("规划期", "plan years"),
    "commitment": ("支出类别（既有/新增）", "commitment (existing/new)"),
    "class_code": ("类", "class (类)"),
    "func_code": ("功能分类科目编码", "functional classification code"),
    "func_name_zh": ("科目名称", "classification name (Chinese)"),
    "func_name_en": ("科目英文名称", "classification name (English)"),
    "code_status": ("科目依据", "code status (S/C/R)"),
    "confirm": ("待核实", "to be confirmed"),
    "econ_code": ("经济分类", "economic classification"),
    "channel": ("支出渠道", "channel"),
    "alternatives": ("备选科目", "alternative codes"),
    "revenue_share": ("占一般公共预算收入", "share of general budget revenue"),
    "plan_revenue_share": ("规划期合计占三年预算收入", "plan total, share of 3 years' revenue"),
    "st_expenditure_share": ("占科学技术支出", "share of S&T expenditure"),
    "plan_st_expenditure_share": ("规划期合计占三年科技支出", "plan total, share of 3 years' S&T"),
    "payer": ("出资方", "payer"),
    "horizon_mean": ("测算期合计均值", "horizon total, mean"),
    "budget": ("预算", "budget"),
    "shortfall_mean": ("超支部分期望（超支时）", "expected shortfall when over budget"),
    "discount_rate": ("折现率", "discount rate"),
    "inflation_rate": ("通胀率", "inflation rate"),
    "base_year": ("折现基准年", "base year"),
    "horizon_years": ("测算期", "horizon years"),
    "beyond_years": ("测算期后", "years beyond"),
    "horizon_pv_mean": ("测算期现值均值", "horizon present value, mean"),
    "horizon_pv_p50": ("测算期现值中位数", "horizon present value, median"),
    "horizon_pv_p95": ("测算期现值 P95", "horizon present value, P95"),
    "horizon_real_mean": ("测算期不变价合计", "horizon total in constant prices"),
    "beyond_mean": ("测算期后合计均值", "beyond the horizon, mean"),
    "beyond_pv_mean": ("测算期后现值均值", "beyond the horizon, present value, mean"),
    "beyond_pv_p50": ("测算期后现值中位数", "beyond the horizon, present value, median"),
    "beyond_pv_p95": ("测算期后现值 P95", "beyond the horizon, present value, P95"),
    "beyond_real_mean": ("测算期后不变价合计", "beyond the horizon in constant prices"),
    "total_pv_mean": ("现值合计均值", "total present value, mean"),
    "capital_calls_mean": (
        "出资（投资/资助/补偿）均值",
        "capital calls, grants or compensation, mean",
    ),
    "fees_mean": ("管理费均值", "management fees, mean"),
    "recycled_mean": ("循环使用的分配均值", "distributions recycled, mean"),
    "appropriation_mean": ("财政拨款均值", "appropriation, mean"),
    "appropriation_p95": ("财政拨款 P95", "appropriation, P95"),
    "returned_mean": ("回款入库均值", "returned to the treasury, mean"),
    "net_outlay_mean": ("净支出均值", "net outlay, mean"),
    "distributions_to": ("分配去向", "distributions go to"),
    "definition": ("口径", "definition"),
    "label": ("口径说明", "definition, in words"),
    "p_breach_by_plan_start": (
        "规划首年末前突破概率",
        "P(breach by the end of the plan's first year)",
    ),
    "p_breach_by_plan_end": ("规划期末前突破概率", "P(breach by the end of the plan)"),
    "p_breach_by_horizon_end": ("测算期末前突破概率", "P(breach by the end of the horizon)"),
    "median_first_breach_year": ("首次突破年度中位数", "first year of breach, median"),
    "modal_first_breach_year": ("最常见首次突破年度", "first year of breach, most common"),
    # assumptions and files
    "assumption": ("假设", "assumption"),
    "value": ("取值", "value"),
    "basis": ("依据", "basis"),
    "file": ("文件", "file"),
    "sha256": ("SHA-256", "SHA-256"),
}

#: Budget period (:data:`model.policy.periods.PERIOD_NAMES`) → (Chinese, English).
PERIODS = {
    "before_horizon": ("测算期前", "before the horizon"),
    "horizon": ("测算期", "horizon"),
    "beyond_horizon": ("测算期后", "beyond the horizon"),
    "before_plan": ("规划期前（已决定）", "before the plan (decided)"),
    "plan": ("规划期", "plan years"),
    "after_plan": ("规划期后", "after the plan"),
    "life": ("全周期", "whole life"),
}

#: Manifest entry → (Chinese, English); others are shown under their key.
MANIFEST_KEYS = {
    "scenario": ("情景", "scenario"),
    "seed": ("随机种子", "root seed"),
    "draws": ("模拟次数", "draws"),
    "version": ("fiscalsim 版本", "fiscalsim version"),
    "scenario_sha256": ("情景哈希", "scenario SHA-256"),
    "scenario_files": ("情景文件", "scenario files"),
    "title_zh": ("情景名称（中文）", "scenario title (Chinese)"),
    "title_en": ("情景名称（英文）", "scenario title (English)"),
    "years": ("支付年度", "payment years"),
    "unit": ("金额单位", "unit"),
    "horizon": ("测算期", "horizon"),
    "plan_start": ("规划起始年度（编制中的预算年度）", "plan start (budget year being drafted)"),
    "plan_years": ("中期财政规划年度", "medium-term plan years"),
    "budget_yuan": ("年度预算 (元)", "yearly budget (yuan)"),
    "block_draws": ("随机流分块", "draws per random-stream block"),
    "exact_sum_max_count": ("精确求和上限", "exact-sum max count"),
    "started_utc": ("开始时间 (UTC)", "started (UTC)"),
    "duration_s": ("用时 (秒)", "duration (s)"),
    "python": ("Python", "Python"),
    "numpy": ("NumPy", "NumPy"),
    "platform": ("平台", "platform"),
    "tool": ("工具", "tool"),
    "command": ("命令", "command"),
}

#: Kinds of a sensitivity factor (:mod:`model.analysis.factors`) → (Chinese, English).
FACTOR_KINDS = {
    "uptake": ("受益数量", "uptake"),
    "award": ("单笔金额", "award size"),
    "cap": ("政策上限", "cap"),
    "takeup": ("申报率", "take-up"),
    "window": ("受理截止年度", "last admission year"),
    "reading": ("条文解读", "clause reading"),
    "write_off": ("核销率", "write-off rate"),
    "multiple": ("退出倍数", "exit multiples"),
    "exit_lag": ("退出时间", "exit timing"),
}

#: Payment kinds (:class:`model.core.schema.PaymentKind`) in Chinese.
PAYMENT_KINDS = {
    "one_time": "一次性",
    "annual_for_years": "定期按年",
    "recurring_annual": "持续按年",
    "staged": "分阶段",
    "per_event": "按次",
    "formula": "按公式",
    "fund": "基金出资",
}


def column_names(column: object, unit: Unit | None = None) -> tuple[str, str]:
    """The (Chinese, English) names of a column, without its unit suffix.

    A yearly column (``mean_2026``, ``recipients_2027``) is named after its statistic and
    year; an unknown column is named by itself in both languages.
    """
    name = str(column)
    if unit is not None and name.endswith(unit.suffix):
        name = name[: -len(unit.suffix)]
    if name in COLUMNS:
        return COLUMNS[name]
    stem, _, year = name.rpartition("_")
    if stem in COLUMNS and year.isdigit() and len(year) == 4:
        zh, en = COLUMNS[stem]
        return f"{zh} {year}", f"{en} {year}"
    return name, name


def column_label(column: object, unit: Unit) -> str:
    """A bilingual header in one line, with the unit of a money column:
    ``均值 2025 / mean 2025 (万元)``."""
    zh, en = column_names(column, unit)
    money = str(column).endswith(unit.suffix)
    return f"{zh} / {en}" + (f" ({unit.label_zh})" if money else "")


__all__ = [
    "COLUMNS",
    "FACTOR_KINDS",
    "MANIFEST_KEYS",
    "PAYMENT_KINDS",
    "PERIODS",
    "TITLES",
    "column_label",
    "column_names",
]
