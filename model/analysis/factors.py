"""The factors the sensitivity analyses swing, as variant overlays, and the paired
evaluation of variants that change a few items on common random numbers.

Every perturbation is a variant overlay (:func:`model.apply_variant`), so it passes the
same validation as a variant file, and every simulated statistic uses common random
numbers: the engine's streams are keyed by item id, so a variant that changes a few items
leaves every other item's draws unchanged. Means come from the closed-form expectation
(:func:`model.expected_city_cost`), which is exact and cheap.

An *uptake* factor multiplies an item's expected count by ``m`` (Poisson and negative
binomial means, a stock-flow path, a binomial's ``p``; a fixed count ``n`` becomes the
binomial ``(n·K, m/K)`` with ``K = ⌈m⌉``, whose mean is ``n·m``). An *award* factor moves
the mean award share to ``m`` times its value by an increasing affine map of the share
distribution that keeps it inside its bounds (shares of a cap stay ≤ 1, multiples of a
不少于 floor stay ≥ 1), so a swing beyond the cap is clipped there. A *cap* factor (a
policy lever, not an uncertain assumption) multiplies the item's cap or fixed amount.

Used by :mod:`model.analysis.sensitivity` (tornado, Sobol) and :mod:`model.analysis.goalseek`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from model.core.errors import InputError, Problem
from model.core.schema import MAX_YUAN, PaymentKind
from model.policy.distributions import (
    BetaShare,
    BinomialCount,
    FixedCount,
    FixedShare,
    FormulaFixed,
    FormulaLognormal,
    NegativeBinomialCount,
    PoissonCount,
    StockFlowCount,
    TriangularShare,
    UniformShare,
)
from model.policy.resolve import ResolvedItem
from model.policy.scenario import Scenario, apply_variant
from model.sim.analytic import expected_city_cost
from model.sim.engine import simulate

#: Factor kinds: uncertain assumptions (uptake, award) and a policy lever (cap).
FACTOR_KINDS = ("uptake", "award", "cap")
#: Percentiles of a count or award distribution that set its default swing.
SWING_QUANTILES = (0.10, 0.90)
#: Swing of a cap factor when none is given (±20%).
DEFAULT_CAP_SWING = 0.20

#: Factor kinds: uncertain assumptions (uptake, award) and a policy lever (cap).
FACTOR_KINDS = ("uptake", "award", "cap")
#: Percentiles of a count or award distribution that set its default swing.
SWING_QUANTILES = (0.10, 0.90)
#: Swing of a cap factor when none is given (±20%).
DEFAULT_CAP_SWING = 0.20


@dataclass(frozen=True)
class Factor:
    """One swung assumption: ``kind`` of ``item`` times ``low`` … ``high``."""

    item: str
    kind: str
    low: float
    high: float

    @property
    def name(self) -> str:
        return f"{self.item}:{self.kind}"


# ------------------------------------------------------------------ overlays
def _share_bounds(item: ResolvedItem) -> tuple[float, float]:
    """Allowed award shares: of a cap (0 … 1) or multiples of a 不少于 floor (1 … ∞)."""
    if item.assumptions.cap_yuan is None and item.line.cap_yuan is None:
        return 1.0, math.inf
    return 0.0, 1.0


def award_swingable(item: ResolvedItem) -> bool:
    """Whether the item's award share can vary (not a staged or a fixed 给予 amount)."""
    payment = item.line.payment
    return payment is not PaymentKind.STAGED and (
        not item.line.fixed or payment is PaymentKind.FORMULA
    )


def count_range(item: ResolvedItem, quantiles=SWING_QUANTILES) -> tuple[float, float]:
    """P10 and P90 of the item's total count over its admission years (after take-up),
    over its mean.

    The years' counts are independent, so the total's distribution is the convolution
    of theirs (computed exactly on their supports); summing the years' own P10s would
    overstate the swing.
    """
    uptake = item.assumptions.uptake
    dists = [uptake.frozen(i, item.takeup) for i in range(len(item.admission_years))]
    mean = sum(float(d) if isinstance(d, int) else float(d.mean()) for d in dists)
    if mean == 0:
        return 1.0, 1.0
    low, high = total_count_quantiles(dists, quantiles)
    return low / mean, high / mean


