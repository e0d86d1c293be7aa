"""Scenario and variant files: the assumptions that turn the policy into numbers.

A scenario names its catalog, horizon and admission window, and for every line item
modelled by the grant engine says how many recipients there will be, how much of the
cap each gets, the take-up, the city's share of the cost and any appropriation ceiling
— each with its ``basis``. A *variant* names the scenario it ``extends`` and overrides
fields by item id; variants chain (``baseline+cap_cut_20+two_more_labs``), and applying
one never changes the scenario it extends (everything is rebuilt from raw documents).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from model.catalog import Catalog, LineItem, load_catalog
from model.conversion import ConversionSpec
from model.distributions import (
    FORMULA_SPECS,
    Basis,
    CountSpec,
    FixedShare,
    Probability,
    ShareSpec,
    StockFlowCount,
)
from model.errors import InputError, Problem, problems_from_validation
from model.funds import FundSpec
from model.loans import LoanPoolSpec
from model.paths import resolve_scenario_path
from model.schema import CapBasis, Modeller, PaymentKind, StrictModel, read_yaml
from model.timing import TimingOverride, TimingSettings

Year = Annotated[int, Field(ge=2000, le=2100)]
Amount = Annotated[float, Field(ge=0)]
#: Largest number of draws accepted (beyond this a run is a mistake, not a study).
MAX_DRAWS = 50_000_000


class YearRange(StrictModel):
    """An inclusive range of calendar years."""

    start: Year
    end: Year

    @model_validator(mode="after")
    def _order(self) -> YearRange:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    @property
    def years(self) -> list[int]:
        """The years, in order."""
        return list(range(self.start, self.end + 1))


class Assumed(StrictModel):
    """A single assumed probability or share, with its basis."""

    value: Probability
    basis: Basis


class Stage(StrictModel):
    """One stage of a staged award (article 19's listing reward is paid 分阶段)."""

    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    share: Annotated[float, Field(gt=0, le=1)] = Field(description="Fraction of the cap paid.")
    probability: Probability = Field(description="Chance of reaching it from the previous stage.")
    lag_years: Annotated[int, Field(ge=0, le=15)] = Field(
        description="Years after the previous stage (the first: after admission)."
    )
    basis: Basis


class ItemAssumptions(StrictModel):
    """What a scenario assumes about one line item."""

    uptake: CountSpec
    award: ShareSpec | None = None
    takeup: Assumed | None = None
    retention: Assumed | None = None
    stages: list[Stage] | None = None
    city_share: Assumed | None = None
    ceiling_yuan: Amount | dict[Year, Amount] | None = None
    climate_loading: Probability = 0.0
    admission_years: YearRange | None = None
    recurring_until: Year | None = None
    cap_yuan: Annotated[float, Field(ge=0)] | None = None
    years_paid: Annotated[int, Field(ge=1, le=30)] | None = None
    timing: TimingOverride | None = None
    notes: str | None = None


class Climate(StrictModel):
    """A common "innovation climate" factor moving uptake of all programmes together.

    Yearly values follow a stationary AR(1) Gaussian process with the given persistence;
    each item's uptake loads on it with its ``climate_loading`` (Gaussian copula).
    """

    persistence: Annotated[float, Field(ge=0, lt=1)]
    basis: Basis


class CeilingGroup(StrictModel):
    """An annual appropriation shared by several items, rationed pro rata."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    items: list[str] = Field(min_length=1)
    annual_yuan: Amount | dict[Year, Amount]
    basis: Basis


class ScenarioFile(StrictModel):
    """The schema of a resolved scenario document (after variants are merged)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$", max_length=200)
    title_zh: str
    title_en: str
    description: str | None = None
    catalog: str = "catalog.yaml"
    horizon: YearRange
    admission_years: YearRange
    cap_scale: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0,
        description="Multiplies every grant item's cap or fixed amount (not the "
        "不少于 floor, fund sizes, 先投后股 grants or the loan pool's cap per loss).",
    )
    climate: Climate | None = None
    ceilings: list[CeilingGroup] = Field(default_factory=list)
    items: dict[str, ItemAssumptions]
    funds: dict[str, FundSpec] = Field(default_factory=dict)
    conversion: ConversionSpec | None = None
    loan_compensation: LoanPoolSpec | None = None
    timing: TimingSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _fund_ids(cls, data: Any) -> Any:
        # funds are keyed by their catalog id; the key is the fund's id
        if isinstance(data, dict) and isinstance(data.get("funds"), dict):
            data = {
                **data,
                "funds": {
                    key: {"id": key, **value} if isinstance(value, dict) else value
                    for key, value in data["funds"].items()
                },
            }
        return data


