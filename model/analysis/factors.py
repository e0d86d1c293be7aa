"""The factors the sensitivity analyses swing, each as a variant overlay.

Every perturbation is a variant overlay (:func:`model.apply_variant`), so it passes the
same validation as a variant file, and it is evaluated on common random numbers
(:mod:`model.analysis.paired`). The factors are what moves the answer:

* per grant item (:mod:`model.analysis.item_swings`): its count — a fixed count such as
  the three provincial laboratories swings by one recipient —, its award share, its cap
  or fixed amount (±20%) and its take-up (±0.2);
* the admission window: the last admission year, from one year before the scenario's to
  the horizon's end (the draft states no 有效期);
* per fund: the write-off rate (loss rate, ±25% as the variant ``fund_failure_high``),
  the exit multiples (±25%) and the exit timing (a year earlier or later);
* per clause of the catalog's readings that changes cash flows: each of its readings, a
  discrete factor (:mod:`model.policy.readings`).

A *continuous* factor has multipliers ``low`` … ``high`` (or, for the exit timing, a
shift in years); a *discrete* one has ``levels`` (years, reading ids) and Sobol samples
them with equal probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model.analysis.item_swings import (
    DEFAULT_CAP_SWING,
    SWING_QUANTILES,
    award_range,
    award_swingable,
    award_with_mean,
    count_range,
    item_overlay,
    scaled_uptake,
    takeup_range,
    total_count_quantiles,
)
from model.policy.bridge import BridgeCount
from model.policy.programmes import FundSpec
from model.policy.scenario import Scenario, apply_variant

#: Kinds of a grant item's factors.
ITEM_KINDS = ("uptake", "award", "cap", "takeup")
#: Kinds of a fund's factors: write-off rate, exit multiples, exit timing.
FUND_KINDS = ("write_off", "multiple", "exit_lag")
#: Every kind of factor (a bridged count's factors are kinds ``bridge:<factor name>``).
FACTOR_KINDS = (*ITEM_KINDS, "bridge", "window", "reading", *FUND_KINDS)
#: Kinds the tornado swings by default: every uncertain assumption and structural choice.
DEFAULT_KINDS = FACTOR_KINDS
#: Swing of a fund's write-off rate and exit multiples (multipliers).
FUND_SWING = 0.25
#: The id under which the admission window appears among the factors.
WINDOW = "admission_years"


@dataclass(frozen=True)
class Factor:
    """One swung assumption or structural choice.

    Attributes
    ----------
    item : str
        A grant item or fund id, a clause id (kind ``reading``) or ``admission_years``.
    kind : str
        One of :data:`FACTOR_KINDS`.
    low, high : float
        A continuous factor's range (multipliers; for ``exit_lag`` a shift in years).
    levels : tuple
        A discrete factor's values (last admission years, reading ids); empty otherwise.
    """

    item: str
    kind: str
    low: float
    high: float
    levels: tuple = ()

    @property
    def name(self) -> str:
        """``item:kind``."""
        return f"{self.item}:{self.kind}"

    @property
    def discrete(self) -> bool:
        """Whether the factor takes one of its ``levels``."""
        return bool(self.levels)

    @property
    def bounds(self) -> tuple[float, float]:
        """The range Sobol samples uniformly: ``[low, high]``, or ``[0, len(levels)]``
        for a discrete factor (each level an equal share)."""
        return (0.0, float(len(self.levels))) if self.levels else (self.low, self.high)

    def value(self, sample: float) -> Any:
        """The factor's value for a sampled number: the level it falls on, or itself."""
        if not self.levels:
            return sample
        return self.levels[min(max(int(sample), 0), len(self.levels) - 1)]


