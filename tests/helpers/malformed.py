"""The corpus of malformed inputs (``tests/malformed/``) and the problem each must produce.

Every file of ``tests/malformed/`` breaks one thing (a few break several) in a scenario,
a variant or a catalog. The table ``CASES`` says which problem each file must produce:
the file holding the bad value (for a variant: the variant, not the baseline it extends),
the item, the field, and a pattern the message must match. Each case is checked three
ways: the loader raises :class:`InputError` with that problem
(``tests/policy/test_validation.py``); ``fiscalsim validate FILE`` (in process) exits 2
and prints it; and one subprocess validates the whole corpus at once, end to end, to
check the exit status and the absence of any traceback (``tests/cli/test_validate.py``).

Cases marked ``bug=...`` are loader bugs found while writing the corpus; they are strict
xfails, so fixing the loader turns them into failures until the mark is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from model.core.errors import InputError, Problem
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "malformed"
CORPUS = "tests/malformed"  # as passed on the command line, from the project root
BASELINE = "../../scenarios/baseline.yaml"  # relative to the corpus folder

#: Helper files of the corpus that are valid on purpose.
HELPERS = {"mini_catalog.yaml", "mini_scenario_ok.yaml"}


class _Any:
    """Matches any item or field (used where the right location is open to design)."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


@dataclass(frozen=True)
class Case:
    """One malformed file and the problem it must produce."""

    file: str
    item: str | None
    field: str | None
    message: str  # regular expression searched in the problem's message
    where: str | None = None  # file holding the bad value, relative to the corpus folder
    bug: str | None = None  # loader bug: loader and CLI checks are strict xfails
    cli_bug: str | None = None  # bug of the CLI only

    @property
    def kind(self) -> str:
        return "catalog" if self.file.startswith("catalog_") else "scenario"

    @property
    def path(self) -> str:
        return f"{CORPUS}/{self.file}"

    @property
    def expected_file(self) -> Path:
        return (MALFORMED / (self.where or self.file)).resolve()


GE0 = r"greater than or equal to 0"
LE1 = r"less than or equal to 1\b"
LAX = (
    "loader bug: StrictModel (model/core/schema.py) sets strict=False, so pydantic silently "
    "coerces {what}, contrary to its docstring"
)


