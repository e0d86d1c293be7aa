"""Readings of the policy's ambiguous clauses, as data.

Where the draft's wording admits more than one fiscal reading (article 2's 1亿元 for each
provincial laboratory or for the programme; article 17's 5000元 on every yearly
registration or once; the 容错率's denominator …), the catalog names the clause, quotes the
words it turns on, lists its readings and says which is the default and why. A reading's
effect is a variant fragment (``overrides``) that the scenario loader merges over the
scenario: no code belongs to any one reading.

A scenario pins readings with ``readings: {clause: reading}``; variants change the pins like
any other field. Every clause not pinned takes its default, whose overrides are empty: the
scenario files encode the default readings. The overrides of the readings in force are
merged after the whole scenario chain, so a reading wins over a variant that sets the same
field (under ``provincial_lab_funding: programme_total`` the number of laboratories no
longer matters, whatever a variant says); ``fiscalsim validate`` names such fields.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from model.core.schema import StrictModel

_ID = r"^[a-z][a-z0-9_]*$"

#: Top-level scenario fields a reading may override.
READING_KEYS = ("items", "funds", "conversion", "loan_compensation", "admission_years")
#: Fund fields whose readings define the 容错率 test, not the fund's cash flows.
TOLERANCE_FIELDS = frozenset({"tolerance_rule", "loss_measure", "loss_base"})


class Reading(StrictModel):
    """One reading of a clause: its words, and its effect as scenario overrides."""

    id: str = Field(pattern=_ID, max_length=64)
    zh: str = Field(min_length=2, description="The reading, in Chinese.")
    en: str = Field(min_length=2, description="The reading, in English.")
    turns_on: list[str] = Field(
        min_length=1, description="The quoted words it turns on (checked against the text)."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="A variant fragment (items, funds, conversion, loan_compensation, "
        "admission_years) merged over the scenario when the reading is in force.",
    )

    def override_problems(self) -> list[str]:
        """What is wrong with the overrides' shape (checked by the clause, so that every
        problem of a clause is reported together)."""
        problems = []
        unknown = sorted(set(self.overrides) - set(READING_KEYS))
        if unknown:
            problems.append(f"cannot override {unknown}; a reading overrides {list(READING_KEYS)}")
        for key in ("items", "funds"):
            value = self.overrides.get(key)
            if value is not None and not (
                isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
            ):
                problems.append(f"{key} must map ids to fields")
        return problems


class Clause(StrictModel):
    """A clause whose wording admits more than one fiscal reading."""

    id: str = Field(pattern=_ID, max_length=64)
    article: int | None = Field(default=None, ge=1, le=26)
    section_zh: str | None = Field(
        default=None, description="Where the clause is when it is not an article (一、总体要求)."
    )
    items: list[str] = Field(min_length=1, description="The catalog items it concerns.")
    question_zh: str = Field(min_length=4)
    question_en: str = Field(min_length=4)
    default: str = Field(pattern=_ID)
    why_default: str = Field(min_length=10)
    readings: list[Reading] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> Clause:
        problems = []
        ids = [reading.id for reading in self.readings]
        if len(set(ids)) != len(ids):
            problems.append("@readings: reading ids must be unique within a clause")
        if self.default not in ids:
            problems.append(f"@default: {self.default!r} is not one of the readings {ids}")
        elif self.reading(self.default).overrides:
            problems.append(
                "@default: the default reading is what the scenario files encode; "
                "its overrides must be empty"
            )
        for index, reading in enumerate(self.readings):
            problems += [f"@readings.{index}.overrides: {p}" for p in reading.override_problems()]
        if self.article is None and not self.section_zh:
            problems.append("@section_zh: a clause outside the articles names its section")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def reading(self, reading_id: str) -> Reading:
        """The reading with id ``reading_id`` (``KeyError`` when there is none)."""
        for reading in self.readings:
            if reading.id == reading_id:
                return reading
        raise KeyError(reading_id)

    @property
    def reading_ids(self) -> list[str]:
        """The readings' ids, in catalog order."""
        return [reading.id for reading in self.readings]

    @property
    def tolerance_only(self) -> bool:
        """Whether the readings only change how the 容错率 is tested (no cash flow)."""
        fields = set()
        for reading in self.readings:
            for key, value in reading.overrides.items():
                if key == "funds" and isinstance(value, dict):
                    fields |= {name for fund in value.values() for name in fund}
                else:
                    fields.add(key)
        return bool(fields) and fields <= TOLERANCE_FIELDS

    @property
    def where(self) -> str:
        """Article (``art. 2``) or section of the clause."""
        return f"art. {self.article}" if self.article is not None else str(self.section_zh)