# ------------------------------------------------------------------ the factors
def uncertain_factors(
    scenario: Scenario,
    *,
    swing: float | None = None,
    kinds: Sequence[str] = DEFAULT_KINDS,
    items: Sequence[str] | None = None,
) -> list[Factor]:
    """Every factor that can move, with its range or levels.

    With ``swing=None`` a count swings between its P10 and P90 relative to its mean (a
    known count by one recipient), and so does an award share; a cap swings ±20%, a
    take-up ±0.2, a fund's write-off rate and exit multiples ±25%, its exits a year. With
    ``swing=x`` every continuous multiplier swings ±x. ``items`` restricts the factors to
    those ids (items, funds, clauses, ``admission_years``).
    """
    unknown = sorted(set(kinds) - set(FACTOR_KINDS))
    if unknown:
        raise ValueError(f"unknown factor kinds {unknown}; choose from {list(FACTOR_KINDS)}")
    factors = []
    for item_id, item in scenario.items.items():
        if items is not None and item_id not in items:
            continue
        for kind in (k for k in ITEM_KINDS if k in kinds):
            if kind == "award" and not award_swingable(item):
                continue
            if kind == "cap" and item.reference_yuan <= 0:
                continue
            natural = {
                "uptake": count_range,
                "award": award_range,
                "cap": lambda _: (1.0 - DEFAULT_CAP_SWING, 1.0 + DEFAULT_CAP_SWING),
                "takeup": takeup_range,
            }[kind](item)
            if natural == (1.0, 1.0) and (swing is None or kind == "takeup"):
                continue  # nothing to swing (a take-up the scenario does not state)
            low, high = natural if swing is None else (1.0 - swing, 1.0 + swing)
            factors.append(Factor(item_id, kind, low, high))
    if "bridge" in kinds:
        for item_id, item in scenario.items.items():
            uptake = item.assumptions.uptake
            if (items is None or item_id in items) and isinstance(uptake, BridgeCount):
                for part in uptake.factors:
                    if part.low < part.high:
                        low, high = part.low / part.mean, part.high / part.mean
                        if swing is not None:
                            low, high = 1.0 - swing, 1.0 + swing
                        factors.append(Factor(item_id, f"bridge:{part.name}", low, high))
    if "window" in kinds and (items is None or WINDOW in items):
        window, horizon = scenario.spec.admission_years, scenario.spec.horizon
        years = tuple(range(max(window.start, window.end - 1), horizon.end + 1))
        if len(years) > 1:
            factors.append(Factor(WINDOW, "window", years[0], years[-1], years))
    for spec in scenario.spec.funds.values():
        if items is not None and spec.id not in items:
            continue
        for kind in (k for k in FUND_KINDS if k in kinds):
            if kind == "exit_lag":
                factors.append(Factor(spec.id, kind, -1, 1, (-1, 0, 1)))
            else:
                width = FUND_SWING if swing is None else swing
                factors.append(Factor(spec.id, kind, 1.0 - width, 1.0 + width))
    if "reading" in kinds:
        for clause in scenario.catalog.readings:
            if (items is None or clause.id in items) and not clause.tolerance_only:
                levels = tuple(clause.reading_ids)
                factors.append(Factor(clause.id, "reading", 0, len(levels) - 1, levels))
    return factors


def base_value(scenario: Scenario, factor: Factor) -> Any:
    """The factor's value in the scenario itself (a multiplier of 1, no shift, the
    scenario's last admission year or reading in force)."""
    if factor.kind == "window":
        return scenario.spec.admission_years.end
    if factor.kind == "reading":
        return scenario.readings[factor.item]
    return 0 if factor.kind == "exit_lag" else 1.0


# ------------------------------------------------------------------ overlays
def _fund_stages(spec: FundSpec, settings: Mapping[str, Any]) -> list[dict]:
    """A fund's stages (variant document) with its outcome factors applied."""
    stages = []
    for stage in spec.stages:
        data = stage.model_dump(mode="json")
        outcome = data["outcome"]
        notes = []
        if "write_off" in settings:
            m = float(settings["write_off"])
            outcome["write_off_prob"] = min(outcome["write_off_prob"] * m, 1.0)
            notes.append(f"write-offs ×{m:.4g}")
        if "multiple" in settings:
            m = float(settings["multiple"])
            for key in ("body_median", "tail_min", "multiple_cap"):
                outcome[key] *= m
            notes.append(f"exit multiples ×{m:.4g}")
        if "exit_lag" in settings:
            shift = round(float(settings["exit_lag"]))
            low, high = outcome["exit_years_min"], outcome["exit_years_max"]
            outcome["exit_years_min"] = max(low + shift, 0)
            outcome["exit_years_max"] = max(high + shift, outcome["exit_years_min"])
            notes.append(f"exits {shift:+d} year(s)")
        outcome["basis"] = f"sensitivity: {', '.join(notes)} ({outcome['basis']})"
        stages.append(data)
    return stages


