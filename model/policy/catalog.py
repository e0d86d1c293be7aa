"""The policy catalog: every fiscal promise of the policy as a line item.

The catalog holds only what the policy text says (amounts, payment pattern, who is
responsible, the clause quoted word for word). What we *assume* — how many will apply,
how much of the cap they get — lives in the scenario files (:mod:`model.policy.scenario`).
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from model.core.errors import InputError, Problem
from model.core.paths import CATALOG_PATH, outside_roots, real_path, scenario_roots
from model.core.schema import (
    CHAPTERS,
    CapBasis,
    Modeller,
    MoneyYuan,
    PaymentKind,
    PositiveFraction,
    Probability,
    StrictModel,
)
from model.core.validation import problems_from_validation
from model.core.yamlio import Via, read_text, read_yaml
from model.policy.readings import Clause

Chapter = Literal["一", "二", "三", "四", "五", "六", "七", "八"]
ItemId = str


class FormulaTerms(StrictModel):
    """The terms of a formula award (article 3: 10% of last year's new contract value)."""

    rate: PositiveFraction = Field(description="Share of the base paid out.")
    base_zh: str = Field(min_length=1, description="The base, in the policy's words.")
    base_en: str = Field(min_length=1)


class LineItem(StrictModel):
    """One fiscal promise of the policy, as the text states it.

    Amounts are in yuan. ``cap_yuan`` is the 最高 (``fixed: false``) or the fixed
    (给予, ``fixed: true``) amount; ``floor_yuan`` is a 不少于 minimum instead.
    """

    id: ItemId = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    article: int = Field(ge=1, le=26)
    chapter: Chapter
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    responsible_units: list[str] = Field(min_length=1)
    lead_unit: str | None = None
    payment: Annotated[PaymentKind, Field(strict=False)]
    cap_yuan: MoneyYuan | None = None
    cap_basis: Annotated[CapBasis, Field(strict=False)] = CapBasis.PER_AWARD
    fixed: bool
    years_paid: int | None = Field(default=None, ge=1, le=30)
    floor_yuan: MoneyYuan | None = None
    formula: FormulaTerms | None = None
    tolerance: Probability | None = None
    modelled_by: Annotated[Modeller, Field(strict=False)] = Modeller.ENGINE
    quote: str = Field(min_length=4)
    interpretation: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LineItem:
        # "@field: message" lines let the loader name the field of each problem
        problems = []
        if self.lead_unit is not None and self.lead_unit not in self.responsible_units:
            problems.append("@lead_unit: must be one of responsible_units")
        if self.payment is PaymentKind.ANNUAL_FOR_YEARS and self.years_paid is None:
            problems.append("@years_paid: is required for payment annual_for_years")
        if self.payment is not PaymentKind.ANNUAL_FOR_YEARS and self.years_paid is not None:
            problems.append("@years_paid: is only meaningful for payment annual_for_years")
        if self.payment is PaymentKind.FORMULA and self.formula is None:
            problems.append("@formula: formula terms are required for payment formula")
        if self.modelled_by is Modeller.ENGINE:
            if self.payment is PaymentKind.FUND:
                problems.append("@modelled_by: a fund item cannot be modelled by the grant engine")
            if self.cap_yuan is None and self.floor_yuan is None:
                problems.append("@cap_yuan: an engine item needs cap_yuan or floor_yuan")
        if self.cap_yuan is not None and self.floor_yuan is not None:
            problems.append(
                "@floor_yuan: set either cap_yuan (最高/给予) or floor_yuan (不少于), not both"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def paying_unit(self) -> str:
        """The unit whose budget carries the item: ``lead_unit`` or the first listed."""
        return self.lead_unit or self.responsible_units[0]

    @property
    def reference_yuan(self) -> float:
        """The amount awards are expressed against: the cap, or the floor (yuan)."""
        amount = self.cap_yuan if self.cap_yuan is not None else self.floor_yuan
        if amount is None:
            raise ValueError(f"item {self.id} has no amount in the policy text")
        return amount


class NonFiscalArticle(StrictModel):
    """An article that promises no money, with the reason, or the mechanism it implies."""

    article: int = Field(ge=1, le=26)
    chapter: Chapter
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    mechanism: str | None = None


class PolicySource(StrictModel):
    """The policy document the catalog encodes."""

    title_zh: str
    title_en: str
    status: str
    text_file: str = Field(description="Path of the policy text, relative to the catalog file.")


class Catalog(StrictModel):
    """All fiscal line items of the policy, the articles that carry none, and the
    readings of the clauses whose wording admits more than one fiscal reading."""

    policy: PolicySource
    items: list[LineItem] = Field(min_length=1)
    non_fiscal: list[NonFiscalArticle] = Field(default_factory=list)
    readings: list[Clause] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        first: dict[str, int] = {}
        problems = []
        for index, item in enumerate(self.items):
            if item.id in first:
                problems.append(
                    f"@items.{index}.id: duplicate item id (also item "
                    f"{first[item.id] + 1} of the list)"
                )
            first.setdefault(item.id, index)
        problems += _clause_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @cached_property
    def clauses(self) -> dict[str, Clause]:
        """The clauses with readings, keyed by id, in catalog order."""
        return {clause.id: clause for clause in self.readings}

    @cached_property
    def by_id(self) -> dict[str, LineItem]:
        """Line items keyed by id, in catalog order."""
        return {item.id: item for item in self.items}

    @property
    def ids(self) -> list[str]:
        """Item ids in catalog order."""
        return [item.id for item in self.items]


def _clause_problems(catalog: Catalog) -> list[str]:
    """Clause ids are unique; the items a clause and its readings name are the catalog's
    (grant items under ``items``, funds under ``funds``)."""
    problems: list[str] = []
    by_id = {item.id: item for item in catalog.items}
    seen: set[str] = set()
    for index, clause in enumerate(catalog.readings):
        where = f"@readings.{index}"
        if clause.id in seen:
            problems.append(f"{where}.id: duplicate clause id {clause.id!r}")
        seen.add(clause.id)
        problems += [
            f"{where}.items: unknown item id {item_id!r}"
            for item_id in clause.items
            if item_id not in by_id
        ]
        for reading in clause.readings:
            for key, modeller in (("items", Modeller.ENGINE), ("funds", Modeller.FUNDS)):
                named = reading.overrides.get(key)
                for item_id in named if isinstance(named, dict) else {}:
                    line = by_id.get(item_id)
                    if line is None or line.modelled_by is not modeller:
                        problems.append(
                            f"{where}.readings.{reading.id}.overrides.{key}: {item_id!r} is "
                            f"not a catalog item of the {modeller.value} model"
                        )
    return problems


def _locate(data: dict, loc: tuple) -> tuple[str | None, tuple]:
    """Split a catalog error location into (item id, field path)."""
    if len(loc) >= 2 and loc[0] in ("items", "non_fiscal") and isinstance(loc[1], int):
        entries = data.get(loc[0]) or []
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        if loc[0] == "items":
            label = entry.get("id") if isinstance(entry, dict) else None
            return (str(label) if label else f"items[{loc[1]}]"), loc[2:]
        article = entry.get("article") if isinstance(entry, dict) else None
        return f"non_fiscal article {article}", loc[2:]
    if len(loc) >= 2 and loc[0] == "readings" and isinstance(loc[1], int):
        entries = data.get("readings") or []
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        label = entry.get("id") if isinstance(entry, dict) else None
        return f"clause {label}" if label else f"readings[{loc[1]}]", loc[2:]
    return None, loc


def load_catalog(
    path: str | Path = CATALOG_PATH, *, check_quotes: bool = True, via: Via | None = None
) -> Catalog:
    """Read and validate a policy catalog.

    Parameters
    ----------
    path : str or Path
        The catalog YAML file (default: ``scenarios/catalog.yaml``).
    check_quotes : bool
        Check that every ``quote`` appears word for word in the policy text (which must
        lie in the scenario folders or the catalog's own folder).
    via : (str, str), optional
        The file and field that named the catalog (a scenario's ``catalog``), for
        messages.

    Returns
    -------
    Catalog

    Raises
    ------
    InputError
        With every problem found, each naming the file, the item and the field.
    """
    path = Path(path)
    key = _cache_key(path, check_quotes)
    if key is not None and key in _CACHE:
        return _CACHE[key]
    data = read_yaml(path, via=via)
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(
            exc, str(path), model=Catalog, item_of=lambda loc: _locate(data, loc)
        )
        if check_quotes:  # report quotes missing from the text alongside schema problems
            problems.extend(_check_quotes_raw(data, path))
        raise InputError(problems) from None
    if check_quotes:
        problems = _check_quotes(catalog, path)
        if problems:
            raise InputError(problems)
    if key is not None:
        _CACHE[key] = catalog
    return catalog


#: Validated catalogs by file identity: a Catalog is frozen, so variants, sensitivity
#: runs and goal seeks that rebuild scenarios share it instead of re-reading the YAML.
_CACHE: dict[tuple, Catalog] = {}


def _cache_key(path: Path, check_quotes: bool) -> tuple | None:
    try:
        stat = real_path(path).stat()
    except OSError:
        return None
    return (str(real_path(path)), stat.st_mtime_ns, stat.st_size, check_quotes)


def _normalise(text: str) -> str:
    return "".join(text.split())


def _check_quotes(catalog: Catalog, path: Path) -> list[Problem]:
    return _check_quotes_raw(catalog.model_dump(mode="json"), path)


def _check_quotes_raw(data: dict, path: Path) -> list[Problem]:
    """Quotes missing from the policy text, from a (possibly invalid) raw document."""
    policy = data.get("policy")
    text_file = policy.get("text_file") if isinstance(policy, dict) else None
    if not isinstance(text_file, str):
        return []
    text_path = Path(os.path.normpath(path.parent / text_file))
    if not text_path.exists():
        return [
            Problem(str(path), None, "policy.text_file", f"policy text not found at {text_path}")
        ]
    roots = (*scenario_roots(path), real_path(path.parent))
    if outside_roots(text_path, roots):
        message = (
            f"{text_file!r} is {real_path(text_path)}, outside the scenario folders and the "
            "catalog's folder"
        )
        return [Problem(str(path), None, "policy.text_file", message)]
    try:
        text = _normalise(read_text(text_path, via=(str(path), "policy.text_file")))
    except InputError as error:
        return error.problems
    raw_items = data.get("items")
    items: list = raw_items if isinstance(raw_items, list) else []
    problems = [
        Problem(
            str(path), str(entry.get("id")), "quote", "not found word for word in the policy text"
        )
        for entry in items
        if isinstance(entry, dict)
        and isinstance(entry.get("quote"), str)
        and _normalise(entry["quote"]) not in text
    ]
    raw_clauses = data.get("readings")
    for clause in raw_clauses if isinstance(raw_clauses, list) else []:
        if not isinstance(clause, dict) or not isinstance(clause.get("readings"), list):
            continue
        for reading in clause["readings"]:
            words = reading.get("turns_on") if isinstance(reading, dict) else None
            for index, quote in enumerate(words if isinstance(words, list) else []):
                if isinstance(quote, str) and _normalise(quote) not in text:
                    problems.append(
                        Problem(
                            str(path),
                            f"clause {clause.get('id')}",
                            f"readings.{reading.get('id')}.turns_on.{index}",
                            "not found word for word in the policy text",
                        )
                    )
    return problems


__all__ = [
    "CHAPTERS",
    "Catalog",
    "Clause",
    "FormulaTerms",
    "LineItem",
    "NonFiscalArticle",
    "load_catalog",
]
