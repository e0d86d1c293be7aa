"""The vectorized Monte Carlo engine for the grant line items.

For each line item and admission year the engine draws the number of recipients (by
exact inversion of the count distribution, optionally through a Gaussian copula on a
common climate factor), the sum of their awards, and pays each cohort by the item's
schedule onto a year axis that extends past the horizon, so that money committed for
later years is kept. All arithmetic is over arrays of draws; the only Python loops run
over items, admission years and stages, never over draws.

Random streams are keyed by item id and block (see :mod:`model.core.streams`): changing one
item never changes another's draws, and draw ``i`` is the same in every run with the
same seed, however many draws the run has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special

from model.core.schema import PaymentKind
from model.core.streams import BLOCK_DRAWS, block_ranges, check_draws, check_seed, stream
from model.finance.programme import programmes
from model.policy.bridge import BridgeCount
from model.policy.distributions import FixedShare, FormulaFixed
from model.policy.resolve import ResolvedItem
from model.policy.scenario import Scenario
from model.sim.ceilings import apply_ceilings
from model.sim.count_tables import CountTable
from model.sim.decided import apply_known_amounts, prorate_existing
from model.sim.results import Results, item_frame

#: Sums of at most this many awards are drawn award by award (exact); larger sums use
#: the normal approximation (exact mean and variance, clipped to the feasible range).
#: Part of the reproducibility contract.
EXACT_SUM_MAX_COUNT = 16
#: Default memory budget of one chunk of draws (bytes of result arrays).
CHUNK_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ItemPlan:
    """What the engine precomputes once per run for a line item.

    Attributes
    ----------
    item : ResolvedItem
    index : int
        Position of the item on the results' item axis.
    cohorts : list of int
        Positions of the admission years on the run's year axis.
    tables : list of CountTable
        The count distribution after take-up, per admission year.
    last_recurring : int
        Position of the last paying year of a recurring item (−1 when none).
    existing : int
        Number of cohorts admitted before the plan starts: what they are paid in any
        year is owed under commitments already made (既有).
    """

    item: ResolvedItem
    index: int
    cohorts: list[int]
    tables: list[CountTable]
    last_recurring: int
    existing: int = 0


_TABLES: dict[tuple, CountTable] = {}


def _count_table(spec_key: str, uptake, index: int, takeup: float) -> CountTable:
    """The inversion table of a count spec in one admission year, built once: scipy's
    frozen distributions are slow to create, and sensitivity runs rebuild scenarios
    that share most specs."""
    key = (spec_key, index, takeup)
    if key not in _TABLES:
        if len(_TABLES) > 4096:
            _TABLES.clear()
        _TABLES[key] = CountTable.build(uptake.frozen(index, takeup))
    return _TABLES[key]


def plan_items(scenario: Scenario, years: list[int]) -> list[ItemPlan]:
    """Precompute each item's year positions and count inversion tables."""
    position = {year: i for i, year in enumerate(years)}
    plans = []
    for index, item in enumerate(scenario.items.values()):
        uptake = item.assumptions.uptake
        spec_key = uptake.model_dump_json()
        tables = [
            _count_table(spec_key, uptake, i, item.takeup) for i in range(len(item.admission_years))
        ]
        plans.append(
            ItemPlan(
                item=item,
                index=index,
                cohorts=[position[y] for y in item.admission_years],
                tables=tables,
                last_recurring=position.get(item.recurring_until, -1),
                existing=sum(year < scenario.plan_start for year in item.admission_years),
            )
        )
    return plans