CASES: list[Case] = [
    # ---------------------------------------------------------------- the file itself
    Case("syntax_error.yaml", None, None, r"YAML syntax error at line \d+, column \d+"),
    Case("empty_file.yaml", None, None, r"file is empty"),
    Case("comments_only.yaml", None, None, r"file is empty"),
    Case("top_level_list.yaml", None, None, r"top level must be a mapping, got list"),
    Case("top_level_scalar.yaml", None, None, r"top level must be a mapping, got str"),
    Case("not_utf8.yaml", None, None, r"is not UTF-8: byte 0xbb at line 3 .*GBK/GB18030"),
    Case("variant_duplicate_key.yaml", ANY, ANY, r"(?i)duplicate"),
    Case(
        "variant_bool_probability.yaml",
        "enterprise_tech_absorption_grant",
        "takeup.value",
        r"(?i)number|bool",
    ),
    # ---------------------------------------------------------------- negative amounts
    Case("variant_negative_mean.yaml", "key_tech_key_project", "uptake.mean", GE0),
    Case("variant_negative_cap.yaml", "basic_research_project", "cap_yuan", GE0),
    Case(
        "variant_negative_ceiling.yaml",
        "productivity_promotion_centre_subsidy",
        "ceiling_yuan",
        GE0,
    ),
    Case(
        "variant_negative_yearly_ceiling.yaml",
        "productivity_promotion_centre_subsidy",
        "ceiling_yuan.2026",
        GE0,
    ),
    Case("variant_nan_cap.yaml", "basic_research_project", "cap_yuan", r"finite number"),
    Case("variant_infinite_mean.yaml", "key_tech_key_project", "uptake.mean", r"(?i)finite|inf"),
    Case("catalog_missing_policy.yaml", None, "policy", r"Field required"),
    # ---------------------------------------------------------------- the rest of the corpus
    Case(
        "catalog_annual_without_years_paid.yaml",
        "basic_research_project",
        "years_paid",
        "is required for payment annual_for_years",
    ),
    Case(
        "catalog_article_27.yaml",
        "basic_research_project",
        "article",
        "Input should be less than or equal to 26",
    ),
    Case(
        "catalog_bad_id.yaml",
        "Basic-Research",
        "id",
        "String should match pattern '\\^\\[a\\-z\\]\\[a\\-z0\\-9_\\]\\*\\$'",
    ),
    Case(
        "catalog_cap_and_floor.yaml",
        "basic_research_project",
        "floor_yuan",
        "set either cap_yuan \\(最高/给予\\) or floor_yuan \\(不少于\\), not both",
    ),
    Case(
        "catalog_chapter_nine.yaml",
        "basic_research_project",
        "chapter",
        "Input should be '一', '二', '三', '四', '五', '六', '七' or '八'",
    ),
    Case(
        "catalog_duplicate_id.yaml",
        "basic_research_project",
        "id",
        "duplicate item id \\(also item 1 of the list\\)",
    ),
    Case(
        "catalog_empty_items.yaml",
        None,
        "items",
        "List should have at least 1 item after validation, not 0",
    ),
    Case(
        "catalog_engine_item_without_amount.yaml",
        "basic_research_project",
        "cap_yuan",
        "an engine item needs cap_yuan or floor_yuan",
    ),
    Case(
        "catalog_fixed_not_bool.yaml",
        "basic_research_project",
        "fixed",
        "Input should be a valid boolean",
    ),
    Case(
        "catalog_formula_rate_above_one.yaml",
        "basic_research_project",
        "formula.rate",
        "Input should be less than or equal to 1",
    ),
    Case(
        "catalog_formula_without_terms.yaml",
        "basic_research_project",
        "formula",
        "formula terms are required for payment formula",
    ),
    Case(
        "catalog_lead_unit_not_responsible.yaml",
        "basic_research_project",
        "lead_unit",
        "must be one of responsible_units",
    ),
    Case("catalog_missing_quote.yaml", "basic_research_project", "quote", "Field required"),
    Case(
        "catalog_negative_cap.yaml",
        "basic_research_project",
        "cap_yuan",
        "Input should be greater than or equal to 0",
    ),
    Case(
        "catalog_quote_not_in_text.yaml",
        "basic_research_project",
        "quote",
        "not found word for word in the policy text",
    ),
    Case(
        "catalog_string_cap.yaml",
        "basic_research_project",
        "cap_yuan",
        "Input should be a valid number",
    ),
    Case(
        "catalog_text_file_missing.yaml",
        None,
        "policy.text_file",
        "policy text not found at scenarios/policy/no\\-such\\-policy\\.txt",
    ),
    Case(
        "catalog_tolerance_above_one.yaml",
        "future_seed_fund",
        "tolerance",
        "Input should be less than or equal to 1",
    ),
    Case(
        "catalog_unknown_item_field.yaml",
        "basic_research_project",
        "cap_yaun",
        "unknown field \\(value 500000\\)",
    ),
    Case(
        "catalog_unknown_payment_kind.yaml",
        "basic_research_project",
        "payment",
        "Input should be 'one_time', 'annual_for_years', 'recurring_annual', 's",
    ),
    Case(
        "catalog_years_paid_on_one_time.yaml",
        "basic_research_project",
        "years_paid",
        "is only meaningful for payment annual_for_years",
    ),
    Case(
        "cycle_a.yaml",
        None,
        "extends",
        r"variants extend in a cycle: (\S*/)?cycle_a\.yaml -> (\S*/)?cycle_b\.yaml",
    ),
    Case(
        "cycle_b.yaml",
        None,
        "extends",
        r"variants extend in a cycle: (\S*/)?cycle_b\.yaml -> (\S*/)?cycle_a\.yaml",
    ),
    Case("scenario_absurd_draws_key.yaml", None, "draws", "unknown field \\(value 100000000000\\)"),
    Case(
        "scenario_fund_item_under_items.yaml",
        "future_seed_fund",
        None,
        "modelled by the funds model; configure it in the scenario's funds sect",
    ),
    Case(
        "scenario_horizon_as_text.yaml",
        None,
        "horizon",
        "Input should be a valid dictionary or instance of YearRange",
    ),
    Case("scenario_items_not_mapping.yaml", None, "items", "Input should be a valid dictionary"),
    Case(
        "scenario_missing_catalog_file.yaml",
        None,
        "catalog",
        "catalog file tests/malformed/no_such_catalog\\.yaml not found",
    ),
    Case(
        "scenario_missing_dist.yaml",
        "basic_research_project",
        "award",
        "Unable to extract tag using discriminator 'dist'",
    ),
    Case(
        "scenario_missing_item_assumptions.yaml",
        "listing_reward",
        None,
        "no assumptions given for this catalog item",
    ),
    Case("scenario_missing_required_fields.yaml", None, "title_en", "Field required"),
    Case("scenario_missing_uptake.yaml", "incubator_national_approval", "uptake", "Field required"),
    Case(
        "scenario_several_problems.yaml",
        None,
        "horizon.end",
        "Input should be less than or equal to 2100",
    ),
    Case(
        "scenario_unknown_item_id.yaml",
        "basic_research_projekt",
        None,
        "unknown item id: not in the policy catalog",
    ),
    Case(
        "scenario_with_malformed_catalog.yaml",
        "basic_research_project",
        "cap_yuan",
        "Input should be greater than or equal to 0",
        where="catalog_negative_cap.yaml",
    ),
    Case(
        "variant_admission_outside_horizon.yaml",
        None,
        "admission_years",
        "admission years 2024–2027 fall outside the horizon 2025–2030",
    ),
    Case(
        "variant_award_high_above_one.yaml",
        "key_tech_major_project",
        "award",
        "is a share of the cap and cannot exceed 1 \\(highest value 1\\.5\\)",
    ),
    Case(
        "variant_award_on_staged_item.yaml",
        "listing_reward",
        "award",
        "not used for a staged item: each stage's share of the cap sets its amo",
    ),
    Case(
        "variant_bad_name.yaml",
        None,
        "name",
        re.escape("String should match pattern '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$'"),
    ),
    Case(
        "variant_binomial_p_above_one.yaml",
        "university_tech_transfer_office_grant",
        "uptake.p",
        "Input should be less than or equal to 1",
    ),
    Case("variant_cap_scale_zero.yaml", None, "cap_scale", "Input should be greater than 0"),
    Case(
        "variant_ceiling_group_unknown_item.yaml",
        "ceilings[0]",
        "items",
        "unknown item id 'no_such_award'",
    ),
    Case(
        "variant_ceiling_group_years_outside_horizon.yaml",
        "ceilings[0]",
        "annual_yuan",
        "years \\[2040\\] are outside the horizon",
    ),
    Case(
        "variant_ceiling_years_outside_horizon.yaml",
        "productivity_promotion_centre_subsidy",
        "ceiling_yuan",
        "years \\[2031\\] are outside the horizon",
    ),
    Case(
        "variant_city_share_negative.yaml",
        "pilot_base_operating_subsidy",
        "city_share.value",
        "Input should be greater than or equal to 0",
    ),
    Case(
        "variant_climate_loading_above_one.yaml",
        "tech_broker_award",
        "climate_loading",
        "Input should be less than or equal to 1",
    ),
    Case(
        "variant_climate_loading_without_climate.yaml",
        "tech_broker_award",
        "climate_loading",
        "needs a scenario\\-level climate section",
    ),
    Case(
        "variant_climate_persistence_one.yaml",
        None,
        "climate.persistence",
        "Input should be less than 1",
    ),
    Case(
        "variant_engine_item_is_fund.yaml",
        "future_seed_fund",
        None,
        "unknown item id: the scenario it extends has no such grant item \\(funds",
    ),
    Case(
        "variant_extends_itself.yaml",
        None,
        "extends",
        r"variants extend in a cycle: (\S*/)?variant_extends_itself\.yaml",
    ),
    Case(
        "variant_extends_missing_file.yaml",
        None,
        "extends",
        "'\\.\\./\\.\\./scenarios/no_such_baseline\\.yaml' not found \\(looked beside this ",
    ),
    Case(
        "variant_extends_not_string.yaml", None, "extends", "must be a file path or scenario name"
    ),
    Case(
        "variant_fixed_item_partial_award.yaml",
        "incubator_national_approval",
        "award",
        "article 15 fixes the amount \\(给予\\); the award must be the full amount \\(f",
    ),
    Case(
        "variant_floor_award_below_one.yaml",
        "national_key_lab_joint_programme",
        "award",
        "is a multiple of the 不少于 floor \\(15,000,000 yuan\\) and cannot go below 1",
    ),
    Case(
        "variant_formula_award_on_plain_item.yaml",
        "basic_research_project",
        "award",
        "formula_fixed is only for payment formula items",
    ),
    Case(
        "variant_formula_item_plain_award.yaml",
        "national_key_lab_conversion_reward",
        "award",
        "a formula item needs dist formula_lognormal or formula_fixed",
    ),
    Case(
        "variant_fractional_count.yaml",
        "provincial_lab_funding",
        "uptake.value.0",
        "Input should be a valid integer",
    ),
    Case(
        "variant_horizon_end_before_start.yaml",
        None,
        "horizon",
        "end \\(2025\\) is before start \\(2030\\)",
    ),
    Case(
        "variant_item_admission_outside_horizon.yaml",
        "basic_research_project",
        "admission_years",
        "2026–2032 falls outside the horizon 2025–2030",
    ),
    Case(
        "variant_item_overrides_not_mapping.yaml",
        "basic_research_project",
        None,
        "overrides must be a mapping",
    ),
    Case("variant_items_not_mapping.yaml", None, "items", "must be a mapping of item id to fields"),
    Case(
        "variant_list_probability.yaml",
        "enterprise_tech_absorption_grant",
        "takeup.value",
        "Input should be a valid number",
    ),
    Case("variant_missing_basis.yaml", "key_tech_major_project", "uptake.basis", "Field required"),
    Case("variant_mixed_phase_problems.yaml", "basic_research_project", "uptak", "unknown field"),
    Case(
        "variant_numeric_string_cap.yaml",
        "basic_research_project",
        "cap_yuan",
        "Input should be a valid number",
    ),
    Case(
        "variant_own_catalog_path.yaml",
        "basic_research_project",
        "cap_yuan",
        "Input should be greater than or equal to 0",
        where="catalog_negative_cap.yaml",
    ),
    Case(
        "variant_per_year_wrong_length.yaml",
        "national_platform_approval_award",
        "uptake",
        "uptake\\.value lists 2 values for 3 admission years 2025–2027",
    ),
    Case(
        "variant_recurring_until_before_admission.yaml",
        "tech_market_operating_subsidy",
        "recurring_until",
        "2024 is before the first admission year 2025",
    ),
    Case(
        "variant_retention_above_one.yaml",
        "tech_market_operating_subsidy",
        "retention.value",
        "Input should be less than or equal to 1",
    ),
    Case(
        "variant_retention_on_one_time.yaml",
        "basic_research_project",
        "retention",
        "only for payment recurring_annual",
    ),
    Case(
        "variant_several_problems.yaml",
        "productivity_promotion_centre_subsidy",
        "ceiling_yuan",
        "Input should be greater than or equal to 0",
    ),
    Case(
        "variant_several_semantic_problems.yaml",
        "national_platform_approval_award",
        "uptake",
        "uptake\\.value lists 2 values for 3 admission years 2025–2027",
    ),
    Case(
        "variant_short_basis.yaml",
        "enterprise_tech_absorption_grant",
        "takeup.basis",
        "String should have at least 3 characters",
    ),
    Case(
        "variant_stage_probability_above_one.yaml",
        "listing_reward",
        "stages.1.probability",
        "Input should be less than or equal to 1",
    ),
    Case(
        "variant_stage_shares_above_one.yaml",
        "listing_reward",
        "stages",
        "stage shares add up to 1\\.500 of the cap \\(at most 1\\)",
    ),
    Case(
        "variant_staged_item_without_stages.yaml",
        "listing_reward",
        "stages",
        "a staged item needs its stages",
    ),
    Case(
        "variant_stages_on_unstaged_item.yaml",
        "basic_research_project",
        "stages",
        "only for payment staged",
    ),
    Case(
        "variant_string_mean.yaml",
        "key_tech_major_project",
        "uptake.mean",
        "Input should be a valid number",
    ),
    Case(
        "variant_takeup_above_one.yaml",
        "enterprise_tech_absorption_grant",
        "takeup.value",
        "Input should be less than or equal to 1",
    ),
    Case(
        "variant_triangular_mode_outside.yaml",
        "key_tech_key_project",
        "award",
        "need low <= mode <= high and low < high",
    ),
    Case(
        "variant_unknown_dist.yaml",
        "key_tech_major_project",
        "uptake",
        "Input tag 'gamma' found using 'dist' does not match any of the expecte",
    ),
    Case(
        "variant_unknown_item.yaml",
        "basic_reserch_project",
        None,
        "unknown item id: the scenario it extends has no such grant item \\(funds",
    ),
    Case("variant_unknown_item_field.yaml", "basic_research_project", "uptak", "unknown field"),
    Case("variant_unknown_top_level_key.yaml", None, "horizn", "unknown field"),
    Case(
        "variant_year_out_of_range.yaml",
        None,
        "horizon.end",
        "Input should be less than or equal to 2100",
    ),
    Case(
        "variant_years_paid_on_one_time.yaml",
        "basic_research_project",
        "years_paid",
        "only for payment annual_for_years",
    ),
    Case(
        "variant_ceiling_group_with_fund.yaml",
        "ceilings[0]",
        "items",
        r"'future_seed_fund' is not a grant item",
    ),
    Case(
        "variant_timing_unknown_item.yaml",
        "basic_reserch_project",
        "items",
        r"unknown item id: not among the scenario's grant items",
    ),
    Case("catalog_several_problems.yaml", "basic_research_project", "article", r"26"),
    Case("catalog_mixed_problems.yaml", "basic_research_project", "cap_yuan", GE0),
    Case(
        "catalog_reading_words_not_in_text.yaml",
        "clause basic_research_project",
        "readings.fixed_amount.turns_on.0",
        "not found word for word in the policy text",
    ),
    Case(
        "catalog_reading_default_overrides.yaml",
        "clause basic_research_project",
        "default",
        r"the default reading is what the scenario files encode; its overrides must be empty",
    ),
    Case(
        "variant_unknown_reading.yaml",
        None,
        "readings.provincial_lab_funding",
        r"unknown reading 'per_laboratory' of clause 'provincial_lab_funding'; its readings "
        r"are \['per_lab', 'programme_total'\]",
    ),
]