# ------------------------------------------------------------------ selection
#: ``report(field, message)``: record a problem of the scenario's ``readings`` field.
Report = Callable[[str, str], None]


def readings_in_force(clauses: list[Clause], pinned: Any, report: Report) -> dict[str, str] | None:
    """The reading in force for every clause: the pinned one, else the default.

    Parameters
    ----------
    clauses : list of Clause
        The catalog's clauses.
    pinned : Any
        The scenario's ``readings`` field (a mapping of clause id to reading id).
    report : callable
        Called with ``(field, message)`` for every unknown clause or reading id.

    Returns
    -------
    dict of str to str, or None
        Clause id → reading id, in catalog order; ``None`` when ``pinned`` is not a
        mapping (the schema reports it).
    """
    if pinned is None:
        pinned = {}
    if not isinstance(pinned, Mapping):
        return None
    by_id = {clause.id: clause for clause in clauses}
    ok = True
    for clause_id, reading_id in pinned.items():
        clause = by_id.get(str(clause_id))
        if clause is None:
            report(
                f"readings.{clause_id}",
                f"unknown clause {clause_id!r}; the catalog's clauses are {sorted(by_id)}",
            )
            ok = False
        elif reading_id not in clause.reading_ids:
            report(
                f"readings.{clause_id}",
                f"unknown reading {reading_id!r} of clause {clause_id!r}; its readings "
                f"are {clause.reading_ids}",
            )
            ok = False
    if not ok:
        return None
    return {clause.id: str(pinned.get(clause.id, clause.default)) for clause in clauses}


@dataclass(frozen=True)
class Overlay:
    """The overrides of one reading in force, cut to what the scenario configures."""

    clause: str
    reading: str
    data: dict[str, Any]

    @property
    def label(self) -> str:
        """How problems and provenance name it."""
        return f"reading {self.clause}={self.reading}"


def overlays(clauses: list[Clause], in_force: Mapping[str, str], document: dict) -> list[Overlay]:
    """The overrides of the non-default readings in force, in catalog order.

    Entries for items, funds or programmes that the scenario does not configure are
    dropped: a reading of a clause the scenario leaves out has nothing to change.
    """
    found = []
    for clause in clauses:
        reading_id = in_force.get(clause.id, clause.default)
        if reading_id == clause.default:
            continue
        data: dict[str, Any] = {}
        for key, value in clause.reading(reading_id).overrides.items():
            present = document.get(key)
            if key in ("items", "funds"):
                if not isinstance(present, dict):
                    continue
                kept = {k: v for k, v in value.items() if k in present}
                if kept:
                    data[key] = copy.deepcopy(kept)
            elif key in ("conversion", "loan_compensation") and not isinstance(present, dict):
                continue
            else:
                data[key] = copy.deepcopy(value)
        found.append(Overlay(clause.id, reading_id, data))
    return found


def touched_fields(overlay: Mapping[str, Any]) -> list[tuple]:
    """Provenance keys of what an overlay sets: ``(key,)``, ``("items", id, field)``,
    ``("funds", id)``."""
    keys: list[tuple] = []
    for key, value in overlay.items():
        if key == "items":
            keys += [("items", i, f) for i, fields in value.items() for f in fields]
        elif key == "funds":
            keys += [("funds", i) for i in value]
        else:
            keys.append((key,))
    return keys


__all__ = [
    "READING_KEYS",
    "TOLERANCE_FIELDS",
    "Clause",
    "Overlay",
    "Reading",
    "overlays",
    "readings_in_force",
    "touched_fields",
]
