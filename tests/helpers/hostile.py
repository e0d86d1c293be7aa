"""The corpus of hostile inputs (``tests/hostile/``) and what each must produce.

Every file is one attack or accident the hardening issue reproduced: an alias bomb, an
ambiguous number, a value that would overflow a draw, a file in the wrong encoding, a
path out of the scenario folders, text that a spreadsheet would run. ``CASES`` says for
each the exit status of ``fiscalsim validate`` and, for a refusal, the problems it must
report: the file blamed (relative to the corpus folder; the referring file where the
problem is a path named inside it), the item, the field and a pattern of the message.
Files that cannot live in git (a symbolic-link loop, a named pipe, a 50 GB sparse file)
are made by the tests themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile"
CORPUS = "tests/hostile"  # as passed on the command line, from the project root
#: Files used by other cases, not cases of their own.
HELPERS = {"gbk_catalog.yaml"}

BOMB = r"aliases \(\*name\) expand the document by more than 10,000 nodes"
ABOVE = r"less than or equal to {}"
OUTSIDE = r"is outside the scenario folders"


@dataclass(frozen=True)
class Expected:
    """One problem a hostile file must produce."""

    file: str  # relative to the corpus folder
    item: str | None
    field: str | None
    message: str  # regular expression searched in the message


@dataclass(frozen=True)
class Case:
    """A hostile file, the exit status of ``fiscalsim validate`` and its problems."""

    file: str
    status: int
    problems: list[Expected] = field(default_factory=list)
    count: int | None = None  # the exact number of problems, where it matters

    @property
    def path(self) -> str:
        return f"{CORPUS}/{self.file}"


def _one(file: str, item: str | None, field_path: str | None, message: str) -> Case:
    return Case(file, 2, [Expected(file, item, field_path, message)])


CASES: list[Case] = [
    # ------------------------------------------------------------ hangs and memory bombs
    _one("alias_bomb_description.yaml", None, "description", BOMB),
    _one("alias_bomb_title.yaml", None, "title_zh", BOMB),
    _one("alias_bomb_items.yaml", None, "items.basic_research_project.notes", BOMB),
    _one("recursive_alias.yaml", None, None, "an alias refers to the node that contains it"),
    _one("deep_nesting.yaml", None, None, "exceeded maximum nesting depth"),
    _one("huge_integer.yaml", None, "items.provincial_lab_funding.years_paid", "30 digits"),
    Case(
        "extends_bomb.yaml",
        2,
        [
            Expected(
                "alias_bomb_title.yaml",
                None,
                "title_zh",
                BOMB + r".*reached through field 'extends' of .*extends_bomb\.yaml",
            )
        ],
    ),
    # ------------------------------------------------------------ numbers out of range
    _one(
        "poisson_mean_1e12.yaml",
        "key_tech_major_project",
        "uptake.mean",
        ABOVE.format(1000000),
    ),
    _one(
        "poisson_mean_1e308.yaml",
        "key_tech_major_project",
        "uptake.mean",
        ABOVE.format(1000000),
    ),
    _one("fixed_count_1e20.yaml", "provincial_lab_funding", "uptake.value", ABOVE.format(1000000)),
    _one(
        "binomial_pool_1e18.yaml",
        "university_tech_transfer_office_grant",
        "uptake.pool",
        ABOVE.format(1000000),
    ),
    _one(
        "loan_volume_1e308.yaml",
        None,
        "loan_compensation.volume_median_yuan",
        ABOVE.format(1000000000000),
    ),
    _one(
        "loan_losses_too_many.yaml",
        None,
        "loan_compensation",
        r"compensable losses a year expected.*at most 2,000",
    ),
    _one("cap_1e308.yaml", "basic_research_project", "cap_yuan", ABOVE.format(1000000000000)),
    _one(
        "fund_deals_too_many.yaml",
        "future_seed_fund",
        "stages.0.deals_per_year_max",
        ABOVE.format(500),
    ),
    _one("conversion_too_long.yaml", None, "conversion", r"at most 30 years of grants"),
    Case("long_tail_within_range.yaml", 0),
    # ------------------------------------------------------------ numbers as analysts write them
    Case("scientific_notation.yaml", 0),
    Case("merge_keys.yaml", 0),
    _one(
        "octal_count.yaml",
        None,
        "items.provincial_lab_funding.uptake.value.0",
        r"03 has a leading zero, which YAML reads as an octal number.*line 5",
    ),
    _one(
        "sexagesimal_mean.yaml",
        None,
        "items.key_tech_major_project.uptake.mean",
        r"1:30 is read by YAML as a base-60 number",
    ),
    _one("unhashable_key_list.yaml", None, "items", r"a key must be a plain value, not a list"),
    _one("unhashable_key_map.yaml", None, "items", r"a key must be a plain value, not a mapping"),
    # ------------------------------------------------------------ encodings
    Case("bom_utf8.yaml", 0),
    _one("gbk_scenario.yaml", None, None, r"is not UTF-8: byte 0xbb at line 3.*GBK"),
    _one("invalid_utf8.yaml", None, None, r"is not UTF-8: byte 0xff at line 3"),
    _one("utf16.yaml", None, None, r"is UTF-16 text; save it as UTF-8"),
    _one("nul_bytes.yaml", None, None, r"control characters are not allowed"),
    Case(
        "extends_gbk.yaml",
        2,
        [
            Expected(
                "gbk_scenario.yaml",
                None,
                None,
                r"is not UTF-8.*GBK.*reached through field 'extends' of .*extends_gbk\.yaml",
            )
        ],
    ),
    Case(
        "catalog_gbk_named.yaml",
        2,
        [
            Expected(
                "catalog_gbk_named.yaml",
                None,
                "catalog",
                r"names the catalog .*gbk_catalog\.yaml, which has 1 problem",
            ),
            Expected(
                "gbk_catalog.yaml",
                None,
                None,
                r"is not UTF-8.*GBK.*reached through field 'catalog' of .*catalog_gbk_named",
            ),
        ],
        count=2,
    ),
    # ------------------------------------------------------------ paths out of the folders
    _one("extends_dev_zero.yaml", None, "extends", r"'/dev/zero' " + OUTSIDE),
    _one("extends_outside.yaml", None, "extends", r"'/etc/hostname' " + OUTSIDE),
    _one("catalog_outside.yaml", None, "catalog", OUTSIDE),
    _one("catalog_dev_zero.yaml", None, "catalog", r"'/dev/zero' " + OUTSIDE),
    # ------------------------------------------------------------ blame and completeness
    Case(
        "five_problems.yaml",
        2,
        [
            Expected("five_problems.yaml", None, "horizon.end", ABOVE.format(2100)),
            Expected("five_problems.yaml", None, "cap_scale", r"greater than 0"),
            Expected("five_problems.yaml", None, "title_en", r"valid string"),
            Expected("five_problems.yaml", "no_such_item", None, r"unknown item id"),
            Expected("five_problems.yaml", "other_unknown_id", None, r"unknown item id"),
        ],
        count=5,
    ),
    Case(
        "horizon_shortened.yaml",
        2,
        [
            Expected("horizon_shortened.yaml", None, "admission_years", r"outside the horizon"),
            Expected("horizon_shortened.yaml", None, "plan_start", r"must lie in the horizon"),
        ],
    ),
    _one("name_dot.yaml", None, "name", r"should match pattern"),
    _one("name_dotdot.yaml", None, "name", r"should match pattern"),
    # ------------------------------------------------------------ hostile text (accepted)
    Case("formula_injection.yaml", 0),
]


__all__ = ["CASES", "CORPUS", "HELPERS", "HOSTILE", "Case", "Expected"]
