"""Checks of scenarios/catalog.yaml against the policy text.

The expectations below are written from the policy text
(scenarios/policy/changchun-innovation-policy-draft.zh.txt), not copied from the
catalog, so a wrong number in either place shows up as a failure. Where possible the
tests parse the text itself (chapters, article paragraphs, 责任单位 lists).
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from model.core.paths import CATALOG_PATH
from model.core.schema import CapBasis, Modeller, PaymentKind
from model.policy.catalog import Catalog, LineItem, load_catalog

WAN = 10_000
YI = 100_000_000

ONE = PaymentKind.ONE_TIME
ANNUAL = PaymentKind.ANNUAL_FOR_YEARS
RECUR = PaymentKind.RECURRING_ANNUAL
STAGED = PaymentKind.STAGED
EVENT = PaymentKind.PER_EVENT
FORMULA = PaymentKind.FORMULA
FUND = PaymentKind.FUND
AWARD = CapBasis.PER_AWARD
YEAR = CapBasis.PER_YEAR

# id: (article, cap_yuan, cap_basis, fixed, payment, years_paid) -- read off the text.
EXPECTED: dict[str, tuple[int, float | None, CapBasis, bool, PaymentKind, int | None]] = {
    # 1. 每年最高给予1000万元运营补助
    "productivity_promotion_centre_subsidy": (1, 1000 * WAN, YEAR, False, RECUR, None),
    # 2. 一次性给予200万元资金支持 / 每年给予1亿元经费支持，连续五年
    "national_platform_approval_award": (2, 200 * WAN, AWARD, True, ONE, None),
    "provincial_lab_funding": (2, 1 * YI, YEAR, True, ANNUAL, 5),
    # 3. 每年投入市财政资金不少于1500万元 (a floor, no cap) / 10%，最高给予300万元
    "national_key_lab_joint_programme": (3, None, YEAR, False, RECUR, None),
    "national_key_lab_conversion_reward": (3, 300 * WAN, YEAR, False, FORMULA, None),
    # 4. 每个项目最高给予50万元
    "basic_research_project": (4, 50 * WAN, AWARD, False, ONE, None),
    # 5. 重大项目最高支持1000万元，重点项目最高支持200万元
    "key_tech_major_project": (5, 1000 * WAN, AWARD, False, ONE, None),
    "key_tech_key_project": (5, 200 * WAN, AWARD, False, ONE, None),
    # 6. 对发榜企业最高给予1000万元补助
    "challenge_posting_enterprise_grant": (6, 1000 * WAN, AWARD, False, ONE, None),
    # 7. 最高给予50万元补助
    "enterprise_tech_absorption_grant": (7, 50 * WAN, AWARD, False, ONE, None),
    # 9. 每个项目最多给予20万元
    "public_welfare_tech_project": (9, 20 * WAN, AWARD, False, ONE, None),
    # 10. 经评定，最高给予50万元补助
    "university_tech_transfer_office_grant": (10, 50 * WAN, AWARD, False, ONE, None),
    # 11. 先投后股: no amount in the text
    "invest_then_equity_conversion": (11, None, AWARD, False, FUND, None),
    # 12. 每年最高给予500万元运营补助 / 分别最高给予50万元和10万元补助
    "tech_market_operating_subsidy": (12, 500 * WAN, YEAR, False, RECUR, None),
    "tech_intermediary_award": (12, 50 * WAN, AWARD, False, ONE, None),
    "tech_broker_award": (12, 10 * WAN, AWARD, False, ONE, None),
    # 13. 200万 new centre / 200万 operating / 50万 project / 200万 pilot / 200万 pilot base
    "concept_verification_centre_establishment": (13, 200 * WAN, AWARD, False, ONE, None),
    "concept_verification_centre_operating_subsidy": (13, 200 * WAN, YEAR, False, RECUR, None),
    "concept_verification_project": (13, 50 * WAN, AWARD, False, ONE, None),
    "pilot_scaleup_project": (13, 200 * WAN, AWARD, False, ONE, None),
    "pilot_base_operating_subsidy": (13, 200 * WAN, YEAR, False, RECUR, None),
    # 15. 一次性给予50万元、30万元 / 一次性给予20万元 / 每年…分别补助30万元、20万元
    "incubator_national_approval": (15, 50 * WAN, AWARD, True, ONE, None),
    "incubator_provincial_approval": (15, 30 * WAN, AWARD, True, ONE, None),
    "incubator_municipal_recognition": (15, 20 * WAN, AWARD, True, ONE, None),
    "incubator_rated_excellent": (15, 30 * WAN, YEAR, True, RECUR, None),
    "incubator_rated_good": (15, 20 * WAN, YEAR, True, RECUR, None),
    # 16. 每年最高给予300万元补助，连续支持三年 (twice)
    "university_tech_industrial_park": (16, 300 * WAN, YEAR, False, ANNUAL, 3),
    "enterprise_accelerator_industrial_park": (16, 300 * WAN, YEAR, False, ANNUAL, 3),
    # 17. 给予5000元 / 最高10万元 / 最高5万元 / 分别给予50万元、20万元、10万元
    "tech_sme_registration_award": (17, 5000, AWARD, True, EVENT, None),
    "high_tech_enterprise_first_certification": (17, 10 * WAN, AWARD, False, ONE, None),
    "high_tech_enterprise_recertification": (17, 5 * WAN, AWARD, False, ONE, None),
    "specialised_sme_national": (17, 50 * WAN, AWARD, True, ONE, None),
    "specialised_sme_provincial": (17, 20 * WAN, AWARD, True, ONE, None),
    "specialised_sme_municipal": (17, 10 * WAN, AWARD, True, ONE, None),
    # 18. 最高给予50万元补助
    "leading_enterprise_grant": (18, 50 * WAN, AWARD, False, ONE, None),
    # 19. 分阶段给予合计最高不超过800万元
    "listing_reward": (19, 800 * WAN, AWARD, False, STAGED, None),
    # 20. 10亿元规模未来种子基金 / 天使基金 (size not stated)
    "future_seed_fund": (20, 10 * YI, AWARD, True, FUND, None),
    "angel_funds": (20, None, AWARD, False, FUND, None),
    # 21. 最高给予50万元补偿 / 最高给予50万元补助 / 最高给予100万元补助
    "tech_loan_risk_compensation": (21, 50 * WAN, AWARD, False, EVENT, None),
    "investment_alliance_award": (21, 50 * WAN, AWARD, False, ONE, None),
    "alliance_member_investment_award": (21, 100 * WAN, AWARD, False, ONE, None),
    # 22. 每人10万元标准分两年予以补助
    "industry_professor_subsidy": (22, 10 * WAN, AWARD, True, ANNUAL, 2),
}

# Articles that promise no money.
NON_FISCAL = {8, 14, 23, 24, 25, 26}

CHINESE_NUMERALS = "一二三四五六七八九十"
HEADING = re.compile(rf"^([{CHINESE_NUMERALS}]+)、")
# Article 23's line carries a stray "[bookmark: _GoBack]" from the .docx conversion.
ARTICLE = re.compile(r"^(?:\[bookmark:[^\]]*\])?(\d+)\.(.*)$")
UNITS = re.compile(r"（责任单位：(.*?)）\s*$")


def _squash(text: str) -> str:
    return "".join(text.split())


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def policy_articles() -> dict[int, tuple[str, str]]:
    """Article number -> (chapter numeral, paragraph text), parsed from the policy text."""
    text = (CATALOG_PATH.parent / catalog().policy.text_file).read_text(encoding="utf-8")
    chapter = None
    articles: dict[int, tuple[str, str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if match := HEADING.match(line):
            chapter = match.group(1)
        elif match := ARTICLE.match(line):
            assert chapter is not None, f"article before any chapter heading: {line[:20]}"
            articles[int(match.group(1))] = (chapter, match.group(2))
    return articles


def amount_zh(yuan: float) -> str:
    """The policy's way of writing an amount: 1亿元, 200万元, 5000元."""
    n = round(yuan)
    assert n == yuan, f"amount {yuan} is not a whole number of yuan"
    if n >= YI and n % YI == 0:
        return f"{n // YI}亿元"
    if n >= WAN and n % WAN == 0:
        return f"{n // WAN}万元"
    return f"{n}元"


