"""Shared building blocks of the input schemas: strict base model, enums, YAML reading."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from model.errors import InputError, Problem


class StrictModel(BaseModel):
    """Frozen pydantic model that rejects unknown keys, silent type coercion (``"100"``
    or ``true`` for a cap is an error, not 100 or 1) and infinite or NaN numbers.

    Enum fields are the one exception: declare them with :data:`Choice`-style
    ``Annotated[SomeEnum, Field(strict=False)]`` so that YAML strings select a member.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
        validate_default=True,
    )


class PaymentKind(StrEnum):
    """How a line item's money is paid out over time."""

    ONE_TIME = "one_time"  # once, in the year of the award
    ANNUAL_FOR_YEARS = "annual_for_years"  # each year for a fixed number of years
    RECURRING_ANNUAL = "recurring_annual"  # each year the recipient stays qualified
    STAGED = "staged"  # in stages as milestones are reached
    PER_EVENT = "per_event"  # per qualifying event (registration, loss)
    FORMULA = "formula"  # an amount computed from a base, capped
    FUND = "fund"  # capital invested, not a grant


class CapBasis(StrEnum):
    """What the catalog's ``cap_yuan`` refers to."""

    PER_AWARD = "per_award"  # per recipient (or project, or event), in total
    PER_YEAR = "per_year"  # per recipient and year


class Modeller(StrEnum):
    """Which part of fiscalsim models a line item."""

    ENGINE = "engine"  # the vectorized grant engine (model.engine)
    FUNDS = "funds"  # fund portfolios under tolerance rates (article 20)
    CONVERSION = "conversion"  # 先投后股 grant-to-equity conversion (article 11)
    LOANS = "loans"  # loan-risk compensation pool (article 21)


class Unit(StrEnum):
    """Presentation unit of money (computation is always in yuan)."""

    YUAN = "yuan"
    WAN = "wan"
    YI = "yi"

    @property
    def divisor(self) -> float:
        """Yuan per presentation unit."""
        return {"yuan": 1.0, "wan": 1e4, "yi": 1e8}[self.value]

    @property
    def label_zh(self) -> str:
        """The unit's Chinese name (元, 万元, 亿元)."""
        return {"yuan": "元", "wan": "万元", "yi": "亿元"}[self.value]


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load's rules (libyaml's parser where available, about ten times faster),
    but a mapping that repeats a key is an error instead of keeping the last value."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


CHAPTERS = ("一", "二", "三", "四", "五", "六", "七", "八")


def read_yaml(path: Path) -> Any:
    """Read a YAML file with a safe loader, turning every failure into an InputError.

    A missing file, an unreadable one, a syntax error and an empty document are each
    reported with the file's name (and the line of a syntax error).
    """
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, None, None, "file not found")])
    if path.is_dir():
        raise InputError([Problem(name, None, None, "is a directory, not a YAML file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, None, None, f"cannot be read: {exc}")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        kind = (
            "YAML error"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else ("YAML syntax error")
        )
        message = f"{kind}{where}: {reason}"
        raise InputError([Problem(name, None, None, message)]) from None
    if data is None:
        raise InputError([Problem(name, None, None, "file is empty")])
    if not isinstance(data, dict):
        raise InputError(
            [Problem(name, None, None, f"top level must be a mapping, got {type(data).__name__}")]
        )
    return data
