"""Every number of the input schema has a finite range (model/core/schema.py).

A scenario or catalog number without an upper bound can overflow a draw or a table
(a Poisson mean of 1e12, a cap of 1e308 giving ``inf`` means): the walk below finds every
numeric field of every model reachable from the catalog and scenario schemas and checks
that the schema bounds it on both sides, and the loader's messages for the extreme
values the hardening issue found are checked by name and field.
"""

from __future__ import annotations

import math
import typing
from types import UnionType

import annotated_types
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from model.core.schema import MAX_COUNT, MAX_YUAN, Count, MoneyYuan, Probability, Year
from model.policy.catalog import Catalog
from model.policy.scenario_schema import ScenarioFile


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def walk(annotation: typing.Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.append(annotation)
                for field in annotation.model_fields.values():
                    walk(field.annotation)
            return
        for argument in typing.get_args(annotation):
            walk(argument)

    walk(root)
    return seen


def _numbers(annotation: typing.Any, metadata: list) -> list[tuple[type, list]]:
    """The numeric leaves of an annotation, each with the constraints that apply to it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        more = []
        for item in extra:
            more.extend(getattr(item, "metadata", [item]))
        return _numbers(inner, [*metadata, *more])
    if origin in (typing.Union, UnionType, list, dict, tuple):
        found = []
        args = typing.get_args(annotation)
        if origin is dict:
            args = args[1:]  # keys (years) are checked where they are used as values
        for argument in args:
            found.extend(_numbers(argument, metadata if origin not in (list, dict) else []))
        return found
    if annotation in (int, float):
        return [(annotation, metadata)]
    return []


def _bounds(metadata: list) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = max(low, float(getattr(item, "ge", getattr(item, "gt", -math.inf))))
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = min(high, float(getattr(item, "le", getattr(item, "lt", math.inf))))
    return low, high


FIELDS = [
    (model, name, kind, metadata)
    for root in (Catalog, ScenarioFile)
    for model in _models(root)
    for name, field in model.model_fields.items()
    for kind, metadata in _numbers(field.annotation, list(field.metadata))
]


def test_the_walk_finds_the_numbers():
    names = {f"{model.__name__}.{name}" for model, name, _, _ in FIELDS}
    assert {"LineItem.cap_yuan", "PoissonCount.mean_count", "LoanPoolSpec.volume_median_yuan"} <= (
        names
    )
    assert len(FIELDS) > 80


@pytest.mark.parametrize(
    ("model", "name", "kind", "metadata"),
    FIELDS,
    ids=[f"{m.__name__}.{n}" for m, n, _, _ in FIELDS],
)
def test_every_number_has_a_finite_range(model, name, kind, metadata):
    low, high = _bounds(metadata)
    assert math.isfinite(low) and math.isfinite(high), (
        f"{model.__name__}.{name} ({kind.__name__}) has range [{low}, {high}]: give it "
        "a bounded type from model.core.schema"
    )
    assert high <= MAX_YUAN


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (MoneyYuan, [0, 2e9, MAX_YUAN], [-1, MAX_YUAN * 1.0001, 1e308]),
        (Count, [0, 8500, MAX_COUNT], [-1, MAX_COUNT + 1, 10**18]),
        (Probability, [0, 0.5, 1], [-0.01, 1.01]),
        (Year, [2000, 2100], [1999, 2101]),
    ],
)
def test_the_shared_types_accept_their_range_and_nothing_else(kind, good, bad):
    adapter = TypeAdapter(kind)
    for value in good:
        assert adapter.validate_python(value, strict=True) == value
    for value in bad:
        with pytest.raises(ValidationError):
            adapter.validate_python(value, strict=True)
