"""Input problems, collected and reported all at once.

Validation never stops at the first problem: every check appends a :class:`Problem`
naming the file, the line item and the field, and :class:`InputError` carries the
whole list. The CLI prints them and exits with code 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes
    ----------
    file : str
        The file the problem is in.
    item : str or None
        The line item id (or a section name such as ``horizon``), when there is one.
    field : str or None
        Dotted path of the field inside the item, e.g. ``award.high``.
    message : str
        What is wrong, with the offending value where useful.
    """

    file: str
    item: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.item is not None:
            where.append(f"item '{self.item}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{': '.join(where)}: {self.message}"


class InputError(Exception):
    """Raised when an input file has one or more problems.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found; never empty.
    """

    def __init__(self, problems: Sequence[Problem]):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, preceded by a count."""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([head, *(f"  - {problem}" for problem in self.problems)])


def _describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def allowed_fields(model: Any, loc: Sequence[str | int]) -> list[str] | None:
    """The fields accepted where ``loc`` points, found by walking ``model``'s annotations.

    Used to add "allowed fields are [...]" to an unknown-field message (the way
    OpenFisca's parameter parser does). Returns ``None`` when the walk gets lost.
    """
    current: Any = model
    for part in loc[:-1]:
        current = _step(current, part)
        if current is None:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` from an annotation."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (Union, UnionType):
        # a discriminated union: the location names the chosen member by its tag
        for member in args:
            member = _unwrap(member)
            if isinstance(member, type) and issubclass(member, BaseModel):
                tag_field = member.model_fields.get("dist")
                if tag_field is not None and part in get_args(tag_field.annotation):
                    return member
    return None


def problems_from_validation(
    error: ValidationError,
    file: str,
    *,
    model: Any = None,
    item_of: Any = None,
    prefix: Sequence[str | int] = (),
) -> list[Problem]:
    """Translate a pydantic ``ValidationError`` into :class:`Problem` objects.

    Parameters
    ----------
    error : pydantic.ValidationError
        The error raised by ``model_validate``.
    file : str
        The file the validated data came from.
    model : type, optional
        The model that was validated, to list the allowed fields of an unknown one.
    item_of : callable, optional
        ``item_of(loc) -> (item, field_loc)`` splits an error location into the line item
        it belongs to and the rest; by default the location is all field.
    prefix : sequence of str or int
        Location parts to prepend (when a sub-document was validated on its own).
    """
    problems = []
    for detail in error.errors(include_url=False):
        raw_loc = tuple(detail["loc"])
        loc = (*prefix, *raw_loc)
        item, field_loc = item_of(loc) if item_of else (None, loc)
        # pydantic puts the tag of a discriminated union ("poisson") and the names of
        # function validators into the location; the user did not write them.
        field = ".".join(str(part) for part in field_loc if not _is_noise(part)) or None
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            message = f"unknown field (value {_describe_value(detail['input'])})"
            allowed = allowed_fields(model, raw_loc) if model is not None else None
            if allowed:
                message += f"; allowed fields are {allowed}"
        elif detail["type"] != "missing" and "input" in detail:
            message = f"{message} (got {_describe_value(detail['input'])})"
        problems.append(Problem(file, item, field, message))
    return problems


#: Tags of the discriminated unions in the scenario schema, registered by the modules
#: that define them, so they are not shown as field names.
_UNION_TAGS: set[str] = set()


def register_union_tags(tags: Iterable[str]) -> None:
    """Record discriminator values so they are not shown as field names."""
    _UNION_TAGS.update(tags)


def _is_noise(part: str | int) -> bool:
    return isinstance(part, str) and (
        part in _UNION_TAGS or part.startswith("function-") or "[" in part
    )
