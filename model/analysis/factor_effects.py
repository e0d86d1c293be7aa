"""A factor's effect at one value, on paired runs: the unit of the tornado
(:func:`model.analysis.sensitivity.tornado`).

The variant (the scenario with the factor set) and the rows it changes are found first,
so that the tornado can hand every variant's simulation to the workers at once
(:meth:`model.analysis.paired.PairedRuns.outputs_many`) and then evaluate each here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.analysis.factors import ITEM_KINDS, Factor, base_value, swung
from model.analysis.paired import PairedRuns, changed_rows
from model.policy.scenario import Scenario
from model.sim.analytic import expected_city_cost


@dataclass(frozen=True)
class FactorVariant:
    """A factor at one value: the swung scenario, whether it is the base scenario
    (``same``), else the rows it changes (``None``: it is simulated whole)."""

    value: object
    scenario: Scenario
    same: bool
    changed: list[str] | None


def factor_variant(scenario: Scenario, factor: Factor, value) -> FactorVariant:
    """The scenario with a factor at ``value``."""
    variant = swung(scenario, {(factor.item, factor.kind): value})
    if variant.digest() == scenario.digest() or value == base_value(scenario, factor):
        return FactorVariant(value, variant, True, [])
    return FactorVariant(value, variant, False, changed_rows(scenario, variant))


def factor_effect(
    paired: PairedRuns,
    factor: Factor,
    variant: FactorVariant,
    outputs: tuple[np.ndarray, np.ndarray] | None,
    base_p95: float = math.nan,
    base_net: float = math.nan,
) -> dict[str, float]:
    """A factor at one value: the change of the expected horizon total and, with its
    simulated ``outputs`` (cost and fund inflows per draw and year), the P95 and the mean
    net of fund distributions (yuan)."""
    if variant.same:
        effect = {"delta_mean": 0.0, "p95": base_p95, "net": base_net}
        if factor.kind in ITEM_KINDS:
            effect["item_ratio"] = 1.0
        return effect
    scenario, changed = variant.scenario, variant.changed
    n_h = len(paired.horizon)
    totals = None if outputs is None else outputs[0][:, :n_h].sum(axis=1)
    effect = {}
    if factor.kind in ITEM_KINDS:
        item_mean = paired.changed_means(scenario, [factor.item])
        effect["delta_mean"] = paired.delta_mean(scenario, [factor.item], item_mean, totals)
        base_item = paired.item_means[factor.item]
        effect["item_ratio"] = float(item_mean.sum()) / base_item if base_item else math.nan
    else:
        effect["delta_mean"] = (
            paired.delta_mean(scenario, changed, totals=totals)
            if paired.draws or has_closed_form(paired, scenario)
            else math.nan
        )
    if outputs is not None:
        cost, flows = outputs
        effect["p95"] = float(np.percentile(cost[:, :n_h].sum(axis=1), 95))
        effect["net"] = float((cost - flows)[:, :n_h].sum(axis=1).mean())
    return effect


def has_closed_form(paired: PairedRuns, variant: Scenario) -> bool:
    """Whether the variant's change of the mean has a closed form (no draws needed)."""
    changed = changed_rows(paired.scenario, variant)
    if changed is None:
        return not expected_city_cost(variant)[paired.horizon].isna().to_numpy().any()
    return not paired.changed_means(variant, changed).isna().any()


__all__ = ["FactorVariant", "factor_effect", "factor_variant", "has_closed_form"]