#: Files with several problems: every listed problem must be reported.
SEVERAL: dict[str, list[tuple[str | None, str | None, str]]] = {
    "variant_several_problems.yaml": [
        ("key_tech_key_project", "uptake.mean", GE0),
        ("enterprise_tech_absorption_grant", "takeup.value", LE1),
        ("tech_market_operating_subsidy", "retention.value", LE1),
        ("key_tech_major_project", "award.basis", r"Field required"),
        ("productivity_promotion_centre_subsidy", "ceiling_yuan", GE0),
    ],
    "variant_several_semantic_problems.yaml": [
        ("key_tech_major_project", "award", r"cannot exceed 1"),
        ("incubator_national_approval", "award", r"fixes the amount"),
        ("basic_research_project", "retention", r"only for payment recurring_annual"),
        ("tech_broker_award", "climate_loading", r"climate section"),
        ("national_platform_approval_award", "uptake", r"lists 2 values for 3 admission years"),
    ],
    "scenario_several_problems.yaml": [
        (None, "horizon.end", r"less than or equal to 2100"),
        ("basic_research_project", "uptake.mean", GE0),
        ("incubator_national_approval", "uptake.value.2", GE0),
        ("listing_reward", "stages.1.probability", LE1),
        ("listing_reward", "stages.1.lag_years", GE0),
    ],
    "scenario_missing_required_fields.yaml": [
        (None, "title_en", r"Field required"),
        (None, "horizon", r"Field required"),
    ],
    "catalog_reading_default_overrides.yaml": [
        ("clause basic_research_project", "default", r"overrides must be empty"),
        (
            "clause basic_research_project",
            "readings.1.overrides",
            r"cannot override \['cap_scale'\]",
        ),
    ],
    "variant_unknown_reading.yaml": [
        (None, "readings.provincial_lab_funding", r"unknown reading 'per_laboratory'"),
        (None, "readings.article_99_clause", r"unknown clause 'article_99_clause'"),
    ],
    "catalog_several_problems.yaml": [
        ("basic_research_project", "article", r"less than or equal to 26"),
        ("basic_research_project", "cap_yuan", GE0),
        ("incubator_national_approval", "chapter", r"got '九'"),
        ("incubator_national_approval", "quote", r"Field required"),
    ],
}


