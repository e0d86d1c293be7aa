"""Loan-risk compensation pool (科技贷款风险补偿资金), article 21 of the draft policy.

Article 21: 对金融机构为科技企业提供信贷融资发生的损失，通过科技贷款风险补偿资金，最高给予
50万元补偿 — at most 500,000 yuan per loss. Each year banks lend an uncertain volume to
technology firms; loans end in a compensable loss at a default rate drawn once per draw
(so bad years cluster, which makes the tail); each loss is ``LGD × loan size``, the pool
pays ``min(compensation_share × loss, cap)``, and an optional ceiling limits the pool's
payout per year. Payouts fall ``payout_lag_years`` after the loans are made.

:func:`expected_payout` gives the exact expectation (closed forms for fixed or lognormal
loan sizes with fixed or beta LGD, and an exact one-dimensional quadrature when both are
random), against which the simulation is tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, special

from model.core.sketch import DrawStats
from model.core.streams import stream
from model.finance.contract import SpecModel
from model.finance.draw_arrays import (
    VARIATE_DTYPE,
    check_draw_range,
    check_years,
    concat_draws,
    rows_of_blocks,
    run_sums,
    to_horizon,
)
from model.finance.loan_tables import loan_quantities, loan_tables
from model.finance.period_tables import (
    Flow,
)
from model.policy.periods import Periods
from model.policy.programmes import LoanPoolSpec

# --------------------------------------------------------------------------- closed form


def _lognormal_capped_mean(scale: float, median: float, sigma: float, cap: float) -> float:
    """E[min(scale · S, cap)] for S lognormal(ln median, sigma) (closed form)."""
    if scale <= 0 or cap <= 0:
        return 0.0
    if sigma == 0:
        return min(scale * median, cap)
    mu, k = math.log(median), math.log(cap / scale)
    partial = math.exp(mu + sigma**2 / 2) * special.ndtr((k - mu - sigma**2) / sigma)
    return float(scale * partial + cap * special.ndtr(-(k - mu) / sigma))


def expected_compensation_per_loss(spec: LoanPoolSpec) -> float:
    """E[min(compensation_share · LGD · size, cap)] for one loss (yuan).

    Exact: closed forms when LGD or size is fixed (lognormal partial expectation; the
    regularized incomplete beta function), and an exact one-dimensional quadrature
    (``scipy.integrate.quad`` over the LGD of the lognormal closed form, tolerance 1e-10
    relative) when both are random.
    """
    share, cap = spec.compensation_share, spec.cap_per_loss_yuan
    median, sigma = spec.loan_size_median_yuan, spec.loan_size_sigma
    beta = spec.lgd_beta
    if share == 0 or cap == 0:
        return 0.0
    if beta is None:
        return _lognormal_capped_mean(share * spec.lgd_mean, median, sigma, cap)
    a, b = beta
    if sigma == 0:
        scale = share * median
        k = cap / scale
        if k >= 1:
            return scale * spec.lgd_mean
        partial = spec.lgd_mean * special.betainc(a + 1, b, k)
        return float(scale * partial + cap * special.betaincc(a, b, k))
    log_norm = special.betaln(a, b)

    def integrand(lgd: float) -> float:
        if lgd <= 0.0 or lgd >= 1.0:
            return 0.0
        density = np.exp((a - 1) * np.log(lgd) + (b - 1) * np.log1p(-lgd) - log_norm)
        return density * _lognormal_capped_mean(share * lgd, median, sigma, cap)

    value, _ = integrate.quad(integrand, 0.0, 1.0, epsabs=0.0, epsrel=1e-10, limit=200)
    return float(value)


def expected_losses(spec: LoanPoolSpec, year: int) -> float:
    """Expected number of compensable losses on loans made in ``year``."""
    if not spec.first_year <= year <= spec.last_year:
        return 0.0
    volume = spec.volume_median(year) * float(np.exp(spec.volume_sigma**2 / 2))
    rate = (spec.default_rate_min + spec.default_rate_max) / 2
    return volume * rate * spec.claim_share / spec.mean_loan_size_yuan


def expected_payout(spec: LoanPoolSpec, year: int) -> float:
    """Expected compensation paid in calendar ``year`` (yuan), before any pool ceiling.

    ``E[payout] = E[number of losses] · E[min(share · LGD · size, cap)]`` (Wald's identity;
    sizes and LGDs are independent of the count). Exact when ``pool_ceiling_yuan`` is
    ``None``; with a ceiling it is an upper bound on the expected payout.
    """
    return expected_losses(spec, year - spec.payout_lag_years) * expected_compensation_per_loss(
        spec
    )


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class LoanDraws:
    """Simulated draws of the pool; money in yuan, ``(n, Y)`` arrays by payout ``years``.

    Attributes
    ----------
    pool_id, years
    payout_yuan : (n, Y)
        Compensation paid that year (after the pool ceiling).
    payout_uncapped_yuan : (n, Y)
        The same before the pool ceiling.
    losses : (n, Y) int
        Number of compensated losses paid that year.
    bank_loss_yuan : (n, Y)
        The banks' losses (LGD × size) behind those payouts.
    volume_yuan : (n, Y)
        Loans made that year (by year of lending).
    default_rate : (n,)
        The draw's default rate.
    max_single_payout_yuan : (n,)
        Largest compensation for one loss in the draw (never above the cap).
    payout_before_yuan, payout_beyond_yuan : (n,)
        Payouts in years before and after the horizon.
    capital_yuan : (n, Y)
        The city's payment into the pool when it is capitalised up front (zeros when the
        pool is paid as claims arise); the pool is then topped up by each payout.
    payout_lag_years : int
        Years from a loan to its compensation (for the split of existing commitments).
    """

    pool_id: str
    years: tuple[int, ...]
    payout_yuan: np.ndarray
    payout_uncapped_yuan: np.ndarray
    losses: np.ndarray
    bank_loss_yuan: np.ndarray
    volume_yuan: np.ndarray
    default_rate: np.ndarray
    max_single_payout_yuan: np.ndarray
    payout_before_yuan: np.ndarray
    payout_beyond_yuan: np.ndarray
    capital_yuan: np.ndarray
    payout_lag_years: int = 1

    @classmethod
    def concat(cls, parts: Sequence[LoanDraws]) -> LoanDraws:
        """Join chunks of draws (in order) into one."""
        return concat_draws(cls, list(parts))

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.default_rate.shape[0])

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays each horizon year: the compensation, and the pool's capital
        in the year it is capitalised (yuan, (n, Y))."""
        return self.payout_yuan + self.capital_yuan

    @property
    def budget_inflow(self) -> np.ndarray:
        """Nothing comes back to the city from the pool (zeros, (n, Y))."""
        return np.zeros_like(self.payout_yuan)

    @property
    def gross_outlay(self) -> np.ndarray:
        """The city's outlay (the pool has no other payer; yuan, (n, Y))."""
        return self.budget_outlay

    def existing_outlay(self, plan_start: int) -> np.ndarray:
        """Compensation for losses on loans made before ``plan_start`` (paid
        ``payout_lag_years`` after the lending), and capital paid before it (yuan)."""
        years = np.asarray(self.years)
        lent_before = years - self.payout_lag_years < plan_start
        return self.payout_yuan * lent_before + self.capital_yuan * (years < plan_start)