def simulate(scenario: Scenario, draws: int, *, seed: int, start: int = 0) -> Results:
    """Simulate draws ``start … start + draws − 1`` of a scenario's grant line items.

    Parameters
    ----------
    scenario : Scenario
        A resolved scenario (:func:`model.load_scenario`).
    draws : int
        Number of Monte Carlo draws.
    seed : int
        Root seed (non-negative). The same seed gives identical results.
    start : int, optional
        Index of the first draw (for processing a long run in chunks).

    Returns
    -------
    Results
        Cost by draw × item × year in yuan (demand and funded amounts), recipients
        admitted by draw × item × year, and item metadata.
    """
    check_draws(draws, source="simulate")
    years = scenario.payment_years
    return _simulate(scenario, years, plan_items(scenario, years), check_seed(seed), start, draws)


def default_chunk_draws(scenario: Scenario) -> int:
    """Draws per chunk of a long run: whole random-stream blocks whose result arrays take
    about :data:`CHUNK_BYTES` (at least one block)."""
    rows = len(scenario.items) + len(scenario.programmes) + 1
    per_draw = rows * len(scenario.payment_years) * 8 * 5
    return max(BLOCK_DRAWS, CHUNK_BYTES // per_draw // BLOCK_DRAWS * BLOCK_DRAWS)


def simulate_chunks(
    scenario: Scenario, draws: int, *, seed: int, chunk_draws: int | None = None
) -> Iterator[Results]:
    """Yield the results of a long run in chunks of whole random-stream blocks.

    The concatenation of the chunks equals ``simulate(scenario, draws, seed=seed)``.

    Parameters
    ----------
    chunk_draws : int, optional
        Draws per chunk, rounded down to whole blocks; by default chosen so that one
        chunk's arrays take about :data:`CHUNK_BYTES`.
    """
    check_draws(draws, source="simulate")
    seed = check_seed(seed)
    years = scenario.payment_years
    plans = plan_items(scenario, years)
    chunk_draws = default_chunk_draws(scenario) if chunk_draws is None else chunk_draws
    chunk_draws = max(BLOCK_DRAWS, chunk_draws // BLOCK_DRAWS * BLOCK_DRAWS)
    for first in range(0, draws, chunk_draws):
        yield _simulate(scenario, years, plans, seed, first, min(chunk_draws, draws - first))


def _simulate(
    scenario: Scenario, years: list[int], plans: list[ItemPlan], seed: int, start: int, draws: int
) -> Results:
    # storage is (items, years, draws), so that each item-year row filled by the engine
    # is contiguous; Results sees the (draws, items, years) transpose, a view, no copy.
    # Funds, 先投后股 and the loan pool follow the grant items as rows of their own.
    models = programmes(scenario)
    rows_total = len(plans) + len(models)
    demand = np.zeros((rows_total, len(years), draws))
    admitted = np.zeros((rows_total, len(years), draws), dtype=np.int32)
    # what commitments made before the plan owe: nothing when the plan starts the horizon
    # (np.zeros, not zeros_like: the pages are mapped zero, not written, until used)
    existing = np.zeros(demand.shape) if scenario.plan_start > years[0] else None
    row = 0
    for block, lo, hi in block_ranges(start, start + draws):
        rows = slice(row, row + hi - lo)
        climate = _climate(scenario, seed, block, hi, len(years))
        for plan in plans:
            _simulate_item(
                plan,
                seed,
                block,
                lo,
                hi,
                climate,
                demand[plan.index, :, rows],
                admitted[plan.index, :, rows],
                None if existing is None else existing[plan.index, :, rows],
            )
        row += hi - lo
    programme_draws = {}
    for offset, model in enumerate(models):
        simulated = model.simulate(years, start, start + draws, seed=seed)
        demand[len(plans) + offset] = simulated.gross_outlay.T
        if existing is not None:
            existing[len(plans) + offset] = simulated.existing_outlay(scenario.plan_start).T
        programme_draws[model.id] = simulated
    demand = demand.transpose(2, 0, 1)
    funded = apply_ceilings(scenario, years, demand)
    if existing is not None:
        existing = prorate_existing(existing.transpose(2, 0, 1), demand, funded)
    items = item_frame(scenario)
    apply_known_amounts(scenario, years, items["city_share"].to_numpy(), demand, funded, existing)
    return Results(
        scenario_name=scenario.name,
        seed=seed,
        start=start,
        years=years,
        horizon=scenario.years,
        items=items,
        demand=demand,
        funded=funded,
        admitted=admitted.transpose(2, 0, 1),
        programme_draws=programme_draws,
        existing=existing,
        plan_start=scenario.plan_start,
    )


# ------------------------------------------------------------------ one block
def _climate(
    scenario: Scenario, seed: int, block: int, rows: int, n_years: int
) -> np.ndarray | None:
    """Stationary AR(1) standard-normal climate path per draw (rows × years)."""
    spec = scenario.spec.climate
    if spec is None:
        return None
    shocks = stream(seed, "climate", block).standard_normal((rows, n_years))
    rho = spec.persistence
    path = np.empty_like(shocks)
    path[:, 0] = shocks[:, 0]
    scale = np.sqrt(1.0 - rho * rho)
    for t in range(1, n_years):
        path[:, t] = rho * path[:, t - 1] + scale * shocks[:, t]
    return path


def _simulate_item(
    plan: ItemPlan,
    seed: int,
    block: int,
    lo: int,
    hi: int,
    climate: np.ndarray | None,
    demand: np.ndarray,
    admitted: np.ndarray,
    existing: np.ndarray | None = None,
) -> None:
    """Add one item's payments for rows ``lo:hi`` of a block into ``demand`` (yuan,
    years × rows) and its admissions into ``admitted``; the payments of cohorts admitted
    before the plan also into ``existing``.

    Every random call uses its own stream keyed by (item, purpose, cohort[, year],
    block) and draws rows ``0:hi`` at once, of which ``0:lo`` are dropped: that keeps
    each draw's numbers independent of how many draws the run has.
    """
    item = plan.item
    counts = _counts(plan, seed, block, hi, climate)
    admitted[plan.cohorts] = counts[lo:].T
    payment = item.line.payment
    amount = item.per_year_yuan

    def rng(*purpose: str | int) -> np.random.Generator:
        return stream(seed, "item", item.id, *purpose, block)

    def pay(c: int, t: int, amounts: np.ndarray) -> None:
        demand[t] += amounts
        if existing is not None and c < plan.existing:
            existing[t] += amounts

    if payment is PaymentKind.STAGED:
        for c, (cohort, reached) in enumerate(zip(plan.cohorts, counts.T, strict=True)):
            paid_at = cohort
            for s, stage in enumerate(item.assumptions.stages or []):
                if not reached.any():  # nobody left to progress: the rest pays nothing
                    break
                reached = rng("stage", c, s).binomial(reached, stage.probability)
                paid_at += stage.lag_years
                pay(c, paid_at, reached[lo:] * (stage.share * amount))
        return
    if payment is PaymentKind.RECURRING_ANNUAL:
        for c, (cohort, remaining) in enumerate(zip(plan.cohorts, counts.T, strict=True)):
            for t in range(cohort, plan.last_recurring + 1):
                if t > cohort:
                    remaining = rng("retention", c, t).binomial(remaining, item.retention)
                if not remaining.any():  # nobody still qualifies: no later payment
                    break
                sums = award_sums(item, remaining, rng("award", c, t), rng("award_clt", c, t))
                pay(c, t, sums[lo:] * amount)
        return
    sums = award_sums(item, counts, rng("award"), rng("award_clt"))[lo:] * amount
    for k in range((item.years_paid or 1) if payment is PaymentKind.ANNUAL_FOR_YEARS else 1):
        for c, cohort in enumerate(plan.cohorts):
            pay(c, cohort + k, sums[:, c])


def _counts(
    plan: ItemPlan, seed: int, block: int, rows: int, climate: np.ndarray | None
) -> np.ndarray:
    """Recipients admitted (after take-up) per draw and admission year (rows × cohorts).

    Counts are exact inverse-CDF transforms of uniforms; with a climate factor the
    uniforms come from a Gaussian copula, ``Φ(λ·C_t + √(1−λ²)·ε)``. A bridged count
    (:class:`~model.policy.bridge.BridgeCount`) draws its factors once per draw, from a
    stream of its own, and inverts each year's Poisson given them.
    """
    item = plan.item
    shape = (rows, len(plan.cohorts))
    rng = stream(seed, "item", item.id, "count", block)
    loading = item.assumptions.climate_loading
    if climate is not None and loading > 0:
        latent = loading * climate[:, plan.cohorts] + np.sqrt(1.0 - loading**2) * (
            rng.standard_normal(shape)
        )
        uniforms = special.ndtr(latent)
    else:
        uniforms = rng.random(shape)
    counts = np.empty(shape, dtype=np.int64)
    uptake = item.assumptions.uptake
    if isinstance(uptake, BridgeCount):
        factors = stream(seed, "item", item.id, "bridge", block).random((rows, len(uptake.factors)))
        product = uptake.product(factors)
        for i in range(len(plan.cohorts)):
            scale = uptake.mean(i, item.takeup) / uptake.factor_mean
            drawn = poisson_ppf(uniforms[:, i], scale * product)
            counts[:, i] = np.maximum(drawn, 0).astype(np.int64)
        return counts
    for i, table in enumerate(plan.tables):
        counts[:, i] = table.draw(uniforms[:, i])
    return counts


def poisson_ppf(uniforms: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Poisson quantiles with a mean per draw (exact; scipy's ``poisson.ppf``), 0 where
    a mean is 0."""
    from scipy.stats import poisson

    # a saturated copula gives u = 1, whose quantile is infinite: the largest u below 1
    uniforms = np.minimum(uniforms, np.nextafter(1.0, 0.0))
    with np.errstate(invalid="ignore"):
        values = poisson.ppf(uniforms, np.maximum(means, 1e-300))
    return np.where(means > 0, values, 0.0)


def award_sums(
    item: ResolvedItem, counts: np.ndarray, rng: np.random.Generator, clt_rng: np.random.Generator
) -> np.ndarray:
    """Sum of ``counts`` independent award shares, elementwise (fractions of the cap).

    Where a count is at most :data:`EXACT_SUM_MAX_COUNT` every award is drawn from
    ``rng`` (exact); larger sums use the normal approximation with the exact mean and
    variance, clipped to ``[count·low, count·high]``, with normals from ``clt_rng`` (a
    stream of its own, so that neither path shifts the other's draws). The mean is
    exact on the exact path and on the normal path up to the clipping, whose effect is
    negligible (tails beyond several standard deviations for counts above 16).
    """
    award = item.award
    counts = np.asarray(counts)
    if isinstance(award, FixedShare | FormulaFixed):
        return counts * award.mean()
    large = counts > EXACT_SUM_MAX_COUNT
    any_large = bool(large.any())
    flat = (np.where(large, 0, counts) if any_large else counts).ravel()
    ends = np.cumsum(flat)
    shares = award.sample(rng, int(ends[-1]) if ends.size else 0)
    cumulative = np.empty(shares.size + 1)
    cumulative[0] = 0.0
    np.cumsum(shares, out=cumulative[1:])
    exact = cumulative[ends]
    exact -= cumulative[ends - flat]
    exact = exact.reshape(counts.shape)
    if not any_large:
        return exact
    z = clt_rng.standard_normal(counts.shape)
    approx = counts * award.mean() + np.sqrt(counts * award.var()) * z
    approx = np.clip(approx, counts * award.lower, counts * award.upper)
    return np.where(large, approx, exact)


__all__ = [
    "EXACT_SUM_MAX_COUNT",
    "ItemPlan",
    "award_sums",
    "default_chunk_draws",
    "plan_items",
    "simulate",
    "simulate_chunks",
]
