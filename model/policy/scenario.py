"""The resolved scenario: what :func:`model.simulate` runs.

:func:`load_scenario` reads a scenario, a variant or a chain of variants
(:mod:`model.policy.documents`), validates it (:mod:`model.policy.scenario_schema`) and
resolves it against the policy catalog (:mod:`model.policy.resolve`), reporting every
problem at once with its file, item and field. The facts every later layer needs — the
year axis of a run, the capital programmes, the timing settings — are computed here,
once, on the :class:`Scenario`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.core.errors import InputError, Problem
from model.core.paths import require_scenario_files, resolve_scenario_path, scenario_roots
from model.core.validation import problems_from_validation
from model.core.yamlio import read_yaml
from model.policy.budget_checks import budget_problems, row_funding
from model.policy.budget_schema import Funding
from model.policy.catalog import Catalog
from model.policy.classification import Classification, load_classification
from model.policy.documents import (
    Document,
    apply_overlay,
    blamer,
    merge,
    read_document,
    scenario_catalog,
    split_chain,
    unique_problems,
)
from model.policy.periods import Periods
from model.policy.programmes import ProgrammeSpec
from model.policy.readings import Clause, overlays, readings_in_force, touched_fields
from model.policy.resolve import UNKNOWN_ITEM, Report, ResolvedItem, resolve_items
from model.policy.scenario_schema import ItemAssumptions, ScenarioFile
from model.policy.timing_settings import TimingOverride, TimingSettings


@dataclass(frozen=True)
class Scenario:
    """A validated, resolved scenario: what :func:`model.simulate` runs.

    Build it with :func:`load_scenario`; it is immutable, and variants build new ones.

    Attributes
    ----------
    name : str
    spec : ScenarioFile
        The validated scenario document.
    catalog : Catalog
        The policy catalog it resolves against.
    items : dict of str to ResolvedItem
        The grant line items, in catalog order.
    document : dict
        The merged raw document before the readings' overrides (hashed into manifests;
        variants merge over it).
    files : tuple of str
        The files read, the base scenario first.
    readings : dict of str to str
        The reading in force for every clause of the catalog (clause id → reading id):
        pinned by the scenario, else the default.
    overridden : dict of tuple to str
        Fields a non-default reading set over a value the scenario files gave
        (provenance key → "file → reading"), for ``fiscalsim validate``.
    provenance : dict of tuple to str
        The file that set each field of ``document`` (see
        :class:`model.policy.documents.Document`).
    classification : Classification or None
        The functional classification of the catalog's items (206 科学技术支出), when
        the scenario's ``classification`` file exists.
    """

    name: str
    spec: ScenarioFile
    catalog: Catalog
    items: dict[str, ResolvedItem]
    document: dict = field(repr=False)
    files: tuple[str, ...] = ()
    readings: dict[str, str] = field(default_factory=dict)
    overridden: dict[tuple, str] = field(default_factory=dict, repr=False)
    provenance: dict[tuple, str] = field(default_factory=dict, repr=False)
    classification: Classification | None = field(default=None, repr=False)

    @property
    def readings_pinned(self) -> dict[str, str]:
        """The readings that differ from their clause's default (clause id → reading id)."""
        clauses = self.catalog.clauses
        return {c: r for c, r in self.readings.items() if r != clauses[c].default}

    def reading(self, clause_id: str) -> tuple[Clause, str]:
        """A clause and the id of its reading in force."""
        return self.catalog.clauses[clause_id], self.readings[clause_id]

    @property
    def years(self) -> list[int]:
        """The horizon's calendar years."""
        return self.spec.horizon.years

    @property
    def plan_start(self) -> int:
        """The first plan year (the budget year being drafted): the scenario's
        ``plan_start``, or the horizon's start when it sets none (never the clock)."""
        spec = self.spec
        return spec.plan_start if spec.plan_start is not None else spec.horizon.start

    @cached_property
    def periods(self) -> Periods:
        """The horizon, the plan years and the periods around them."""
        return Periods(self.spec.horizon.start, self.spec.horizon.end, self.plan_start)

    @property
    def title_zh(self) -> str:
        """The scenario's Chinese title."""
        return self.spec.title_zh

    @property
    def title_en(self) -> str:
        """The scenario's English title."""
        return self.spec.title_en

    @property
    def has_ceilings(self) -> bool:
        """Whether any appropriation ceiling (of an item or a group) applies."""
        return bool(self.spec.ceilings) or any(
            item.assumptions.ceiling_yuan is not None for item in self.items.values()
        )

    @cached_property
    def programmes(self) -> tuple[ProgrammeSpec, ...]:
        """The capital programmes the scenario configures: its funds, then 先投后股, then the
        loan pool (the order of their rows after the grant items)."""
        spec = self.spec
        found: list[ProgrammeSpec] = list(spec.funds.values())
        if spec.conversion is not None:
            found.append(spec.conversion)
        if spec.loan_compensation is not None:
            found.append(spec.loan_compensation)
        return tuple(found)

    @property
    def row_ids(self) -> list[str]:
        """The rows of a run: the grant items, then the capital programmes."""
        return [*self.items, *(programme.id for programme in self.programmes)]

    def funding(self, row_id: str) -> Funding:
        """Who pays a row of the run (see :func:`model.policy.budget_checks.row_funding`)."""
        return row_funding(self.spec, row_id)

    @cached_property
    def payment_years(self) -> list[int]:
        """The year axis of a run: the horizon, extended to the last year anything is paid
        (by a grant item or a capital programme)."""
        last = max(
            [self.spec.horizon.end]
            + [item.last_payment_year for item in self.items.values()]
            + [programme.last_payment_year for programme in self.programmes]
        )
        return list(range(self.spec.horizon.start, last + 1))

    def timing_settings(
        self, value: TimingSettings | Mapping[str, Any] | None = None, *, source: str = "timing"
    ) -> TimingSettings:
        """Timing settings for the timeline: ``value``, or the scenario's ``timing``
        section, with the items' own ``timing`` overrides added.

        Parameters
        ----------
        value : TimingSettings, mapping or None
            Explicit settings (e.g. a ``--timing`` file); ``None`` takes the scenario's.
        source : str
            Where the settings came from, for error messages.

        Raises
        ------
        InputError
            Naming the item and field of every bad value, and every unknown item id.
        """
        if value is None:
            value = self.spec.timing
        problems: list[Problem] = []
        settings = TimingSettings()
        if isinstance(value, TimingSettings):
            settings = value
        elif value is not None:
            try:
                settings = TimingSettings.model_validate(dict(value))
            except ValidationError as exc:
                problems = problems_from_validation(
                    exc, source, model=TimingSettings, item_of=_timing_loc
                )
        per_item = {
            item_id: item.assumptions.timing
            for item_id, item in self.items.items()
            if item.assumptions.timing is not None and item_id not in settings.items
        }
        if per_item:
            settings = settings.model_copy(update={"items": {**per_item, **settings.items}})
        sections = value if isinstance(value, Mapping) else settings.model_dump()
        problems.extend(self._unknown_timing_ids(sections, source))
        if problems:
            raise InputError(problems)
        return settings

    def _unknown_timing_ids(self, sections: Mapping[str, Any], source: str) -> list[Problem]:
        programmes = {programme.id for programme in self.programmes}
        known = {
            "items": set(self.items),
            "groups": set(self.items) | programmes,
            "extra_months": programmes,
        }
        return [
            Problem(
                source,
                str(item_id),
                section,
                "unknown item id: not among the "
                f"scenario's {'grant items' if section == 'items' else 'engine rows'}",
            )
            for section, ids in known.items()
            if isinstance(sections.get(section), Mapping)
            for item_id in sections[section]
            if item_id not in ids
        ]

    def digest(self) -> str:
        """SHA-256 of the resolved scenario document (and catalog), for manifests."""
        payload = json.dumps(
            {"scenario": self.document, "catalog": self.catalog.model_dump(mode="json")},
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _timing_loc(loc: tuple) -> tuple[str | None, tuple]:
    if len(loc) >= 2 and loc[0] in ("items", "groups", "by_payment", "extra_months"):
        return str(loc[1]), (loc[0], *loc[2:])
    return None, loc


# ------------------------------------------------------------------ loading
def load_scenario(ref: str | Path | Sequence[str | Path]) -> Scenario:
    """Read, merge and validate a scenario, a variant, or a chain of variants.

    Parameters
    ----------
    ref : str, Path or sequence
        A scenario file or name (``baseline``), a variant (which names what it extends),
        a chain ``"baseline+cap_cut_20_max+two_more_labs"``, or a list of such references
        applied left to right.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        With every problem found, each naming the file, the item and the field.
    """
    refs = split_chain(ref)
    require_scenario_files(refs)  # every missing one, with the nearest names
    paths = [resolve_scenario_path(one) for one in refs]
    roots = scenario_roots(*paths)  # the files named here are the user's explicit choice
    document = read_document(paths[0], roots=roots)
    for path in paths[1:]:
        overlay = read_yaml(path)
        document = apply_overlay(document, overlay, str(path))
    if len(refs) > 1:
        document.data["name"] = "+".join(Path(str(r)).stem for r in refs)
    return _build(document)


def _build(document: Document) -> Scenario:
    provenance = dict(document.provenance)  # the files', before the readings add theirs
    blame = blamer(document)
    problems = list(document.problems)
    catalog, data, in_force, overridden = _with_readings(document, blame, problems)
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        for problem in problems_from_validation(exc, "", model=ScenarioFile, item_of=_split_loc):
            problems.append(
                Problem(
                    blame(problem.item, problem.field), problem.item, problem.field, problem.message
                )
            )
        problems.extend(_semantic_problems_of_valid_items(data, catalog, blame))
        raise InputError(unique_problems(problems)) from None
    if catalog is None or in_force is None:  # its problems are reported already
        raise InputError(unique_problems(problems))
    items = resolve_items(spec, catalog, _reporter(problems, blame))
    budget_problems(spec, catalog, _reporter(problems, blame))
    classification = _classification(spec, document, catalog, problems, blame)
    if problems:
        raise InputError(unique_problems(problems))
    scenario = Scenario(
        spec.name,
        spec,
        catalog,
        items,
        copy.deepcopy(document.data),
        tuple(document.files),
        in_force,
        overridden,
        provenance,
        classification,
    )
    if spec.timing is not None:  # its item ids are only known once the items are resolved
        scenario.timing_settings(source=blame(None, "timing"))
    return scenario


def _with_readings(
    document: Document, blame: Callable[[str | None, str | None], str], problems: list[Problem]
) -> tuple[Catalog | None, dict, dict[str, str] | None, dict[tuple, str]]:
    """Load the catalog and merge the overrides of the readings in force over the
    document (see :mod:`model.policy.readings`).

    Returns the catalog (``None`` when missing or invalid: its problems are added), the
    document to validate, the readings in force (``None`` when the pins are bad) and the
    fields the readings set over values of the scenario files. The provenance of what a
    reading sets names the catalog and the reading, so that a problem there is blamed on it.
    """
    data = document.data
    catalog_ref = data.get("catalog", "catalog.yaml")
    if not isinstance(catalog_ref, str):
        return None, data, None, {}
    catalog_path = document.base_dir / catalog_ref
    try:
        catalog = scenario_catalog(document, catalog_ref, blame(None, "catalog"))
    except InputError as error:
        problems.extend(error.problems)
        return None, data, None, {}

    def report(field_name: str, message: str) -> None:
        problems.append(Problem(blame(None, "readings"), None, field_name, message))

    in_force = readings_in_force(catalog.readings, data.get("readings"), report)
    if in_force is None:
        return catalog, data, None, {}
    merged, overridden = data, {}
    for overlay in overlays(catalog.readings, in_force, data):
        source = f"{os.path.normpath(catalog_path)} ({overlay.label})"
        for key in touched_fields(overlay.data):
            if _present(merged, key):
                earlier = document.provenance.get(key, "the scenario")
                overridden[key] = f"{earlier} → {overlay.label}"
            document.provenance[key] = source
        merged = merge(merged, overlay.data)
    return catalog, merged, in_force, overridden


def _present(data: dict, key: tuple) -> bool:
    """Whether the document sets the field a provenance key names."""
    value: Any = data
    for part in key:
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def _classification(
    spec: ScenarioFile,
    document: Document,
    catalog: Catalog,
    problems: list[Problem],
    blame: Callable[[str | None, str | None], str],
) -> Classification | None:
    """The scenario's classification file, checked against its catalog; ``None`` when the
    default file is absent (a scenario with a catalog of its own need not classify it).
    The default file is the one beside the catalog."""
    default = spec.classification == ScenarioFile.model_fields["classification"].default
    folder = (document.base_dir / spec.catalog).parent if default else document.base_dir
    path = folder / spec.classification
    if not path.is_file():
        if not default:
            problems.append(
                Problem(
                    blame(None, "classification"),
                    None,
                    "classification",
                    f"classification file {os.path.normpath(path)} not found",
                )
            )
        return None
    try:
        return load_classification(path, catalog.ids)
    except InputError as error:
        problems.extend(error.problems)
        return None


def _reporter(problems: list[Problem], blame: Callable[..., str]) -> Report:
    """A ``report`` callback appending to ``problems``, each blamed on the file that set it
    (or, for a problem between two fields, on the later of the files that set them)."""

    def report(
        item: str | None,
        field_name: str | None,
        message: str,
        related: tuple[str | tuple[str, str], ...] = (),
    ) -> None:
        problems.append(Problem(blame(item, field_name, related), item, field_name, message))

    return report


def _semantic_problems_of_valid_items(
    data: dict, catalog: Catalog | None, blame: Callable[..., str]
) -> list[Problem]:
    """When the schema rejects some items, still check the items it accepts against the
    catalog, and every item's id, so that every problem is reported in one pass."""
    items = data.get("items")
    if not isinstance(items, dict) or catalog is None:
        return []
    problems = [
        Problem(blame(str(item_id), None), str(item_id), None, UNKNOWN_ITEM)
        for item_id in items
        if item_id not in catalog.by_id
    ]
    valid = {}
    for item_id, fields in items.items():
        try:
            ItemAssumptions.model_validate(fields)
        except ValidationError:
            continue
        valid[item_id] = fields
    try:
        spec = ScenarioFile.model_validate({**data, "items": valid})
    except ValidationError:
        return problems  # the scenario-level fields are broken too: only ids can be checked
    resolve_items(spec, catalog, _reporter(problems, blame), complete=False)
    return problems


def _split_loc(loc: tuple) -> tuple[str | None, tuple]:
    if len(loc) >= 2 and loc[0] == "items":
        return str(loc[1]), loc[2:]
    if len(loc) >= 2 and loc[0] in ("funding", "known_amounts"):
        return str(loc[1]), (loc[0], *loc[2:])
    if len(loc) >= 2 and loc[0] == "funds":
        return str(loc[1]), loc[2:]
    if len(loc) >= 2 and loc[0] == "ceilings" and isinstance(loc[1], int):
        return f"ceilings[{loc[1]}]", loc[2:]
    return None, loc


def apply_variant(
    scenario: Scenario, overlay: Mapping[str, Any], *, label: str = "<variant>"
) -> Scenario:
    """A new scenario with ``overlay`` (a variant document, without ``extends``) applied.

    The given scenario is not modified.
    """
    base = Document(
        copy.deepcopy(scenario.document),
        list(scenario.files),
        Path(scenario.files[0]).parent if scenario.files else Path("."),
        dict(scenario.provenance),
        roots=scenario_roots(*scenario.files),
    )
    return _build(apply_overlay(base, dict(overlay), label))


__all__ = [
    "ItemAssumptions",
    "ResolvedItem",
    "Scenario",
    "ScenarioFile",
    "TimingOverride",
    "apply_variant",
    "load_scenario",
]