def contains_amount(quote: str, yuan: float) -> bool:
    """True when the quote writes the amount, not as the tail of a larger number."""
    return re.search(rf"(?<![\d.]){re.escape(amount_zh(yuan))}", _squash(quote)) is not None


# ------------------------------------------------------------------ the catalog as a whole


def test_catalog_loads_with_quotes_checked():
    assert isinstance(catalog(), Catalog)


def test_number_of_items():
    assert len(catalog().items) == 42


def test_ids_unique():
    ids = catalog().ids
    assert len(ids) == len(set(ids))


def test_policy_text_has_26_articles_in_8_chapters():
    articles = policy_articles()
    assert sorted(articles) == list(range(1, 27))
    assert {chapter for chapter, _ in articles.values()} == set("二三四五六七八")


def test_every_article_covered_and_none_twice():
    item_articles = {item.article for item in catalog().items}
    non_fiscal = [entry.article for entry in catalog().non_fiscal]
    assert len(non_fiscal) == len(set(non_fiscal)), "an article is listed twice as non-fiscal"
    assert set(non_fiscal) == NON_FISCAL
    assert not item_articles & set(non_fiscal), "an article is both fiscal and non-fiscal"
    assert item_articles | set(non_fiscal) == set(range(1, 27))


def test_catalog_ids_match_expected_table():
    assert set(catalog().ids) == set(EXPECTED)