def _symmetric_beta(
    rng_radius: np.random.Generator, rng_angle: np.random.Generator, a: float, size: int
) -> np.ndarray:
    """Beta(a, a) variates for a > 1/2 by Ulrich's method (exact, two uniforms each).

    ``X = (1 + √(1 - U^(2/(2a-1))) · cos(2πV)) / 2`` with U, V uniform (G. Ulrich,
    "Computer generation of distributions on the m-sphere", *Applied Statistics* 33,
    1984; L. Devroye, *Non-Uniform Random Variate Generation*, 1986, chapter IX). In
    single precision, like the other variates; about six times faster than
    ``Generator.beta``. U is taken in (0, 1] so that its logarithm is finite.
    """
    radius = 1 - rng_radius.random(size, dtype=VARIATE_DTYPE)
    np.log(radius, out=radius)
    radius *= VARIATE_DTYPE(2 / (2 * a - 1))
    np.exp(radius, out=radius)
    np.subtract(VARIATE_DTYPE(1), radius, out=radius)
    np.sqrt(radius, out=radius)
    angle = rng_angle.random(size, dtype=VARIATE_DTYPE)
    angle *= VARIATE_DTYPE(2 * np.pi)
    np.cos(angle, out=angle)
    angle *= radius
    angle += VARIATE_DTYPE(1)
    angle *= VARIATE_DTYPE(0.5)
    return angle


def _lgd_source(spec: LoanPoolSpec, key: tuple[str, str], seed: int, block: int):
    """``size -> LGD of each of the next size losses`` (a scalar when fixed), drawn in
    order across calls.

    A beta LGD with mean 0.5 is symmetric and drawn by :func:`_symmetric_beta` (when
    its parameter exceeds 1/2); others by ``Generator.beta``.
    """
    beta = spec.lgd_beta
    if beta is None:
        return lambda size: spec.lgd_mean
    a, b = beta
    rng = stream(seed, *key, "lgd", block)
    if a == b and a > 0.5:  # lgd_mean = 0.5
        angle = stream(seed, *key, "lgd_angle", block)
        return lambda size: _symmetric_beta(rng, angle, a, size)
    return lambda size: rng.beta(a, b, size=size)


