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

from model.analysis.factor_effects import factor_effect, factor_variant
from model.analysis.factors import (
    DEFAULT_KINDS,
    Factor,
    base_value,
    swung,
    uncertain_factors,
)
from model.analysis.paired import PairedRuns, changed_rows
from model.core.errors import InputError, Problem
from model.core.streams import check_draws, check_seed, stream
from model.policy.scenario import Scenario


# ------------------------------------------------------------------ tornado
@dataclass(frozen=True)
class Tornado:
    """The outcome of :func:`tornado`: one row per factor, biggest swing first (of the
    statistic ``rank`` names).

    Table columns: the factor's ends ``low``/``high`` (multipliers or shifts; empty for a
    discrete factor) and ``low_level``/``high_level`` (as text: ``×0.80``, a year, a
    reading id — for a discrete factor its lowest- and highest-cost levels); the
    horizon-total mean and P95 at each end and their change from the base (``delta_*``),
    in ``*_yuan`` columns; the change of the mean *net* of the city's fund distributions
    in the horizon (``delta_net_mean_*``: what fund returns move); an item factor's
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
    factor_list: tuple[Factor, ...] = ()
    rank: str = "mean"

    @property
    def factors(self) -> list[Factor]:
        """The factors, biggest swing first."""
        return list(self.factor_list)


def _label(factor: Factor, value) -> str:
    """A factor's value as the tornado shows it (never starting with a sign, which a
    spreadsheet would read as a formula)."""
    if factor.kind == "exit_lag":
        shift = round(float(value))
        return (
            "as assumed"
            if shift == 0
            else f"exits {abs(shift)} y {'earlier' if shift < 0 else 'later'}"
        )
    if factor.discrete:
        return str(value)
    return f"×{float(value):.2f}"


def _describe(scenario: Scenario, factor: Factor) -> tuple[int | None, str]:
    """The article and English name of what a factor swings."""
    if factor.item in scenario.items:
        line = scenario.items[factor.item].line
        return line.article, line.name_en
    if factor.item in scenario.catalog.by_id:
        line = scenario.catalog.by_id[factor.item]
        return line.article, line.name_en
    if factor.item in scenario.catalog.clauses:
        clause = scenario.catalog.clauses[factor.item]
        return clause.article, clause.question_en
    return None, "last admission year (the draft states no 有效期)"


def tornado(
    scenario: Scenario,
    *,
    swing: float | None = None,
    kinds: Sequence[str] = DEFAULT_KINDS,
    items: Sequence[str] | None = None,
    draws: int = 10_000,
    seed: int = 0,
    rank: str = "mean",
    workers: int = 1,
) -> Tornado:
    """Swing each factor alone to its low and high end; effect on the horizon total.

    Parameters
    ----------
    scenario : Scenario
    swing : float, optional
        ±swing for every continuous multiplier; by default each count and award swings
        between its P10 and P90 relative to its mean, and the others as
        :func:`~model.analysis.factors.uncertain_factors` says.
    kinds : sequence of str
        The kinds of factor (:data:`~model.analysis.factors.FACTOR_KINDS`): grant items'
        ``uptake``, ``award``, ``cap``, ``takeup``; the admission ``window``; clause
        ``reading``; funds' ``write_off``, ``multiple``, ``exit_lag``.
    items : sequence of str, optional
        Only these ids' factors (default: every one).
    draws : int
        Draws for the P95 and net effects (common random numbers); 0 skips them (and then
        a fund factor's change of the mean, which has no closed form, is NaN).
    seed : int
    workers : int
        Processes simulating at once (:mod:`model.sim.parallel`); the table is the same
        bytes for any number.
    rank : {"mean", "p95", "net"}
        The swing the factors are ranked by: of the mean, of the P95, or of the mean net
        of the city's fund distributions in the horizon (what fund returns move).

    Returns
    -------
    Tornado
        Means and P95s of the horizon total, in yuan. Changes of the mean are exact
        (closed-form expectations) where the factor changes grant items only, else paired
        simulated differences. A discrete factor is evaluated at every level; its bar
        runs from its lowest-cost to its highest-cost level.
    """
    seed = check_seed(seed)
    with PairedRuns(
        scenario, check_draws(draws, source="tornado") if draws else 0, seed, workers=workers
    ) as paired:
        return _tornado(paired, swing, kinds, items, draws, rank)


def _tornado(paired: PairedRuns, swing, kinds, items, draws: int, rank: str) -> Tornado:
    """:func:`tornado` on its paired runs: every variant's simulation in one batch over
    the workers, evaluated in order."""
    scenario, seed = paired.scenario, paired.seed
    base_mean = paired.base_mean
    n_h = len(scenario.years)
    base_p95 = base_net = math.nan
    if draws:
        cost, flows = paired.outputs(scenario)
        base_p95 = float(np.percentile(cost[:, :n_h].sum(axis=1), 95))
        base_net = float((cost - flows)[:, :n_h].sum(axis=1).mean())
    plans = []
    for factor in uncertain_factors(scenario, swing=swing, kinds=kinds, items=items):
        base = base_value(scenario, factor)
        candidates = (
            [v for v in factor.levels if v != base]
            if factor.discrete
            else [factor.low, factor.high]
        )
        values = ([base] if factor.discrete else []) + candidates
        plans.append((factor, [factor_variant(scenario, factor, value) for value in values]))
    pairs = [(v.scenario, v.changed) for _, variants in plans for v in variants if not v.same]
    simulated = paired.outputs_many(pairs) if draws else iter(())
    rows, factors = [], []
    for factor, variants in plans:
        evaluated = {
            v.value: factor_effect(
                paired,
                factor,
                v,
                next(simulated) if draws and not v.same else None,
                base_p95,
                base_net,
            )
            for v in variants
        }
        if factor.discrete:
            cheapest = sorted(evaluated, key=lambda v: evaluated[v]["delta_mean"])
            ends = {"low": cheapest[0], "high": cheapest[-1]}
        else:
            ends = {"low": factor.low, "high": factor.high}
        article, name_en = _describe(scenario, factor)
        row: dict = {
            "factor": factor.name,
            "item": factor.item,
            "kind": factor.kind,
            "article": article,
            "name_en": name_en,
            "low": math.nan if factor.discrete else factor.low,
            "high": math.nan if factor.discrete else factor.high,
        }
        for side, value in ends.items():
            effect = evaluated[value]
            row[f"{side}_level"] = _label(factor, value)
            row[f"mean_{side}_yuan"] = base_mean + effect["delta_mean"]
            row[f"delta_mean_{side}_yuan"] = effect["delta_mean"]
            row[f"item_ratio_{side}"] = effect.get("item_ratio", math.nan)
            if draws:
                row[f"p95_{side}_yuan"] = effect["p95"]
                row[f"delta_p95_{side}_yuan"] = effect["p95"] - base_p95
                row[f"delta_net_mean_{side}_yuan"] = effect["net"] - base_net
        rows.append(row)
        factors.append(factor)
    columns = [
        "factor",
        "item",
        "kind",
        "article",
        "name_en",
        "low",
        "high",
        "low_level",
        "high_level",
    ] + [
        f"{stat}_{side}{'' if stat == 'item_ratio' else '_yuan'}"
        for stat in ("mean", "delta_mean", "item_ratio", "p95", "delta_p95", "delta_net_mean")
        for side in ("low", "high")
        if draws or stat not in ("p95", "delta_p95", "delta_net_mean")
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["swing_mean_yuan"] = (table["delta_mean_high_yuan"] - table["delta_mean_low_yuan"]).abs()
    if draws:
        table["swing_p95_yuan"] = (table["delta_p95_high_yuan"] - table["delta_p95_low_yuan"]).abs()
        table["swing_net_mean_yuan"] = (
            table["delta_net_mean_high_yuan"] - table["delta_net_mean_low_yuan"]
        ).abs()
    key = f"swing_{rank}_yuan" if rank != "net" else "swing_net_mean_yuan"
    if key not in table:
        raise ValueError(f"cannot rank by {rank!r} without draws; rank by 'mean'")
    order = np.argsort(-table[key].fillna(-1.0).to_numpy(), kind="stable")
    table = table.iloc[order].set_index("factor")
    ranked = tuple(factors[i] for i in order)
    return Tornado(scenario.name, base_mean, base_p95, draws, seed, swing, table, ranked, rank)


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
    return analyze_sobol(problem, outputs, seed=analyze_seed, num_resamples=num_resamples)


def analyze_sobol(
    problem: Mapping, outputs: pd.DataFrame, *, seed: int, num_resamples: int
) -> pd.DataFrame:
    """SALib's first-order and total indices of each column of ``outputs``, the model's
    values on a Sobol' sample of ``problem`` (rows in the sample's order).

    ``seed`` seeds the bootstrap of the 95% intervals (not 0, which SALib ignores).
    Returns the table :func:`sobol_indices` describes.
    """
    from SALib.analyze import sobol as sobol_analyze

    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    frames = []
    for output in outputs.columns:
        result = sobol_analyze.analyze(
            problem,
            outputs[output].to_numpy(dtype=float),
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=0.95,
            seed=seed,
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


#: Half-width of a first-order index's 95% interval at which it counts as resolved.
RESOLUTION = 0.1
#: Default Sobol base sample (a power of two) and draws per evaluation: affordable on two
#: cores; the result says which indices this leaves unresolved and the n that would not.
DEFAULT_SOBOL_N = 64
DEFAULT_SOBOL_DRAWS = 500
#: Factors Sobol varies by default: the top of the tornado by the swing of the P95.
DEFAULT_TOP = 6


@dataclass(frozen=True)
class SobolResult:
    """The outcome of :func:`sobol`: indices by (output, factor) and the factors varied.

    ``table`` has ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of 95% bootstrap
    intervals), ``resolved`` (``S1_conf`` ≤ :data:`RESOLUTION`) and ``n_needed``: the base
    sample at which the interval would be that narrow (intervals shrink as 1/√n).
    """

    scenario_name: str
    n: int
    seed: int
    draws: int
    factors: list[Factor]
    table: pd.DataFrame

    @property
    def unresolved(self) -> pd.DataFrame:
        """The indices whose first-order interval is wider than ±:data:`RESOLUTION`."""
        return self.table[~self.table["resolved"]]

    @property
    def n_needed(self) -> int:
        """The smallest base sample (a power of two) resolving every first-order index."""
        return int(self.table["n_needed"].max())


def needed_sample(n: int, half_width: float, target: float = RESOLUTION) -> int:
    """The power-of-two base sample at which a bootstrap half-width ``half_width`` seen at
    ``n`` would shrink to ``target`` (intervals shrink as 1/√n)."""
    if not np.isfinite(half_width) or half_width <= target:
        return n
    wanted = n * (half_width / target) ** 2
    return int(2 ** math.ceil(math.log2(wanted)))


def sobol(
    scenario: Scenario,
    *,
    n: int = DEFAULT_SOBOL_N,
    seed: int = 0,
    groups: str | Mapping[str, str] | None = None,
    factors: Sequence[Factor] | None = None,
    top: int = DEFAULT_TOP,
    swing: float | None = None,
    draws: int = DEFAULT_SOBOL_DRAWS,
    workers: int = 1,
) -> SobolResult:
    """Sobol indices of the simulated mean and P95 of the horizon total.

    Every evaluation is the scenario with the sampled factors applied, simulated on
    ``draws`` common random numbers (only the rows the factors change are re-simulated);
    its mean and P95 are the outputs. Discrete factors (readings, the last admission
    year, fund exit timing) take each of their levels with equal probability.

    Parameters
    ----------
    scenario : Scenario
    n : int
        SALib base sample size (a power of two); the scenario is evaluated ``n·(k + 2)``
        times for ``k`` factors (groups).
    seed : int
    groups : {"item"} or mapping of factor name to group, optional
        Indices of groups of factors (``"item"``: an item's factors together).
    factors : sequence of Factor, optional
        The factors; by default the ``top`` factors of :func:`tornado` (with ``swing``)
        ranked by the swing of the P95.
    draws : int
        Draws per evaluation; 0 uses the closed-form mean alone (grant-item factors only).
    workers : int
        Processes simulating the evaluations at once; the indices are the same bytes
        for any number.

    Returns
    -------
    SobolResult
        With, for every index, whether its first-order interval is within ±0.1 and the
        base sample that would make it so.
    """
    seed = check_seed(seed)
    if scenario.has_ceilings and not draws:
        draws = 2_000  # rationed (funded) means need a simulation
    if factors is None:
        ranked = tornado(
            scenario, swing=swing, draws=max(draws, 1_000), seed=seed, workers=workers
        ).table
        key = "swing_p95_yuan" if "swing_p95_yuan" in ranked else "swing_mean_yuan"
        chosen = ranked.sort_values(key, ascending=False, kind="stable").index[:top]
        by_name = {f.name: f for f in uncertain_factors(scenario, swing=swing)}
        factors = [by_name[name] for name in chosen]
    factors = list(factors)
    if not factors:
        raise InputError([Problem(scenario.name, None, "sobol", "no uncertain factor to vary")])
    problem: dict = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [list(f.bounds) for f in factors],
    }
    if isinstance(groups, str):
        if groups != "item":
            raise ValueError(f"groups must be 'item' or a mapping, got {groups!r}")
        problem["groups"] = [f.item for f in factors]
    elif groups is not None:
        problem["groups"] = [groups.get(f.name, f.name) for f in factors]
    n_h = len(scenario.years)

    def model(sample: np.ndarray) -> pd.DataFrame:
        variants = [
            swung(
                scenario,
                {(f.item, f.kind): f.value(v) for f, v in zip(factors, values, strict=True)},
            )
            for values in sample
        ]
        if not draws:  # the change of the mean: a constant shift leaves the indices unchanged
            return pd.DataFrame([{"mean": paired.delta_mean(variant)} for variant in variants])
        rows = []
        pairs = [(variant, changed_rows(scenario, variant)) for variant in variants]
        for cost, _ in paired.outputs_many(pairs):  # simulated over the workers
            totals = cost[:, :n_h].sum(axis=1)
            rows.append({"mean": float(totals.mean()), "p95": float(np.percentile(totals, 95))})
        return pd.DataFrame(rows)

    with PairedRuns(scenario, draws, seed, workers=workers) as paired:
        table = sobol_indices(problem, model, n=n, seed=seed)
    table["resolved"] = table["S1_conf"] <= RESOLUTION
    table["n_needed"] = [needed_sample(n, conf) for conf in table["S1_conf"]]
    return SobolResult(scenario.name, n, seed, draws, factors, table)


__all__ = [
    "DEFAULT_SOBOL_DRAWS",
    "DEFAULT_SOBOL_N",
    "DEFAULT_TOP",
    "RESOLUTION",
    "SobolResult",
    "Tornado",
    "analyze_sobol",
    "needed_sample",
    "sobol",
    "sobol_indices",
    "tornado",
]
