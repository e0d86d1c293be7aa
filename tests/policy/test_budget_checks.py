"""The budget sections of a scenario (model/policy/budget_schema.py, budget_checks.py,
classification.py): every bad value is an input error naming its file, item and field."""

from __future__ import annotations

import pytest

from model import apply_variant, load_scenario
from model.core.errors import InputError
from model.policy.classification import load_classification, parents


def _problems(scenario, overlay):
    with pytest.raises(InputError) as error:
        apply_variant(scenario, overlay, label="test-variant")
    return error.value.problems


def test_shares_must_add_up_to_one(baseline):
    (problem,) = _problems(
        baseline,
        {"funding": {"listing_reward": {"city": 0.5, "district": 0.4, "basis": "test"}}},
    )
    assert problem.item == "listing_reward" and problem.file == "test-variant"
    assert "add up to 0.9" in problem.message


def test_who_pays_a_fund_is_its_city_share(baseline):
    (problem,) = _problems(baseline, {"funding": {"angel_funds": {"city": 1.0, "basis": "test"}}})
    assert problem.item == "angel_funds" and "city_share" in problem.message
    assert baseline.funding("angel_funds").other == pytest.approx(0.6)


def test_funding_and_city_share_are_not_both_given(baseline):
    overlay = {
        "funding": {"listing_reward": {"city": 0.5, "district": 0.5, "basis": "test"}},
        "items": {"listing_reward": {"city_share": {"value": 0.5, "basis": "test"}}},
    }
    (problem,) = _problems(baseline, overlay)
    assert problem.field == "funding" and "once" in problem.message


def test_a_city_share_still_works_as_funding(baseline):
    variant = apply_variant(
        baseline, {"items": {"listing_reward": {"city_share": {"value": 0.3, "basis": "test"}}}}
    )
    funding = variant.funding("listing_reward")
    assert (funding.city, funding.other) == (0.3, pytest.approx(0.7))
    assert variant.items["listing_reward"].city_share == 0.3


def test_known_amounts_are_for_decided_years_only(baseline):
    problems = _problems(
        baseline,
        {
            "known_amounts": {
                "provincial_lab_funding": {"amounts": {2026: 1e8, 2027: 1e8}, "source": "test"},
                "no_such_item": {"amounts": {2025: 1.0}, "source": "test"},
            }
        },
    )
    messages = {p.item: p.message for p in problems}
    assert "[2027]" in messages["provincial_lab_funding"]
    assert "2025–2026" in messages["provincial_lab_funding"]
    assert "not in the policy catalog" in messages["no_such_item"]


def test_every_catalog_item_is_classified_with_a_known_code(baseline):
    classification = baseline.classification
    assert set(classification.items) == set(baseline.catalog.ids)
    for item_id in classification.items:
        path = classification.path(item_id)
        assert [code for code, _ in path] == parents(classification.items[item_id].func_code)
        assert path[0][0] in ("206", "215", "217")


def test_a_classification_names_every_problem(tmp_path, baseline):
    """An unknown code (2069999 without 20699), an unknown item and the unclassified
    items, all at once, each with the file and the item."""
    text = (
        "title_zh: t\ntitle_en: t\n"
        "codes:\n  '206': {level: 类, name_zh: a, name_en: a, status: S, source: src}\n"
        "items:\n"
        "  listing_reward: {func_code: '2069999', rule: r, basis: 'no such code'}\n"
        "  not_an_item: {func_code: '206', rule: r, basis: 'unknown item'}\n"
    )
    path = tmp_path / "classes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_classification(path, baseline.catalog.ids)
    problems = error.value.problems
    assert all(p.file == str(path) for p in problems)
    assert any(p.item == "listing_reward" and "20699" in p.message for p in problems)
    assert any(p.item == "not_an_item" and "unknown item" in p.message for p in problems)
    assert any(
        p.item == "basic_research_project" and "not classified" in p.message for p in problems
    )


def test_a_named_classification_file_must_exist(baseline):
    (problem,) = _problems(baseline, {"classification": "missing_classes.yaml"})
    assert problem.field == "classification" and "not found" in problem.message


def test_the_district_variants_load(baseline):
    full = load_scenario("district_cofunding")
    narrow = load_scenario("district_cofunding_a_only")
    district = {i for i in full.row_ids if full.funding(i).district}
    assert len(district) == 12
    assert {i for i in narrow.row_ids if narrow.funding(i).district} == {
        "productivity_promotion_centre_subsidy",
        "university_tech_industrial_park",
        "enterprise_accelerator_industrial_park",
    }
