"""Turning a pydantic ``ValidationError`` into :class:`~model.core.errors.Problem` objects
that name the file, the line item and the field, in the words the user wrote."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from model.core.errors import Problem


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
        field = annotation.model_fields.get(str(part)) or next(
            (f for f in annotation.model_fields.values() if f.alias == part), None
        )
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

    Locations are cleaned of what the user did not write (the tag of a discriminated
    union, the member labels of a ``number | list`` union); when one bad value fails
    every member of such a union, only the member matching the value's type is kept.
    A validator may name fields itself: each line ``@field.path: message`` of a
    ``ValueError`` becomes a problem of that field.

    Parameters
    ----------
    error : pydantic.ValidationError
        The error raised by ``model_validate``.
    file : str
        The file the validated data came from.
    model : type, optional
        The model that was validated: used to clean locations and to list the allowed
        fields of an unknown one.
    item_of : callable, optional
        ``item_of(loc) -> (item, field_loc)`` splits a cleaned location into the line
        item it belongs to and the rest; by default the location is all field.
    prefix : sequence of str or int
        Location parts to prepend (when a sub-document was validated on its own).
    """
    entries = []
    for detail in error.errors(include_url=False):
        raw_loc = tuple(detail["loc"])
        loc, union_at, member = _clean_loc(model, raw_loc)
        for sub_loc, message in _messages(detail, raw_loc, model):
            full = (*prefix, *loc, *sub_loc)
            item, field_loc = item_of(full) if item_of else (None, full)
            field = ".".join(str(part) for part in field_loc) or None
            union_key = (*prefix, *union_at) if member is not None else None
            entries.append((union_key, member, detail, Problem(file, item, field, message)))
    return _drop_other_members(entries)


def _messages(detail: Any, raw_loc: tuple, model: Any) -> list[tuple[tuple, str]]:
    kind, message = detail["type"], detail["msg"]
    if kind == "value_error":
        lines = message.removeprefix("Value error, ").split("\n")
        out = []
        for line in lines:
            named = re.match(r"^@([\w.]+): (.*)$", line)
            if named:
                parts = tuple(int(p) if p.isdigit() else p for p in named.group(1).split("."))
                out.append((parts, named.group(2)))
            else:
                out.append(((), line))
        return out
    if kind == "extra_forbidden":
        message = f"unknown field (value {_describe_value(detail['input'])})"
        allowed = allowed_fields(model, raw_loc) if model is not None else None
        if allowed:
            message += f"; allowed fields are {allowed}"
    elif kind != "missing" and "input" in detail:
        message = f"{message} (got {_describe_value(detail['input'])})"
    return [((), message)]


def _clean_loc(model: Any, loc: tuple) -> tuple[tuple, tuple, str | None]:
    """Drop union tags and member labels from an error location.

    Returns the cleaned location, the cleaned location of the (last) union passed
    through, and the member label chosen there (``None`` when no union was passed).
    """
    current: Any = model
    cleaned: list = []
    union_at: tuple = ()
    member: str | None = None
    for part in loc:
        annotation = _unwrap(current) if current is not None else None
        if get_origin(annotation) in (Union, UnionType):
            chosen = _union_member(annotation, part)
            if chosen is not None:
                if not (isinstance(chosen, type) and issubclass(chosen, BaseModel)):
                    # a member label of a smart union (number | list); a discriminated
                    # union's tag names the one member that was tried, nothing to filter
                    union_at, member = tuple(cleaned), str(part)
                current = chosen
                continue
        if isinstance(part, str) and (
            part.startswith("function-") or (part in _UNION_TAGS and current is None)
        ):
            continue
        cleaned.append(part)
        current = _step(current, part) if current is not None else None
    return tuple(cleaned), union_at, member


def _union_member(union: Any, part: str | int) -> Any:
    """The member of ``union`` that an error location's ``part`` names, if any."""
    if not isinstance(part, str):
        return None
    members = [_unwrap(m) for m in get_args(union) if m is not type(None)]
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            tag = member.model_fields.get("dist")
            if tag is not None and part in get_args(tag.annotation):
                return member
    container = "list" if part.startswith("list[") else "dict" if part.startswith("dict[") else None
    if container is None and (
        part.startswith(("constrained-", "function-")) or part in {"int", "float", "str", "bool"}
    ):
        scalars = [m for m in members if get_origin(m) not in (list, dict)]
        return scalars[0] if scalars else None
    for member in members:
        if get_origin(member) is (list if container == "list" else dict):
            return member
    return None


def _member_kind(label: str) -> str:
    return (
        "list" if label.startswith("list[") else "dict" if label.startswith("dict[") else "scalar"
    )


def _drop_other_members(entries: list) -> list[Problem]:
    """Keep, for each value that failed every member of a union, the errors of the
    member that matches the value's own type (a list for ``list[...]``, and so on)."""
    value_kind: dict[tuple, str] = {}
    for union_key, member, detail, _ in entries:
        if member is not None and len(detail["loc"]) and detail["loc"][-1] == member:
            value = detail.get("input")
            value_kind[union_key] = (
                "list"
                if isinstance(value, list)
                else "dict"
                if isinstance(value, dict)
                else "scalar"
            )
    kept = []
    for union_key, member, _, problem in entries:
        if (
            member is not None
            and union_key in value_kind
            and (_member_kind(member) != value_kind[union_key])
        ):
            continue
        kept.append(problem)
    return list(dict.fromkeys(kept))


#: Tags of the discriminated unions in the scenario schema, registered by the modules
#: that define them, so they are not shown as field names.
_UNION_TAGS: set[str] = set()


def register_union_tags(tags: Iterable[str]) -> None:
    """Record discriminator values so they are not shown as field names."""
    _UNION_TAGS.update(tags)


__all__ = ["allowed_fields", "problems_from_validation", "register_union_tags"]
