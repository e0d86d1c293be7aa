"""Bad input is reported clearly by the loaders (model/policy/scenario.py,
model/policy/catalog.py): file, item and field, all problems at once.

Each file of the malformed corpus must produce the problem its case in
``helpers.malformed.CASES`` names; the command line's handling of the same files
(``fiscalsim validate``, exit code 2) is checked in ``tests/cli/test_validate.py``.
"""

from __future__ import annotations

import pytest
from helpers.malformed import (
    CASES,
    CORPUS,
    COUNTS,
    GE0,
    HELPERS,
    LE1,
    MALFORMED,
    SEVERAL,
    Case,
    case_of,
    case_params,
    find_problem,
    matches,
    problems_of,
)

from model.core.errors import InputError
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario


# --------------------------------------------------------------------------- the corpus
def test_corpus_is_covered_by_the_table():
    files = {p.name for p in MALFORMED.iterdir() if p.suffix == ".yaml"}
    tabled = [case.file for case in CASES]
    assert len(tabled) == len(set(tabled)), "a file is listed twice"
    assert files - HELPERS == set(tabled)
    assert len(tabled) >= 35


def test_helpers_are_valid(in_project_root):
    catalog = load_catalog(f"{CORPUS}/mini_catalog.yaml")
    assert catalog.ids == [
        "basic_research_project",
        "incubator_national_approval",
        "listing_reward",
        "future_seed_fund",
    ]
    scenario = load_scenario(f"{CORPUS}/mini_scenario_ok.yaml")
    assert set(scenario.items) == {
        "basic_research_project",
        "incubator_national_approval",
        "listing_reward",
    }


@pytest.mark.parametrize("case", case_params(CASES))
def test_loader_reports_the_problem(case: Case, in_project_root):
    find_problem(case, problems_of(case.path, case.kind))


@pytest.mark.parametrize("name", sorted(SEVERAL))
def test_every_problem_of_a_file_is_reported(name: str, in_project_root):
    problems = problems_of(f"{CORPUS}/{name}", case_of(name).kind)
    file = (MALFORMED / name).resolve()
    missing = [
        expected
        for expected in SEVERAL[name]
        if not any(matches(p, file, *expected) for p in problems)
    ]
    assert not missing, f"not reported: {missing}\nreported: {problems}"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [])
        for name, (_, reason) in sorted(COUNTS.items())
    ],
)
def test_problem_count(name: str, in_project_root):
    problems = problems_of(f"{CORPUS}/{name}", case_of(name).kind)
    assert len(problems) == COUNTS[name][0], "\n".join(map(str, problems))


def test_mixed_problems_of_a_variant_all_reported(in_project_root):
    name = "variant_mixed_phase_problems.yaml"
    problems = problems_of(f"{CORPUS}/{name}", "scenario")
    file = (MALFORMED / name).resolve()
    for expected in [
        ("basic_research_project", "uptak", r"unknown field"),
        ("enterprise_tech_absorption_grant", "takeup.value", LE1),
        ("key_tech_major_project", "award", r"cannot exceed 1"),
    ]:
        assert any(matches(p, file, *expected) for p in problems), (expected, problems)


def test_mixed_problems_of_a_catalog_all_reported(in_project_root):
    name = "catalog_mixed_problems.yaml"
    problems = problems_of(f"{CORPUS}/{name}", "catalog")
    file = (MALFORMED / name).resolve()
    assert any(matches(p, file, "basic_research_project", "cap_yuan", GE0) for p in problems)
    assert any(matches(p, file, "listing_reward", "quote", r"word for word") for p in problems)


@pytest.mark.parametrize(
    "name",
    [
        "variant_negative_mean.yaml",
        "variant_string_mean.yaml",
        "variant_negative_ceiling.yaml",
        "variant_fractional_count.yaml",
    ],
)
def test_one_bad_value_is_one_problem(name: str, in_project_root):
    problems = problems_of(f"{CORPUS}/{name}", "scenario")
    assert len(problems) == 1, problems
    assert "constrained-" not in (problems[0].field or "")


def test_admission_window_problem_is_not_repeated_per_item(in_project_root):
    problems = problems_of(f"{CORPUS}/variant_admission_outside_horizon.yaml", "scenario")
    assert any(p.item is None and p.field == "admission_years" for p in problems)
    repeated = [p for p in problems if p.item is not None and p.field == "admission_years"]
    assert not repeated, f"{len(repeated)} repeats, e.g. {repeated[0]}"


@pytest.mark.parametrize(
    ("name", "field_name"),
    [
        ("catalog_years_paid_on_one_time.yaml", "years_paid"),
        ("catalog_annual_without_years_paid.yaml", "years_paid"),
        ("catalog_formula_without_terms.yaml", "formula"),
        ("catalog_lead_unit_not_responsible.yaml", "lead_unit"),
    ],
)
def test_catalog_cross_field_problem_names_its_field(name: str, field_name: str, in_project_root):
    (problem,) = problems_of(f"{CORPUS}/{name}", "catalog")
    assert problem.field == field_name
    assert "(got {" not in problem.message


def test_load_missing_file():
    with pytest.raises(InputError) as info:
        load_scenario(MALFORMED / "no_such_scenario.yaml")
    (problem,) = info.value.problems
    assert problem.file.endswith("no_such_scenario.yaml")
    assert problem.message == "file not found"