#: Pydantic reports a bad value of a ``float | list[float]`` field once per union member
#: ("... greater than or equal to 0" under ``uptake.mean.constrained-float`` and "Input
#: should be a valid list" under ``uptake.mean``), so these files print more problems than
#: they contain.
UNION_NOISE = (
    "unclear message: model/core/validation.py problems_from_validation reports one "
    "problem per member of a union field (a spurious 'Input should be a valid "
    "list/dictionary/integer' next to the real one) and keeps pydantic's "
    "'constrained-float' / 'constrained-int' in the field path"
)


#: Files that must report exactly this many problems.
COUNTS: dict[str, tuple[int, str | None]] = {
    "variant_several_problems.yaml": (5, None),
    "variant_several_semantic_problems.yaml": (5, None),
    "scenario_several_problems.yaml": (5, None),
    "scenario_missing_required_fields.yaml": (2, None),
    "catalog_several_problems.yaml": (4, None),
    "catalog_reading_default_overrides.yaml": (2, None),
    "variant_unknown_reading.yaml": (2, None),
}


# --------------------------------------------------------------------------- helpers
def _clean_field(field_path: str | None) -> str | None:
    """The field without pydantic's internal union labels (see ``UNION_NOISE``)."""
    if field_path is None:
        return None
    parts = [p for p in field_path.split(".") if not p.startswith("constrained-")]
    return ".".join(parts) or None


