"""Policy variants against a base scenario, draw by draw (common random numbers).

Every scenario is simulated with the same root seed. The engine's random streams are
keyed by item id and block (:mod:`model.core.streams`), so draw ``i`` of an item that a
variant leaves alone is *identical* in the base and the variant, and an item the variant
changes is driven by the same uniforms. The difference of two scenarios is therefore
estimated from per-draw paired differences, whose variance is far below the
``var(base) + var(variant)`` of two independent runs; the ratio is reported as the
variance reduction factor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from model.core.errors import InputError, Problem
from model.core.stats import Moments
from model.core.streams import BLOCK_DRAWS, check_draws, check_seed
from model.core.units import YUAN
from model.policy.scenario import Scenario
from model.sim.analytic import expected_city_cost
from model.sim.engine import plan_items, simulate
from model.sim.parallel import map_chunks
from model.sim.results import item_frame

#: Two-sided 95% normal quantile, for confidence intervals of mean differences.
Z95 = float(stats.norm.ppf(0.975))
#: Extra cost per draw and year (yuan) added to a scenario's totals, for costs modelled
#: outside the engine (funds, 先投后股 and the loan pool configured in a scenario are
#: already rows of its results): ``extra_costs(scenario, draws, seed)`` returns an array
#: (draws, years) on the scenario's
#: :attr:`~model.policy.scenario.Scenario.payment_years`, or a DataFrame with year columns.
ExtraCosts = Callable[[Scenario, int, int], "np.ndarray | pd.DataFrame"]


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare` (money in yuan).

    Attributes
    ----------
    base_name : str
    variant_names : list of str
    draws, seed : int
    years : list of int
        The common year axis (every year any scenario pays in).
    horizon : list of int
        The horizon years; ``total_label`` names their sum in the tables.
    tables : dict of str to pandas.DataFrame
        ``compare``: index (variant, year), one row per year and the horizon total;
        ``compare_items``: index (variant, item), horizon totals, biggest movers first;
        ``fan``: index (scenario, year), percentiles of each scenario's yearly total.
    year_totals : dict of str to pandas.DataFrame
        The city's total cost per draw (rows) and year (columns) of every scenario,
        base first, yuan.
    titles : dict of str to (str, str)
        Every scenario's (Chinese, English) title, by name, for charts and reports.
    """

    base_name: str
    variant_names: list[str]
    draws: int
    seed: int
    years: list[int]
    horizon: list[int]
    tables: dict[str, pd.DataFrame]
    year_totals: dict[str, pd.DataFrame] = field(repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @property
    def total_label(self) -> str:
        """Row label of the horizon total (``"2025–2030"``)."""
        return horizon_label(self.horizon)


def horizon_label(horizon: Sequence[int]) -> str:
    """The label of a horizon total, as in the budget tables (``"2025–2030"``)."""
    return f"{horizon[0]}–{horizon[-1]}"


# ------------------------------------------------------------------ statistics
def paired_stats(
    base: np.ndarray, variant: np.ndarray, diff: np.ndarray | None = None, *, suffix: str = ""
) -> dict[str, np.ndarray]:
    """Statistics of the paired difference ``variant − base``, column by column.

    Parameters
    ----------
    base, variant : ndarray, shape (draws, columns)
        The same quantity (yuan) in the same draws of two scenarios.
    diff : ndarray, optional
        ``variant − base`` summed item by item (exactly zero where no item changed);
        by default the difference of the totals, which carries rounding noise.
    suffix : str
        Appended to the name of every statistic in the quantity's unit (``"_yuan"``).

    Returns
    -------
    dict of str to ndarray
        ``delta_mean``, its standard error ``delta_se`` (sd of the differences / √n),
        the 95% interval ``delta_ci_low``/``delta_ci_high``, ``delta_p50`` and
        ``delta_p95`` (difference of the percentiles, not percentile of the
        differences), ``p_variant_higher`` (share of draws where the variant costs
        more) and ``variance_reduction``: ``(var_base + var_variant) / var(diff)``,
        the variance of the difference of two independent runs over that of the
        paired difference (``inf`` when the paired difference does not vary, ``nan``
        when nothing varies).
    """
    base = np.asarray(base, dtype=float)
    variant = np.asarray(variant, dtype=float)
    n = base.shape[0]
    diff = variant - base if diff is None else np.asarray(diff, dtype=float)
    delta = diff.mean(axis=0)
    ddof = 1 if n > 1 else 0
    var_diff = diff.var(axis=0, ddof=ddof)
    independent = base.var(axis=0, ddof=ddof) + variant.var(axis=0, ddof=ddof)
    se = np.sqrt(var_diff / n)
    quantiles_base = np.percentile(base, [50, 95], axis=0)
    quantiles_variant = np.percentile(variant, [50, 95], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(
            var_diff > 0, independent / var_diff, np.where(independent > 0, np.inf, np.nan)
        )
    in_unit = {
        "base_mean": base.mean(axis=0),
        "variant_mean": variant.mean(axis=0),
        "delta_mean": delta,
        "delta_se": se,
        "delta_ci_low": delta - Z95 * se,
        "delta_ci_high": delta + Z95 * se,
        "base_p50": quantiles_base[0],
        "base_p95": quantiles_base[1],
        "delta_p50": quantiles_variant[0] - quantiles_base[0],
        "delta_p95": quantiles_variant[1] - quantiles_base[1],
    }
    return {
        **{f"{name}{suffix}": value for name, value in in_unit.items()},
        "p_variant_higher": (diff > 0).mean(axis=0),
        "variance_reduction": reduction,
    }


def _analytic_change(
    base: Scenario, variant: Scenario, item_ids: list[str], years: list[int]
) -> pd.DataFrame | None:
    """Closed-form change of the expected city cost by item and year (yuan), or None
    with appropriation ceilings (no closed form for funded amounts). Rows without a
    closed form (fund capital calls) are NaN unless both scenarios configure them alike,
    in which case their draws, and so their change, are exactly zero."""
    if base.has_ceilings or variant.has_ceilings:
        return None
    expected = [
        expected_city_cost(s).reindex(index=item_ids, columns=years, fill_value=0.0)
        for s in (base, variant)
    ]
    change = expected[1] - expected[0]
    specs = [{spec.id: spec for spec in s.programmes} for s in (base, variant)]
    alike = [i for i in item_ids if i in specs[0] and specs[0][i] == specs[1].get(i)]
    change.loc[alike] = change.loc[alike].fillna(0.0)
    return change


def _unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    names: list[str] = []
    for scenario in scenarios:
        name, k = scenario.name, 2
        while name in names:
            name, k = f"{scenario.name}#{k}", k + 1
        names.append(name)
    return names


def _extra(
    extra_costs: ExtraCosts, scenario: Scenario, draws: int, seed: int, years: list[int]
) -> np.ndarray:
    """The hook's extra cost on the common year axis (draws × years, yuan)."""
    value = extra_costs(scenario, draws, seed)
    if not isinstance(value, pd.DataFrame):
        value = pd.DataFrame(np.asarray(value, dtype=float), columns=scenario.payment_years)
    if value.shape[0] != draws:
        raise ValueError(f"extra_costs returned {value.shape[0]} rows for {draws} draws")
    return value.reindex(columns=years, fill_value=0.0).to_numpy(dtype=float)


# ------------------------------------------------------------------ compare
def compare(
    base: Scenario,
    variants: Sequence[Scenario],
    draws: int,
    *,
    seed: int,
    extra_costs: ExtraCosts | None = None,
    workers: int = 1,
) -> Comparison:
    """Compare variants with a base scenario on common random numbers.

    Parameters
    ----------
    base : Scenario
    variants : sequence of Scenario
        Scenarios with the same horizon as ``base``.
    draws : int
        Monte Carlo draws of every scenario (draw ``i`` is the same draw in each).
    seed : int
        Root seed shared by all scenarios.
    extra_costs : callable, optional
        ``extra_costs(scenario, draws, seed)``: further city cost per draw and year
        (yuan) added to the totals (see :data:`ExtraCosts`). Funds, 先投后股 and the
        loan pool configured in the scenarios are already included, as items.
    workers : int
        Processes simulating at once (:func:`model.sim.parallel.map_chunks`); the
        tables are the same bytes for any number.

    Returns
    -------
    Comparison
        Paired-difference statistics by variant and year (see :func:`paired_stats`),
        change of each item's horizon total, and each scenario's fan percentiles.
    """
    check_draws(draws, source="compare")
    seed = check_seed(seed)
    if not variants:
        raise InputError([Problem("compare", None, "variants", "give at least one variant")])
    scenarios = [base, *variants]
    for scenario in variants:
        if scenario.years != base.years:
            raise InputError(
                [
                    Problem(
                        scenario.name,
                        None,
                        "horizon",
                        f"{scenario.years[0]}–"
                        f"{scenario.years[-1]} differs from the base's "
                        f"{base.years[0]}–{base.years[-1]}",
                    )
                ]
            )
    names = _unique_names(scenarios)
    axes = [s.payment_years for s in scenarios]
    years = list(range(min(a[0] for a in axes), max(a[-1] for a in axes) + 1))
    meta = pd.concat([item_frame(s) for s in scenarios])  # grant items, funds and loans
    meta = meta[~meta.index.duplicated()]
    item_ids = list(meta.index)
    horizon = base.years
    n_h = len(horizon)

    totals = [np.zeros((draws, len(years))) for _ in scenarios]
    diffs = [np.zeros((draws, len(years))) for _ in variants]
    item_sum = np.zeros((len(scenarios), len(item_ids)))
    item_diffs = [Moments() for _ in variants]
    task = functools.partial(_paired_chunk, scenarios, item_ids, years, n_h, seed)
    warm_up = functools.partial(_plan_all, scenarios)
    for first, part in zip(
        range(0, draws, BLOCK_DRAWS),
        map_chunks(task, draws, chunk_draws=BLOCK_DRAWS, workers=workers, warm_up=warm_up),
        strict=True,
    ):
        span = slice(first, first + part.totals[0].shape[0])
        for k, chunk_totals in enumerate(part.totals):
            totals[k][span] = chunk_totals
            item_sum[k] += part.item_sums[k]
        for v, chunk_diffs in enumerate(part.diffs):
            diffs[v][span] = chunk_diffs
            item_diffs[v].merge(part.item_diffs[v])
    if extra_costs is not None:
        extras = [_extra(extra_costs, s, draws, seed, years) for s in scenarios]
        totals = [t + e for t, e in zip(totals, extras, strict=True)]
        diffs = [d + e - extras[0] for d, e in zip(diffs, extras[1:], strict=True)]

    total_label = horizon_label(horizon)
    labels = [str(y) for y in years] + [total_label]

    def with_total(values: np.ndarray) -> np.ndarray:
        return np.column_stack([values, values[:, :n_h].sum(axis=1)])

    rows, item_rows = [], []
    for v, name in enumerate(names[1:], start=1):
        table = pd.DataFrame(
            paired_stats(
                with_total(totals[0]), with_total(totals[v]), with_total(diffs[v - 1]), suffix=YUAN
            ),
            index=pd.Index(labels, name="year"),
        )
        analytic = (
            None
            if extra_costs is not None
            else _analytic_change(scenarios[0], scenarios[v], item_ids, years)
        )
        if analytic is not None:
            by_year = analytic.sum(axis=0, skipna=False).to_numpy()
            table.insert(6, "analytic_delta_yuan", np.append(by_year, by_year[:n_h].sum()))
        else:
            table.insert(6, "analytic_delta_yuan", np.nan)
        rows.append(table.assign(variant=name))
        item_rows.append(
            _item_table(name, meta, item_sum[[0, v]] / draws, item_diffs[v - 1], analytic, n_h)
        )
    compare_table = (
        pd.concat(rows).set_index("variant", append=True).reorder_levels(["variant", "year"])
    )
    tables = {
        "compare": compare_table,
        "compare_items": pd.concat(item_rows),
        "fan": _fan(names, totals, years),
    }
    year_totals = {
        name: pd.DataFrame(
            t, index=pd.RangeIndex(draws, name="draw"), columns=pd.Index(years, name="year")
        )
        for name, t in zip(names, totals, strict=True)
    }
    return Comparison(
        names[0],
        names[1:],
        draws,
        seed,
        years,
        horizon,
        tables,
        year_totals,
        {name: s.digest() for name, s in zip(names, scenarios, strict=True)},
        {name: (s.title_zh, s.title_en) for name, s in zip(names, scenarios, strict=True)},
    )


@dataclass(frozen=True)
class _PairedChunk:
    """What :func:`compare` keeps of one chunk of draws of every scenario."""

    totals: list[np.ndarray]  # per scenario: (draws, years), yuan
    item_sums: list[np.ndarray]  # per scenario: horizon total by item, summed over draws
    diffs: list[np.ndarray]  # per variant: (draws, years), item by item
    item_diffs: list[Moments]  # per variant: moments of the items' horizon changes


def _paired_chunk(
    scenarios: list[Scenario],
    item_ids: list[str],
    years: list[int],
    n_h: int,
    seed: int,
    first: int,
    draws: int,
) -> _PairedChunk:
    """Draws ``[first, first + draws)`` of every scenario, on the common item and year
    axes, so that unchanged items cancel exactly in the paired differences."""
    part = _PairedChunk([], [], [], [])
    base_city: np.ndarray = np.empty(0)
    for k, scenario in enumerate(scenarios):
        chunk = simulate(scenario, draws, seed=seed, start=first)
        city = np.zeros((chunk.draws, len(item_ids), len(years)))
        offset = years.index(chunk.years[0])
        positions = [item_ids.index(i) for i in chunk.items.index]
        city[:, positions, offset : offset + len(chunk.years)] = chunk.city
        part.totals.append(city.sum(axis=1))
        part.item_sums.append(city[:, :, :n_h].sum(axis=(0, 2)))
        if k == 0:
            base_city = city
            continue
        change = city - base_city
        part.diffs.append(change.sum(axis=1))
        moments = Moments()
        moments.add(change[:, :, :n_h].sum(axis=2))
        part.item_diffs.append(moments)
    return part


def _plan_all(scenarios: list[Scenario]) -> None:
    """A worker's warm-up: the count tables of every scenario."""
    for scenario in scenarios:
        plan_items(scenario, scenario.payment_years)


def _item_table(
    name: str,
    meta: pd.DataFrame,
    means: np.ndarray,
    diff: Moments,
    change: pd.DataFrame | None,
    n_h: int,
) -> pd.DataFrame:
    """Change of each item's horizon total, biggest movers (by |Δmean|) first."""
    delta, se = diff.mean, diff.mcse
    table = pd.DataFrame(
        {
            "article": meta["article"].to_numpy(),
            "name_zh": meta["name_zh"].to_numpy(),
            "name_en": meta["name_en"].to_numpy(),
            "base_mean_yuan": means[0],
            "variant_mean_yuan": means[1],
            "delta_mean_yuan": delta,
            "delta_se_yuan": se,
            "delta_ci_low_yuan": delta - Z95 * se,
            "delta_ci_high_yuan": delta + Z95 * se,
        },
        index=pd.Index(meta.index, name="item"),
    )
    if change is not None:
        table["analytic_delta_yuan"] = change.iloc[:, :n_h].sum(axis=1, skipna=False).to_numpy()
    else:
        table["analytic_delta_yuan"] = np.nan
    order = np.argsort(-np.abs(delta), kind="stable")
    table = table.iloc[order]
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["variant"] = name
    return table.set_index("variant", append=True).reorder_levels(["variant", "item"])


def _fan(names: list[str], totals: list[np.ndarray], years: list[int]) -> pd.DataFrame:
    frames = []
    for name, values in zip(names, totals, strict=True):
        quantiles = np.percentile(values, [5, 25, 50, 75, 95], axis=0)
        frame = pd.DataFrame(
            quantiles.T,
            columns=["p5_yuan", "p25_yuan", "p50_yuan", "p75_yuan", "p95_yuan"],
            index=pd.Index(years, name="year"),
        )
        frame["mean_yuan"] = values.mean(axis=0)
        frames.append(frame.assign(scenario=name))
    return pd.concat(frames).set_index("scenario", append=True).reorder_levels(["scenario", "year"])


__all__ = ["Z95", "Comparison", "ExtraCosts", "compare", "horizon_label", "paired_stats"]
