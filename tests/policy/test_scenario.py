"""Variants and chains of scenarios (model/policy/scenario.py): ``apply_variant`` leaves its
base unchanged, a chain equals its variant files, and problems are blamed on the variant."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from helpers.malformed import CORPUS, MALFORMED, ROOT

from model.core.errors import InputError
from model.policy.scenario import apply_variant, load_scenario


def _snapshot(scenario) -> tuple:
    return (
        copy.deepcopy(scenario.document),
        scenario.digest(),
        {
            i: (item.reference_yuan, item.assumptions.model_dump(), item.award.model_dump())
            for i, item in scenario.items.items()
        },
    )


OVERLAY = {
    "name": "in_memory",
    "cap_scale": 0.8,
    "items": {
        "basic_research_project": {"award": {"high": 0.8, "mode": 0.3}},
        "provincial_lab_funding": {
            "uptake": {
                "dist": "fixed",
                "value": [3, 1, 1],
                "basis": "Test: two more laboratories.",
            },
            "admission_years": {"start": 2025, "end": 2027},
        },
        "listing_reward": {
            "stages": [
                {
                    "name_zh": "上市",
                    "name_en": "listed",
                    "share": 1.0,
                    "probability": 0.5,
                    "lag_years": 1,
                    "basis": "Test: one stage.",
                }
            ]
        },
    },
}


def test_apply_variant_leaves_the_base_unchanged(baseline, in_project_root):
    base = baseline
    before = _snapshot(base)
    overlay = copy.deepcopy(OVERLAY)
    varied = apply_variant(base, overlay)
    assert _snapshot(base) == before
    assert overlay == OVERLAY
    # the variant took effect, without sharing anything with the base
    assert varied.items["basic_research_project"].award.high == 0.8
    assert varied.items["basic_research_project"].award.low == 0.2  # merged from the base
    assert base.items["basic_research_project"].award.high == 1.0
    assert varied.items["key_tech_major_project"].reference_yuan == pytest.approx(8e6)
    assert base.items["key_tech_major_project"].reference_yuan == 1e7
    varied.document["items"]["basic_research_project"]["award"]["high"] = 0.1
    varied.document["horizon"]["end"] = 2099
    assert _snapshot(base) == before


def test_failed_variant_leaves_the_base_unchanged(baseline, in_project_root):
    base = baseline
    before = _snapshot(base)
    bad = {
        "items": {"enterprise_tech_absorption_grant": {"takeup": {"value": 1.2, "basis": "Test."}}}
    }
    with pytest.raises(InputError) as info:
        apply_variant(base, bad, label="bad_variant")
    (problem,) = info.value.problems
    assert (problem.file, problem.item, problem.field) == (
        "bad_variant",
        "enterprise_tech_absorption_grant",
        "takeup.value",
    )
    with pytest.raises(InputError):
        apply_variant(base, {"items": {"no_such_item": {"takeup": 0.5}}})
    assert _snapshot(base) == before


def _without_name(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "name"}


@pytest.mark.parametrize(
    "variant",
    [
        "cap_cut_20_max",
        "cap_cut_20_fixed",
        "caps_and_amounts_cut_20",
        "two_more_labs",
        "climate_correlated",
        "appropriation_ceilings",
    ],
)
def test_chain_equals_the_variant_file(variant: str, in_project_root):
    chained = load_scenario(f"baseline+{variant}")
    direct = load_scenario(f"scenarios/variants/{variant}.yaml")
    assert chained.name == f"baseline+{variant}"
    assert _without_name(chained.document) == _without_name(direct.document)
    assert chained.spec.model_dump(exclude={"name"}) == direct.spec.model_dump(exclude={"name"})
    assert _snapshot(chained)[2] == _snapshot(direct)[2]


def test_chain_of_two_equals_applying_both(baseline, in_project_root):
    chained = load_scenario("baseline+two_more_labs+caps_and_amounts_cut_20")
    step = baseline
    for name in ("two_more_labs", "caps_and_amounts_cut_20"):
        overlay = yaml.safe_load(
            (ROOT / "scenarios" / "variants" / f"{name}.yaml").read_text(encoding="utf-8")
        )
        overlay.pop("extends")
        step = apply_variant(step, overlay, label=name)
    assert _without_name(chained.document) == _without_name(step.document)
    assert _snapshot(chained)[2] == _snapshot(step)[2]
    assert chained.items["provincial_lab_funding"].reference_yuan == pytest.approx(0.8e8)


def test_variant_file_equals_apply_variant(baseline, in_project_root):
    direct = load_scenario("scenarios/variants/two_more_labs.yaml")
    overlay = yaml.safe_load(
        (ROOT / "scenarios/variants/two_more_labs.yaml").read_text(encoding="utf-8")
    )
    overlay.pop("extends")
    applied = apply_variant(baseline, overlay)
    assert applied.document == direct.document
    assert applied.digest() == direct.digest()


@pytest.mark.parametrize(
    ("name", "item", "field_name"),
    [
        ("variant_takeup_above_one.yaml", "enterprise_tech_absorption_grant", "takeup.value"),
        ("variant_unknown_item.yaml", "basic_reserch_project", None),
    ],
)
def test_chain_blames_the_variant(name: str, item: str, field_name: str | None, in_project_root):
    with pytest.raises(InputError) as info:
        load_scenario(f"baseline+{CORPUS}/{name}")
    (problem,) = info.value.problems
    assert Path(problem.file).resolve() == (MALFORMED / name).resolve()
    assert (problem.item, problem.field) == (item, field_name)