def total_count_quantiles(dists, quantiles) -> list[int]:
    """Quantiles of the sum of independent counts (scipy frozen distributions or ints)."""
    from scipy.signal import fftconvolve

    pmf, offset = np.array([1.0]), 0
    for dist in dists:
        if isinstance(dist, int):
            offset += dist
            continue
        support = np.arange(int(dist.ppf(1.0 - 1e-12)) + 1)
        pmf = np.clip(fftconvolve(pmf, dist.pmf(support)), 0.0, None)
    cdf = np.cumsum(pmf) / pmf.sum()
    return [offset + int(np.searchsorted(cdf, q - 1e-12)) for q in quantiles]


def award_range(item: ResolvedItem, quantiles=SWING_QUANTILES) -> tuple[float, float]:
    """The award share's P10 and P90 over its mean."""
    mean = item.award.mean()
    if mean == 0:
        return 1.0, 1.0
    low, high = item.award.ppf(np.asarray(quantiles))
    return float(low) / mean, float(high) / mean


def scaled_uptake(item: ResolvedItem, multiplier: float) -> dict:
    """An uptake spec (variant document) whose expected count is ``multiplier`` times
    the item's, in every admission year."""
    spec = item.assumptions.uptake
    m = float(multiplier)
    data = spec.model_dump(mode="json", by_alias=True, exclude={"first_year"}, exclude_none=True)
    data["basis"] = f"sensitivity: expected count ×{m:.6g} of the scenario's ({spec.basis})"

    def times(value, factor):
        return [v * factor for v in value] if isinstance(value, list) else value * factor

    if isinstance(spec, PoissonCount | NegativeBinomialCount):
        data["mean"] = times(spec.mean_count, m)
    elif isinstance(spec, StockFlowCount):  # growth and exits are linear in the stock
        data["stock_start"], data["stock_target"] = spec.stock_start * m, spec.stock_target * m
    elif isinstance(spec, BinomialCount | FixedCount):
        pool, p = (spec.pool, spec.p) if isinstance(spec, BinomialCount) else (spec.value, 1.0)
        if m == 1.0:
            return data
        q = p * m
        k = max(1, math.ceil(q))  # a probability above 1 spreads over a k-fold pool
        data = {"dist": "binomial", "pool": times(pool, k), "p": q / k, "basis": data["basis"]}
    return data


def award_with_mean(item: ResolvedItem, target: float):
    """The item's award spec moved to mean share ``target`` (clipped to its bounds).

    Shares below the mean shrink toward the lower bound, above it toward the upper one
    (or scale, for a floor without upper bound); formula awards move their base.
    """
    spec = item.award
    low, high = _share_bounds(item)
    target = min(max(float(target), low), high)
    mean = spec.mean()
    if isinstance(spec, FormulaFixed):  # bound: its rate and cap are set
        rate, cap = float(spec.rate or 0.0), float(spec.cap_yuan or 0.0)
        return spec.model_copy(update={"base_yuan": target * cap / rate})
    if isinstance(spec, FormulaLognormal):

        def mean_at(log_median: float) -> float:
            # a point of the root search, not an input: its bracket reaches medians
            # beyond the schema's range, so it is built without validation
            data = {**spec.model_dump(), "median_base_yuan": math.exp(log_median)}
            return FormulaLognormal.model_construct(**data).mean()

        centre = math.log(spec.median_base_yuan)
        # within the schema's range of a base (yuan), so that the answer validates
        bracket = (
            max(centre - 30 * spec.sigma, 0.0),
            min(centre + 30 * spec.sigma, math.log(MAX_YUAN)),
        )
        target = min(max(target, mean_at(bracket[0])), mean_at(bracket[1]))
        root = optimize.brentq(lambda x: mean_at(x) - target, *bracket, xtol=1e-12)
        # validated anew, not model_copy: the spec caches its threshold
        return FormulaLognormal.model_validate(
            {**spec.model_dump(), "median_base_yuan": math.exp(root)}
        )
    anchor = low if target < mean else (high if math.isfinite(high) else 0.0)
    if target == mean or mean == anchor:
        return spec

    def f(x: float) -> float:
        return anchor + (x - anchor) * (target - anchor) / (mean - anchor)

    if isinstance(spec, FixedShare) or f(spec.lower) == f(spec.upper):
        return FixedShare(dist="fixed", value=f(spec.lower), basis=spec.basis)
    if isinstance(spec, UniformShare | BetaShare):
        return spec.model_copy(update={"low": f(spec.low), "high": f(spec.high)})
    if isinstance(spec, TriangularShare):
        return spec.model_copy(
            update={"low": f(spec.low), "mode": f(spec.mode), "high": f(spec.high)}
        )
    raise TypeError(f"no award swing for {type(spec).__name__}")


