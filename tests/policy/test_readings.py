"""Readings of ambiguous clauses (catalog ``readings``): the catalog's clauses, how a
scenario pins them, and each reading's effect on the expected cost against a total
computed by hand from the policy text and the baseline's stated assumptions."""

from __future__ import annotations

import pytest

from model.core.errors import InputError
from model.core.paths import CATALOG_PATH
from model.policy.catalog import load_catalog
from model.policy.programmes import LossBase, LossMeasure, ToleranceRule
from model.policy.scenario import apply_variant, load_scenario
from model.sim.analytic import expected_city_cost

WAN = 10_000
YI = 100_000_000
TEXT = (CATALOG_PATH.parent / "policy" / "changchun-innovation-policy-draft.zh.txt").read_text(
    encoding="utf-8"
)


def _normal(text: str) -> str:
    return "".join(text.split())


def pinned(base, clause: str, reading: str):
    return apply_variant(base, {"readings": {clause: reading}}, label=f"{clause}={reading}")


def horizon_total(scenario, items=None) -> float:
    cost = expected_city_cost(scenario)[scenario.years].sum(axis=1)
    return float(cost[items].sum() if items is not None else cost.sum())


# ------------------------------------------------------------------ the catalog's clauses
def test_at_least_ten_readings_over_at_least_seven_articles():
    catalog = load_catalog()
    others = [(c, r) for c in catalog.readings for r in c.readings if r.id != c.default]
    assert len(others) >= 10
    assert len({c.article for c, _ in others if c.article is not None}) >= 7


def test_the_clauses_the_issue_names_are_covered():
    clauses = load_catalog().clauses
    for clause, article in [
        ("provincial_lab_funding", 2),
        ("national_key_lab_joint_programme", 3),
        ("operating_subsidy_frequency", 13),
        ("tech_sme_registration_award", 17),
        ("listing_reward", 19),
        ("fund_loss_measure", 20),
        ("fund_loss_base", 20),
        ("fund_tolerance_level", 20),
        ("seed_fund_history", 20),
        ("loan_risk_pool", 21),
    ]:
        assert clauses[clause].article == article
    assert clauses["admission_window"].section_zh == "一、总体要求"


def test_every_reading_turns_on_words_of_the_text_and_defaults_change_nothing():
    text = _normal(TEXT)
    for clause in load_catalog().readings:
        assert clause.reading(clause.default).overrides == {}
        assert len(clause.why_default) > 40, clause.id
        for reading in clause.readings:
            for words in reading.turns_on:
                assert _normal(words) in text, (clause.id, reading.id, words)


def test_the_baseline_is_every_default_reading(baseline):
    catalog = baseline.catalog
    assert baseline.readings == {c.id: c.default for c in catalog.readings}
    assert baseline.readings_pinned == {}
    # the default readings are what the baseline states
    seed = baseline.spec.funds["future_seed_fund"]
    assert (seed.tolerance_rule, seed.loss_measure, seed.loss_base) == (
        ToleranceRule.FUND,
        LossMeasure.GROSS,
        LossBase.INVESTED,
    )
    assert seed.history is not None and seed.history.included_in_size
    assert baseline.spec.loan_compensation.capitalisation is None
    assert baseline.spec.admission_years.end == 2027


# ------------------------------------------------------------------ pins
def test_unknown_reading_and_clause_are_input_errors_naming_file_and_field(
    baseline, in_project_root
):
    with pytest.raises(InputError) as info:
        apply_variant(
            baseline,
            {"readings": {"provincial_lab_funding": "per_labs", "article_99": "x"}},
            label="my_variant.yaml",
        )
    problems = {(p.file, p.field): p.message for p in info.value.problems}
    assert "per_lab" in problems[("my_variant.yaml", "readings.provincial_lab_funding")]
    assert "unknown clause" in problems[("my_variant.yaml", "readings.article_99")]


