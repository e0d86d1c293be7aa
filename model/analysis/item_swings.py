"""How one grant item's assumptions are swung: its count, its award share, its cap and its
take-up, each as fields of a variant document.

An *uptake* swing multiplies an item's expected count by ``m`` (Poisson and negative
binomial means, a stock-flow path, a binomial's ``p``; a fixed count ``n`` becomes the
fixed ``n·m`` when that is a whole number, else the binomial ``(n·K, m/K)`` with
``K = ⌈m⌉``, whose mean is ``n·m``). An *award* swing moves the mean award share to ``m``
times its value by an increasing affine map of the share distribution that keeps it
inside its bounds (shares of a cap stay ≤ 1, multiples of a 不少于 floor stay ≥ 1). A
*cap* swing (a policy lever) multiplies the item's cap or fixed amount; a *take-up* swing
its take-up probability.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from model.core.schema import MAX_YUAN, PaymentKind
from model.policy.distributions import (
    BetaShare,
    BinomialCount,
    BridgeCount,
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

#: Percentiles of a count or award distribution that set its default swing.
SWING_QUANTILES = (0.10, 0.90)
#: Swing of a cap factor when none is given (±20%).
DEFAULT_CAP_SWING = 0.20
#: Swing of a take-up probability when none is given (±0.2, within 0 … 1).
DEFAULT_TAKEUP_SWING = 0.20


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
    if isinstance(uptake, BridgeCount):  # the years share their factors: one mixture
        total = uptake.total(len(item.admission_years), item.takeup)
        if isinstance(total, int):
            return 1.0, 1.0
        low, high = total.ppf(np.asarray(quantiles))
        return float(low) / total.mean(), float(high) / total.mean()
    dists = [uptake.frozen(i, item.takeup) for i in range(len(item.admission_years))]
    mean = sum(float(d) if isinstance(d, int) else float(d.mean()) for d in dists)
    if mean == 0:
        return 1.0, 1.0
    if all(isinstance(d, int) for d in dists):
        # a known number (three provincial laboratories): one recipient fewer or more
        return ((mean - 1) / mean, (mean + 1) / mean) if mean >= 2 else (1.0, 1.0)
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
    elif isinstance(spec, BridgeCount):
        data["base"] = times(spec.base, m)
    elif isinstance(spec, StockFlowCount):  # growth and exits are linear in the stock
        data["stock_start"], data["stock_target"] = spec.stock_start * m, spec.stock_target * m
    elif isinstance(spec, BinomialCount | FixedCount):
        pool, p = (spec.pool, spec.p) if isinstance(spec, BinomialCount) else (spec.value, 1.0)
        if m == 1.0:
            return data
        scaled = times(pool, m)
        whole = all(abs(v - round(v)) < 1e-9 for v in np.atleast_1d(scaled))
        if isinstance(spec, FixedCount) and whole:  # a known number stays a known number
            value = [round(v) for v in scaled] if isinstance(scaled, list) else round(scaled)
            return {"dist": "fixed", "value": value, "basis": data["basis"]}
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
        bracket = (centre - 30 * spec.sigma, min(centre + 30 * spec.sigma, math.log(MAX_YUAN)))
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


def takeup_range(item: ResolvedItem, swing: float = DEFAULT_TAKEUP_SWING) -> tuple[float, float]:
    """Take-up ±``swing`` (within 0 … 1), as multipliers of the item's take-up; (1, 1) for
    an item the scenario states no take-up for, or a take-up of 1 by the text (免申即享)."""
    assumed = item.assumptions.takeup
    if assumed is None or assumed.value in (0.0, 1.0):
        return 1.0, 1.0
    t = assumed.value
    return max(0.0, t - swing) / t, min(1.0, t + swing) / t


def item_overlay(item: ResolvedItem, kind: str, multiplier: float) -> dict:
    """The item fields (variant document) that set its ``kind`` to ``multiplier`` times
    the item's (uptake, award, cap or takeup)."""
    if kind == "uptake":
        return {"uptake": scaled_uptake(item, multiplier)}
    if kind == "award":
        spec = award_with_mean(item, multiplier * item.award.mean())
        data = spec.model_dump(mode="json", exclude={"rate", "cap_yuan"}, exclude_none=True)
        data["basis"] = f"sensitivity: mean award ×{multiplier:.6g} ({item.award.basis})"
        return {"award": data}
    if kind == "cap":
        return {"cap_yuan": item.reference_yuan * multiplier / item.amount_scale}
    if kind == "takeup":
        assumed = item.assumptions.takeup
        value = (assumed.value if assumed is not None else 1.0) * multiplier
        basis = assumed.basis if assumed is not None else "take-up 1"
        return {
            "takeup": {
                "value": min(max(value, 0.0), 1.0),
                "basis": f"sensitivity: take-up ×{multiplier:.6g} ({basis})",
            }
        }
    raise ValueError(f"unknown item factor kind {kind!r}")


__all__ = [
    "DEFAULT_CAP_SWING",
    "DEFAULT_TAKEUP_SWING",
    "SWING_QUANTILES",
    "award_range",
    "award_swingable",
    "award_with_mean",
    "count_range",
    "item_overlay",
    "scaled_uptake",
    "takeup_range",
    "total_count_quantiles",
]
