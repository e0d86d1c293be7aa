"""What a variant changes (model/policy/changes.py), and the split of the former
``cap_cut_20`` into a cut of the 最高 caps and a cut of the fixed 给予 amounts."""

from __future__ import annotations

import pytest

from model.cli.main import main
from model.policy.changes import base_of, changes
from model.policy.scenario import load_scenario
from model.sim.analytic import expected_city_cost

YI = 100_000_000


def _changed_items(variant) -> set[str]:
    return {c.where for c in changes(base_of(variant), variant) if c.where is not None}


def _horizon(scenario) -> float:
    return float(expected_city_cost(scenario)[scenario.years].sum().sum())


def test_the_caps_cut_changes_exactly_the_items_with_a_maximum(baseline):
    caps = load_scenario("cap_cut_20_max")
    capped = {i.id for i in baseline.catalog.items if i.id in baseline.items and not i.fixed}
    capped -= {"national_key_lab_joint_programme"}  # a 不少于 floor is never scaled
    assert _changed_items(caps) == capped
    for item_id in capped:
        assert caps.items[item_id].reference_yuan == pytest.approx(
            0.8 * baseline.items[item_id].reference_yuan
        )


def test_the_fixed_amounts_cut_changes_exactly_the_given_amounts(baseline):
    fixed = load_scenario("cap_cut_20_fixed")
    given = {i.id for i in baseline.catalog.items if i.id in baseline.items and i.fixed}
    assert _changed_items(fixed) == given
    # article 2: 1亿元 a year to each of three laboratories for five years, cut by 20%
    labs = "provincial_lab_funding"
    cost = expected_city_cost(fixed)[fixed.years].sum(axis=1)[labs]
    assert cost == pytest.approx(0.8 * 3 * 1 * YI * 5)


def test_the_two_cuts_together_are_the_combined_cut(baseline):
    caps, fixed = load_scenario("cap_cut_20_max"), load_scenario("cap_cut_20_fixed")
    both = load_scenario("caps_and_amounts_cut_20")
    assert _changed_items(both) == _changed_items(caps) | _changed_items(fixed)
    chained = load_scenario("baseline+cap_cut_20_max+cap_cut_20_fixed")
    # the expected cost is linear in each item's amount, so the savings add up exactly
    saving = _horizon(baseline) - _horizon(both)
    assert saving == pytest.approx(
        (_horizon(baseline) - _horizon(caps)) + (_horizon(baseline) - _horizon(fixed)), rel=1e-12
    )
    assert _horizon(chained) == pytest.approx(_horizon(both), rel=1e-12)
    # the floor of article 3 is untouched by every cut
    for variant in (caps, fixed, both):
        assert variant.items["national_key_lab_joint_programme"].reference_yuan == 15_000_000


def test_a_scenario_extending_nothing_has_no_base(baseline):
    assert base_of(baseline) is None


def test_validate_prints_what_a_variant_changes(capsys, in_project_root):
    assert main(["validate", "cap_cut_20_fixed", "baseline"]) == 0
    printed = capsys.readouterr().out
    assert "changes against baseline: 13 fields of 12 items or programmes" in printed
    assert "provincial_lab_funding: amount_yuan 100,000,000 → 80,000,000" in printed
    assert printed.count("changes against") == 1  # the baseline extends nothing


def test_validate_names_the_fields_a_pinned_reading_sets(capsys, in_project_root):
    assert main(["validate", "registration_first_only"]) == 0
    printed = capsys.readouterr().out
    assert "readings.tech_sme_registration_award every_registration → first_registration_only" in (
        printed
    )
    assert "a reading sets items.tech_sme_registration_award.uptake" in printed