VARIANT_KEYS = {"extends"} | set(ScenarioFile.model_fields)
ITEM_KEYS = set(ItemAssumptions.model_fields)


@dataclass(frozen=True)
class ResolvedItem:
    """A catalog line item with the scenario's assumptions applied.

    Attributes
    ----------
    line : LineItem
        The policy's terms (article, amounts, quote).
    assumptions : ItemAssumptions
        The scenario's assumptions for the item.
    reference_yuan : float
        The cap (or floor) in force, after overrides and ``cap_scale`` (yuan).
    admission_years : list of int
        Years in which new recipients are admitted.
    years_paid : int or None
        Years of payment of an ``annual_for_years`` award.
    per_year_yuan : float
        What one recipient at award share 1 receives in a paying year (yuan).
    """

    line: LineItem
    assumptions: ItemAssumptions
    reference_yuan: float
    admission_years: list[int]
    years_paid: int | None
    per_year_yuan: float
    award: Any
    takeup: float
    retention: float
    city_share: float
    recurring_until: int

    @property
    def id(self) -> str:
        return self.line.id


@dataclass(frozen=True)
class Scenario:
    """A validated, resolved scenario: what :func:`model.simulate` runs.

    Build it with :func:`load_scenario`; it is immutable, and variants build new ones.
    """

    name: str
    spec: ScenarioFile
    catalog: Catalog
    items: dict[str, ResolvedItem]
    document: dict = field(repr=False)
    files: tuple[str, ...] = ()

    @property
    def years(self) -> list[int]:
        """The horizon's calendar years."""
        return self.spec.horizon.years

    @property
    def title_zh(self) -> str:
        return self.spec.title_zh

    @property
    def title_en(self) -> str:
        return self.spec.title_en

    @property
    def has_ceilings(self) -> bool:
        """Whether any appropriation ceiling (of an item or a group) applies."""
        return bool(self.spec.ceilings) or any(
            item.assumptions.ceiling_yuan is not None for item in self.items.values()
        )

    def digest(self) -> str:
        """SHA-256 of the resolved scenario document (and catalog), for manifests."""
        payload = json.dumps(
            {"scenario": self.document, "catalog": self.catalog.model_dump(mode="json")},
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ raw documents
def _merge(base: Any, overlay: Any) -> Any:
    """Deep-merge ``overlay`` into a copy of ``base``.

    Mappings merge key by key, except a mapping with a ``dist`` key, which replaces the
    whole distribution (so a switch from poisson to fixed keeps no stale parameter).
    Lists and scalars replace.
    """
    if isinstance(base, dict) and isinstance(overlay, dict) and "dist" not in overlay:
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


def _display(path: Path) -> str:
    """A path as a user reads it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


@dataclass
class _Document:
    data: dict
    files: list[str]
    base_dir: Path
    provenance: dict[tuple, str]  # (top key[, item id[, field]]) -> file that set it
    problems: list[Problem] = field(default_factory=list)  # found while merging, reported
    # with the schema's and the resolution's problems


def _read_document(path: Path, seen: tuple[Path, ...] = ()) -> _Document:
    """Read a scenario or a variant (following ``extends``) into one raw document."""
    path = Path(os.path.normpath(path))
    name = str(path)
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(_display(p) for p in (*seen, resolved))
        raise InputError([Problem(name, None, "extends", f"variants extend in a cycle: {chain}")])
    data = read_yaml(path)
    if "extends" not in data:
        provenance = {(key,): name for key in data}
        items = data.get("items")
        if isinstance(items, dict):
            for item_id, fields in items.items():
                if isinstance(fields, dict):
                    provenance.update({("items", item_id, key): name for key in fields})
        return _Document(data, [name], path.parent, provenance)
    parent_ref = data["extends"]
    if not isinstance(parent_ref, str):
        raise InputError([Problem(name, None, "extends", "must be a file path or scenario name")])
    parent_path = path.parent / parent_ref
    if not parent_path.exists():
        parent_path = resolve_scenario_path(parent_ref)
    if not parent_path.exists():
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    "extends",
                    f"{parent_ref!r} not found (looked "
                    f"beside this file, in {path.parent}, and among the "
                    "shipped scenarios)",
                )
            ]
        )
    base = _read_document(parent_path, (*seen, resolved))
    return _apply_overlay(base, data, name)


def _apply_overlay(base: _Document, overlay: dict, name: str) -> _Document:
    """Check a variant's keys and merge it over ``base`` (which is not modified)."""
    problems = [
        Problem(name, None, str(key), f"unknown field; allowed fields are {sorted(VARIANT_KEYS)}")
        for key in overlay
        if key not in VARIANT_KEYS
    ]
    items = overlay.get("items") or {}
    if not isinstance(items, dict):
        problems.append(Problem(name, None, "items", "must be a mapping of item id to fields"))
        items = {}
    base_items = base.data.get("items") if isinstance(base.data.get("items"), dict) else {}
    for item_id, fields in items.items():
        if item_id not in base_items:
            problems.append(
                Problem(
                    name,
                    str(item_id),
                    None,
                    "unknown item id: the scenario "
                    "it extends has no such grant item (funds, 先投后股 and loan "
                    "compensation have sections of their own)",
                )
            )
        elif not isinstance(fields, dict):
            problems.append(Problem(name, str(item_id), None, "overrides must be a mapping"))
        else:
            problems.extend(
                Problem(
                    name,
                    str(item_id),
                    str(key),
                    f"unknown field; allowed fields are {sorted(ITEM_KEYS)}",
                )
                for key in fields
                if key not in ITEM_KEYS
            )
    # what cannot be merged is dropped and reported with every later problem
    body = {
        key: value
        for key, value in overlay.items()
        if key in VARIANT_KEYS and key not in ("extends", "items")
    }
    body["items"] = {
        item_id: {k: v for k, v in fields.items() if k in ITEM_KEYS}
        for item_id, fields in items.items()
        if item_id in base_items and isinstance(fields, dict)
    }
    if isinstance(body.get("catalog"), str):  # a variant's own catalog, beside the variant
        folder = Path(name).parent if Path(name).exists() else Path.cwd()
        body["catalog"] = str((folder / body["catalog"]).resolve())
    provenance = dict(base.provenance)
    for key in body:
        if key != "items" or items:
            provenance[(key,)] = name
    for item_id, fields in body["items"].items():
        provenance.update({("items", item_id, key): name for key in fields})
    if isinstance(body.get("funds"), dict):
        provenance.update({("funds", fund_id): name for fund_id in body["funds"]})
    return _Document(
        _merge(base.data, body),
        [*base.files, name],
        base.base_dir,
        provenance,
        [*base.problems, *problems],
    )


# ------------------------------------------------------------------ loading
def load_scenario(ref: str | Path | Sequence[str | Path]) -> Scenario:
    """Read, merge and validate a scenario, a variant, or a chain of variants.

    Parameters
    ----------
    ref : str, Path or sequence
        A scenario file or name (``baseline``), a variant (which names what it extends),
        a chain ``"baseline+cap_cut_20+two_more_labs"``, or a list of such references
        applied left to right.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        With every problem found, each naming the file, the item and the field.
    """
    refs = _split_chain(ref)
    document = _read_document(resolve_scenario_path(refs[0]))
    for extra in refs[1:]:
        path = resolve_scenario_path(extra)
        overlay = read_yaml(path)
        document = _apply_overlay(document, overlay, str(path))
    if len(refs) > 1:
        document.data["name"] = "+".join(Path(str(r)).stem for r in refs)
    return _build(document)


def _split_chain(ref: str | Path | Sequence[str | Path]) -> list[str | Path]:
    if isinstance(ref, str | Path):
        text = str(ref)
        return text.split("+") if "+" in text and not Path(text).exists() else [ref]
    refs = list(ref)
    if not refs:
        raise ValueError("no scenario given")
    return refs


def _build(document: _Document) -> Scenario:
    data = document.data
    blame = _blamer(document)
    problems = list(document.problems)
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        for problem in problems_from_validation(exc, "", model=ScenarioFile, item_of=_split_loc):
            problems.append(
                Problem(
                    blame(problem.item, problem.field), problem.item, problem.field, problem.message
                )
            )
        problems.extend(_semantic_problems_of_valid_items(data, document, blame))
        raise InputError(problems) from None
    catalog_path = document.base_dir / spec.catalog
    if not catalog_path.is_file():
        problems.append(
            Problem(
                blame(None, "catalog"),
                None,
                "catalog",
                f"catalog file {os.path.normpath(catalog_path)} not found",
            )
        )
        raise InputError(problems)
    try:
        catalog = load_catalog(catalog_path)
    except InputError as error:
        raise InputError([*problems, *error.problems]) from None
    items, resolution_problems = _resolve_items(spec, catalog, blame)
    problems.extend(resolution_problems)
    if problems:
        raise InputError(problems)
    scenario = Scenario(spec.name, spec, catalog, items, copy.deepcopy(data), tuple(document.files))
    if spec.timing is not None:  # its item ids are only known once the items are resolved
        from model.timing import timing_settings

        timing_settings(None, scenario, source=blame(None, "timing"))
    return scenario


def _semantic_problems_of_valid_items(data: dict, document: _Document, blame) -> list[Problem]:
    """When the schema rejects some items, still check the items it accepts against the
    catalog, so that every problem is reported in one pass."""
    items = data.get("items")
    if not isinstance(items, dict):
        return []
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
        return []  # the scenario-level fields are broken too: nothing more to check
    catalog_path = document.base_dir / spec.catalog
    try:
        catalog = load_catalog(catalog_path)
    except InputError:
        return []
    _, problems = _resolve_items(spec, catalog, blame, complete=False)
    return problems


def _split_loc(loc: tuple) -> tuple[str | None, tuple]:
    if len(loc) >= 2 and loc[0] == "items":
        return str(loc[1]), loc[2:]
    if len(loc) >= 2 and loc[0] == "funds":
        return str(loc[1]), loc[2:]
    if len(loc) >= 2 and loc[0] == "ceilings" and isinstance(loc[1], int):
        return f"ceilings[{loc[1]}]", loc[2:]
    return None, loc


def _blamer(document: _Document):
    """A function naming the file that set a given (item, field)."""

    def blame(item: str | None, field_path: str | None) -> str:
        head = field_path.split(".")[0] if field_path else None
        group = item.split("[")[0] if item and item.startswith("ceilings[") else None
        for key in (
            ("items", item, head),
            ("funds", item),
            (group,),
            (head,) if item is None else None,
        ):
            if key is not None and key in document.provenance:
                return document.provenance[key]
        return document.files[-1] if item is None else document.files[0]

    return blame


def _per_year_values(value, years: list[int], label: str, problems: list[str]) -> None:
    if isinstance(value, list) and len(value) != len(years):
        problems.append(
            f"{label} lists {len(value)} values for {len(years)} admission "
            f"years {years[0]}–{years[-1]}"
        )


def _resolve_items(
    spec: ScenarioFile, catalog: Catalog, blame, *, complete: bool = True
) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    horizon = spec.horizon

    def report(item: str | None, field_name: str | None, message: str) -> None:
        problems.append(Problem(blame(item, field_name), item, field_name, message))

    window_ok = (
        horizon.start <= spec.admission_years.start and spec.admission_years.end <= horizon.end
    )
    if not window_ok:
        report(
            None,
            "admission_years",
            f"admission years {spec.admission_years.start}–"
            f"{spec.admission_years.end} fall outside the horizon {horizon.start}–{horizon.end}",
        )
    for item_id in spec.items:
        if item_id not in catalog.by_id:
            report(item_id, None, "unknown item id: not in the policy catalog")
    for line in catalog.items:
        if complete and line.modelled_by is Modeller.ENGINE and line.id not in spec.items:
            report(line.id, None, "no assumptions given for this catalog item")
        if line.modelled_by is not Modeller.ENGINE and line.id in spec.items:
            report(
                line.id,
                None,
                f"modelled by the {line.modelled_by.value} model; configure "
                f"it in the scenario's {line.modelled_by.value} section, not under items",
            )
    resolved = {}
    for line in catalog.items:
        assumptions = spec.items.get(line.id)
        if assumptions is None or line.modelled_by is not Modeller.ENGINE:
            continue
        if not window_ok and assumptions.admission_years is None:
            continue  # its window is the scenario's, already reported
        before = len(problems)
        item = _resolve_item(line, assumptions, spec, report)
        if item is not None and len(problems) == before:
            resolved[line.id] = item
    for index, group in enumerate(spec.ceilings):
        label = f"ceilings[{index}]"
        for item_id in group.items:
            if item_id not in catalog.by_id:
                report(label, "items", f"unknown item id {item_id!r}")
            elif catalog.by_id[item_id].modelled_by is not Modeller.ENGINE:
                report(
                    label,
                    "items",
                    f"{item_id!r} is not a grant item: appropriation "
                    "ceilings ration grants, not fund capital or loan compensation",
                )
        if isinstance(group.annual_yuan, dict):
            outside = [y for y in group.annual_yuan if not horizon.start <= y <= horizon.end]
            if outside:
                report(label, "annual_yuan", f"years {outside} are outside the horizon")
    _check_extras(spec, catalog, report)
    if spec.climate is None:
        loaded = [i for i, a in spec.items.items() if a.climate_loading > 0]
        for item_id in loaded:
            report(item_id, "climate_loading", "needs a scenario-level climate section")
    return resolved, problems


def _check_extras(spec: ScenarioFile, catalog: Catalog, report) -> None:
    """Funds, 先投后股 and the loan pool must be the catalog's items of those models and
    start within the horizon. (A fund's tolerance may differ from the catalog's: that is
    what a tolerance variant does; the baseline's equality with the text is a test.)"""
    sections = [(fund_id, "funds", fund) for fund_id, fund in spec.funds.items()]
    if spec.conversion is not None:
        sections.append((spec.conversion.id, "conversion", spec.conversion))
    if spec.loan_compensation is not None:
        sections.append((spec.loan_compensation.id, "loans", spec.loan_compensation))
    for item_id, model_name, section in sections:
        line = catalog.by_id.get(item_id)
        where = item_id if model_name == "funds" else None
        prefix = {"funds": "", "conversion": "conversion.", "loans": "loan_compensation."}
        label = f"{prefix[model_name]}id"
        if line is None or line.modelled_by.value != model_name:
            expected = sorted(i.id for i in catalog.items if i.modelled_by.value == model_name)
            report(
                where,
                label,
                f"{item_id!r} is not a catalog item of the {model_name} "
                f"model (expected one of {expected})",
            )
            continue
        if section.first_year < spec.horizon.start:
            report(
                where,
                f"{prefix[model_name]}first_year",
                f"{section.first_year} is before the horizon starts ({spec.horizon.start})",
            )


def _resolve_item(line: LineItem, a: ItemAssumptions, spec: ScenarioFile, report):
    item_id = line.id
    horizon = spec.horizon
    window = a.admission_years or spec.admission_years
    if not (horizon.start <= window.start and window.end <= horizon.end):
        report(
            item_id,
            "admission_years",
            f"{window.start}–{window.end} falls outside the horizon {horizon.start}–{horizon.end}",
        )
    years = window.years
    messages: list[str] = []
    uptake = a.uptake
    if isinstance(uptake, StockFlowCount):
        uptake = uptake.model_copy(update={"first_year": years[0]})
    for name in ("value", "mean_count", "pool"):
        if hasattr(uptake, name):
            _per_year_values(getattr(uptake, name), years, f"uptake.{name}", messages)
    for message in messages:
        report(item_id, "uptake", message)

    cap = a.cap_yuan if a.cap_yuan is not None else line.cap_yuan
    floor = line.floor_yuan
    reference = (cap if cap is not None else floor) or 0.0
    if cap is not None:
        reference = cap * spec.cap_scale
    award = a.award
    if award is None:
        if line.payment is PaymentKind.FORMULA:
            report(
                item_id,
                "award",
                "a formula item needs award: {dist: formula_lognormal or formula_fixed, ...}",
            )
            return None
        award = FixedShare(
            dist="fixed",
            value=1.0,
            basis="not stated: each recipient assumed to receive the full amount",
        )
    if line.payment is PaymentKind.FORMULA:
        if not isinstance(award, FORMULA_SPECS):
            report(item_id, "award", "a formula item needs dist formula_lognormal or formula_fixed")
            return None
        assert line.formula is not None  # guaranteed by the catalog's own validation
        award = award.bind(line.formula.rate, reference)
    elif isinstance(award, FORMULA_SPECS):
        report(item_id, "award", f"{award.dist} is only for payment formula items")
        return None
    if cap is None and floor is not None:
        if award.lower < 1.0:
            report(
                item_id,
                "award",
                f"is a multiple of the 不少于 floor ({floor:,.0f} yuan) "
                f"and cannot go below 1 (lowest value {award.lower})",
            )
    elif award.upper > 1.0:
        report(
            item_id,
            "award",
            f"is a share of the cap and cannot exceed 1 (highest value {award.upper})",
        )
    if (
        line.fixed
        and line.payment is not PaymentKind.FORMULA
        and (award.lower != 1.0 or award.upper != 1.0)
    ):
        report(
            item_id,
            "award",
            f"article {line.article} fixes the amount (给予); the award "
            "must be the full amount (fixed 1.0) — change cap_yuan to model a different sum",
        )

    years_paid = a.years_paid if a.years_paid is not None else line.years_paid
    if a.years_paid is not None and line.payment is not PaymentKind.ANNUAL_FOR_YEARS:
        report(item_id, "years_paid", "only for payment annual_for_years")
    if a.retention is not None and line.payment is not PaymentKind.RECURRING_ANNUAL:
        report(item_id, "retention", "only for payment recurring_annual")
    if a.recurring_until is not None:
        if line.payment is not PaymentKind.RECURRING_ANNUAL:
            report(item_id, "recurring_until", "only for payment recurring_annual")
        elif a.recurring_until < years[0]:
            report(
                item_id,
                "recurring_until",
                f"{a.recurring_until} is before the first admission year {years[0]}",
            )
    if line.payment is PaymentKind.STAGED:
        if a.award is not None:
            report(
                item_id,
                "award",
                "not used for a staged item: each stage's share of the cap sets its amount",
            )
        if not a.stages:
            report(item_id, "stages", "a staged item needs its stages")
        elif sum(stage.share for stage in a.stages) > 1.0 + 1e-12:
            report(
                item_id,
                "stages",
                f"stage shares add up to "
                f"{sum(s.share for s in a.stages):.3f} of the cap (at most 1)",
            )
    elif a.stages is not None:
        report(item_id, "stages", "only for payment staged")
    if a.ceiling_yuan is not None and isinstance(a.ceiling_yuan, dict):
        outside = [y for y in a.ceiling_yuan if not horizon.start <= y <= horizon.end]
        if outside:
            report(item_id, "ceiling_yuan", f"years {outside} are outside the horizon")

    per_year = reference
    if line.payment is PaymentKind.ANNUAL_FOR_YEARS and line.cap_basis is CapBasis.PER_AWARD:
        per_year = reference / (years_paid or 1)
    return ResolvedItem(
        line=line,
        assumptions=a.model_copy(update={"uptake": uptake}),
        reference_yuan=reference,
        admission_years=years,
        years_paid=years_paid,
        per_year_yuan=per_year,
        award=award,
        takeup=a.takeup.value if a.takeup else 1.0,
        retention=a.retention.value if a.retention else 1.0,
        city_share=a.city_share.value if a.city_share else 1.0,
        recurring_until=a.recurring_until if a.recurring_until is not None else horizon.end,
    )


def check_draws(draws: Any, *, source: str = "command line") -> int:
    """Validate a number of Monte Carlo draws (1 … :data:`MAX_DRAWS`)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    "draws",
                    f"must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}",
                )
            ]
        )
    return draws


def assumption_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """Every assumption of a scenario with its basis, one row each (for reports)."""
    rows: list[dict[str, Any]] = []
    for item in scenario.items.values():
        a = item.assumptions

        def add(what: str, value: Any, basis: str, item=item) -> None:
            rows.append(
                {
                    "item": item.id,
                    "article": item.line.article,
                    "name_zh": item.line.name_zh,
                    "assumption": what,
                    "value": value,
                    "basis": basis,
                }
            )

        add(
            "uptake",
            a.uptake.model_dump(exclude={"basis", "first_year"}, by_alias=True, exclude_none=True),
            a.uptake.basis,
        )
        add(
            "award",
            item.award.model_dump(exclude={"basis", "rate", "cap_yuan"}, exclude_none=True),
            item.award.basis,
        )
        for name in ("takeup", "retention", "city_share"):
            assumed = getattr(a, name)
            if assumed is not None:
                add(name, assumed.value, assumed.basis)
        for stage in a.stages or []:
            add(
                f"stage {stage.name_en}",
                {
                    "share": stage.share,
                    "probability": stage.probability,
                    "lag_years": stage.lag_years,
                },
                stage.basis,
            )
    if scenario.spec.climate is not None:
        rows.append(
            {
                "item": "*",
                "article": None,
                "name_zh": "创新景气因子",
                "assumption": "climate persistence",
                "value": scenario.spec.climate.persistence,
                "basis": scenario.spec.climate.basis,
            }
        )
    return rows


def apply_variant(
    scenario: Scenario, overlay: Mapping[str, Any], *, label: str = "<variant>"
) -> Scenario:
    """A new scenario with ``overlay`` (a variant document, without ``extends``) applied.

    The given scenario is not modified.
    """
    base = _Document(
        copy.deepcopy(scenario.document),
        list(scenario.files),
        Path(scenario.files[0]).parent if scenario.files else Path("."),
        {},
    )
    return _build(_apply_overlay(base, dict(overlay), label))


__all__ = [
    "MAX_DRAWS",
    "ItemAssumptions",
    "ResolvedItem",
    "Scenario",
    "ScenarioFile",
    "apply_variant",
    "assumption_rows",
    "check_draws",
    "load_scenario",
]