def test_a_variant_pins_a_reading_and_a_later_one_changes_it(baseline, in_project_root):
    first = load_scenario("registration_first_only")
    assert first.readings["tech_sme_registration_award"] == "first_registration_only"
    assert first.readings_pinned == {"tech_sme_registration_award": "first_registration_only"}
    back = apply_variant(first, {"readings": {"tech_sme_registration_award": "every_registration"}})
    assert back.readings_pinned == {}
    assert horizon_total(back) == pytest.approx(horizon_total(baseline), rel=1e-12)
    assert back.digest() != baseline.digest()  # the pin is part of the document


def test_a_reading_wins_over_a_variant_that_sets_its_fields(baseline, in_project_root):
    labs = ["provincial_lab_funding"]
    both = load_scenario("baseline+two_more_labs")
    assert horizon_total(both, labs) > horizon_total(baseline, labs)
    total = apply_variant(both, {"readings": {"provincial_lab_funding": "programme_total"}})
    alone = pinned(baseline, "provincial_lab_funding", "programme_total")
    assert horizon_total(total, labs) == horizon_total(alone, labs) == 5 * YI
    assert ("items", "provincial_lab_funding", "uptake") in total.overridden
    assert "two_more_labs" in total.overridden[("items", "provincial_lab_funding", "uptake")]


def test_a_reading_of_a_programme_the_scenario_leaves_out_changes_nothing(
    baseline, in_project_root
):
    without = apply_variant(baseline, {"loan_compensation": None})
    varied = apply_variant(without, {"readings": {"loan_risk_pool": "capitalised_up_front"}})
    assert varied.spec.loan_compensation is None
    assert horizon_total(varied) == pytest.approx(horizon_total(without), rel=1e-12)


# ------------------------------------------------------------------ effects, by hand
def test_programme_total_costs_one_yi_a_year_for_five_years(baseline):
    varied = pinned(baseline, "provincial_lab_funding", "programme_total")
    # 对省实验室每年给予1亿元经费支持，连续五年: 3 labs x 1亿 x 5 -> 1亿 x 5
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx(-(3 - 1) * 1 * YI * 5, abs=1e-3)


def test_above_the_floor_adds_half_the_floor_each_year(baseline):
    varied = pinned(baseline, "national_key_lab_joint_programme", "above_floor")
    # 不少于1500万元 every year 2025-2030; uniform 1-2 times the floor: mean 1.5
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx(0.5 * 1500 * WAN * 6, rel=1e-12)


def test_operating_subsidies_paid_once(baseline):
    varied = pinned(baseline, "operating_subsidy_frequency", "once")

    def yearly(per_cohort: float, retention: float) -> float:
        # cohorts admitted 2025-2027, paid each year to 2030 while they still qualify
        return sum(
            per_cohort * retention ** (year - cohort)
            for cohort in (2025, 2026, 2027)
            for year in range(cohort, 2031)
        )

    # centres: 3 a year x mean award 0.65 x 200万; pilot bases: 2 a year x 0.65 x 200万
    centres, bases = 3 * 0.65 * 200 * WAN, 2 * 0.65 * 200 * WAN
    expected = (3 * centres - yearly(centres, 0.8)) + (3 * bases - yearly(bases, 0.85))
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(-4823.5 * WAN, abs=0.1 * WAN)


@pytest.mark.parametrize(
    ("reading", "counts"),
    [
        ("first_registration_only", [1500, 1500, 1500]),
        ("once_per_firm_in_policy", [7500, 1500, 1500]),
    ],
)
def test_registration_award_readings(baseline, reading, counts):
    varied = pinned(baseline, "tech_sme_registration_award", reading)
    # 5000元 per registration; the baseline's 7,500 / 8,000 / 8,500 a year, 2025-2027
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx((sum(counts) - (7500 + 8000 + 8500)) * 5000, rel=1e-9)


