"""A plain per-draw loop implementation of the grant engine's model: the reference.

This is the simulation a careful analyst would write by hand, one draw at a time, with
none of the engine's machinery (no inversion tables, no keyed block streams, no normal
approximation of large sums, no arrays over draws)::

    for each draw:
        for each item:
            for each admission year:
                draw the number of recipients
                draw every recipient's award share and pay it by the item's schedule

It models the same thing as :func:`model.simulate` (the baseline's grant line items),
so the two must agree in distribution (``tests/sim/test_loop_reference.py``), and it is the
baseline against which ``benchmarks/bench_engine.py`` measures the engine's speed-up.

Differences from the engine, all deliberate:

* one :class:`numpy.random.Generator` for the whole run, consumed in draw order: the
  same seed gives the same numbers, but not the engine's numbers (the engine's draws
  are keyed by item and block; only the distributions are meant to agree);
* counts are drawn with numpy's own samplers (``rng.poisson``, ``rng.binomial``,
  ``rng.negative_binomial``), not by inversion, except under a climate factor, where
  the Gaussian copula needs the count's quantile function (scipy's ``ppf``); a bridged
  count (article 7) draws its factors once per draw from the run's generator, then each
  year's Poisson given them;
* every award is drawn (``award.ppf`` of one uniform per recipient), however large the
  cohort: the engine's normal approximation above ``EXACT_SUM_MAX_COUNT`` is not used;
* retention (recurring items) and stage progression (staged items) are decided
  recipient by recipient (one Bernoulli trial each), not as one binomial per cohort;
* **no appropriation ceilings**: the result is gross *demand*, the engine's
  ``Results.demand`` (compare with that, not with ``funded``);
* **grant line items only** (``scenario.items``): the funds, 先投后股 and loan-pool rows
  that ``model.simulate`` appends after the grant items are not modelled here, so
  compare with ``Results.demand[:, :len(scenario.items)]``.

The only numpy calls over several values at once are over the recipients of one
cohort in one draw (their uniforms, shares and Bernoulli trials): there is no
vectorization over draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special, stats

from model.core.schema import PaymentKind
from model.core.streams import check_draws, check_seed
from model.policy.bridge import BridgeCount
from model.policy.scenario import ResolvedItem, Scenario

#: numpy's sampler for each scipy discrete distribution the count specs produce, by
#: scipy's name; the frozen distribution's positional ``args`` are the same parameters
#: in the same order for numpy (numpy's ``negative_binomial(n, p)`` counts failures
#: before the n-th success, like scipy's ``nbinom(n, p)``).
NUMPY_SAMPLERS = {
    "poisson": ("poisson", 1),
    "binom": ("binomial", 2),
    "nbinom": ("negative_binomial", 2),
}

CountDraw = Callable[[np.random.Generator, float | None], int]


def simulate_loop(scenario: Scenario, draws: int, *, seed: int) -> np.ndarray:
    """Simulate a scenario's grant line items one draw at a time (the reference).

    Parameters
    ----------
    scenario : Scenario
        A resolved scenario (:func:`model.load_scenario`).
    draws : int
        Number of Monte Carlo draws.
    seed : int
        Root seed (non-negative) of the run's single generator.

    Returns
    -------
    ndarray, shape (draws, items, years)
        Gross demand of the grant line items in yuan, before appropriation ceilings (none
        are applied), with the items and years in the order of :func:`model.simulate`:
        ``scenario.items`` (the engine's first rows) and
        :attr:`~model.policy.scenario.Scenario.payment_years`.
    """
    check_draws(draws, source="simulate_loop")
    rng = np.random.default_rng(check_seed(seed))
    years = scenario.payment_years
    position = {year: j for j, year in enumerate(years)}
    items = list(scenario.items.values())
    count_draws = [
        [
            _count_draw(item.assumptions.uptake.frozen(c, item.takeup))
            if not isinstance(item.assumptions.uptake, BridgeCount)
            else None
            for c in range(len(item.admission_years))
        ]
        for item in items
    ]
    last_recurring = [position.get(item.recurring_until, -1) for item in items]
    climate = scenario.spec.climate
    demand = np.zeros((draws, len(items), len(years)))
    for draw in range(draws):
        path = None if climate is None else _climate_path(climate.persistence, len(years), rng)
        for index, item in enumerate(items):
            row = demand[draw, index]
            loading = item.assumptions.climate_loading
            uptake = item.assumptions.uptake
            product = None
            if isinstance(uptake, BridgeCount):  # the factors, once for the draw
                product = float(np.prod([f.ppf(rng.random()) for f in uptake.factors]))
            for c, (year, count_draw) in enumerate(
                zip(item.admission_years, count_draws[index], strict=True)
            ):
                cohort = position[year]
                latent = None
                if path is not None and loading > 0:
                    latent = loading * path[cohort] + np.sqrt(1.0 - loading**2) * (
                        rng.standard_normal()
                    )
                if product is not None:
                    mean = float(_pick_base(uptake, c)) * item.takeup * product
                    recipients = (
                        int(rng.poisson(mean))
                        if latent is None
                        else int(stats.poisson(mean).ppf(special.ndtr(latent)))
                    )
                else:
                    recipients = count_draw(rng, latent)
                _pay_cohort(item, recipients, cohort, last_recurring[index], row, rng)
    return demand


def _pick_base(uptake: BridgeCount, index: int) -> float:
    """A bridge's base count in admission year ``index``."""
    return uptake.base[index] if isinstance(uptake.base, list) else uptake.base


def _climate_path(persistence: float, n_years: int, rng: np.random.Generator) -> list[float]:
    """One draw's stationary AR(1) standard-normal climate path over the year axis."""
    scale = np.sqrt(1.0 - persistence**2)
    path = [rng.standard_normal()]
    for _ in range(1, n_years):
        path.append(persistence * path[-1] + scale * rng.standard_normal())
    return path


def _count_draw(dist) -> CountDraw:
    """A function drawing one cohort's size, given the climate's latent normal (or None).

    ``dist`` is what :meth:`CountSpec.frozen` returns: an ``int`` (a known count) or a
    scipy frozen discrete distribution.
    """
    if isinstance(dist, int):
        return lambda rng, latent: dist
    sampler = NUMPY_SAMPLERS.get(dist.dist.name)
    if sampler is not None and not dist.kwds and len(dist.args) == sampler[1]:
        method, args = sampler[0], dist.args
    else:
        method, args = None, ()

    def draw(rng: np.random.Generator, latent: float | None) -> int:
        if latent is not None:  # Gaussian copula: the count's quantile of Φ(latent)
            return int(dist.ppf(special.ndtr(latent)))
        if method is None:
            return int(dist.rvs(random_state=rng))
        return int(getattr(rng, method)(*args))

    return draw


def _award_total(item: ResolvedItem, recipients: int, rng: np.random.Generator) -> float:
    """Sum of ``recipients`` award shares, each drawn by inversion of its own uniform."""
    if recipients == 0:
        return 0.0
    return float(np.sum(item.award.ppf(rng.random(recipients))))


def _survivors(recipients: int, probability: float, rng: np.random.Generator) -> int:
    """How many of ``recipients`` pass one Bernoulli(``probability``) trial each."""
    return int(np.count_nonzero(rng.random(recipients) < probability))


def _pay_cohort(
    item: ResolvedItem,
    recipients: int,
    cohort: int,
    last_recurring: int,
    row: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Add one cohort's payments (yuan) to ``row``, the draw's year axis for the item."""
    amount = item.per_year_yuan
    payment = item.line.payment
    if payment is PaymentKind.STAGED:
        # each firm goes on to the next stage with the stage's probability; the stage's
        # share of the cap is paid the stage's lag after the previous one
        reached, paid_at = recipients, cohort
        for stage in item.assumptions.stages or []:
            reached = _survivors(reached, stage.probability, rng)
            paid_at += stage.lag_years
            row[paid_at] += reached * (stage.share * amount)
        return
    if payment is PaymentKind.RECURRING_ANNUAL:
        # each recipient stays qualified from one year to the next with the retention
        # probability; as in the engine, the award is graded anew every year
        remaining = recipients
        for t in range(cohort, last_recurring + 1):
            if t > cohort:
                remaining = _survivors(remaining, item.retention, rng)
            row[t] += _award_total(item, remaining, rng) * amount
        return
    # one award per recipient, paid once or (annual_for_years) in each of the years
    total = _award_total(item, recipients, rng) * amount
    years_paid = (item.years_paid or 1) if payment is PaymentKind.ANNUAL_FOR_YEARS else 1
    for k in range(years_paid):
        row[cohort + k] += total


__all__ = ["simulate_loop"]