# ------------------------------------------------------------------ item by item


@pytest.mark.parametrize("item_id", sorted(EXPECTED))
def test_item_matches_text(item_id: str):
    article, cap, basis, fixed, payment, years = EXPECTED[item_id]
    item = catalog().by_id[item_id]
    assert item.article == article
    assert item.cap_yuan == cap
    assert item.cap_basis is basis
    assert item.fixed is fixed
    assert item.payment is payment
    assert item.years_paid == years


def _items() -> list[LineItem]:
    return load_catalog().items


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_chapter_matches_article(item: LineItem):
    assert item.chapter == policy_articles()[item.article][0]


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_quote_is_from_the_items_article(item: LineItem):
    paragraph = _squash(policy_articles()[item.article][1])
    assert _squash(item.quote) in paragraph


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_quote_states_the_amount(item: LineItem):
    amount = item.cap_yuan if item.cap_yuan is not None else item.floor_yuan
    if amount is None:
        pytest.skip("the text states no amount for this item")
    assert contains_amount(item.quote, amount), (
        f"quote does not contain {amount_zh(amount)}: {item.quote}"
    )


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_fixed_flag_follows_wording(item: LineItem):
    """最高/最多/不超过/不少于 mark a limit (fixed: false); a bare 给予X is fixed."""
    if item.cap_yuan is None and item.floor_yuan is None:
        pytest.skip("the text states no amount for this item")
    limited = any(word in item.quote for word in ("最高", "最多", "不超过", "不少于"))
    assert item.fixed is not limited


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_responsible_units_as_written(item: LineItem):
    paragraph = policy_articles()[item.article][1]
    match = UNITS.search(paragraph)
    assert match, f"article {item.article} has no 责任单位 list"
    # Article 20 separates two units with ， instead of 、 in the text.
    units = [unit.strip() for unit in re.split("[、，]", match.group(1))]
    assert item.responsible_units == units
    assert item.paying_unit in units


@pytest.mark.parametrize("item", _items(), ids=lambda item: item.id)
def test_lead_unit_is_explained(item: LineItem):
    if item.lead_unit is not None and item.lead_unit != item.responsible_units[0]:
        assert item.interpretation and item.lead_unit in item.interpretation


# ------------------------------------------------------------------ special terms


def test_joint_programme_floor():
    item = catalog().by_id["national_key_lab_joint_programme"]
    assert item.floor_yuan == 1500 * WAN  # 不少于1500万元
    assert item.cap_yuan is None


def test_conversion_reward_formula():
    formula = catalog().by_id["national_key_lab_conversion_reward"].formula
    assert formula is not None
    assert formula.rate == pytest.approx(0.10)  # 交易额10%
    assert formula.base_zh == "上年度新增与企业签订的技术合同交易额"


def test_fund_tolerances():
    assert catalog().by_id["future_seed_fund"].tolerance == pytest.approx(0.50)  # 容错率50%
    assert catalog().by_id["angel_funds"].tolerance == pytest.approx(0.40)  # 容错率40%


def test_special_modellers():
    by_id = catalog().by_id
    assert by_id["invest_then_equity_conversion"].modelled_by is Modeller.CONVERSION
    assert by_id["future_seed_fund"].modelled_by is Modeller.FUNDS
    assert by_id["angel_funds"].modelled_by is Modeller.FUNDS
    assert by_id["tech_loan_risk_compensation"].modelled_by is Modeller.LOANS
    others = set(by_id) - {
        "invest_then_equity_conversion",
        "future_seed_fund",
        "angel_funds",
        "tech_loan_risk_compensation",
    }
    assert all(by_id[i].modelled_by is Modeller.ENGINE for i in others)


@pytest.mark.parametrize("entry", load_catalog().non_fiscal, ids=lambda e: str(e.article))
def test_non_fiscal_entries_match_text(entry):
    chapter, paragraph = policy_articles()[entry.article]
    assert entry.chapter == chapter
    assert paragraph.startswith(entry.title_zh + "。")


def test_apply_free_entitlement_noted():
    article_25 = next(e for e in catalog().non_fiscal if e.article == 25)
    assert article_25.mechanism and "免申即享" in article_25.mechanism
    assert "5000元" in article_25.mechanism


def test_amount_helper():
    assert amount_zh(2_000_000) == "200万元"
    assert amount_zh(100_000_000) == "1亿元"
    assert amount_zh(5000) == "5000元"
    assert contains_amount("给予10万元", 100_000)
    assert not contains_amount("给予110万元", 100_000)