def _same(expected: Any, actual: Any) -> bool:
    return expected is ANY or expected == actual


def matches(problem: Problem, file: Path, item: Any, field_path: Any, pattern: str) -> bool:
    """Whether ``problem`` is in ``file`` at ``item`` and ``field_path`` (or :data:`ANY`),
    with a message matching ``pattern``."""
    return (
        Path(problem.file).resolve() == file
        and _same(item, problem.item)
        and _same(field_path, _clean_field(problem.field))
        and re.search(pattern, problem.message) is not None
    )


def problems_of(path: str, kind: str) -> list[Problem]:
    """Every problem the loader reports for ``path`` (fails the test if it loads)."""
    loader = load_catalog if kind == "catalog" else load_scenario
    try:
        loader(path)
    except InputError as error:
        assert error.problems, "InputError without problems"
        return error.problems
    pytest.fail(f"{path} loaded without error")


def find_problem(case: Case, problems: list[Problem]) -> Problem:
    """The problem of ``problems`` that ``case`` expects (fails the test if none is)."""
    for problem in problems:
        if matches(problem, case.expected_file, case.item, case.field, case.message):
            return problem
    listed = "\n".join(f"  {p!r}" for p in problems)
    pytest.fail(
        f"expected problem not reported: file={case.where or case.file} "
        f"item={case.item!r} field={case.field!r} message~{case.message!r}\n"
        f"reported:\n{listed}"
    )


def case_params(cases: list[Case], *, cli: bool = False) -> list:
    """The cases as pytest parameters, known bugs (of the CLI too, with ``cli``) as strict
    xfails."""
    params = []
    for case in cases:
        reason = case.bug or (case.cli_bug if cli else None)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.file.removesuffix(".yaml"), marks=marks))
    return params


def case_of(name: str) -> Case:
    """The case of a corpus file."""
    return next(case for case in CASES if case.file == name)
