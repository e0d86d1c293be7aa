"""Which assumptions drive the city's cost: tornado, Sobol indices, convergence, stress
pins and goal seeking.

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
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from model.analytic import expected_city_cost
from model.compare import Comparison, compare, table_in_unit
from model.distributions import (
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
from model.engine import payment_years, simulate
from model.errors import InputError, Problem
from model.scenario import ResolvedItem, Scenario, apply_variant, check_draws
from model.schema import PaymentKind, Unit
from model.streams import BLOCK_DRAWS, check_seed, stream

#: Factor kinds: uncertain assumptions (uptake, award) and a policy lever (cap).
FACTOR_KINDS = ("uptake", "award", "cap")
#: Percentiles of a count or award distribution that set its default swing.
SWING_QUANTILES = (0.10, 0.90)
#: Swing of a cap factor when none is given (±20%).
DEFAULT_CAP_SWING = 0.20
#: Money columns of the sensitivity tables (converted for presentation).
MONEY = ("base_mean", "base_p95", "mean_low", "mean_high", "delta_mean_low",
         "delta_mean_high", "p95_low", "p95_high", "delta_p95_low", "delta_p95_high",
         "swing_mean", "swing_p95", "mean", "se_mean", "p95", "se_p95", "statistic_value",
         "budget")


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
        not item.line.fixed or payment is PaymentKind.FORMULA)


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
    data = spec.model_dump(mode="json", by_alias=True, exclude={"first_year"},
                           exclude_none=True)
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
            data = {**spec.model_dump(), "median_base_yuan": math.exp(log_median)}
            return FormulaLognormal.model_validate(data).mean()
        centre = math.log(spec.median_base_yuan)
        bracket = (centre - 30 * spec.sigma, centre + 30 * spec.sigma)
        target = min(max(target, mean_at(bracket[0])), mean_at(bracket[1]))
        root = optimize.brentq(lambda x: mean_at(x) - target, *bracket, xtol=1e-12)
        # validated anew, not model_copy: the spec caches its threshold
        return FormulaLognormal.model_validate({**spec.model_dump(),
                                                "median_base_yuan": math.exp(root)})
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
        return spec.model_copy(update={"low": f(spec.low), "mode": f(spec.mode),
                                       "high": f(spec.high)})
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
        items.setdefault(item_id, {}).update(factor_overlay(scenario, item_id, kind,
                                                            multiplier))
    return apply_variant(scenario, {"items": items}, label="sensitivity")


def uncertain_factors(scenario: Scenario, *, swing: float | None = None,
                      kinds: Sequence[str] = ("uptake", "award"),
                      items: Sequence[str] | None = None) -> list[Factor]:
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
    spec = scenario.spec.model_copy(update={"funds": {}, "conversion": None,
                                            "loan_compensation": None})
    return dataclasses.replace(scenario, spec=spec,
                               items={i: scenario.items[i] for i in item_ids})


def _ceilings(scenario: Scenario) -> bool:
    return bool(scenario.spec.ceilings) or any(
        item.assumptions.ceiling_yuan is not None for item in scenario.items.values())


class _Paired:
    """The base scenario's per-item expected and per-draw costs, for evaluating
    variants that change a few grant items on common random numbers.

    Item means are the closed-form expectations; rows without one (fund capital calls)
    take their simulated mean when there are draws, else stay NaN. Rows are the grant
    items followed by the funds and loans (:func:`model.expected_city_cost`'s order).
    """

    def __init__(self, scenario: Scenario, draws: int, seed: int):
        if _ceilings(scenario) and not draws:
            raise InputError([Problem(scenario.name, None, "draws", "with appropriation "
                                      "ceilings the expected cost needs a simulation")])
        self.scenario, self.draws, self.seed = scenario, draws, seed
        self.horizon = scenario.years
        self.years = payment_years(scenario)

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
            simulated = self.item_draws[:, :, :len(self.horizon)].sum(axis=2).mean(axis=0)
            means = means.fillna(pd.Series(simulated, index=self.ids))
        return means

    @property
    def base_mean(self) -> float:
        """Expected horizon total (yuan); NaN when a fund has no closed form and no draws."""
        if _ceilings(self.scenario):
            return float(self.horizon_totals(self.scenario, []).mean())
        return float(self.item_means.sum(skipna=False))

    def changed_means(self, variant: Scenario, changed: Sequence[str]) -> pd.Series:
        """Expected horizon cost of the changed grant items in ``variant`` (yuan)."""
        return expected_city_cost(_only(variant, changed))[self.horizon].sum(axis=1)

    def delta_mean(self, variant: Scenario, changed: Sequence[str],
                   changed_means: pd.Series | None = None) -> float:
        """Change of the expected horizon total from the base (yuan); exact, except with
        appropriation ceilings, where it is the change of the simulated mean."""
        if _ceilings(variant) or _ceilings(self.scenario):
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
        separable = not _ceilings(variant) and (
            variant.spec.climate is None or payment_years(sub) == self.years)
        if changed is None or not separable or payment_years(variant) != self.years:
            if not self.draws:
                raise ValueError("no draws: this evaluation needs a simulation")
            return simulate(variant, self.draws, seed=self.seed).city.sum(axis=1)
        base = self.item_draws
        keep = [k for k, i in enumerate(self.ids) if i not in changed]
        totals = base[:, keep, :].sum(axis=1)
        if changed:
            city = simulate(sub, self.draws, seed=self.seed).city.sum(axis=1)
            totals[:, :city.shape[1]] += city
        return totals

    def horizon_totals(self, variant: Scenario, changed: Sequence[str] | None) -> np.ndarray:
        return self.year_totals(variant, changed)[:, :len(self.horizon)].sum(axis=1)


# ------------------------------------------------------------------ tornado
@dataclass(frozen=True)
class Tornado:
    """The outcome of :func:`tornado`: one row per factor, biggest swing of the mean first.

    Table columns: multipliers ``low``/``high``; horizon-total mean and P95 at each end
    and their change from the base (``delta_*``, yuan); the swung item's expected cost
    relative to the base (``item_ratio_*``: the multiplier achieved after clipping);
    ``swing_mean`` and ``swing_p95``, the widths of the bars.
    """

    scenario_name: str
    base_mean: float
    base_p95: float
    draws: int
    seed: int
    swing: float | None
    table: pd.DataFrame

    @property
    def factors(self) -> list[Factor]:
        return [Factor(row.item, row.kind, row.low, row.high)
                for row in self.table.itertuples()]


def tornado(scenario: Scenario, *, swing: float | None = None,
            kinds: Sequence[str] = ("uptake", "award"), items: Sequence[str] | None = None,
            draws: int = 10_000, seed: int = 0) -> Tornado:
    """Swing each factor alone to its low and high end; effect on the horizon total.

    Parameters
    ----------
    scenario : Scenario
    swing : float, optional
        ±swing for every factor; by default each count and award swings between its
        P10 and P90 relative to its mean (caps ±20%).
    kinds : sequence of {"uptake", "award", "cap"}
    items : sequence of str, optional
        Only these items' factors (default: every item).
    draws : int
        Draws for the P95 effects (common random numbers); 0 skips them.
    seed : int

    Returns
    -------
    Tornado
        Means and P95s of the horizon total, in yuan. Changes of the mean are exact
        (closed-form expectations), except under appropriation ceilings, where they are
        paired simulated differences; the base mean takes the simulated mean of funds
        without a closed form (NaN with ``draws=0``).
    """
    seed = check_seed(seed)
    paired = _Paired(scenario, check_draws(draws, source="tornado") if draws else 0, seed)
    base_mean = paired.base_mean
    base_p95 = (float(np.percentile(paired.horizon_totals(scenario, []), 95))
                if draws else math.nan)
    rows = []
    for factor in uncertain_factors(scenario, swing=swing, kinds=kinds, items=items):
        item = scenario.items[factor.item]
        row = {"factor": factor.name, "item": factor.item, "kind": factor.kind,
               "article": item.line.article, "name_en": item.line.name_en,
               "low": factor.low, "high": factor.high}
        for side, multiplier in (("low", factor.low), ("high", factor.high)):
            variant = swung(scenario, {(factor.item, factor.kind): multiplier})
            item_mean = paired.changed_means(variant, [factor.item])
            delta = paired.delta_mean(variant, [factor.item], item_mean)
            row[f"mean_{side}"], row[f"delta_mean_{side}"] = base_mean + delta, delta
            base_item = paired.item_means[factor.item]
            row[f"item_ratio_{side}"] = (float(item_mean.sum()) / base_item if base_item
                                         else math.nan)
            if draws:
                p95 = float(np.percentile(paired.horizon_totals(variant, [factor.item]), 95))
                row[f"p95_{side}"], row[f"delta_p95_{side}"] = p95, p95 - base_p95
        rows.append(row)
    columns = ["factor", "item", "kind", "article", "name_en", "low", "high"] + [
        f"{stat}_{side}" for stat in ("mean", "delta_mean", "item_ratio", "p95", "delta_p95")
        for side in ("low", "high") if draws or "p95" not in stat]
    table = pd.DataFrame(rows, columns=columns)
    table["swing_mean"] = (table["delta_mean_high"] - table["delta_mean_low"]).abs()
    if draws:
        table["swing_p95"] = (table["delta_p95_high"] - table["delta_p95_low"]).abs()
    table = table.sort_values("swing_mean", ascending=False, kind="stable").set_index("factor")
    return Tornado(scenario.name, base_mean, base_p95, draws, seed, swing, table)


# ------------------------------------------------------------------ Sobol
def sobol_indices(problem: Mapping, model: Callable[[np.ndarray], np.ndarray | pd.DataFrame],
                  *, n: int, seed: int, num_resamples: int = 200) -> pd.DataFrame:
    """First-order and total Sobol indices of ``model`` over ``problem`` (SALib).

    Parameters
    ----------
    problem : mapping
        SALib problem: ``num_vars``, ``names``, ``bounds`` (uniform ranges), optional
        ``groups``.
    model : callable
        Maps the sample matrix (rows × num_vars) to outputs: an array (rows,) or
        (rows, outputs), or a DataFrame whose columns name the outputs.
    n : int
        Base sample size, a power of two; the model is run ``n·(groups + 2)`` times.
    seed : int
        Seeds the scrambled Sobol' sequence and the bootstrap of the intervals (two keyed
        streams; SALib's analysis ignores a seed of 0, so it is given a derived one).

    Returns
    -------
    pandas.DataFrame
        Index (output, factor): ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of
        95% bootstrap intervals).

    References
    ----------
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
    Computer Physics Communications 181(2), 259–270. doi:10.1016/j.cpc.2009.09.018
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    seed = check_seed(seed)
    if n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of two (Sobol' sequence balance), got {n}")
    problem = {**problem}
    sample = sobol_sample.sample(problem, n, calc_second_order=False,
                                 seed=stream(seed, "sobol", "sample"))
    outputs = model(sample)
    if not isinstance(outputs, pd.DataFrame):
        values = np.asarray(outputs, dtype=float)
        outputs = pd.DataFrame(values.reshape(len(sample), -1))
        if outputs.shape[1] == 1:
            outputs.columns = ["y"]
    analyze_seed = int(stream(seed, "sobol", "analyze").integers(1, 2**31))
    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    frames = []
    for output in outputs.columns:
        result = sobol_analyze.analyze(problem, outputs[output].to_numpy(dtype=float),
                                       calc_second_order=False, num_resamples=num_resamples,
                                       conf_level=0.95, seed=analyze_seed)
        frames.append(pd.DataFrame({key: np.asarray(result[key], dtype=float) for key in
                                    ("S1", "S1_conf", "ST", "ST_conf")},
                                   index=pd.MultiIndex.from_product(
                                       [[str(output)], names], names=["output", "factor"])))
    return pd.concat(frames)


@dataclass(frozen=True)
class SobolResult:
    """The outcome of :func:`sobol`: indices by (output, factor) and the factors' ranges."""

    scenario_name: str
    n: int
    seed: int
    factors: list[Factor]
    table: pd.DataFrame


def sobol(scenario: Scenario, *, n: int = 64, seed: int = 0,
          groups: str | Mapping[str, str] | None = None, factors: Sequence[Factor] | None = None,
          top: int = 6, swing: float | None = None, p95_draws: int = 0) -> SobolResult:
    """Sobol indices of the horizon total's expected value (and optionally its P95).

    Parameters
    ----------
    scenario : Scenario
    n : int
        SALib base sample size (a power of two).
    seed : int
    groups : {"item"} or mapping of factor name to group, optional
        Indices of groups of factors (``"item"``: an item's uptake and award together).
    factors : sequence of Factor, optional
        Factors and their multiplier ranges (uniform); by default the ``top`` factors of
        :func:`tornado` with ``swing``.
    p95_draws : int
        With draws, the simulated P95 of the horizon total (common random numbers) is a
        second output.

    Returns
    -------
    SobolResult
    """
    seed = check_seed(seed)
    if _ceilings(scenario) and not p95_draws:
        p95_draws = 2_000  # rationed (funded) means need a simulation
    if factors is None:
        factors = tornado(scenario, swing=swing, draws=p95_draws, seed=seed).factors[:top]
    factors = list(factors)
    if not factors:
        raise InputError([Problem(scenario.name, None, "sobol", "no uncertain factor to vary")])
    problem = {"num_vars": len(factors), "names": [f.name for f in factors],
               "bounds": [[f.low, f.high] for f in factors]}
    if isinstance(groups, str):
        if groups != "item":
            raise ValueError(f"groups must be 'item' or a mapping, got {groups!r}")
        problem["groups"] = [f.item for f in factors]
    elif groups is not None:
        problem["groups"] = [groups.get(f.name, f.name) for f in factors]
    paired = _Paired(scenario, p95_draws, seed)
    changed = list(dict.fromkeys(f.item for f in factors))

    def model(sample: np.ndarray) -> pd.DataFrame:
        rows = []
        for values in sample:
            variant = swung(scenario, {(f.item, f.kind): float(v)
                                       for f, v in zip(factors, values, strict=True)})
            # the change of the mean: a constant shift leaves the indices unchanged
            row = {"mean": paired.delta_mean(variant, changed)}
            if p95_draws:
                row["p95"] = float(np.percentile(paired.horizon_totals(variant, changed), 95))
            rows.append(row)
        return pd.DataFrame(rows)

    table = sobol_indices(problem, model, n=n, seed=seed)
    return SobolResult(scenario.name, n, seed, factors, table)


# ------------------------------------------------------------------ convergence
@dataclass(frozen=True)
class Convergence:
    """The outcome of :func:`convergence`.

    ``table`` has one row per check (the last decides); ``trace`` the running estimates
    at 30 prefixes up to ``draws_used``, for the chart.
    """

    scenario_name: str
    target_se: float
    seed: int
    draws_used: int
    converged: bool
    table: pd.DataFrame
    trace: pd.DataFrame


def convergence(scenario: Scenario, *, target_se: float, seed: int,
                max_draws: int = 1_000_000, min_draws: int = 2_048, step: int = 1_024,
                batches: int = 20) -> Convergence:
    """Add draws until the horizon total's mean and P95 are known to ``target_se``.

    Draws are added with :func:`model.simulate` ``start=`` (doubling what is held, then
    whole random-stream blocks) and checked at a growing schedule of prefixes: the first
    ``n`` draws of a longer run are the ``n`` draws of a shorter one, so earlier draws
    are reused unchanged. The standard
    error of the mean is ``sd/√n``; that of the P95 is estimated by batch means: the
    sd of the P95s of ``batches`` equal batches over √batches.

    Parameters
    ----------
    target_se : float
        Relative target: both standard errors below ``target_se`` × the estimate.
    seed : int
    max_draws, min_draws, step : int
        Stop at ``max_draws``; check first at ``min_draws``, then every ``step`` draws
        or 10% more, whichever adds more.
    batches : int

    Returns
    -------
    Convergence
        ``draws_used`` is the first checked ``n`` meeting the target (or ``max_draws``).
    """
    if not target_se > 0:
        raise InputError([Problem("convergence", None, "--target-se",
                                  f"must be positive, got {target_se}")])
    check_draws(max_draws, source="convergence")
    if batches < 2 or min(min_draws, max_draws) < 10 * batches:
        raise InputError([Problem("convergence", None, "draws", f"need at least "
                                  f"{10 * batches} draws for {batches} batches")])
    seed = check_seed(seed)
    n_h = len(scenario.years)
    parts: list[np.ndarray] = []
    held, n, rows = 0, min(min_draws, max_draws), []
    while True:
        while held < n:
            if held < BLOCK_DRAWS:  # double what is held, up to one block
                more = min(max(n - held, held), BLOCK_DRAWS - held)
            else:  # then whole blocks
                more = -(-(n - held) // BLOCK_DRAWS) * BLOCK_DRAWS
            more = min(more, max_draws - held)
            chunk = simulate(scenario, more, seed=seed, start=held)
            parts.append(chunk.city[:, :, :n_h].sum(axis=(1, 2)))
            held += chunk.draws
        values = np.concatenate(parts)[:n]
        row = _precision(values, batches)
        row["converged"] = (row["rel_se_mean"] <= target_se and row["rel_se_p95"] <= target_se)
        rows.append(row)
        if row["converged"] or n >= max_draws:
            break
        n = min(max_draws, max(n + step, -(-int(n * 1.1) // step) * step))
    table = pd.DataFrame(rows).set_index("draws")
    prefixes = np.unique(np.geomspace(min(10 * batches, n), n, 30).astype(int))
    trace = pd.DataFrame([_precision(values[:m], batches) for m in prefixes]).set_index("draws")
    return Convergence(scenario.name, target_se, seed, n, bool(rows[-1]["converged"]), table,
                       trace)


def _precision(values: np.ndarray, batches: int) -> dict[str, float]:
    """Mean and P95 of the draws with their standard errors (P95: by batch means)."""
    n = values.size
    mean, p95 = float(values.mean()), float(np.percentile(values, 95))
    se_mean = float(values.std(ddof=1) / math.sqrt(n))
    batch_p95 = np.percentile(values[: n // batches * batches].reshape(batches, -1), 95, axis=1)
    se_p95 = float(batch_p95.std(ddof=1) / math.sqrt(batches))
    return {"draws": n, "mean": mean, "se_mean": se_mean, "p95": p95, "se_p95": se_p95,
            "rel_se_mean": se_mean / abs(mean) if mean else 0.0,
            "rel_se_p95": se_p95 / abs(p95) if p95 else 0.0}


# ------------------------------------------------------------------ stress
def pin_uptake(scenario: Scenario, pins: Mapping[str, float] | Sequence[str], *,
               quantile: float = 0.95) -> Scenario:
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
        items[item_id] = {"uptake": {"dist": "fixed", "value": counts, "basis": basis},
                          "takeup": {"value": 1.0, "basis": "stress: the pinned count is "
                                     "after take-up"}}
    return apply_variant(scenario, {"name": f"{scenario.name}_stress",
                                    "title_en": f"{scenario.title_en}: uptake pinned high",
                                    "items": items}, label="stress")


def stress(scenario: Scenario, pins: Mapping[str, float] | Sequence[str], *, draws: int,
           seed: int, quantile: float = 0.95) -> Comparison:
    """The scenario with pinned uptake (:func:`pin_uptake`) beside the scenario itself,
    on common random numbers (:func:`model.compare.compare`)."""
    return compare(scenario, [pin_uptake(scenario, pins, quantile=quantile)], draws,
                   seed=seed)


# ------------------------------------------------------------------ goal seek
@dataclass(frozen=True)
class GoalSeek:
    """The outcome of :func:`goal_seek`.

    Attributes
    ----------
    parameter : str
        ``cap_scale``, ``<item>:cap_yuan`` (yuan, before ``cap_scale``) or
        ``<item>:count`` (multiplier of the expected count).
    value : float
        The largest value found with the statistic within budget (``lower`` when
        none is, with ``feasible`` false).
    statistic_value : float
        The statistic at ``value`` (yuan).
    at_upper : bool
        The budget holds even at the upper bound (the answer is the bound).
    history : pandas.DataFrame
        Every evaluation: parameter value and statistic.
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
        raise InputError([Problem("goalseek", None, "--parameter", f"{text!r}: use cap_scale, "
                                  "ITEM:cap or ITEM:count")])
    return ("item", item_id, field)


def _parameter_setter(scenario: Scenario, parameter: tuple):
    """(label, default upper bound, function value → (variant, changed items or None))."""
    if parameter == ("cap_scale",):
        return ("cap_scale", scenario.spec.cap_scale,
                lambda v: (apply_variant(scenario, {"cap_scale": v}, label="goalseek"), None))
    _, item_id, field = parameter
    if item_id not in scenario.items:
        raise InputError([Problem(scenario.name, item_id, "--parameter", "no such item")])
    item = scenario.items[item_id]
    if field == "cap_yuan":
        current = item.reference_yuan / scenario.spec.cap_scale
        return (f"{item_id}:cap_yuan", current, lambda v: (apply_variant(
            scenario, {"items": {item_id: {"cap_yuan": v}}}, label="goalseek"), [item_id]))
    return (f"{item_id}:count", 1.0, lambda v: (swung(scenario, {(item_id, "uptake"): v}),
                                                [item_id]))


def goal_seek(scenario: Scenario, *, budget_yuan: float, statistic: str = "p95",
              year: int | None = 2026, parameter: str | tuple = "cap_scale",
              draws: int = 4_000, seed: int = 0, lower: float | None = None,
              upper: float | None = None, xtol: float = 1e-4) -> GoalSeek:
    """The largest parameter value keeping a statistic of the city's cost within budget.

    Bisection on common random numbers: every evaluation uses the same draws, so the
    statistic moves only with the parameter.

    Parameters
    ----------
    budget_yuan : float
        The budget (yuan) the statistic must not exceed.
    statistic : {"p95", "mean"}
        Of the city's total in ``year`` (``None``: the horizon total), over the draws.
    year : int or None
    parameter : str or tuple
        ``"cap_scale"``; ``"ITEM:cap"`` (the item's cap in yuan, before ``cap_scale``);
        ``"ITEM:count"`` (multiplier of the item's expected count).
    draws, seed : int
    lower, upper : float, optional
        Search bounds; by default 0.1% of the current value (caps) or 0 (counts), and
        the current value.
    xtol : float
        Stop when the bracket is narrower than ``xtol × (upper − lower)``.

    Returns
    -------
    GoalSeek
    """
    check_draws(draws, source="goalseek")
    seed = check_seed(seed)
    if statistic not in ("p95", "mean"):
        raise InputError([Problem("goalseek", None, "--statistic", "use p95 or mean")])
    if year is not None and year not in payment_years(scenario):
        raise InputError([Problem("goalseek", None, "--year", f"{year} is not a year of "
                                  f"{scenario.name}")])
    label, current, at = _parameter_setter(scenario, parse_parameter(parameter))
    upper = current if upper is None else upper
    lower = (0.0 if label.endswith(":count") else 1e-3 * upper) if lower is None else lower
    if not 0 <= lower < upper:
        raise InputError([Problem("goalseek", None, label, f"need 0 ≤ lower < upper, got "
                                  f"{lower}, {upper}")])
    paired = _Paired(scenario, draws, seed)
    column = None if year is None else paired.years.index(year)
    history: list[dict] = []

    def evaluate(value: float) -> float:
        variant, changed = at(value)
        totals = paired.year_totals(variant, changed)
        values = totals[:, :len(scenario.years)].sum(axis=1) if column is None else (
            totals[:, column])
        result = float(np.percentile(values, 95) if statistic == "p95" else values.mean())
        history.append({"value": value, "statistic": result})
        return result

    lo, hi = lower, upper
    if evaluate(hi) <= budget_yuan:
        value, feasible = hi, True
    elif evaluate(lo) > budget_yuan:
        value, feasible = lo, False
    else:
        while hi - lo > xtol * (upper - lower):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if evaluate(mid) <= budget_yuan else (lo, mid)
        value, feasible = lo, True
    statistic_value = [h["statistic"] for h in history if h["value"] == value][-1]
    from model.tables import summarize

    variant, _ = at(value)
    summary = summarize(simulate(variant, draws, seed=seed), variant).tables["summary_by_year"]
    return GoalSeek(scenario.name, label, statistic, year, budget_yuan, value, statistic_value,
                    feasible, value == upper and feasible, lower, upper, draws, seed,
                    pd.DataFrame(history).rename_axis("evaluation"), summary)


# ------------------------------------------------------------------ charts
def tornado_chart(result: Tornado, unit: Unit = Unit.WAN, top: int = 20):
    """Sorted bars of the change in the horizon total's mean (and P95) at each end."""
    import matplotlib.pyplot as plt

    from model.plots import UNIT_NAMES

    table = result.table.head(top).iloc[::-1]
    panels = [("mean", result.base_mean)] + ([("p95", result.base_p95)] if result.draws else [])
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    figure, axes = plt.subplots(1, len(panels), figsize=(5 + 4 * len(panels),
                                                         0.32 * len(table) + 1.8),
                                layout="constrained", squeeze=False, sharey=True)
    labels = [f"{row.item} ({row.kind} ×{row.low:.2f}–{row.high:.2f})"
              for row in table.itertuples()]
    y = np.arange(len(table))
    for axis, (stat, base) in zip(axes[0], panels, strict=True):
        for side, colour in (("low", "tab:blue"), ("high", "tab:orange")):
            axis.barh(y, table[f"delta_{stat}_{side}"] / unit.divisor, color=colour,
                      label=f"factor at its {side} end")
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(f"horizon total {stat.upper() if stat == 'p95' else stat}: "
                       f"base {base / unit.divisor:,.0f}", fontsize="medium")
        axis.set_xlabel(f"change ({UNIT_NAMES[unit]})")
        axis.xaxis.set_major_locator(MaxNLocator(5))
        axis.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, labels, fontsize="small")
    axes[0][0].legend(fontsize="small", loc="lower right")
    figure.suptitle(f"{result.scenario_name}: one factor at a time")
    return figure


def sobol_chart(result: SobolResult):
    """First-order and total Sobol indices with 95% intervals, per output."""
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(result.table.index.get_level_values("output")))
    figure, axes = plt.subplots(1, len(outputs), figsize=(6 * len(outputs), 4.5),
                                layout="constrained", squeeze=False)
    for k, (axis, output) in enumerate(zip(axes[0], outputs, strict=True)):
        rows = result.table.loc[output].iloc[::-1]
        y = np.arange(len(rows))
        axis.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1")
        axis.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total ST")
        axis.set_yticks(y, rows.index if k == 0 else [""] * len(y), fontsize="small")
        axis.set_xlim(0, 1.05)
        axis.set_title(f"horizon total: {output}")
        axis.grid(alpha=0.3, axis="x")
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{result.scenario_name}: Sobol indices (n = {result.n})")
    return figure


def convergence_chart(result: Convergence, unit: Unit = Unit.WAN):
    """Running mean and P95 of the horizon total with 95% bands, against draws."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, StrMethodFormatter

    from model.plots import UNIT_NAMES

    table = result.trace
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    draws = table.index.to_numpy()
    for axis, stat in zip(axes, ("mean", "p95"), strict=True):
        value = table[stat] / unit.divisor
        band = 1.96 * table[f"se_{stat}"] / unit.divisor
        axis.fill_between(draws, value - band, value + band, alpha=0.25, label="95% band")
        axis.plot(draws, value, marker=".", label=stat)
        axis.axvline(result.draws_used, color="grey", linestyle=":", linewidth=1)
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.set_xlabel("draws")
        axis.set_ylabel(f"horizon total {stat} ({UNIT_NAMES[unit]})")
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    state = "reached" if result.converged else "not reached"
    figure.suptitle(f"{result.scenario_name}: target relative SE {result.target_se:g} "
                    f"{state} at {result.draws_used:,} draws")
    return figure


# ------------------------------------------------------------------ command line
def _manifest(scenario: Scenario, command: str, **fields) -> dict:
    from model.batch import package_version

    return {"tool": "fiscalsim", "command": command, "version": package_version(),
            "scenario": scenario.name, "scenario_files": list(scenario.files),
            "scenario_sha256": scenario.digest(), "block_draws": BLOCK_DRAWS, **fields}


def _write(out_dir: Path, tables: dict[str, pd.DataFrame], figures: dict, manifest: dict,
           unit: Unit) -> list[str]:
    """Write tables (already in ``unit``), charts and a manifest atomically."""
    from model.output import MANIFEST, atomic_directory, sha256_of, write_csv, write_json
    from model.plots import save_figure

    with atomic_directory(out_dir) as staging:
        for name, table in tables.items():
            write_csv(table, staging / f"{name}.csv")
        for name, figure in figures.items():
            save_figure(figure, staging / f"{name}.png")
        files = {path.name: sha256_of(path) for path in sorted(staging.iterdir())}
        write_json({**manifest, "unit": unit.value, "files_sha256": files}, staging / MANIFEST)
    return sorted(files)


def add_sensitivity_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim sensitivity SCENARIO --method tornado|sobol|convergence``."""
    from model import cli

    parser = subparsers.add_parser("sensitivity", help="which assumptions drive the cost: "
                                   "tornado, Sobol indices, Monte Carlo convergence")
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--method", choices=["tornado", "sobol", "convergence"],
                        default="tornado", help="analysis (default tornado)")
    parser.add_argument("--draws", type=cli._draws, default=None,
                        help="tornado: draws for the P95 effects (default 10,000); sobol: "
                             "draws for a simulated-P95 output (default none); convergence: "
                             "the most draws to use (default 1,000,000)")
    parser.add_argument("--seed", type=cli._seed, default=cli.DEFAULT_SEED,
                        help=f"root seed (default {cli.DEFAULT_SEED})")
    parser.add_argument("--unit", type=Unit, choices=list(Unit), default=Unit.WAN,
                        help="presentation unit: yuan, wan (万元, default) or yi (亿元)")
    parser.add_argument("--out", type=Path,
                        help="output folder (default outputs/sensitivity_<scenario>/)")
    parser.add_argument("--swing", type=float, help="swing every factor ±SWING (e.g. 0.2); "
                        "default: counts and awards between their P10 and P90")
    parser.add_argument("--sobol-n", type=int, default=64,
                        help="Sobol base sample size, a power of two (default 64)")
    parser.add_argument("--top", type=int, default=6,
                        help="Sobol: the top factors of the tornado to vary (default 6)")
    parser.add_argument("--target-se", type=float, metavar="REL",
                        help="also run (or, with --method convergence, set) the convergence "
                             "check to this relative standard error (default 0.002)")
    return parser


def run_sensitivity(args: argparse.Namespace) -> int:
    """Run ``fiscalsim sensitivity``: print the headline and write tables and charts."""
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.swing is not None and not 0 < args.swing < 1:
        raise InputError([Problem("sensitivity", None, "--swing", "must be between 0 and 1")])
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Any] = {}
    lines: list[str] = []
    manifest = _manifest(scenario, "sensitivity", seed=args.seed, method=args.method,
                         swing=args.swing)
    unit = args.unit
    if args.method == "tornado":
        ranked = tornado(scenario, swing=args.swing, draws=args.draws or 10_000, seed=args.seed)
        tables["tornado"], figures["tornado"] = ranked.table, tornado_chart(ranked, unit)
        manifest["draws"] = ranked.draws
        lines.append(f"{scenario.name}: base horizon total mean "
                     f"{ranked.base_mean / unit.divisor:,.1f} {unit.label_zh}; top factors:")
        for name, row in ranked.table.head(10).iterrows():
            lines.append(f"  {name:<55} ×{row['low']:.2f}–{row['high']:.2f}: "
                         f"{row['delta_mean_low'] / unit.divisor:+,.1f} / "
                         f"{row['delta_mean_high'] / unit.divisor:+,.1f}")
    elif args.method == "sobol":
        try:
            indices = sobol(scenario, n=args.sobol_n, seed=args.seed, top=args.top,
                            swing=args.swing, p95_draws=args.draws or 0)
        except ValueError as error:
            raise InputError([Problem("sensitivity", None, "--sobol-n", str(error))]) from None
        tables["sobol"], figures["sobol"] = indices.table, sobol_chart(indices)
        manifest.update(sobol_n=indices.n, p95_draws=args.draws or 0)
        lines.append(indices.table.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.method == "convergence" or args.target_se is not None:
        target = args.target_se if args.target_se is not None else 0.002
        max_draws = args.draws if args.method == "convergence" and args.draws else 1_000_000
        checked = convergence(scenario, target_se=target, seed=args.seed, max_draws=max_draws)
        tables["convergence"] = checked.table
        figures["convergence"] = convergence_chart(checked, unit)
        manifest.update(target_se=target, convergence_draws=checked.draws_used)
        last = checked.table.iloc[-1]
        lines.append(f"convergence to relative SE {target:g}: "
                     f"{'reached' if checked.converged else 'NOT reached'} at "
                     f"{checked.draws_used:,} draws (mean ±{last['rel_se_mean']:.2%}, "
                     f"P95 ±{last['rel_se_p95']:.2%})")
    out_dir = args.out or default_output_dir(f"sensitivity_{scenario.name}")
    tables = {name: table_in_unit(table, unit, MONEY) for name, table in tables.items()}
    files = _write(Path(out_dir), tables, figures, manifest, unit)
    print("\n".join(lines))
    print(f"\nwrote {len(files) + 1} files to {out_dir}")
    return 0


def add_goal_seek_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim goalseek SCENARIO --year Y --budget B``."""
    from model import cli

    parser = subparsers.add_parser("goalseek", help="the largest cap scale, cap or count "
                                   "keeping a year's P95 (or mean) cost within a budget")
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--year", default="2026",
                        help="the year whose cost is budgeted, or 'total' for the horizon")
    parser.add_argument("--budget", type=float, required=True, help="budget, in --unit")
    parser.add_argument("--statistic", choices=["p95", "mean"], default="p95")
    parser.add_argument("--parameter", default="cap_scale",
                        help="cap_scale (default), ITEM:cap (yuan) or ITEM:count (multiplier)")
    parser.add_argument("--upper", type=float, help="upper bound of the search (default: "
                        "the scenario's current value)")
    parser.add_argument("--draws", type=cli._draws, default=4_000,
                        help="draws per evaluation (default 4,000)")
    parser.add_argument("--seed", type=cli._seed, default=cli.DEFAULT_SEED)
    parser.add_argument("--unit", type=Unit, choices=list(Unit), default=Unit.WAN)
    parser.add_argument("--out", type=Path,
                        help="output folder (default outputs/goalseek_<scenario>/)")
    return parser


def run_goal_seek(args: argparse.Namespace) -> int:
    """Run ``fiscalsim goalseek``; exit status 1 when no value meets the budget."""
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.year == "total":
        year = None
    elif args.year.isdigit():
        year = int(args.year)
    else:
        raise InputError([Problem("goalseek", None, "--year", f"{args.year!r}: a year or total")])
    unit = args.unit
    result = goal_seek(scenario, budget_yuan=args.budget * unit.divisor,
                       statistic=args.statistic, year=year, parameter=args.parameter,
                       draws=args.draws, seed=args.seed, upper=args.upper)
    answer = pd.DataFrame([{
        "parameter": result.parameter, "value": result.value, "statistic": result.statistic,
        "year": "total" if year is None else year, "budget": result.budget_yuan,
        "statistic_value": result.statistic_value, "feasible": result.feasible,
        "at_upper": result.at_upper, "lower": result.lower, "upper": result.upper,
        "draws": result.draws, "seed": result.seed}]).set_index("parameter")
    history = result.history.rename(columns={"statistic": "statistic_value"})
    out_dir = args.out or default_output_dir(f"goalseek_{scenario.name}")
    manifest = _manifest(scenario, "goalseek", seed=args.seed, draws=args.draws)
    from model.tables import in_unit

    files = _write(Path(out_dir), {"goal_seek": table_in_unit(answer, unit, MONEY),
                                   "goal_seek_history": table_in_unit(history, unit, MONEY),
                                   "goal_seek_summary": in_unit(result.summary, unit)},
                   {}, manifest, unit)
    where = "the horizon total" if year is None else str(year)
    state = ("the budget holds at the upper bound" if result.at_upper else
             "no value in range meets the budget" if not result.feasible else "found")
    print(f"{scenario.name}: {result.parameter} = {result.value:.6g} ({state}); "
          f"{result.statistic} of {where}: {result.statistic_value / unit.divisor:,.1f} vs "
          f"budget {args.budget:,.1f} {unit.label_zh}")
    print(f"\nwrote {len(files) + 1} files to {out_dir}")
    return 0 if result.feasible else 1


__all__ = [
    "FACTOR_KINDS", "Convergence", "Factor", "GoalSeek", "SobolResult", "Tornado",
    "add_goal_seek_parser", "add_sensitivity_parser", "award_range", "award_swingable",
    "award_with_mean", "convergence", "convergence_chart", "count_range", "factor_overlay",
    "goal_seek", "parse_parameter", "pin_uptake", "run_goal_seek", "run_sensitivity",
    "scaled_uptake", "sobol", "sobol_chart", "sobol_indices", "stress", "swung", "tornado",
    "tornado_chart", "uncertain_factors",
]
