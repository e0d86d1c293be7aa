"""Every assumption of a scenario with its basis, one row each (for the reports and the
``assumptions.csv`` table)."""

from __future__ import annotations

from typing import Any

from model.policy.scenario import Scenario


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
        for name in ("takeup", "retention"):
            assumed = getattr(a, name)
            if assumed is not None:
                add(name, assumed.value, assumed.basis)
        if item.id in scenario.spec.funding or a.city_share is not None:
            funding = item.funding
            shares = funding.model_dump(exclude={"basis"})
            add(
                "funding", {payer: share for payer, share in shares.items() if share}, funding.basis
            )
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


__all__ = ["assumption_rows"]
