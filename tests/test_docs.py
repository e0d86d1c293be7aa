"""The documentation cannot rot: every input field, command and option is documented,
the YAML examples load, and the links between the docs resolve.

``docs/scenario-format.md`` documents each pydantic model of the input schema under a
heading naming the class in backticks (``### `LineItem` — ...``); every field of the
model (its YAML name, i.e. the alias where there is one) must appear in backticks in
that section. ``docs/cli.md`` has a ``## `fiscalsim <command>` `` section per subcommand
that names each of its options.
"""

from __future__ import annotations

import argparse
import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from model.cli.main import COMMANDS, build_parser
from model.core.streams import BLOCK_DRAWS
from model.policy.catalog import Catalog, Clause, FormulaTerms, LineItem, NonFiscalArticle
from model.policy.scenario import ScenarioFile, load_scenario
from model.sim.engine import EXACT_SUM_MAX_COUNT

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _sections(text: str) -> list[tuple[int, str, str]]:
    """(level, heading, body up to the next heading of the same or a higher level)."""
    lines = text.splitlines()
    fence = False
    headings = []
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fence = not fence
        match = None if fence else HEADING.match(line)
        if match:
            headings.append((index, len(match.group(1)), match.group(2)))
    sections = []
    for k, (index, level, title) in enumerate(headings):
        end = next((i for i, lvl, _ in headings[k + 1 :] if lvl <= level), len(lines))
        sections.append((level, title, "\n".join(lines[index + 1 : end])))
    return sections


def _section(text: str, token: str) -> str:
    """The section whose heading contains ``token`` (e.g. ```LineItem```)."""
    found = [body for _, title, body in _sections(text) if token in title]
    assert found, f"no heading containing {token}"
    assert len(found) == 1, f"several headings contain {token}"
    return found[0]