def overlay(scenario: Scenario, settings: Mapping[tuple[str, str], Any]) -> dict:
    """The variant document that sets each ``(item, kind)`` factor to its value."""
    document: dict[str, Any] = {}
    funds: dict[str, dict[str, Any]] = {}
    bridges: dict[str, dict[str, float]] = {}
    for (item_id, kind), value in settings.items():
        if kind in ITEM_KINDS:
            fields = item_overlay(scenario.items[item_id], kind, value)
            document.setdefault("items", {}).setdefault(item_id, {}).update(fields)
        elif kind.startswith("bridge:"):
            bridges.setdefault(item_id, {})[kind.removeprefix("bridge:")] = float(value)
        elif kind == "window":
            window = scenario.spec.admission_years
            document["admission_years"] = {
                "start": window.start,
                "end": int(value),
                "basis": f"sensitivity: last admission year {int(value)} ({window.basis})",
            }
        elif kind == "reading":
            document.setdefault("readings", {})[item_id] = value
        elif kind in FUND_KINDS:
            funds.setdefault(item_id, {})[kind] = value
        else:
            raise ValueError(f"unknown factor kind {kind!r}; choose from {list(FACTOR_KINDS)}")
    for item_id, parts in bridges.items():
        fields = document.setdefault("items", {}).setdefault(item_id, {})
        uptake = fields.get("uptake") or scenario.items[item_id].assumptions.uptake.model_dump(
            mode="json", by_alias=True, exclude={"first_year"}, exclude_none=True
        )
        fields["uptake"] = _bridge_fixed(uptake, parts)
    for fund_id, fund_settings in funds.items():
        stages = _fund_stages(scenario.spec.funds[fund_id], fund_settings)
        document.setdefault("funds", {})[fund_id] = {"stages": stages}
    return document


def _bridge_fixed(uptake: dict, parts: Mapping[str, float]) -> dict:
    """A bridge's uptake (variant document) with factors fixed at ``multiplier × mean``."""
    factors = []
    for factor in uptake["factors"]:
        if factor["name"] in parts:
            value = parts[factor["name"]] * (factor["low"] + factor["mode"] + factor["high"]) / 3
            factor = {**factor, "low": value, "mode": value, "high": value}
        factors.append(factor)
    return {**uptake, "factors": factors}


def swung(scenario: Scenario, settings: Mapping[tuple[str, str], Any]) -> Scenario:
    """A variant with each ``(item, kind)`` factor set to its value (a multiplier, a
    year, a reading id or a shift)."""
    return apply_variant(scenario, overlay(scenario, settings), label="sensitivity")


def factor_overlay(scenario: Scenario, item_id: str, kind: str, value: Any) -> dict:
    """The fields of one item's factor (variant document of ``items.<id>``)."""
    return item_overlay(scenario.items[item_id], kind, value)


__all__ = [
    "DEFAULT_CAP_SWING",
    "DEFAULT_KINDS",
    "FACTOR_KINDS",
    "FUND_KINDS",
    "FUND_SWING",
    "ITEM_KINDS",
    "SWING_QUANTILES",
    "WINDOW",
    "Factor",
    "award_range",
    "award_swingable",
    "award_with_mean",
    "base_value",
    "count_range",
    "factor_overlay",
    "overlay",
    "scaled_uptake",
    "swung",
    "total_count_quantiles",
    "uncertain_factors",
]
