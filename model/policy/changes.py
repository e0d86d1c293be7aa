"""What a variant changes: the items and fields whose values in force differ from the
scenario it extends.

A variant names only what it overrides, but an analyst needs what it *changes*: a
``cap_scale`` line moves the amount in force of dozens of items, a reading pinned in the
catalog rewrites an item's count. :func:`changes` compares two resolved scenarios field
by field (after readings, scales and merging), so ``fiscalsim validate`` can say what a
variant does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.policy.resolve import ResolvedItem
from model.policy.scenario import Scenario, load_scenario

#: Scenario fields compared besides the items and programmes.
_SCENARIO_FIELDS = (
    "horizon",
    "admission_years",
    "plan_start",
    "cap_scale",
    "cap_scale_max",
    "cap_scale_fixed",
    "climate",
    "ceilings",
)


@dataclass(frozen=True)
class Change:
    """One field whose value in force differs: ``where`` is an item or programme id, or
    ``None`` for the scenario; ``before``/``after`` are the values, compactly."""

    where: str | None
    field: str
    before: Any
    after: Any

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{place}{self.field} {_short(self.before)} → {_short(self.after)}"


def _short(value: Any, limit: int = 70) -> str:
    """A value as one short line (numbers with separators, mappings as key: value)."""
    if isinstance(value, float):
        text = f"{value:,.6g}" if abs(value) < 1e4 else f"{value:,.0f}"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_short(v, 20)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_short(v, 20) for v in value) + "]"
    else:
        text = "none" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_fields(item: ResolvedItem) -> dict[str, Any]:
    """The values in force of a grant item, by field (without bases)."""
    a = item.assumptions
    fields = {
        "amount_yuan": item.reference_yuan,
        "admission_years": item.admission_years,
        "years_paid": item.years_paid,
        "uptake": a.uptake.model_dump(
            mode="json", by_alias=True, exclude={"basis", "first_year"}, exclude_none=True
        ),
        "award": item.award.model_dump(
            mode="json", exclude={"basis", "rate", "cap_yuan"}, exclude_none=True
        ),
        "takeup": item.takeup,
        "retention": item.retention,
        "city_share": item.city_share,
        "recurring_until": item.recurring_until,
        "ceiling_yuan": a.ceiling_yuan,
        "climate_loading": a.climate_loading,
    }
    if a.stages is not None:
        fields["stages"] = [stage.model_dump(mode="json", exclude={"basis"}) for stage in a.stages]
    return fields


def _dict_changes(where: str | None, before: Mapping, after: Mapping) -> list[Change]:
    return [
        Change(where, key, before.get(key), after.get(key))
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]


def changes(base: Scenario, variant: Scenario) -> list[Change]:
    """Every field whose value in force differs between ``base`` and ``variant``: the
    scenario's, the readings', each grant item's and each programme's."""
    found: list[Change] = []
    spec_before = base.spec.model_dump(mode="json", include=set(_SCENARIO_FIELDS))
    spec_after = variant.spec.model_dump(mode="json", include=set(_SCENARIO_FIELDS))
    found += _dict_changes(None, spec_before, spec_after)
    found += [
        Change(None, f"readings.{clause}", base.readings.get(clause), reading)
        for clause, reading in variant.readings.items()
        if base.readings.get(clause) != reading
    ]
    for item_id in dict.fromkeys([*base.items, *variant.items]):
        before, after = base.items.get(item_id), variant.items.get(item_id)
        if before is None or after is None:
            found.append(Change(item_id, "item", before is not None, after is not None))
        elif before != after:
            found += _dict_changes(item_id, _item_fields(before), _item_fields(after))
    programmes = {
        spec.id: spec.model_dump(mode="json", exclude={"basis"}) for spec in base.programmes
    }
    for spec in variant.programmes:
        dumped = spec.model_dump(mode="json", exclude={"basis"})
        earlier = programmes.pop(spec.id, None)
        if earlier is None:
            found.append(Change(spec.id, "programme", "absent", "configured"))
        elif earlier != dumped:
            found += _dict_changes(spec.id, earlier, dumped)
    found += [Change(i, "programme", "configured", "absent") for i in programmes]
    return found


def base_of(scenario: Scenario) -> Scenario | None:
    """The scenario a variant extends (its chain without its last file), or ``None`` for a
    scenario that extends nothing."""
    if len(scenario.files) < 2:
        return None
    return load_scenario(list(scenario.files[:-1]))


__all__ = ["Change", "base_of", "changes"]