def factor_overlay(scenario: Scenario, item_id: str, kind: str, multiplier: float) -> dict:
    """The item fields (variant document) that set factor ``kind`` to ``multiplier``."""
    item = scenario.items[item_id]
    if kind == "uptake":
        return {"uptake": scaled_uptake(item, multiplier)}
    if kind == "award":
        spec = award_with_mean(item, multiplier * item.award.mean())
        data = spec.model_dump(mode="json", exclude={"rate", "cap_yuan"}, exclude_none=True)
        data["basis"] = f"sensitivity: mean award ×{multiplier:.6g} ({item.award.basis})"
        return {"award": data}
    if kind == "cap":
        return {"cap_yuan": item.reference_yuan * multiplier / scenario.spec.cap_scale}
    raise ValueError(f"unknown factor kind {kind!r}; choose from {FACTOR_KINDS}")


def swung(scenario: Scenario, settings: Mapping[tuple[str, str], float]) -> Scenario:
    """A variant with each ``(item, kind)`` factor set to its multiplier."""
    items: dict[str, dict] = {}
    for (item_id, kind), multiplier in settings.items():
        items.setdefault(item_id, {}).update(factor_overlay(scenario, item_id, kind, multiplier))
    return apply_variant(scenario, {"items": items}, label="sensitivity")


def uncertain_factors(
    scenario: Scenario,
    *,
    swing: float | None = None,
    kinds: Sequence[str] = ("uptake", "award"),
    items: Sequence[str] | None = None,
) -> list[Factor]:
    """Every factor that can move, with its low and high multipliers.

    With ``swing=None`` a count swings between its P10 and P90 relative to its mean,
    and so does an award share; a cap swings ±20%. With ``swing=x`` all swing ±x.
    ``items`` restricts the factors to those items.
    """
    factors = []
    for item_id, item in scenario.items.items():
        if items is not None and item_id not in items:
            continue
        for kind in kinds:
            if kind == "award" and not award_swingable(item):
                continue
            if kind == "cap" and item.reference_yuan <= 0:
                continue
            if swing is not None:
                low, high = 1.0 - swing, 1.0 + swing
            elif kind == "cap":
                low, high = 1.0 - DEFAULT_CAP_SWING, 1.0 + DEFAULT_CAP_SWING
            else:
                low, high = (count_range if kind == "uptake" else award_range)(item)
            if not (low == high == 1.0):
                factors.append(Factor(item_id, kind, low, high))
    return factors


# ------------------------------------------------------------------ paired evaluation
def _only(scenario: Scenario, item_ids) -> Scenario:
    # the engine and the expectation treat grant items independently (streams keyed by
    # id), so a scenario cut down to some items, without funds and loans, gives exactly
    # those items' costs
    spec = scenario.spec.model_copy(
        update={"funds": {}, "conversion": None, "loan_compensation": None}
    )
    return dataclasses.replace(scenario, spec=spec, items={i: scenario.items[i] for i in item_ids})


