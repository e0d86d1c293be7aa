"""The functional classification of the line items (支出功能分类, 206 科学技术支出).

A finance bureau budgets every item under a 类/款/项 of the 政府收支分类科目. The mapping
of the policy's items to those codes is the bureau's, not the policy's, so it lives in a
file of its own beside the catalog (``scenarios/budget_classes.yaml``), named by the
scenario's ``classification`` field. Every code carries its status — sourced (S), code
seen in a budget file (C) or recalled (R) — and every C or R code is labelled as an
assumption to be confirmed with 市财政局; the mapping of each item states its basis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationError, model_validator

from model.core.errors import InputError, Problem
from model.core.schema import StrictModel
from model.core.validation import problems_from_validation
from model.core.yamlio import read_yaml

#: A 类 (3 digits), 款 (5) or 项 (7) code.
CODE_PATTERN = r"^\d{3}(\d{2}){0,2}$"

#: What each status means, for tables and docs: (Chinese, English).
STATUS_NAMES = {
    "S": ("有来源", "sourced: code and name shown by a cited source"),
    "C": ("科目编码见于预算文件，名称凭记忆", "code seen in a budget file, name recalled"),
    "R": ("凭记忆推定", "recalled, no source found"),
}

#: The note every C or R code carries.
TO_CONFIRM = "待与市财政局核实 / to be confirmed with 市财政局"


class BudgetCode(StrictModel):
    """One code of the classification, with its names, status and source."""

    level: Literal["类", "款", "项"]
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    status: Literal["S", "C", "R"]
    source: str = Field(min_length=3)

    @property
    def to_confirm(self) -> bool:
        """Whether the code is an assumption to be confirmed with 市财政局."""
        return self.status != "S"


class ItemClass(StrictModel):
    """How one line item is classified, and why."""

    func_code: str = Field(pattern=CODE_PATTERN)
    econ_code: str | None = Field(default=None, pattern=r"^\d{3}(\d{2})?$")
    alternatives: list[str] = Field(default_factory=list)
    channel: Literal["direct", "transfer"] = "direct"
    rule: str = Field(min_length=1, max_length=40)
    basis: str = Field(min_length=3)


class Classification(StrictModel):
    """The classification file: its sources, the codes used and one entry per item."""

    title_zh: str
    title_en: str
    sources: dict[str, str] = Field(default_factory=dict)
    codes: dict[str, BudgetCode]
    econ_codes: dict[str, BudgetCode] = Field(default_factory=dict)
    items: dict[str, ItemClass]

    @model_validator(mode="after")
    def _codes_known(self) -> Self:
        problems = []
        for code, known in self.codes.items():
            expected = {3: "类", 5: "款", 7: "项"}.get(len(code))
            if expected != known.level:
                problems.append(f"@codes.{code}.level: a {len(code)}-digit code is a {expected}")
        for item_id, entry in self.items.items():
            for field, code in [("func_code", entry.func_code)] + [
                (f"alternatives.{i}", c) for i, c in enumerate(entry.alternatives)
            ]:
                missing = [p for p in parents(code) if p not in self.codes]
                if missing:
                    problems.append(f"@items.{item_id}.{field}: codes {missing} are not in codes")
            if entry.econ_code is not None and entry.econ_code not in self.econ_codes:
                problems.append(
                    f"@items.{item_id}.econ_code: {entry.econ_code} is not in econ_codes"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def path(self, item_id: str) -> list[tuple[str, BudgetCode]]:
        """The 类, 款 and (where given) 项 of an item, with their entries."""
        return [(code, self.codes[code]) for code in parents(self.items[item_id].func_code)]


def parents(code: str) -> list[str]:
    """A code and the codes above it, from the 类 down: ``2060502`` → ``206, 20605,
    2060502``."""
    return [code[:n] for n in (3, 5, 7) if n <= len(code)]


def load_classification(path: Path, item_ids: list[str] | None = None) -> Classification:
    """Read and check a classification file.

    Parameters
    ----------
    path : Path
    item_ids : list of str, optional
        The catalog's items: each must be classified, and nothing else.

    Raises
    ------
    InputError
        Every problem, naming the file, the item and the field.
    """
    name = str(path)
    data = read_yaml(path)
    problems: list[Problem] = []
    classification = None
    try:
        classification = Classification.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_validation(exc, name, model=Classification, item_of=_item_of)
    if item_ids is not None:  # also when the schema fails: every problem at once
        raw = data.get("items") if isinstance(data, dict) else None
        classified = set(raw) if isinstance(raw, dict) else set()
        problems += [
            Problem(name, item_id, None, "not classified: every catalog item needs an entry")
            for item_id in item_ids
            if item_id not in classified
        ]
        problems += [
            Problem(name, str(item_id), None, "unknown item id: not in the policy catalog")
            for item_id in classified
            if item_id not in item_ids
        ]
    if problems or classification is None:
        raise InputError(problems)
    return classification


def _item_of(loc: tuple) -> tuple[str | None, tuple]:
    if len(loc) >= 2 and loc[0] in ("items", "codes", "econ_codes"):
        return str(loc[1]), loc[2:]
    return None, loc


__all__ = [
    "CODE_PATTERN",
    "STATUS_NAMES",
    "TO_CONFIRM",
    "BudgetCode",
    "Classification",
    "ItemClass",
    "load_classification",
    "parents",
]