def test_listing_reward_paid_only_on_listing(baseline):
    varied = pinned(baseline, "listing_reward", "on_listing_only")
    # 6 filings a year, 2025-2027, 800万 each: milestones 25% + 25% x 0.6 + 50% x 0.6 x 0.6
    milestones = 18 * 800 * WAN * (0.25 + 0.25 * 0.6 + 0.5 * 0.36)
    on_listing = 18 * 800 * WAN * 0.36
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx(on_listing - milestones, rel=1e-9)
    # the reading's pass probability is the baseline's 0.6 x 0.6
    stages = baseline.items["listing_reward"].assumptions.stages
    assert varied.items["listing_reward"].assumptions.stages[0].probability == pytest.approx(
        stages[1].probability * stages[2].probability
    )


def test_capitalised_pool_adds_its_capital_in_2025(baseline):
    varied = pinned(baseline, "loan_risk_pool", "capitalised_up_front")
    base = expected_city_cost(baseline).loc["tech_loan_risk_compensation"]
    cost = expected_city_cost(varied).loc["tech_loan_risk_compensation"]
    assert (cost - base)[2025] == pytest.approx(2 * YI, rel=1e-12)
    assert (cost - base).drop(2025).abs().max() == pytest.approx(0.0, abs=1e-6)


def test_recurring_subsidies_stop_with_a_policy_ending_in_2027(baseline):
    varied = pinned(baseline, "admission_window", "policy_ends_2027")
    recurring = baseline.catalog.clauses["admission_window"].items
    later = expected_city_cost(baseline).loc[recurring, [2028, 2029, 2030]].to_numpy().sum()
    change = horizon_total(varied) - horizon_total(baseline)
    assert change == pytest.approx(-later, rel=1e-9)
    assert all(varied.items[i].last_payment_year == 2027 for i in recurring)


def test_admitting_every_year_to_2030(baseline):
    varied = load_scenario("admission_to_2030")
    assert varied.readings_pinned == {"admission_window": "to_2030"}
    for item_id, item in varied.items.items():
        own = baseline.items[item_id].assumptions.admission_years
        expected = [2025] if own is not None else list(range(2025, 2031))
        assert item.admission_years == expected, item_id
    # the registration award's stated values to 2030 are used: 7,500 ... 10,000 a year
    registrations = varied.items["tech_sme_registration_award"]
    assert [registrations.assumptions.uptake.mean(i, 1.0) for i in range(6)] == [
        7500,
        8000,
        8500,
        9000,
        9500,
        10000,
    ]


def test_seed_fund_history_inside_the_fund_leaves_nine_yi_to_commit(baseline):
    seed = baseline.spec.funds["future_seed_fund"]
    assert seed.history.called_yuan == 1 * YI  # evidence-2 §3: 首期1亿元
    assert seed.new_capital_yuan == 9 * YI
    # fees 1.5% a year for 5 years, 0.5% for 7, on the new capital
    assert seed.investable_yuan == pytest.approx(9 * YI * (1 - 0.015 * 5 - 0.005 * 7))
    all_new = pinned(baseline, "seed_fund_history", "all_new_from_2025")
    assert all_new.spec.funds["future_seed_fund"].new_capital_yuan == 10 * YI


@pytest.mark.parametrize(
    ("clause", "reading", "field", "value"),
    [
        ("fund_loss_measure", "net", "loss_measure", LossMeasure.NET),
        ("fund_loss_base", "paid_in", "loss_base", LossBase.PAID_IN),
        ("fund_loss_base", "fund_size", "loss_base", LossBase.COMMITTED),
        ("fund_tolerance_level", "category", "tolerance_rule", ToleranceRule.CATEGORY),
        ("fund_tolerance_level", "project", "tolerance_rule", ToleranceRule.PER_PROJECT),
    ],
)
def test_tolerance_readings_set_both_funds(baseline, clause, reading, field, value):
    varied = pinned(baseline, clause, reading)
    for fund in ("future_seed_fund", "angel_funds"):
        assert getattr(varied.spec.funds[fund], field) is value
