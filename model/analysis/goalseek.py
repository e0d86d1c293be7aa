"""Stress pins and goal seeking: uptake pinned at a high quantile, and the largest cap
scale, item cap or count multiplier that keeps a year's P95 (or mean) cost within a
budget; with the ``fiscalsim goalseek`` command.

Both are variant overlays evaluated on common random numbers (:mod:`model.analysis.factors`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from model.analysis.compare import Comparison, compare
from model.analysis.factors import swung
from model.analysis.paired import PairedRuns
from model.analysis.tables import summarize
from model.core.errors import InputError, Problem
from model.core.streams import check_draws, check_seed
from model.policy.scenario import Scenario, apply_variant
from model.sim.engine import simulate


# ------------------------------------------------------------------ stress
def pin_uptake(
    scenario: Scenario, pins: Mapping[str, float] | Sequence[str], *, quantile: float = 0.95
) -> Scenario:
    """A variant with chosen items' counts pinned at a quantile, year by year.

    Parameters
    ----------
    pins : mapping of item id to quantile, or sequence of item ids
        Items to pin (a sequence pins each at ``quantile``).

    Returns
    -------
    Scenario
        Each pinned item's count (after take-up) is fixed at the quantile of its
        distribution in each admission year, with take-up 1.
    """
    if not isinstance(pins, Mapping):
        pins = dict.fromkeys(pins, quantile)
    unknown = [i for i in pins if i not in scenario.items]
    if unknown:
        raise InputError([Problem(scenario.name, i, None, "no such item") for i in unknown])
    items = {}
    for item_id, q in pins.items():
        item = scenario.items[item_id]
        uptake = item.assumptions.uptake
        counts = []
        for i in range(len(item.admission_years)):
            dist = uptake.frozen(i, item.takeup)
            counts.append(int(dist) if isinstance(dist, int) else int(dist.ppf(q)))
        basis = f"stress: the P{100 * q:g} of the scenario's count in each year"
        items[item_id] = {
            "uptake": {"dist": "fixed", "value": counts, "basis": basis},
            "takeup": {"value": 1.0, "basis": "stress: the pinned count is after take-up"},
        }
    return apply_variant(
        scenario,
        {
            "name": f"{scenario.name}_stress",
            "title_en": f"{scenario.title_en}: uptake pinned high",
            "items": items,
        },
        label="stress",
    )


def stress(
    scenario: Scenario,
    pins: Mapping[str, float] | Sequence[str],
    *,
    draws: int,
    seed: int,
    quantile: float = 0.95,
) -> Comparison:
    """The scenario with pinned uptake (:func:`pin_uptake`) beside the scenario itself,
    on common random numbers (:func:`model.analysis.compare.compare`)."""
    return compare(scenario, [pin_uptake(scenario, pins, quantile=quantile)], draws, seed=seed)


# ------------------------------------------------------------------ goal seek
@dataclass(frozen=True)
class GoalSeek:
    """The outcome of :func:`goal_seek`.

    Attributes
    ----------
    parameter : str
        ``cap_scale``, ``<item>:cap_yuan`` (yuan, before the item's scales) or
        ``<item>:count`` (multiplier of the expected count).
    value : float
        The largest value found with the statistic within budget (``lower`` when
        none is, with ``feasible`` false).
    statistic_value : float
        The statistic at ``value`` (yuan); with budgets by year, in the binding year
        (``year``, whose budget is ``budget_yuan``).
    at_upper : bool
        The budget holds even at the upper bound (the answer is the bound).
    history : pandas.DataFrame
        Every evaluation: the parameter ``value`` and ``statistic_value_yuan``.
    summary : pandas.DataFrame
        The budget table by year (:func:`model.summarize`) at ``value``.
    """

    scenario_name: str
    parameter: str
    statistic: str
    year: int | None
    budget_yuan: float
    value: float
    statistic_value: float
    feasible: bool
    at_upper: bool
    lower: float
    upper: float
    draws: int
    seed: int
    history: pd.DataFrame
    summary: pd.DataFrame


def parse_parameter(text: str | tuple) -> tuple:
    """``"cap_scale"``, ``"ITEM:cap"`` or ``"ITEM:count"`` (or the tuple form) as
    ``("cap_scale",)`` or ``("item", item_id, "cap_yuan" | "count")``."""
    if isinstance(text, tuple):
        return text
    if text == "cap_scale":
        return ("cap_scale",)
    item_id, _, name = text.partition(":")
    field = {"cap": "cap_yuan", "cap_yuan": "cap_yuan", "count": "count"}.get(name)
    if not item_id or field is None:
        raise InputError(
            [
                Problem(
                    "goalseek",
                    None,
                    "--parameter",
                    f"{text!r}: use cap_scale, ITEM:cap or ITEM:count",
                )
            ]
        )
    return ("item", item_id, field)


def _parameter_setter(scenario: Scenario, parameter: tuple):
    """(label, default upper bound, function value → (variant, changed items or None))."""
    if parameter == ("cap_scale",):
        return (
            "cap_scale",
            scenario.spec.cap_scale,
            lambda v: (apply_variant(scenario, {"cap_scale": v}, label="goalseek"), None),
        )
    _, item_id, field = parameter
    if item_id not in scenario.items:
        raise InputError([Problem(scenario.name, item_id, "--parameter", "no such item")])
    item = scenario.items[item_id]
    if field == "cap_yuan":
        current = item.reference_yuan / item.amount_scale
        return (
            f"{item_id}:cap_yuan",
            current,
            lambda v: (
                apply_variant(scenario, {"items": {item_id: {"cap_yuan": v}}}, label="goalseek"),
                [item_id],
            ),
        )
    return (
        f"{item_id}:count",
        1.0,
        lambda v: (swung(scenario, {(item_id, "uptake"): v}), [item_id]),
    )


def goal_seek(
    scenario: Scenario,
    *,
    budget_yuan: float | Mapping[int, float],
    statistic: str = "p95",
    year: int | Literal["plan"] | None = "plan",
    parameter: str | tuple = "cap_scale",
    draws: int = 4_000,
    seed: int = 0,
    lower: float | None = None,
    upper: float | None = None,
    xtol: float = 1e-4,
    workers: int = 1,
) -> GoalSeek:
    """The largest parameter value keeping a statistic of the city's cost within budget.

    Bisection on common random numbers: every evaluation uses the same draws, so the
    statistic moves only with the parameter.

    Parameters
    ----------
    budget_yuan : float or mapping of int to float
        The budget (yuan) the statistic must not exceed; or a budget per year
        (year → yuan), which the statistic must respect in every one of those years
        (``year`` is then ignored, and the answer reports the binding year).
    statistic : {"p95", "mean"}
        Of the city's total in ``year`` (``None``: the horizon total), over the draws.
    year : int, "plan" or None
        The year budgeted: a calendar year, ``"plan"`` (default) for the scenario's
        first plan year (the budget year being drafted), ``None`` for the horizon total.
    parameter : str or tuple
        ``"cap_scale"``; ``"ITEM:cap"`` (the item's cap in yuan, before its scales);
        ``"ITEM:count"`` (multiplier of the item's expected count).
    draws, seed : int
    lower, upper : float, optional
        Search bounds; by default 0.1% of the current value (caps) or 0 (counts), and
        the current value.
    xtol : float
        Stop when the bracket is narrower than ``xtol × (upper − lower)``.
    workers : int
        Processes simulating at once (the base and each evaluation, in chunks of whole
        random-stream blocks); the answer is the same bytes for any number.

    Returns
    -------
    GoalSeek
    """
    check_draws(draws, source="goalseek")
    seed = check_seed(seed)
    target: int | None = scenario.plan_start if year == "plan" else year
    if statistic not in ("p95", "mean"):
        raise InputError([Problem("goalseek", None, "--statistic", "use p95 or mean")])
    budget = 0.0
    if isinstance(budget_yuan, Mapping):
        budgets = {int(y): float(b) for y, b in budget_yuan.items()}
        target = None
    else:
        budgets, budget = {}, float(budget_yuan)
        if target is not None and target not in scenario.payment_years:
            raise InputError(
                [Problem("goalseek", None, "--year", f"{target} is not a year of {scenario.name}")]
            )
    label, current, at = _parameter_setter(scenario, parse_parameter(parameter))
    upper = current if upper is None else upper
    lower = (0.0 if label.endswith(":count") else 1e-3 * upper) if lower is None else lower
    if not 0 <= lower < upper:
        raise InputError(
            [Problem("goalseek", None, label, f"need 0 ≤ lower < upper, got {lower}, {upper}")]
        )
    history: list[dict] = []

    def stat(values: np.ndarray) -> float:
        return float(np.percentile(values, 95) if statistic == "p95" else values.mean())

    def evaluate(value: float) -> bool:
        """Whether the budget holds at ``value`` (recorded in the history)."""
        variant, changed = at(value)
        totals = paired.year_totals(variant, changed)
        if budgets:  # every budgeted year: the binding one is the largest excess
            excess = {y: stat(totals[:, paired.years.index(y)]) - b for y, b in budgets.items()}
            worst = max(excess, key=lambda y: excess[y])
            binding: int | None = worst
            result, limit = excess[worst] + budgets[worst], budgets[worst]
        else:
            binding = target
            column = (
                totals[:, : len(scenario.years)].sum(axis=1)
                if target is None
                else totals[:, paired.years.index(target)]
            )
            result, limit = stat(column), budget
        history.append({"value": value, "year": binding, "statistic_value_yuan": result})
        return result <= limit

    lo, hi = lower, upper
    with PairedRuns(scenario, draws, seed, workers=workers) as paired:
        if evaluate(hi):
            value, feasible = hi, True
        elif not evaluate(lo):
            value, feasible = lo, False
        else:
            while hi - lo > xtol * (upper - lower):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if evaluate(mid) else (lo, mid)
            value, feasible = lo, True
    answer = [h for h in history if h["value"] == value][-1]
    statistic_value = answer["statistic_value_yuan"]
    if budgets:
        target = answer["year"]
    variant, _ = at(value)
    summary = summarize(
        simulate(variant, draws, seed=seed), variant, budget_yuan=budgets or None
    ).tables["summary_by_year"]
    return GoalSeek(
        scenario.name,
        label,
        statistic,
        target,
        budgets[target] if budgets and target is not None else budget,
        value,
        statistic_value,
        feasible,
        value == upper and feasible,
        lower,
        upper,
        draws,
        seed,
        pd.DataFrame(history).rename_axis("evaluation"),
        summary,
    )


def monte_carlo_errors(result: GoalSeek) -> tuple[float, float]:
    """Monte Carlo standard errors of a goal seek's answer: of the statistic at the
    answer (yuan) and, through the slope between the two evaluations nearest to it, of
    the parameter's value.

    The mean's error is its own standard error (``mcse``); the P95's is the large-sample
    error of a quantile under a normal shape, √(p(1−p)/n)·σ/φ(z_p), with p = 0.95.
    """
    table = result.summary
    label = (
        str(result.year)
        if result.year is not None
        else next(str(key) for key in table.index if "–" in str(key))
    )
    row = table.loc[label]
    if result.statistic == "mean":
        statistic_se = float(row["mcse_yuan"])
    else:
        density = math.exp(-(1.6448536269514722**2) / 2) / math.sqrt(2 * math.pi)
        statistic_se = math.sqrt(0.95 * 0.05 / result.draws) * float(row["sd_yuan"]) / density
    history = result.history.drop_duplicates("value")
    nearest = history.iloc[(history["value"] - result.value).abs().argsort()[:2]]
    if len(nearest) < 2:
        return statistic_se, math.nan
    (v0, s0), (v1, s1) = nearest[["value", "statistic_value_yuan"]].to_numpy()
    slope = (s1 - s0) / (v1 - v0)
    return statistic_se, statistic_se / abs(slope) if slope else math.nan


__all__ = ["GoalSeek", "goal_seek", "monte_carlo_errors", "parse_parameter", "pin_uptake", "stress"]