#: Draws whose losses are simulated together: their per-loss temporaries stay in the
#: processor's cache. The streams are consumed in draw order, so chunking never
#: changes a draw.
_CHUNK_ROWS = 512


def _simulate_losses(
    spec: LoanPoolSpec, counts: np.ndarray, sizes: np.random.Generator, lgd
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compensation and bank losses by (draw, year of lending) and each draw's largest
    compensation, for draws with ``counts`` losses per year (consuming the streams)."""
    n, lend_years = counts.shape
    # one value per loss, in (draw, year) order: each (draw, year) cell's losses are a
    # contiguous run
    cell_counts = counts.reshape(-1)
    total = int(cell_counts.sum())
    bank_loss = np.multiply(
        spec.loan_size_sigma, sizes.standard_normal(total, dtype=VARIATE_DTYPE), dtype=np.float64
    )
    np.exp(bank_loss, out=bank_loss)
    bank_loss *= spec.loan_size_median_yuan  # loan size, yuan
    bank_loss *= lgd(total)
    compensation = np.multiply(spec.compensation_share, bank_loss)
    np.minimum(compensation, spec.cap_per_loss_yuan, out=compensation)
    return (
        run_sums(compensation, cell_counts).reshape(n, lend_years),
        run_sums(bank_loss, cell_counts).reshape(n, lend_years),
        run_sums(compensation, counts.sum(axis=1), np.maximum),
    )


def _simulate_block(spec: LoanPoolSpec, seed: int, block: int, n: int) -> dict[str, np.ndarray]:
    """Per-draw results (by year of lending) of rows ``[0, n)`` of a block."""
    key = ("loans", spec.id)
    lend_years = spec.last_year - spec.first_year + 1
    medians = np.array([spec.volume_median(spec.first_year + j) for j in range(lend_years)])
    z_volume = stream(seed, *key, "volume", block).standard_normal((n, lend_years))
    volume = medians * np.exp(spec.volume_sigma * z_volume)
    u_rate = stream(seed, *key, "default_rate", block).random(n)
    rate = spec.default_rate_min + u_rate * (spec.default_rate_max - spec.default_rate_min)
    mean_losses = volume * (rate * spec.claim_share / spec.mean_loan_size_yuan)[:, None]
    counts = stream(seed, *key, "losses", block).poisson(mean_losses)
    # one value per loss, in (draw, year) order: the first rows' losses are a prefix of
    # the streams whatever the block's length, which keeps the prefix property
    sizes, lgd = stream(seed, *key, "loan_size", block), _lgd_source(spec, key, seed, block)
    chunks = [
        _simulate_losses(spec, counts[lo : lo + _CHUNK_ROWS], sizes, lgd)
        for lo in range(0, n, _CHUNK_ROWS) or [0]
    ]
    uncapped, bank_loss, largest = (np.concatenate(part) for part in zip(*chunks, strict=True))
    return {
        "uncapped": uncapped,
        "bank_loss": bank_loss,
        "losses": counts,
        "volume": volume,
        "default_rate": rate,
        "largest": largest,
    }


def _loan_draws(spec: LoanPoolSpec, years: np.ndarray, rows: dict[str, np.ndarray]) -> LoanDraws:
    """The pool's draws from the per-draw results of :func:`_simulate_block`."""
    uncapped, counts, rate = rows["uncapped"], rows["losses"], rows["default_rate"]
    ceiling = np.inf if spec.pool_ceiling_yuan is None else spec.pool_ceiling_yuan
    paid = np.minimum(uncapped, ceiling)
    paid_from = spec.first_year + spec.payout_lag_years

    def horizon(values, first=paid_from):
        return to_horizon(values, first, years, stock=False)

    payout, before, beyond = horizon(paid)
    return LoanDraws(
        pool_id=spec.id,
        years=tuple(int(y) for y in years),
        payout_yuan=payout,
        payout_uncapped_yuan=horizon(uncapped)[0],
        losses=horizon(counts)[0],
        bank_loss_yuan=horizon(rows["bank_loss"])[0],
        volume_yuan=horizon(rows["volume"], spec.first_year)[0],
        default_rate=rate,
        max_single_payout_yuan=rows["largest"],
        payout_before_yuan=before,
        payout_beyond_yuan=beyond,
        capital_yuan=np.broadcast_to(pool_capital(spec, years), payout.shape).copy(),
        payout_lag_years=spec.payout_lag_years,
    )


def pool_capital(spec: LoanPoolSpec, years: Sequence[int] | np.ndarray) -> np.ndarray:
    """The city's payment into the pool by year when it is capitalised up front (yuan,
    zeros otherwise)."""
    years = [int(year) for year in years]
    capital = np.zeros(len(years))
    if spec.capitalisation is not None and spec.capitalisation.year in years:
        capital[years.index(spec.capitalisation.year)] = spec.capitalisation.capital_yuan
    return capital


def simulate_loans(
    spec: LoanPoolSpec, years: Sequence[int], start: int, stop: int, *, seed: int
) -> LoanDraws:
    """Simulate draws ``[start, stop)`` of the loan-risk compensation pool (article 21).

    Parameters
    ----------
    spec : LoanPoolSpec
    years : sequence of int
        The horizon (consecutive calendar years) of the payouts.
    start, stop : int
        The draw range; draw ``i`` is the same whatever range it is simulated in.
    seed : int
        Root seed; streams are keyed ``("loans", spec.id, quantity, block)``.

    Returns
    -------
    LoanDraws
    """
    horizon = check_years(years)
    check_draw_range(start, stop)
    rows = rows_of_blocks(lambda block, n: _simulate_block(spec, seed, block, n), start, stop)
    return _loan_draws(spec, horizon, rows)


def summarize_loans(
    draws: LoanDraws,
    spec: LoanPoolSpec,
    *,
    tolerance: float | None = None,
    periods: Periods | None = None,
) -> dict[str, pd.DataFrame]:
    """Tables of the pool's payouts.

    Parameters
    ----------
    draws : LoanDraws
    spec : LoanPoolSpec
    tolerance : float, optional
        Accepted for a uniform signature; the pool has no tolerance rate.
    periods : Periods, optional
        The scenario's horizon and plan years (default: the draws' years are the horizon).

    Returns
    -------
    dict of str to DataFrame
        ``loan_compensation`` (index pool, year): mean, sd, median and tail quantiles
        (90/95/99%) and maximum of the payout, its standard error, the exact expectation
        (:func:`expected_payout`), mean losses and bank losses, loan volume, and the
        share of draws where the pool ceiling binds; ``loan_compensation_totals`` (index
        pool, period): the payout's mean and P95 in each budget period, with its years.
    """
    del tolerance
    expected = [expected_payout(spec, year) for year in draws.years]
    stats = DrawStats.of(loan_quantities(draws, periods))
    return loan_tables(stats, draws.years, spec, expected, periods)


@dataclass(frozen=True)
class LoanPool(SpecModel[LoanPoolSpec]):
    """The loan-risk compensation pool (article 21) as a
    :class:`~model.finance.contract.Programme`: its city outlay is the compensation paid."""

    def simulate(self, years: Sequence[int], start: int, stop: int, *, seed: int) -> LoanDraws:
        """Draws ``[start, stop)`` on the run's year axis (see :func:`simulate_loans`)."""
        return simulate_loans(self.spec, years, start, stop, seed=seed)

    def budget_flows(self, draws: LoanDraws) -> dict[str, Flow]:
        """Compensation (and any pool capital) is the appropriation; nothing comes back
        (see :meth:`Programme.budget_flows`)."""
        outlay = (draws.budget_outlay, draws.payout_before_yuan, draws.payout_beyond_yuan)
        zero = (np.zeros_like(draws.payout_yuan), 0.0, 0.0)
        return {
            "capital_calls": outlay,
            "fees": zero,
            "recycled": zero,
            "appropriation": outlay,
            "returned": zero,
        }

    def summarize(self, draws: LoanDraws, periods: Periods) -> dict[str, pd.DataFrame]:
        """The pool's tables (see :func:`summarize_loans`)."""
        return summarize_loans(draws, self.spec, periods=periods)

    def quantities(self, draws: LoanDraws, periods: Periods) -> dict[str, np.ndarray]:
        """The per-draw quantities its tables are statistics of."""
        return loan_quantities(draws, periods)

    def tables(
        self, stats: DrawStats, draws: LoanDraws, periods: Periods
    ) -> dict[str, pd.DataFrame]:
        """Its tables from the statistics of :meth:`quantities` over a run's chunks."""
        expected = [expected_payout(self.spec, year) for year in draws.years]
        return loan_tables(stats, draws.years, self.spec, expected, periods)

    def expected_outlay(self, years: Sequence[int]) -> np.ndarray:
        """:func:`expected_payout` by year, exact without a pool ceiling; NaN with one
        (where it is only an upper bound)."""
        if self.spec.pool_ceiling_yuan is not None:
            return np.full(len(years), np.nan)
        payouts = np.array([expected_payout(self.spec, year) for year in years])
        return payouts + pool_capital(self.spec, years)


__all__ = [
    "LoanDraws",
    "LoanPool",
    "expected_compensation_per_loss",
    "expected_losses",
    "expected_payout",
    "pool_capital",
    "simulate_loans",
    "summarize_loans",
]