def _models_in(annotation, found: list[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def schema_models() -> list[type[BaseModel]]:
    """Every model reachable from the catalog and scenario schemas, depth first."""
    seen: list[type[BaseModel]] = []

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            nested: list[type[BaseModel]] = []
            _models_in(field.annotation, nested)
            for sub in nested:
                walk(sub)

    walk(Catalog)
    walk(ScenarioFile)
    return seen


def yaml_field_names(model: type[BaseModel]) -> list[str]:
    """The names a YAML file uses for the model's fields (aliases where set)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def test_the_walk_finds_the_whole_schema():
    names = {model.__name__ for model in schema_models()}
    expected = {
        "Catalog",
        "PolicySource",
        "LineItem",
        "FormulaTerms",
        "NonFiscalArticle",
        "ScenarioFile",
        "YearRange",
        "Climate",
        "CeilingGroup",
        "ItemAssumptions",
        "Assumed",
        "Stage",
        "FixedCount",
        "PoissonCount",
        "NegativeBinomialCount",
        "BinomialCount",
        "StockFlowCount",
        "FixedShare",
        "UniformShare",
        "TriangularShare",
        "BetaShare",
        "FormulaLognormal",
        "FormulaFixed",
        "FundSpec",
        "StageSpec",
        "OutcomeSpec",
        "ConversionSpec",
        "LoanPoolSpec",
    }
    assert expected <= names


@pytest.mark.parametrize("model", schema_models(), ids=lambda m: m.__name__)
def test_every_schema_field_is_documented(model):
    section = _section(_read("scenario-format.md"), f"`{model.__name__}`")
    missing = [name for name in yaml_field_names(model) if f"`{name}`" not in section]
    assert not missing, (
        f"docs/scenario-format.md, section `{model.__name__}`: fields {missing} are not mentioned"
    )


def test_variant_keys_are_documented():
    text = _read("scenario-format.md")
    section = _section(text, "Variants")
    assert "`extends`" in section
    for rule in ("merge", "`dist`", "replace", "`+`"):
        assert rule in section, f"the variant section does not explain {rule}"


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_yaml_examples_parse():
    for name in ("scenario-format.md", "methodology.md", "cli.md", "calibration.md"):
        for block in _yaml_blocks(_read(name)):
            yaml.safe_load(block)


def _examples(marker: str) -> list[str]:
    blocks = [
        b for b in _yaml_blocks(_read("scenario-format.md")) if b.splitlines()[0].strip() == marker
    ]
    assert blocks, f"no example marked {marker!r}"
    return blocks


@pytest.mark.parametrize("index", range(len(_examples("# variant of baseline"))))
def test_variant_examples_load(index, tmp_path):
    block = _examples("# variant of baseline")[index]
    document = yaml.safe_load(block)
    document = {"extends": str(SCENARIOS / "baseline.yaml"), **document}
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    load_scenario(path)


def test_catalog_examples_validate():
    for block in _examples("# catalog item"):
        LineItem.model_validate(yaml.safe_load(block))
    for block in _examples("# catalog formula"):
        FormulaTerms.model_validate(yaml.safe_load(block))
    for block in _examples("# catalog non_fiscal"):
        for entry in yaml.safe_load(block):
            NonFiscalArticle.model_validate(entry)
    for block in _examples("# catalog reading"):
        for entry in yaml.safe_load(block):
            Clause.model_validate(entry)


# ------------------------------------------------------------------ the command line
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert actions, "the CLI has no subcommands"
    return dict(actions[0].choices)


def all_commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand of the CLI, with its options."""
    return _subparsers(build_parser(COMMANDS))


def test_build_parser_commands_are_documented():
    text = _read("cli.md")
    for name in all_commands():
        _section(text, f"`fiscalsim {name}")


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_option_of_every_command_is_documented(name):
    section = _section(_read("cli.md"), f"`fiscalsim {name}")
    parser = all_commands()[name]
    options = [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    missing = [option for option in options if f"`{option}" not in section]
    assert not missing, f"docs/cli.md, `fiscalsim {name}`: options {missing} not documented"


# ------------------------------------------------------------------ the other pages
def test_methodology_quotes_the_code_constants():
    text = _read("methodology.md")
    assert f"EXACT_SUM_MAX_COUNT = {EXACT_SUM_MAX_COUNT}" in text
    assert f"BLOCK_DRAWS = {BLOCK_DRAWS}" in text


def test_every_baseline_item_is_in_the_calibration_table():
    baseline = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text(encoding="utf-8"))
    text = _read("calibration.md")
    missing = [item for item in baseline["items"] if f"`{item}`" not in text]
    assert not missing, f"docs/calibration.md does not cover {missing}"
    assert "calibration-funds.md" in text


def _slug(title: str) -> str:
    """GitHub's anchor of a heading."""
    slug = title.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    return slug.replace(" ", "-")


@pytest.mark.parametrize(
    "name",
    ["architecture.md", "scenario-format.md", "methodology.md", "calibration.md", "cli.md"],
)
def test_links_between_docs_resolve(name):
    text = _read(name)
    for target, anchor in re.findall(r"\]\((?!https?:)([^)#\s]*)(?:#([^)\s]+))?\)", text):
        path = DOCS / target if target else DOCS / name
        assert path.exists(), f"{name}: link to missing {target}"
        if anchor and path.suffix == ".md":
            anchors = {_slug(title) for _, title, _ in _sections(path.read_text("utf-8"))}
            assert anchor in anchors, f"{name}: no heading #{anchor} in {path.name}"


# ------------------------------------------------------------------ the budget tables page
def test_the_finance_staff_page_maps_every_item_and_names_every_plan_column(baseline):
    """docs/budget-tables.md lists each catalog item with its classification code and
    status, and every column of the plan, payer, present-value and fund tables."""
    from model import simulate, summarize
    from model.analysis.budget import budget_tables
    from model.analysis.plan import plan_groupings
    from model.analysis.present_value import discounting_of

    text = _read("budget-tables.md")
    classification = baseline.classification
    for item_id, entry in classification.items.items():
        row = next(line for line in text.splitlines() if f"`{item_id}`" in line)
        assert (
            entry.func_code in row and f"| {classification.codes[entry.func_code].status} |" in row
        )
    summary = summarize(
        simulate(baseline, 20, seed=1), baseline, groupings=plan_groupings(baseline)
    )
    tables = budget_tables(summary, baseline, discounting_of(baseline))
    for name, table in tables.items():
        for column in [*table.columns, *(n for n in table.index.names if n)]:
            stem = re.sub(r"_(\d{4}|yuan)", "", str(column))
            documented = f"`{stem}`" in text or f"`{stem}_<year>`" in text
            assert documented, f"docs/budget-tables.md does not explain {name}.{column}"
