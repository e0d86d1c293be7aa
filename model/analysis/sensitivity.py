"""Which assumptions drive the city's cost: the tornado (one factor at a time) and Sobol
indices, their charts, and the ``fiscalsim sensitivity`` command.

The factors and how they are swung are in :mod:`model.analysis.factors`; the Monte Carlo
convergence check (``--method convergence``, ``--target-se``) is in
:mod:`model.analysis.convergence`; stress pins and goal seeking are in
:mod:`model.analysis.goalseek`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.factors import Factor, PairedRuns, swung, uncertain_factors
from model.core.errors import InputError, Problem
from model.core.streams import check_draws, check_seed, stream
from model.policy.scenario import Scenario


# ------------------------------------------------------------------ tornado
@dataclass(frozen=True)
class Tornado:
    """The outcome of :func:`tornado`: one row per factor, biggest swing of the mean first.

    Table columns: multipliers ``low``/``high``; horizon-total mean and P95 at each end
    and their change from the base (``delta_*``), in ``*_yuan`` columns; the swung item's
    expected cost relative to the base (``item_ratio_*``: the multiplier achieved after
    clipping); ``swing_mean_yuan`` and ``swing_p95_yuan``, the widths of the bars.
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
        """The factors, biggest swing of the mean first."""
        return [Factor(row.item, row.kind, row.low, row.high) for row in self.table.itertuples()]


def tornado(
    scenario: Scenario,
    *,
    swing: float | None = None,
    kinds: Sequence[str] = ("uptake", "award"),
    items: Sequence[str] | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> Tornado:
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
    paired = PairedRuns(scenario, check_draws(draws, source="tornado") if draws else 0, seed)
    base_mean = paired.base_mean
    base_p95 = float(np.percentile(paired.horizon_totals(scenario, []), 95)) if draws else math.nan
    rows = []
    for factor in uncertain_factors(scenario, swing=swing, kinds=kinds, items=items):
        item = scenario.items[factor.item]
        row = {
            "factor": factor.name,
            "item": factor.item,
            "kind": factor.kind,
            "article": item.line.article,
            "name_en": item.line.name_en,
            "low": factor.low,
            "high": factor.high,
        }
        for side, multiplier in (("low", factor.low), ("high", factor.high)):
            variant = swung(scenario, {(factor.item, factor.kind): multiplier})
            item_mean = paired.changed_means(variant, [factor.item])
            delta = paired.delta_mean(variant, [factor.item], item_mean)
            row[f"mean_{side}_yuan"], row[f"delta_mean_{side}_yuan"] = base_mean + delta, delta
            base_item = paired.item_means[factor.item]
            row[f"item_ratio_{side}"] = (
                float(item_mean.sum()) / base_item if base_item else math.nan
            )
            if draws:
                p95 = float(np.percentile(paired.horizon_totals(variant, [factor.item]), 95))
                row[f"p95_{side}_yuan"], row[f"delta_p95_{side}_yuan"] = p95, p95 - base_p95
        rows.append(row)
    columns = ["factor", "item", "kind", "article", "name_en", "low", "high"] + [
        f"{stat}_{side}{'' if stat == 'item_ratio' else '_yuan'}"
        for stat in ("mean", "delta_mean", "item_ratio", "p95", "delta_p95")
        for side in ("low", "high")
        if draws or "p95" not in stat
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["swing_mean_yuan"] = (table["delta_mean_high_yuan"] - table["delta_mean_low_yuan"]).abs()
    if draws:
        table["swing_p95_yuan"] = (table["delta_p95_high_yuan"] - table["delta_p95_low_yuan"]).abs()
    table = table.sort_values("swing_mean_yuan", ascending=False, kind="stable")
    table = table.set_index("factor")
    return Tornado(scenario.name, base_mean, base_p95, draws, seed, swing, table)


# ------------------------------------------------------------------ Sobol
def sobol_indices(
    problem: Mapping,
    model: Callable[[np.ndarray], np.ndarray | pd.DataFrame],
    *,
    n: int,
    seed: int,
    num_resamples: int = 200,
) -> pd.DataFrame:
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
    sample = sobol_sample.sample(
        problem, n, calc_second_order=False, seed=stream(seed, "sobol", "sample")
    )
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
        result = sobol_analyze.analyze(
            problem,
            outputs[output].to_numpy(dtype=float),
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=0.95,
            seed=analyze_seed,
        )
        frames.append(
            pd.DataFrame(
                {
                    key: np.asarray(result[key], dtype=float)
                    for key in ("S1", "S1_conf", "ST", "ST_conf")
                },
                index=pd.MultiIndex.from_product(
                    [[str(output)], names], names=["output", "factor"]
                ),
            )
        )
    return pd.concat(frames)


@dataclass(frozen=True)
class SobolResult:
    """The outcome of :func:`sobol`: indices by (output, factor) and the factors' ranges."""

    scenario_name: str
    n: int
    seed: int
    factors: list[Factor]
    table: pd.DataFrame


def sobol(
    scenario: Scenario,
    *,
    n: int = 64,
    seed: int = 0,
    groups: str | Mapping[str, str] | None = None,
    factors: Sequence[Factor] | None = None,
    top: int = 6,
    swing: float | None = None,
    p95_draws: int = 0,
) -> SobolResult:
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
    if scenario.has_ceilings and not p95_draws:
        p95_draws = 2_000  # rationed (funded) means need a simulation
    if factors is None:
        factors = tornado(scenario, swing=swing, draws=p95_draws, seed=seed).factors[:top]
    factors = list(factors)
    if not factors:
        raise InputError([Problem(scenario.name, None, "sobol", "no uncertain factor to vary")])
    problem = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if isinstance(groups, str):
        if groups != "item":
            raise ValueError(f"groups must be 'item' or a mapping, got {groups!r}")
        problem["groups"] = [f.item for f in factors]
    elif groups is not None:
        problem["groups"] = [groups.get(f.name, f.name) for f in factors]
    paired = PairedRuns(scenario, p95_draws, seed)
    changed = list(dict.fromkeys(f.item for f in factors))

    def model(sample: np.ndarray) -> pd.DataFrame:
        rows = []
        for values in sample:
            variant = swung(
                scenario, {(f.item, f.kind): float(v) for f, v in zip(factors, values, strict=True)}
            )
            # the change of the mean: a constant shift leaves the indices unchanged
            row = {"mean": paired.delta_mean(variant, changed)}
            if p95_draws:
                row["p95"] = float(np.percentile(paired.horizon_totals(variant, changed), 95))
            rows.append(row)
        return pd.DataFrame(rows)

    table = sobol_indices(problem, model, n=n, seed=seed)
    return SobolResult(scenario.name, n, seed, factors, table)


__all__ = ["SobolResult", "Tornado", "sobol", "sobol_indices", "tornado"]
