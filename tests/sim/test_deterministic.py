"""The deterministic check scenario against totals computed by hand from the policy text.

``scenarios/checks/deterministic.yaml`` admits one recipient of every grant item in
2025, at the full amount, with certain take-up and retention (recurring items paid
2025–2027) and every listing stage reached. The amounts below are read from the policy
text, article by article, not from the catalog.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import apply_variant, simulate

WAN = 10_000.0

# One-time amounts, paid in 2025 (万元), from the policy text.
ONE_TIME_2025 = {
    2: 200,  # 对新获批的全国重点实验室…一次性给予200万元
    3: 300,  # 10% of 5000万 = 500万, but 最高给予300万元
    4: 50,  # 每个项目最高给予50万元
    5: 1000 + 200,  # 重大项目最高1000万元, 重点项目最高200万元
    6: 1000,  # 对发榜企业最高给予1000万元
    7: 50,  # 最高给予50万元补助
    9: 20,  # 每个项目最多给予20万元
    10: 50,  # 技术转移机构…最高给予50万元
    12: 50 + 10,  # 科技中介机构和技术经纪人…最高给予50万元和10万元
    13: 200 + 50 + 200,  # 新建概念验证中心200万, 概念验证项目50万, 中试放大项目200万
    15: 50 + 30 + 20,  # 国家级、省级孵化器 50万、30万; 市级孵化器 20万
    17: 0.5 + 10 + 5 + 50 + 20 + 10,  # 入库5000元; 高企10万/5万; 专精特新50/20/10万
    18: 50,  # 对领军企业最高给予50万元
    21: 50 + 100,  # 投资联盟50万元; 联盟成员机构100万元
}
# Recurring amounts, paid every year 2025–2027 (万元).
RECURRING = {
    1: 1000,  # 每年最高给予1000万元运营补助
    3: 1500,  # 每年投入市财政资金不少于1500万元
    12: 500,  # 科技大市场每年最高给予500万元运营补助
    13: 200 + 200,  # 概念验证中心运营补助200万; 中试基地运营补助200万
    15: 30 + 20,  # 考评优秀、良好分别补助30万元、20万元
}
PROVINCIAL_LAB = 10_000  # 对省实验室每年给予1亿元经费支持，连续五年 (2025–2029)
PARKS = 300 + 300  # 两类科技产业园每年最高300万元，连续支持三年 (2025–2027)
INDUSTRY_PROFESSOR = 10 / 2  # 每人10万元标准分两年 (2025, 2026)
LISTING = {2025: 800 * 0.25, 2026: 800 * 0.25, 2027: 800 * 0.5}  # 合计最高800万, staged

EXPECTED_WAN = {
    2025: sum(ONE_TIME_2025.values())
    + sum(RECURRING.values())
    + PROVINCIAL_LAB
    + PARKS
    + INDUSTRY_PROFESSOR
    + LISTING[2025],
    2026: sum(RECURRING.values()) + PROVINCIAL_LAB + PARKS + INDUSTRY_PROFESSOR + LISTING[2026],
    2027: sum(RECURRING.values()) + PROVINCIAL_LAB + PARKS + LISTING[2027],
    2028: PROVINCIAL_LAB,
    2029: PROVINCIAL_LAB,
    2030: 0.0,
}


def test_hand_computed_totals(deterministic):
    results = simulate(deterministic, 5, seed=11)
    totals = results.totals_by_year()
    for year, expected in EXPECTED_WAN.items():
        assert totals[year].to_numpy() == pytest.approx(expected * WAN, abs=1e-6), year


def test_every_draw_is_the_same(deterministic):
    results = simulate(deterministic, 50, seed=3)
    assert np.all(results.city == results.city[0])


def test_cap_scale_scales_every_cap_but_not_the_floor(deterministic):
    cut = apply_variant(deterministic, {"cap_scale": 0.8})
    base = simulate(deterministic, 1, seed=0).totals_by_year()
    scaled = simulate(cut, 1, seed=0).totals_by_year()
    floor_years = {2025, 2026, 2027}  # article 3's 1500万 floor is paid 2025–2027 and not cut
    for year in EXPECTED_WAN:
        floor = 1500 * WAN if year in floor_years else 0.0
        expected = 0.8 * (base[year].iloc[0] - floor) + floor
        assert scaled[year].iloc[0] == pytest.approx(expected), year