class PairedRuns:
    """The base scenario's per-item expected and per-draw costs, for evaluating
    variants that change a few grant items on common random numbers.

    Item means are the closed-form expectations; rows without one (fund capital calls)
    take their simulated mean when there are draws, else stay NaN. Rows are the grant
    items followed by the funds and loans (:func:`model.expected_city_cost`'s order).
    """

    def __init__(self, scenario: Scenario, draws: int, seed: int):
        if scenario.has_ceilings and not draws:
            raise InputError(
                [
                    Problem(
                        scenario.name,
                        None,
                        "draws",
                        "with appropriation ceilings the expected cost needs a simulation",
                    )
                ]
            )
        self.scenario, self.draws, self.seed = scenario, draws, seed
        self.horizon = scenario.years
        self.years = scenario.payment_years

    @functools.cached_property
    def item_draws(self) -> np.ndarray:
        """The base's city cost by draw, row and year (simulated once, when needed)."""
        if not self.draws:
            raise ValueError("no draws: this evaluation needs a simulation")
        results = simulate(self.scenario, self.draws, seed=self.seed)
        self.ids = list(results.items.index)
        return results.city

    @functools.cached_property
    def item_means(self) -> pd.Series:
        """Expected horizon cost by row (yuan); simulated where there is no closed form."""
        means = expected_city_cost(self.scenario)[self.horizon].sum(axis=1, skipna=False)
        if self.draws and means.isna().any():
            simulated = self.item_draws[:, :, : len(self.horizon)].sum(axis=2).mean(axis=0)
            means = means.fillna(pd.Series(simulated, index=self.ids))
        return means

    @property
    def base_mean(self) -> float:
        """Expected horizon total (yuan); NaN when a fund has no closed form and no draws."""
        if self.scenario.has_ceilings:
            return float(self.horizon_totals(self.scenario, []).mean())
        return float(self.item_means.sum(skipna=False))

    def changed_means(self, variant: Scenario, changed: Sequence[str]) -> pd.Series:
        """Expected horizon cost of the changed grant items in ``variant`` (yuan)."""
        return expected_city_cost(_only(variant, changed))[self.horizon].sum(axis=1)

    def delta_mean(
        self, variant: Scenario, changed: Sequence[str], changed_means: pd.Series | None = None
    ) -> float:
        """Change of the expected horizon total from the base (yuan); exact, except with
        appropriation ceilings, where it is the change of the simulated mean."""
        if variant.has_ceilings or self.scenario.has_ceilings:
            return float(self.horizon_totals(variant, changed).mean() - self.base_mean)
        if changed_means is None:
            changed_means = self.changed_means(variant, changed)
        return float(changed_means.sum() - self.item_means[list(changed)].sum())

    def year_totals(self, variant: Scenario, changed: Sequence[str] | None) -> np.ndarray:
        """The city's total per draw and year of ``self.years`` (yuan); ``changed=None``
        when anything beyond the listed grant items may differ."""
        if variant is self.scenario:
            return self.item_draws.sum(axis=1)
        sub = _only(variant, changed or [])
        separable = not variant.has_ceilings and (
            variant.spec.climate is None or sub.payment_years == self.years
        )
        if changed is None or not separable or variant.payment_years != self.years:
            if not self.draws:
                raise ValueError("no draws: this evaluation needs a simulation")
            return simulate(variant, self.draws, seed=self.seed).city.sum(axis=1)
        base = self.item_draws
        keep = [k for k, i in enumerate(self.ids) if i not in changed]
        totals = base[:, keep, :].sum(axis=1)
        if changed:
            city = simulate(sub, self.draws, seed=self.seed).city.sum(axis=1)
            totals[:, : city.shape[1]] += city
        return totals

    def horizon_totals(self, variant: Scenario, changed: Sequence[str] | None) -> np.ndarray:
        return self.year_totals(variant, changed)[:, : len(self.horizon)].sum(axis=1)


__all__ = [
    "DEFAULT_CAP_SWING",
    "FACTOR_KINDS",
    "SWING_QUANTILES",
    "Factor",
    "PairedRuns",
    "award_range",
    "award_swingable",
    "award_with_mean",
    "count_range",
    "factor_overlay",
    "scaled_uptake",
    "swung",
    "total_count_quantiles",
    "uncertain_factors",
]
