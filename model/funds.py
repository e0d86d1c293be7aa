"""Fund portfolios under tolerance rates (容错率), article 20 of the draft policy.

Article 20: 用好10亿元规模未来种子基金 … 种子基金容错率50%，天使基金容错率40%. A fund is
a portfolio of deals made over an investment period; each deal is written off (with a
possible partial recovery) or exits at a multiple of its cost drawn from a lognormal body
with a Pareto tail. Losses are *realised* when a deal is written off or exits below cost;
unrealised holdings stay at cost. Tolerance is tested the way Chinese guidance funds apply
it: cumulative realised loss ÷ invested capital for the fund as a whole (one project may
lose 100% inside the cap), with per-category and per-project rules as alternatives.

Everything is vectorized over draws × deal slots. The only Python loops are over the
random-stream blocks of :mod:`model.streams`, which is what makes draws ``[0, n)`` of a
longer run identical to a run of ``n`` draws, and over chunks of a block's rows, which
keeps the temporaries in the processor's cache without changing any draw (every stream
is consumed in row order). Normals are drawn only for body exits and the copula's ``Φ``
and ``Φ⁻¹`` are only evaluated for the recoveries and tail exits of a correlated fund;
each draw's timelines are accumulated with ``bincount`` on flattened (draw, year)
indices; the running-total budget rules only accumulate the draws that come near their
budget.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Self

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator
from scipy import special, stats

from model.schema import StrictModel
from model.streams import block_ranges, stream

#: ``first_breach_year`` of a draw that never breaches.
NO_BREACH = 0

#: Precision of the standard variates behind deal outcomes, tickets and timing. Single
#: precision halves the cost of the random numbers, the main cost of a fund simulation;
#: money (tickets, costs, proceeds) is still computed in float64 from them.
VARIATE_DTYPE = np.float32

_ID = r"^[a-z][a-z0-9_]*$"


class Category(StrEnum):
    """Investment stage of a deal, as tolerance rules group them."""

    SEED = "seed"
    ANGEL = "angel"
    VENTURE = "venture"


class ToleranceRule(StrEnum):
    """How the tolerance rate is tested."""

    FUND = "fund"                # cumulative loss ÷ invested, the fund as a whole
    CATEGORY = "category"        # the same within each stage category, each its own rate
    PER_PROJECT = "per_project"  # each project's loss ÷ its cost (the strict reading)


class LossMeasure(StrEnum):
    """What counts as loss in the numerator of the loss ratio."""

    GROSS = "gross"  # realised losses only (write-offs, exits below cost)
    NET = "net"      # realised losses less realised gains, floored at zero


class OutcomeSpec(StrictModel):
    """Outcome of one equity stake, as a multiple of its cost and a realisation lag.

    A stake is written off with probability ``write_off_prob`` (a share of write-offs
    recover ``U(0, recovery_max)`` of cost); otherwise it exits at a multiple drawn from
    a lognormal body (median ``body_median``, log-sd ``body_sigma``) or, with probability
    ``tail_prob``, a Pareto tail ``tail_min · U^(-1/tail_alpha)``; multiples are capped at
    ``multiple_cap``. Lags are whole years, uniform on the given ranges.
    """

    write_off_prob: float = Field(ge=0, le=1)
    recovery_prob: float = Field(default=0.0, ge=0, le=1)
    recovery_max: float = Field(default=0.0, ge=0, le=1)
    body_median: float = Field(gt=0, le=100)
    body_sigma: float = Field(ge=0, le=5)
    tail_prob: float = Field(ge=0, le=1)
    tail_min: float = Field(default=5.0, gt=0, le=1000)
    tail_alpha: float = Field(default=1.16, gt=1, le=10)
    multiple_cap: float = Field(default=100.0, gt=0, le=10_000)
    write_off_years_min: int = Field(ge=0, le=30)
    write_off_years_max: int = Field(ge=0, le=30)
    exit_years_min: int = Field(ge=0, le=30)
    exit_years_max: int = Field(ge=0, le=30)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.write_off_years_min > self.write_off_years_max:
            raise ValueError("write_off_years_min must not exceed write_off_years_max")
        if self.exit_years_min > self.exit_years_max:
            raise ValueError("exit_years_min must not exceed exit_years_max")
        if self.multiple_cap < self.tail_min:
            raise ValueError("multiple_cap must be at least tail_min")
        return self


class StageSpec(StrictModel):
    """The deals of one stage category inside a fund.

    Each investment year the fund makes ``U{deals_per_year_min, …, deals_per_year_max}``
    deals of this stage, with tickets ``U(ticket_min_yuan, ticket_max_yuan)`` (yuan).
    """

    category: Annotated[Category, Field(strict=False)]
    deals_per_year_min: int = Field(ge=0, le=10_000)
    deals_per_year_max: int = Field(ge=0, le=10_000)
    ticket_min_yuan: float = Field(gt=0)
    ticket_max_yuan: float = Field(gt=0)
    tolerance: float = Field(ge=0, le=1, description="Rate used by the category rule.")
    outcome: OutcomeSpec
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _tickets(self) -> Self:
        if self.ticket_min_yuan > self.ticket_max_yuan:
            raise ValueError("ticket_min_yuan must not exceed ticket_max_yuan")
        if self.deals_per_year_min > self.deals_per_year_max:
            raise ValueError("deals_per_year_min must not exceed deals_per_year_max")
        return self


class FundSpec(StrictModel):
    """A fund: size, the city's share, pacing, follow-ons, fees and its tolerance rule.

    Fees are a fixed schedule on committed capital (``fee_rate_investment`` a year in the
    investment period, ``fee_rate_after`` a year afterwards), so the capital left to invest
    is ``size_yuan`` less all fees; ``follow_on_reserve`` of it is kept for follow-ons.
    Capital calls (investments plus fees) never exceed ``size_yuan``. The manager's
    carried interest is ``carry_rate`` of the fund's profit, taken from distributions
    once the investors have got back everything they paid in (a whole-fund waterfall
    without hurdle); profit concessions to social capital (让利) are not modelled.
    ``outcome_correlation`` ties the outcomes of one draw's deals together through a
    common factor (see :func:`draw_outcomes`).
    """

    id: str = Field(pattern=_ID, max_length=64)
    name_zh: str | None = None
    size_yuan: float = Field(gt=0)
    city_share: float = Field(gt=0, le=1, description="City's share of the fund's capital.")
    first_year: int = Field(ge=2000, le=2100)
    investment_years: int = Field(ge=1, le=20)
    life_years: int = Field(ge=1, le=30)
    follow_on_reserve: float = Field(default=0.0, ge=0, lt=1)
    follow_on_prob: float = Field(default=0.0, ge=0, le=1)
    follow_on_ratio: float = Field(default=1.0, ge=0, le=20)
    follow_on_lag_years: int = Field(default=2, ge=1, le=20)
    fee_rate_investment: float = Field(default=0.0, ge=0, le=0.1)
    fee_rate_after: float = Field(default=0.0, ge=0, le=0.1)
    carry_rate: float = Field(default=0.0, ge=0, le=0.5)
    outcome_correlation: float = Field(default=0.0, ge=0, lt=1)
    tolerance: float = Field(ge=0, le=1, description="Tolerance rate (article 20).")
    tolerance_rule: Annotated[ToleranceRule, Field(strict=False)] = ToleranceRule.FUND
    loss_measure: Annotated[LossMeasure, Field(strict=False)] = LossMeasure.GROSS
    stages: list[StageSpec] = Field(min_length=1, max_length=3)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        if self.life_years < self.investment_years:
            problems.append("life_years must be at least investment_years")
        if self.fee_schedule().sum() >= self.size_yuan:
            problems.append("management fees would use up the whole fund")
        categories = [stage.category for stage in self.stages]
        if len(set(categories)) != len(categories):
            problems.append("each stage category may appear once")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def fee_schedule(self) -> np.ndarray:
        """Management fees by year of the fund's life (yuan, length ``life_years``)."""
        rates = np.where(np.arange(self.life_years) < self.investment_years,
                         self.fee_rate_investment, self.fee_rate_after)
        return rates * self.size_yuan

    @property
    def investable_yuan(self) -> float:
        """Capital available for deals: the fund size less all fees (yuan)."""
        return float(self.size_yuan - self.fee_schedule().sum())

    @property
    def last_year(self) -> int:
        """Liquidation year (calendar)."""
        return self.first_year + self.life_years - 1


# --------------------------------------------------------------------------- outcomes

@dataclass(frozen=True)
class DealOutcomes:
    """Outcomes of a set of stakes, each array shaped like the inputs.

    Attributes
    ----------
    multiple : ndarray of float
        Proceeds ÷ cost (0 for a total write-off).
    lag_years : ndarray of int
        Years from investment (or conversion) to write-off or exit.
    written_off : ndarray of bool
    """

    multiple: np.ndarray
    lag_years: np.ndarray
    written_off: np.ndarray


def _param(specs: Sequence[StrictModel], name: str, category: np.ndarray | None,
           dtype: type = np.float64):
    """A parameter per stake: a scalar when all categories share it, else gathered."""
    values: np.ndarray = np.array([getattr(spec, name) for spec in specs], dtype=dtype)
    if category is None or np.all(values == values[0]):
        return values[0]
    return values[category]  # category is per slot (a column vector), so this is cheap


def outcomes_from_variates(outcomes: Sequence[OutcomeSpec], category: np.ndarray | None,
                           u_outcome: np.ndarray, z_multiple: np.ndarray,
                           u_timing: np.ndarray) -> DealOutcomes:
    """Turn standard variates into stake outcomes (pure; no randomness of its own).

    Parameters
    ----------
    outcomes : sequence of OutcomeSpec
        One outcome model per category.
    category : ndarray of int or None
        Index into ``outcomes`` per stake, broadcastable against the variates (a fund
        passes one per deal slot); ``None``: all use ``outcomes[0]``.
    u_outcome : ndarray
        Uniform [0, 1): picks write-off / body / tail and, rescaled within its branch,
        the recovery share or the Pareto quantile.
    z_multiple : ndarray
        Standard normal: the lognormal body multiple.
    u_timing : ndarray
        Uniform [0, 1): the lag within the branch's year range.

    Returns
    -------
    DealOutcomes
    """
    table = [_derived(outcome) for outcome in outcomes]

    def p(name):
        return _param(table, name, category, u_outcome.dtype.type)

    written_off = u_outcome < p("write_off_prob")
    multiple = p("body_sigma") * z_multiple
    multiple += p("log_median")
    np.exp(multiple, out=multiple)
    np.minimum(multiple, p("multiple_cap"), out=multiple)
    np.copyto(multiple, 0.0, where=written_off)
    # within its branch u_outcome is again uniform: it also sets the recovery share and
    # the Pareto quantile, so no extra variates are needed
    for branch, value in (("recovery", _recovery), ("tail", _pareto)):
        at = np.nonzero(u_outcome < p("recovery_threshold") if branch == "recovery"
                        else u_outcome >= p("tail_threshold"))
        if at[0].size:
            def param(name, at=at):
                value = p(name)
                return np.broadcast_to(value, u_outcome.shape)[at] if np.ndim(value) else value

            multiple[at] = value(u_outcome[at], param)
    # whole years: truncate u * span (< span) first, then add the branch's minimum
    span = np.where(written_off, p("write_off_span"), p("exit_span"))
    span *= u_timing
    lag = span.astype(np.int64)
    lag += np.where(written_off, p("write_off_years_min"), p("exit_years_min")).astype(np.int64)
    return DealOutcomes(multiple, lag, written_off)


def _recovery(u, param):
    """Recovered share of cost of a written-off stake, ``U(0, recovery_max)``."""
    return u * param("recovery_slope")


def _pareto(u, param):
    """Multiple of a tail exit: Pareto from ``tail_min``, capped."""
    quantile = (u - param("tail_threshold")) * param("tail_scale")
    pareto = param("tail_min") * (1.0 - quantile.astype(np.float64)) ** param("tail_exponent")
    return np.minimum(pareto, param("multiple_cap"))


class _Derived(StrictModel):
    """Per-category constants of an outcome model, in the form the sampler uses."""

    write_off_prob: float
    log_median: float
    body_sigma: float
    multiple_cap: float
    recovery_threshold: float
    recovery_slope: float
    tail_threshold: float
    tail_scale: float
    tail_min: float
    tail_exponent: float
    write_off_years_min: int
    write_off_span: int
    exit_years_min: int
    exit_span: int


#: Branch probabilities below this are treated as zero, so that the rescaling factors
#: stay finite in single precision.
_NEGLIGIBLE = 1e-30


def _derived(outcome: OutcomeSpec) -> _Derived:
    p, r, t = outcome.write_off_prob, outcome.recovery_prob, outcome.tail_prob
    recovers, tails = p * r > _NEGLIGIBLE, (1 - p) * t > _NEGLIGIBLE
    return _Derived(
        write_off_prob=p, log_median=float(np.log(outcome.body_median)),
        body_sigma=outcome.body_sigma, multiple_cap=outcome.multiple_cap,
        recovery_threshold=p * r if recovers else 0.0,
        recovery_slope=outcome.recovery_max / (p * r) if recovers else 0.0,
        tail_threshold=p + (1 - p) * (1 - t) if tails else 1.0,
        tail_scale=1 / ((1 - p) * t) if tails else 0.0,
        tail_min=outcome.tail_min, tail_exponent=-1 / outcome.tail_alpha,
        write_off_years_min=outcome.write_off_years_min,
        write_off_span=outcome.write_off_years_max - outcome.write_off_years_min + 1,
        exit_years_min=outcome.exit_years_min,
        exit_span=outcome.exit_years_max - outcome.exit_years_min + 1)


@dataclass(frozen=True)
class _OutcomeTable:
    """The constants of :func:`_derived` as arrays by category, built once per call.

    Probabilities that set branches are kept in double precision (the conditional
    thresholds of correlated outcomes are computed from them) and in single precision
    (compared with the single-precision variates); the body parameters are in single
    precision like the variates they transform.
    """

    write_off_prob: np.ndarray
    recovery_threshold: np.ndarray
    tail_threshold: np.ndarray
    write_off_single: np.ndarray
    recovery_single: np.ndarray
    tail_single: np.ndarray
    log_median: np.ndarray
    body_sigma: np.ndarray
    multiple_cap: np.ndarray
    recovery_slope: np.ndarray
    tail_scale: np.ndarray
    tail_min: np.ndarray
    tail_exponent: np.ndarray
    write_off_span: np.ndarray
    exit_span: np.ndarray
    write_off_years_min: np.ndarray
    exit_years_min: np.ndarray
    same: frozenset[str]  # the constants all categories share

    @classmethod
    def of(cls, outcomes: Sequence[OutcomeSpec]) -> _OutcomeTable:
        derived = [_derived(outcome) for outcome in outcomes]

        def column(name, dtype=np.float64):
            return np.array([getattr(d, name) for d in derived], dtype=dtype)

        probabilities = [column(name) for name in
                         ("write_off_prob", "recovery_threshold", "tail_threshold")]
        single = VARIATE_DTYPE
        values = [*probabilities, *(p.astype(single) for p in probabilities),
                  column("log_median", single), column("body_sigma", single),
                  column("multiple_cap", single), column("recovery_slope", single),
                  column("tail_scale"), column("tail_min", single), column("tail_exponent"),
                  column("write_off_span", single), column("exit_span", single),
                  column("write_off_years_min", np.int8), column("exit_years_min", np.int8)]
        names = [f.name for f in dataclasses.fields(cls)][:len(values)]
        constants = dict(zip(names, values, strict=True))
        return cls(**constants, same=frozenset(name for name, value in constants.items()
                                               if np.all(value == value[0])))

    @property
    def shared(self) -> bool:
        """Whether every category has the same outcome model."""
        return len(self.same) == len(dataclasses.fields(self)) - 1

    def per_stake(self, name: str, category):
        """Constant ``name`` per stake (``category`` broadcastable against the stakes):
        a scalar when all categories share it."""
        values = getattr(self, name)
        return values[0] if category is None or name in self.same else values[category]


def _per_category(values: np.ndarray, category):
    """One value per stake: a scalar when all categories share it, else gathered."""
    if category is None or np.all(values == values[0]):
        return values[0]
    return values[category]


def _conditional_thresholds(table: _OutcomeTable, factor: np.ndarray,
                            correlation: float) -> tuple[np.ndarray, ...]:
    """Branch thresholds of each row's stakes on the scale of ``v = Φ(ε)``, given its factor.

    With ``u = Φ(√ρ·Z + √(1-ρ)·ε)``, ``u < x`` exactly when
    ``v < Φ((Φ⁻¹(x) - √ρ·Z) / √(1-ρ))``. Returns the write-off, recovery and tail
    thresholds, each (rows, categories) in single precision.
    """
    shift = (math.sqrt(correlation) * factor)[:, None]
    scale = math.sqrt(1.0 - correlation)
    return tuple(special.ndtr((special.ndtri(x) - shift) / scale).astype(VARIATE_DTYPE)
                 for x in (table.write_off_prob, table.recovery_threshold, table.tail_threshold))


def _copula_latent(factor: np.ndarray, correlation: float, stride: int):
    """``(flat index, v) -> √ρ·Z_row + √(1-ρ)·Φ⁻¹(v)`` for stakes ``stride`` to a row."""
    loading, noise = math.sqrt(correlation), math.sqrt(1.0 - correlation)

    def latent(index: np.ndarray, v: np.ndarray) -> np.ndarray:
        x = special.ndtri(v.astype(np.float64))
        x *= noise
        x += loading * factor[index // stride]
        return x

    return latent


def _sample_outcomes(table: _OutcomeTable, v: np.ndarray, u_timing: np.ndarray,
                     normals: np.random.Generator, *, category=None, category_of=None,
                     thresholds=None, latent=None, active: np.ndarray | None = None):
    """Stake outcomes from uniforms, drawing a normal only for each body exit.

    Parameters
    ----------
    table : _OutcomeTable
    v : ndarray of float32
        Uniform [0, 1) per stake. Without ``latent`` it is the outcome variate ``u`` of
        :func:`outcomes_from_variates`; with it, ``v = Φ(ε)`` of the copula and
        ``u = Φ(latent(v))``, which is only computed for the recoveries and tail exits
        that need their position within the branch.
    u_timing : ndarray of float32
        Uniform [0, 1) per stake: the lag within the branch's year range.
    normals : numpy.random.Generator
        Source of the body-exit normals, drawn in C order of the body exits, so that the
        first rows' normals are a prefix of the stream whatever the number of rows.
    category : ndarray of int, optional
        Category per stake, broadcastable against ``v`` (e.g. one per column).
    category_of : callable, optional
        ``flat index -> category`` of stakes (needed with ``category``).
    thresholds : (write-off, recovery, tail), optional
        Branch thresholds on ``v``, broadcastable against it; default: the
        unconditional ones per ``category``.
    latent : callable, optional
        ``(flat index, v) -> x``, the copula's latent normal at those stakes.
    active : ndarray of bool, optional
        Only these stakes get a multiple; the others keep 0 and draw no normal.

    Returns
    -------
    (multiple, lag, written_off)
        Multiples (float64), int8 lags in years and the write-off flags, shaped like ``v``.
    """
    if thresholds is None:
        thresholds = tuple(table.per_stake(name, category) for name in
                           ("write_off_single", "recovery_single", "tail_single"))
    write_off_at, recovery_at, tail_at = thresholds
    written_off = v < write_off_at
    tail = v >= tail_at
    recovered = v < recovery_at
    body = written_off | tail
    np.logical_not(body, out=body)
    if active is not None:
        for branch in (body, recovered, tail):
            branch &= active

    # float64 (holding single-precision values for body exits), so that multiplying it
    # with money is a plain double-precision product
    multiple = np.zeros(v.shape)
    flat_multiple, flat_v = multiple.reshape(-1), v.reshape(-1)

    def subset(mask):
        index = np.flatnonzero(mask)
        cache: list[np.ndarray] = []

        def param(name):
            if category_of is None or name in table.same:
                return getattr(table, name)[0]
            if not cache:
                cache.append(category_of(index))
            return getattr(table, name)[cache[0]]

        return index, param

    index, param = subset(body)
    z = normals.standard_normal(index.size, dtype=VARIATE_DTYPE)
    z *= param("body_sigma")
    z += param("log_median")
    np.exp(z, out=z)
    flat_multiple[index] = np.minimum(z, param("multiple_cap"), out=z)

    index, param = subset(recovered)
    if index.size:
        if latent is None:
            flat_multiple[index] = flat_v[index] * param("recovery_slope")
        else:
            u = special.ndtr(latent(index, flat_v[index]))
            # the thresholds are rounded to single precision: keep u inside its branch
            np.minimum(u, param("recovery_threshold"), out=u)
            flat_multiple[index] = u * param("recovery_slope")

    index, param = subset(tail)
    if index.size:
        # 1 - u, in double precision: the Pareto quantile is 1 - (1 - u) · tail_scale
        if latent is None:
            complement = 1.0 - flat_v[index].astype(np.float64)
        else:
            complement = special.ndtr(-latent(index, flat_v[index]))
        complement *= param("tail_scale")
        np.minimum(complement, 1.0, out=complement)
        pareto = np.power(complement, param("tail_exponent"), out=complement)
        pareto *= param("tail_min")
        flat_multiple[index] = np.minimum(pareto, param("multiple_cap"), out=pareto)

    # whole years: truncate u · span (< span) first, then add the branch's minimum; the
    # branch's span and minimum are picked arithmetically (np.where is slower here)
    exit_span = table.per_stake("exit_span", category)
    span = written_off * (table.per_stake("write_off_span", category) - exit_span)
    span += exit_span
    span *= u_timing
    lag = span.astype(np.int8)
    exit_min = table.per_stake("exit_years_min", category)
    lag += written_off * (table.per_stake("write_off_years_min", category) - exit_min)
    lag += exit_min
    return multiple, lag, written_off


def draw_outcomes(outcomes: Sequence[OutcomeSpec], category: np.ndarray | None,
                  shape: tuple[int, ...], *, seed: int, key: Sequence[str | int],
                  block: int, correlation: float = 0.0) -> DealOutcomes:
    """Draw stake outcomes from the keyed streams ``(*key, q, block)``.

    ``q`` is ``"outcome"`` (a uniform per stake: its branch and its position within the
    branch), ``"timing"`` (a uniform per stake: its lag) and ``"multiple"`` (a standard
    normal per body exit, in C order of the body exits); ``shape[0]`` must be the
    block's ``hi`` so that rows are a prefix independent of ``hi``.

    With ``correlation`` ρ > 0 the outcome variates of one draw (one row) share a common
    factor (a one-factor Gaussian copula, as in the Vasicek credit model):
    ``u = Φ(√ρ·Z_row + √(1-ρ)·ε)`` with ``Z_row`` from ``(*key, "outcome_factor", block)``.
    It is sampled without computing ``u`` for every stake: given ``Z_row``, each stake
    is in a branch with a probability known in closed form, so the uniform ``v = Φ(ε)``
    is compared with those conditional thresholds, and ``u`` itself is only computed for
    recoveries and tail exits, whose size depends on it. Each stake's marginal outcome
    distribution is unchanged; only the spread of portfolio results widens (good and
    bad vintages).
    """
    table = _OutcomeTable.of(outcomes)
    v = stream(seed, *key, "outcome", block).random(shape, dtype=VARIATE_DTYPE)
    u_timing = stream(seed, *key, "timing", block).random(shape, dtype=VARIATE_DTYPE)
    normals = stream(seed, *key, "multiple", block)
    category_full = (None if category is None or table.shared
                     else np.ascontiguousarray(np.broadcast_to(category, shape)))
    category_of = None if category_full is None else category_full.reshape(-1).__getitem__
    thresholds = latent = None
    if correlation > 0 and shape[0]:
        factor = stream(seed, *key, "outcome_factor", block).standard_normal(shape[0])
        per_row = _conditional_thresholds(table, factor, correlation)
        if category_full is None:
            row_shape = (shape[0], *[1] * (len(shape) - 1))
            thresholds = tuple(t[:, :1].reshape(row_shape) for t in per_row)
        else:
            rows = category_full.reshape(shape[0], -1)
            thresholds = tuple(np.take_along_axis(t, rows, axis=1).reshape(shape)
                               for t in per_row)
        latent = _copula_latent(factor, correlation, math.prod(shape[1:]))
    multiple, lag, written_off = _sample_outcomes(
        table, v, u_timing, normals, category=category_full, category_of=category_of,
        thresholds=thresholds, latent=latent)
    return DealOutcomes(multiple, lag.astype(np.int64), written_off)


class StakeOutcomes:
    """Outcomes of independent stakes with one outcome model, drawn from the keyed
    streams ``(*key, q, block)`` of :func:`draw_outcomes` and continuing in stream order
    from call to call.

    Calling it with ``size`` stakes at a time, in order, gives the same outcomes as one
    call with all of them (and as ``draw_outcomes([outcome], None, (total,), ...)``), so
    a model can simulate the draws of a block in chunks without changing them.
    """

    def __init__(self, outcome: OutcomeSpec, *, seed: int, key: Sequence[str | int],
                 block: int):
        self.table = _OutcomeTable.of([outcome])
        self.streams = {name: stream(seed, *key, name, block)
                        for name in ("outcome", "timing", "multiple")}

    def __call__(self, size: int) -> DealOutcomes:
        """Outcomes of the next ``size`` stakes."""
        v = self.streams["outcome"].random(size, dtype=VARIATE_DTYPE)
        u_timing = self.streams["timing"].random(size, dtype=VARIATE_DTYPE)
        multiple, lag, written_off = _sample_outcomes(self.table, v, u_timing,
                                                      self.streams["multiple"])
        return DealOutcomes(multiple, lag.astype(np.int64), written_off)


def outcome_statistics(outcome: OutcomeSpec) -> dict[str, float]:
    """Exact outcome statistics of a stake (closed forms, no simulation).

    Returns
    -------
    dict
        ``share_below_1x``, ``share_at_least_10x``, ``share_written_off``,
        ``mean_multiple`` (cost-weighted pooled multiple with equal tickets),
        ``loss_per_cost`` (expected realised gross loss ÷ cost) and
        ``mean_lag_years`` (expected years to realisation).
    """
    p, t = outcome.write_off_prob, outcome.tail_prob
    mu, sigma, cap = np.log(outcome.body_median), outcome.body_sigma, outcome.multiple_cap
    xm, alpha = outcome.tail_min, outcome.tail_alpha

    def body_cdf(x):
        if sigma == 0:
            return float(outcome.body_median < x)
        return float(stats.norm.cdf((np.log(x) - mu) / sigma))

    def body_partial(x):  # E[X; X < x] of the uncapped body
        if sigma == 0:
            return outcome.body_median * float(outcome.body_median < x)
        scale = np.exp(mu + sigma**2 / 2)
        return float(scale * stats.norm.cdf((np.log(x) - mu - sigma**2) / sigma))

    def tail_cdf(x):
        return 0.0 if x <= xm else 1.0 - (xm / x) ** alpha

    def tail_partial(x):  # E[X; X < x] of the uncapped tail
        return 0.0 if x <= xm else alpha * xm / (alpha - 1) * (1 - (xm / x) ** (alpha - 1))

    recovery_mean = outcome.recovery_prob * outcome.recovery_max / 2
    # a recovery is strictly below recovery_max <= 1, so every write-off is below 1x
    below = p + (1 - p) * ((1 - t) * body_cdf(1.0) + t * tail_cdf(1.0))
    at_least_10 = 0.0 if cap < 10 else (1 - p) * ((1 - t) * (1 - body_cdf(10.0))
                                                  + t * (1 - tail_cdf(10.0)))
    body_mean = body_partial(cap) + cap * (1 - body_cdf(cap))
    tail_mean = tail_partial(cap) + cap * (1 - tail_cdf(cap))
    mean = p * recovery_mean + (1 - p) * ((1 - t) * body_mean + t * tail_mean)
    body_loss = body_cdf(1.0) - body_partial(1.0)
    tail_loss = tail_cdf(1.0) - tail_partial(1.0)
    loss = p * (1 - recovery_mean) + (1 - p) * ((1 - t) * body_loss + t * tail_loss)
    lag = (p * (outcome.write_off_years_min + outcome.write_off_years_max) / 2
           + (1 - p) * (outcome.exit_years_min + outcome.exit_years_max) / 2)
    return {"share_below_1x": below, "share_at_least_10x": at_least_10,
            "share_written_off": p, "mean_multiple": mean, "loss_per_cost": loss,
            "mean_lag_years": lag}


# --------------------------------------------------------------------------- results

def concat_draws(cls, parts):
    """Join draw dataclasses of type ``cls`` along the draw axis (metadata must agree)."""
    if not parts:
        raise ValueError("concat needs at least one part")
    first, values = parts[0], {}
    for field in dataclasses.fields(cls):
        value = getattr(first, field.name)
        if isinstance(value, np.ndarray):
            values[field.name] = np.concatenate([getattr(p, field.name) for p in parts])
        else:
            if any(getattr(p, field.name) != value for p in parts[1:]):
                raise ValueError(f"cannot concat draws with different {field.name}")
            values[field.name] = value
    return cls(**values)


def check_years(years: Sequence[int]) -> np.ndarray:
    """Validate a horizon: consecutive calendar years, ascending, at least one."""
    array = np.asarray(list(years), dtype=np.int64)
    if array.ndim != 1 or array.size == 0 or np.any(np.diff(array) != 1):
        raise ValueError(f"years must be consecutive ascending calendar years, got {years!r}")
    return array


def to_horizon(values: np.ndarray, first_year: int, years: np.ndarray, *,
               stock: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map (draws, timeline) values onto horizon years.

    Parameters
    ----------
    values : ndarray, shape (draws, T)
        One column per calendar year ``first_year + j``.
    first_year : int
    years : ndarray of int
        The horizon (consecutive).
    stock : bool
        A stock (year-end level) is 0 before the timeline and held at its last value
        after it; a flow is 0 outside the timeline.

    Returns
    -------
    (horizon, before, beyond)
        ``horizon`` shaped (draws, len(years)); ``before`` and ``beyond`` per draw are
        the flow totals of timeline years before and after the horizon (0 for a stock).
    """
    n, span = values.shape
    n_years = years.size
    shift = int(years[0]) - first_year  # the timeline column of the first horizon year
    # both are consecutive years, so timeline columns [lo, hi) are horizon columns
    # [lo - shift, hi - shift) and slices do (no fancy indexing)
    lo, hi = min(max(shift, 0), span), min(max(shift + n_years, 0), span)
    horizon = np.zeros((n, n_years), dtype=values.dtype)
    horizon[:, lo - shift:hi - shift] = values[:, lo:hi]
    if stock:
        after = max(span - shift, 0)  # the first horizon column past the timeline
        if span and after < n_years:
            horizon[:, after:] = values[:, span - 1:]
        zeros = np.zeros(n, dtype=values.dtype)
        return horizon, zeros, zeros
    return horizon, values[:, :lo].sum(axis=1), values[:, hi:].sum(axis=1)


@dataclass(frozen=True)
class FundDraws:
    """Simulated draws of one fund. Money in yuan; ``(n, Y)`` arrays follow ``years``.

    Attributes
    ----------
    fund_id, years, first_year, city_share
        Identity, the horizon, the fund's first calendar year and the city's share.
    invested_cum_yuan : (n, Y)
        Cumulative cost invested (initial tickets and follow-ons) at year-end.
    calls_yuan, distributions_yuan : (n, Y)
        Fund capital calls (investments + fees) and distributions to the investors (exit
        proceeds and recoveries, less carried interest), by year.
    city_calls_yuan, city_distributions_yuan : (n, Y)
        The city's share of the calls and distributions.
    realised_loss_cum_yuan : (n, Y)
        Cumulative realised gross loss (write-offs, exits below cost) at year-end.
    loss_ratio : (n, Y)
        The fund-level loss ratio (per ``loss_measure``) at year-end.
    breach : (n, Y) bool
        The tolerance rule is breached at that year-end.
    loss_ratio_life : (n, life_years)
        The fund-level loss ratio at every year-end of the fund's life.
    n_deals, invested_total_yuan, realised_loss_total_yuan : (n,)
    liquidation_loss_ratio, liquidation_breach : (n,)
        At the end of the fund's life (everything realised).
    first_breach_year : (n,) int
        First calendar year-end with a breach over the whole life, or ``NO_BREACH`` (0).
    excess_loss_yuan : (n,)
        Loss beyond the tolerance at liquidation, per the rule.
    calls_before_yuan, distributions_before_yuan, calls_beyond_yuan,
    distributions_beyond_yuan : (n,)
        Fund flows in years before and after the horizon.
    """

    fund_id: str
    years: tuple[int, ...]
    first_year: int
    city_share: float
    invested_cum_yuan: np.ndarray
    calls_yuan: np.ndarray
    distributions_yuan: np.ndarray
    city_calls_yuan: np.ndarray
    city_distributions_yuan: np.ndarray
    realised_loss_cum_yuan: np.ndarray
    loss_ratio: np.ndarray
    breach: np.ndarray
    loss_ratio_life: np.ndarray
    n_deals: np.ndarray
    invested_total_yuan: np.ndarray
    realised_loss_total_yuan: np.ndarray
    liquidation_loss_ratio: np.ndarray
    liquidation_breach: np.ndarray
    first_breach_year: np.ndarray
    excess_loss_yuan: np.ndarray
    calls_before_yuan: np.ndarray
    distributions_before_yuan: np.ndarray
    calls_beyond_yuan: np.ndarray
    distributions_beyond_yuan: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[FundDraws]) -> FundDraws:
        """Join chunks of draws (in order) into one."""
        return concat_draws(cls, list(parts))

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.n_deals.shape[0])

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays in each horizon year: its capital calls (yuan, (n, Y))."""
        return self.city_calls_yuan

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back to the city each year: its distributions (yuan, (n, Y))."""
        return self.city_distributions_yuan

    @property
    def city_loss_yuan(self) -> np.ndarray:
        """The city's share of the realised gross loss over the fund's life (yuan, (n,))."""
        return self.city_share * self.realised_loss_total_yuan

    @property
    def city_net_cost_yuan(self) -> np.ndarray:
        """City calls less city distributions over the fund's life (yuan; < 0 is a gain)."""
        calls = self.calls_yuan.sum(1) + self.calls_before_yuan + self.calls_beyond_yuan
        dists = (self.distributions_yuan.sum(1) + self.distributions_before_yuan
                 + self.distributions_beyond_yuan)
        return self.city_share * (calls - dists)


# --------------------------------------------------------------------------- simulation

def _cumulative_ratio(loss_by_year, gain_by_year, invest_by_year, measure):
    """Year-end loss ratio from flows on the last axis; also returns the numerator."""
    numerator = np.cumsum(loss_by_year, axis=-1)
    if measure == LossMeasure.NET:
        numerator = np.maximum(numerator - np.cumsum(gain_by_year, axis=-1), 0.0)
    invested = np.cumsum(invest_by_year, axis=-1)
    ratio = np.divide(numerator, invested, out=np.zeros_like(numerator), where=invested > 0)
    return np.minimum(ratio, 1.0), numerator, invested


def _first_true(flags: np.ndarray) -> np.ndarray:
    """Index of the first True on the last axis, or the axis length when none."""
    return np.where(flags.any(axis=-1), flags.argmax(axis=-1), flags.shape[-1])


#: Rows of a block simulated together. The (rows × deal slots) temporaries of a chunk
#: stay in the processor's cache; the random streams are consumed in row order across
#: chunks, so the chunking never changes a draw.
_CHUNK_ROWS = 512

#: Streams drawn per deal slot (or per body exit) in :func:`_simulate_rows`.
_SLOT_STREAMS = ("ticket", "outcome", "timing", "multiple", "follow_on")


@dataclass(frozen=True)
class _FundPlan:
    """Constants of a fund's deal slots, computed once per :func:`simulate_fund` call.

    Slots are year-major, then stage, then rank within the stage's yearly maximum
    count; a slot is used when its rank is below its (year, stage) cell's count.
    """

    per_year: int
    n_slots: int
    deals_min: np.ndarray
    deals_max: np.ndarray
    cell_slots: np.ndarray
    slot_rank: np.ndarray
    slot_year: np.ndarray
    slot_stage: np.ndarray
    follow_year: np.ndarray
    investable: float
    ticket_lo: np.ndarray | np.floating
    ticket_span: np.ndarray | np.floating
    table: _OutcomeTable
    category: np.ndarray | None

    @classmethod
    def of(cls, spec: FundSpec) -> _FundPlan:
        stages, years = spec.stages, spec.investment_years
        deals_min = np.array([stage.deals_per_year_min for stage in stages])
        deals_max = np.array([stage.deals_per_year_max for stage in stages])
        per_year = int(deals_max.sum())
        slot_stage = np.tile(np.repeat(np.arange(len(stages)), deals_max), years)
        slot_year = np.repeat(np.arange(years, dtype=np.int8), per_year)
        ticket_lo = np.array([stage.ticket_min_yuan for stage in stages])
        ticket_span = np.array([stage.ticket_max_yuan for stage in stages]) - ticket_lo
        table = _OutcomeTable.of([stage.outcome for stage in stages])
        return cls(
            per_year=per_year, n_slots=years * per_year, deals_min=deals_min,
            deals_max=deals_max, cell_slots=np.tile(deals_max, years),
            slot_rank=np.tile(np.concatenate([np.arange(k) for k in deals_max]),
                              years).astype(np.int16),
            slot_year=slot_year, slot_stage=slot_stage,
            follow_year=(slot_year + spec.follow_on_lag_years).astype(np.int8),
            investable=spec.investable_yuan,
            ticket_lo=_per_category(ticket_lo, slot_stage),
            ticket_span=_per_category(ticket_span, slot_stage), table=table,
            category=None if table.shared else slot_stage)


def _keep_within(amounts: np.ndarray, budget, used: np.ndarray | None = None) -> np.ndarray:
    """Zero, in place, each row's amounts from the first whose running total exceeds
    ``budget`` (a scalar or one per row), clearing ``used`` there too; returns the rows
    that may have been cut (the others are unchanged).

    The amounts are non-negative, so a row whose total is below the budget keeps them
    all: only the rows near or over it are accumulated. The margin covers the
    difference between numpy's pairwise sum and the sequential running sum (below
    ``slots · 2.2e-16`` of the total), so the result is that of the running sum.
    """
    budget = np.asarray(budget, dtype=np.float64)
    total = amounts.sum(axis=1)
    near = np.flatnonzero(total * (1.0 + 1e-15 * amounts.shape[1]) > budget)
    if near.size > amounts.shape[0] // 2:
        # most rows: cutting all of them in place beats gathering and scattering rows
        fits = np.cumsum(amounts, axis=1) <= (budget if budget.ndim == 0 else budget[:, None])
        amounts *= fits
        if used is not None:
            used &= fits
    elif near.size:
        limit = budget if budget.ndim == 0 else budget[near, None]
        fits = np.cumsum(amounts[near], axis=1) <= limit
        amounts[near] *= fits
        if used is not None:
            used[near] &= fits
    return near


def _simulate_rows(spec: FundSpec, plan: _FundPlan, streams: dict, counts: np.ndarray,
                   factor: np.ndarray | None,
                   per_row: tuple[np.ndarray, ...] | None) -> dict[str, np.ndarray]:
    """Per-draw results of a chunk of rows: flows by year of the fund's life and the
    rule's breach inputs. ``streams`` are consumed in row order; ``factor`` and
    ``per_row`` are the rows' copula factors and :func:`_conditional_thresholds`."""
    n = counts.shape[0]
    life, invest_years = spec.life_years, spec.investment_years
    per_year, n_slots = plan.per_year, plan.n_slots

    cell_counts = counts.reshape(n, plan.cell_slots.size).astype(np.int16)
    active = plan.slot_rank < np.repeat(cell_counts, plan.cell_slots, axis=1)
    # yuan, in float64 from the single-precision variates
    ticket = streams["ticket"].random((n, n_slots), dtype=VARIATE_DTYPE) * plan.ticket_span
    ticket += plan.ticket_lo
    ticket *= active
    # deals are made in order until the next one no longer fits the initial budget
    investable = plan.investable
    near = _keep_within(ticket, investable * (1.0 - spec.follow_on_reserve), active)
    n_deals = counts.sum(axis=(1, 2))
    n_deals[near] = np.count_nonzero(active[near], axis=1)

    v = streams["outcome"].random((n, n_slots), dtype=VARIATE_DTYPE)
    u_timing = streams["timing"].random((n, n_slots), dtype=VARIATE_DTYPE)
    thresholds = latent = None
    if factor is not None and per_row is not None:
        if plan.category is None:
            thresholds = tuple(t[:, :1] for t in per_row)
        else:  # one per slot: comparing with a broadcast (rows, 1, per_year) is slower
            thresholds = tuple(np.repeat(np.tile(t, invest_years), plan.cell_slots, axis=1)
                               for t in per_row)
        latent = _copula_latent(factor, spec.outcome_correlation, n_slots)
    category_of = (None if plan.category is None
                   else lambda index: plan.slot_stage[index % n_slots])
    multiple, realised, _ = _sample_outcomes(
        plan.table, v, u_timing, streams["multiple"], category=plan.category,
        category_of=category_of, thresholds=thresholds, latent=latent, active=active)
    realised += plan.slot_year
    np.minimum(realised, life - 1, out=realised)

    follow = None
    if spec.follow_on_prob > 0 and spec.follow_on_ratio > 0:
        eligible = (streams["follow_on"].random((n, n_slots), dtype=VARIATE_DTYPE)
                    < spec.follow_on_prob)
        eligible &= active
        eligible &= realised > plan.follow_year  # the stake is still held at the round
        follow = np.multiply(ticket, eligible)
        if spec.follow_on_ratio != 1:
            follow *= spec.follow_on_ratio
        _keep_within(follow, investable - ticket.sum(axis=1))
    cost = ticket if follow is None else ticket + follow
    proceeds = multiple * cost
    loss = np.subtract(cost, proceeds)
    np.maximum(loss, 0.0, out=loss)

    # flows by year of the fund's life, (n, life)
    invest_by_year = np.zeros((n, life))
    invest_by_year[:, :invest_years] = ticket.reshape(n, invest_years, per_year).sum(axis=2)
    lag = spec.follow_on_lag_years
    if follow is not None and lag < life:
        width = min(invest_years, life - lag)
        follow_by_year = follow.reshape(n, invest_years, per_year).sum(axis=2)
        invest_by_year[:, lag:lag + width] += follow_by_year[:, :width]
    flat = np.add(realised, (np.arange(n) * life)[:, None], dtype=np.intp).reshape(-1)

    def by_realised_year(values):
        # (bincount returns integers when there are no deals at all)
        sums = np.bincount(flat, values.reshape(-1), minlength=n * life)
        return sums.astype(float, copy=False).reshape(n, life)

    rows = {"invest_by_year": invest_by_year, "dist_by_year": by_realised_year(proceeds),
            "loss_by_year": by_realised_year(loss), "n_deals": n_deals}
    rows["realised_loss_total"] = rows["loss_by_year"].sum(axis=1)
    gain = None
    if spec.loss_measure == LossMeasure.NET:
        gain = np.subtract(proceeds, cost)
        np.maximum(gain, 0.0, out=gain)
        rows["gain_by_year"] = by_realised_year(gain)

    rule, tolerance = spec.tolerance_rule, spec.tolerance
    if rule == ToleranceRule.CATEGORY:
        n_cat = len(spec.stages)
        index = (np.arange(n)[:, None] * n_cat + plan.slot_stage) * life

        def by_category(values, years_of):
            sums = np.bincount((index + years_of).ravel(), values.ravel(),
                               minlength=n * n_cat * life)
            return sums.astype(float, copy=False).reshape(n, n_cat, life)

        cat_gain = None if gain is None else by_category(gain, realised)
        cat_invest = by_category(ticket, np.broadcast_to(plan.slot_year, realised.shape))
        if follow is not None:
            follow_at = np.minimum(plan.follow_year, life - 1)
            cat_invest += by_category(follow, np.broadcast_to(follow_at, realised.shape))
        cat_ratio, cat_num, cat_inv = _cumulative_ratio(
            by_category(loss, realised), cat_gain, cat_invest, spec.loss_measure)
        rates = np.array([s.tolerance for s in spec.stages])
        rows["breach_life"] = (cat_ratio > rates[None, :, None]).any(axis=1)
        rows["excess"] = np.maximum(cat_num[:, :, -1] - rates * cat_inv[:, :, -1],
                                    0.0).sum(axis=1)
    elif rule == ToleranceRule.PER_PROJECT:
        bad = active & (loss > tolerance * cost)
        rows["first_bad"] = np.where(bad, realised, life).min(axis=1, initial=life)
        rows["excess"] = np.maximum(loss - tolerance * cost, 0.0).sum(axis=1)
    return rows


def _simulate_block(spec: FundSpec, plan: _FundPlan, seed: int, block: int,
                    n: int) -> dict[str, np.ndarray]:
    """Per-draw results of rows ``[0, n)`` of a block (see :func:`_simulate_rows`)."""
    key = ("fund", spec.id)
    counts = stream(seed, *key, "deals", block).integers(
        plan.deals_min, plan.deals_max + 1, size=(n, spec.investment_years, len(spec.stages)))
    factor = per_row = None
    if spec.outcome_correlation > 0:
        factor = stream(seed, *key, "outcome_factor", block).standard_normal(n)
        per_row = _conditional_thresholds(plan.table, factor, spec.outcome_correlation)
    streams = {name: stream(seed, *key, name, block) for name in _SLOT_STREAMS}
    chunks = []
    for lo in range(0, n, _CHUNK_ROWS) or [0]:
        rows = slice(lo, lo + _CHUNK_ROWS)
        chunks.append(_simulate_rows(
            spec, plan, streams, counts[rows], None if factor is None else factor[rows],
            None if per_row is None else tuple(t[rows] for t in per_row)))
    return _join(chunks)


def _fund_draws(spec: FundSpec, years: np.ndarray, rows: dict[str, np.ndarray]) -> FundDraws:
    """The fund's draws from the per-draw results of :func:`_simulate_rows`."""
    life = spec.life_years
    invest_by_year, dist_by_year = rows["invest_by_year"], rows["dist_by_year"]
    loss_by_year = rows["loss_by_year"]
    ratio, numerator, invested = _cumulative_ratio(loss_by_year, rows.get("gain_by_year"),
                                                   invest_by_year, spec.loss_measure)
    loss_cum = (numerator if spec.loss_measure == LossMeasure.GROSS
                else np.cumsum(loss_by_year, axis=1))

    rule, tolerance = spec.tolerance_rule, spec.tolerance
    if rule == ToleranceRule.FUND:
        breach_life = ratio > tolerance
        excess = np.maximum(numerator[:, -1] - tolerance * invested[:, -1], 0.0)
    elif rule == ToleranceRule.CATEGORY:
        breach_life, excess = rows["breach_life"], rows["excess"]
    elif rule == ToleranceRule.PER_PROJECT:
        breach_life = np.arange(life)[None, :] >= rows["first_bad"][:, None]
        excess = rows["excess"]
    else:
        raise ValueError(f"unknown tolerance rule {rule!r}")

    first = _first_true(breach_life)
    first_year = np.where(first < life, spec.first_year + first, NO_BREACH)
    fees = spec.fee_schedule()
    calls_life = invest_by_year + fees
    if spec.carry_rate:
        # carry accrues on cumulative distributions beyond everything paid in; each
        # year's increment is at most carry_rate of that year's distributions
        paid_in = calls_life.sum(axis=1, keepdims=True)
        excess_paid_out = np.maximum(np.cumsum(dist_by_year, axis=1) - paid_in, 0.0)
        dist_by_year = dist_by_year - spec.carry_rate * np.diff(excess_paid_out, axis=1,
                                                                prepend=0.0)
    share = spec.city_share
    calls, calls_before, calls_beyond = to_horizon(calls_life, spec.first_year, years,
                                                   stock=False)
    dists, dists_before, dists_beyond = to_horizon(dist_by_year, spec.first_year, years,
                                                   stock=False)

    def stock(values):
        return to_horizon(values, spec.first_year, years, stock=True)[0]

    return FundDraws(
        fund_id=spec.id, years=tuple(int(y) for y in years), first_year=spec.first_year,
        city_share=share,
        invested_cum_yuan=stock(invested), calls_yuan=calls, distributions_yuan=dists,
        city_calls_yuan=share * calls, city_distributions_yuan=share * dists,
        realised_loss_cum_yuan=stock(loss_cum),
        loss_ratio=stock(ratio), breach=stock(breach_life), loss_ratio_life=ratio,
        n_deals=rows["n_deals"], invested_total_yuan=invested[:, -1],
        realised_loss_total_yuan=rows["realised_loss_total"],
        liquidation_loss_ratio=ratio[:, -1],
        liquidation_breach=breach_life[:, -1], first_breach_year=first_year,
        excess_loss_yuan=excess, calls_before_yuan=calls_before,
        distributions_before_yuan=dists_before, calls_beyond_yuan=calls_beyond,
        distributions_beyond_yuan=dists_beyond)


def run_sums(values: np.ndarray, counts: np.ndarray, ufunc=np.add) -> np.ndarray:
    """Reduce consecutive runs of ``values``, ``counts[i]`` long, with ``ufunc`` (0 for an
    empty run).

    Only the non-empty runs are passed to ``ufunc.reduceat``, so each run is reduced on
    its own values alone: numpy's pairwise sum groups a run's elements by its length, so
    a run that took in one more element (even a zero) could round differently, and a
    draw's sums would then depend on the draws after it.
    """
    result = np.zeros(counts.size, dtype=values.dtype)
    nonempty = np.flatnonzero(counts)
    if nonempty.size:
        starts = np.cumsum(counts) - counts
        result[nonempty] = ufunc.reduceat(values, starts[nonempty])
    return result


def _join(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Join dicts of per-draw arrays along the draw axis."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def rows_of_blocks(simulate_block, start: int, stop: int) -> dict[str, np.ndarray]:
    """Per-draw arrays of draws ``[start, stop)`` from the random-stream blocks.

    ``simulate_block(block, hi)`` returns a dict of arrays whose first axis is rows
    ``[0, hi)`` of ``block`` (the rows before ``lo`` are simulated too, so that every
    stream is consumed in row order); each block's rows ``[lo, hi)`` are kept and
    joined. Models return per-draw timelines from their blocks and map them onto the
    horizon once, for all draws.
    """
    pieces = block_ranges(start, stop) or [(0, 0, 0)]
    return _join([{name: values[lo:hi] for name, values in simulate_block(block, hi).items()}
                  for block, lo, hi in pieces])


def slice_draws(draws, lo: int, hi: int):
    """Rows ``[lo, hi)`` of every array field of a draws dataclass."""
    return dataclasses.replace(draws, **{
        f.name: getattr(draws, f.name)[lo:hi] for f in dataclasses.fields(draws)
        if isinstance(getattr(draws, f.name), np.ndarray)})


def check_draw_range(start: int, stop: int) -> None:
    """Validate a draw range ``[start, stop)``."""
    if isinstance(start, bool) or isinstance(stop, bool) or not 0 <= start <= stop:
        raise ValueError(f"need 0 <= start <= stop, got start={start!r}, stop={stop!r}")


def simulate_fund(spec: FundSpec, years: Sequence[int], start: int, stop: int, *,
                  seed: int) -> FundDraws:
    """Simulate draws ``[start, stop)`` of one fund.

    Parameters
    ----------
    spec : FundSpec
    years : sequence of int
        The horizon (consecutive calendar years). Flows outside it are reported as
        before/beyond-horizon totals; the fund's whole life is always simulated.
    start, stop : int
        The draw range; draw ``i`` is the same whatever range it is simulated in.
    seed : int
        Root seed; streams are keyed ``("fund", spec.id, quantity, block)``.

    Returns
    -------
    FundDraws
    """
    horizon = check_years(years)
    check_draw_range(start, stop)
    plan = _FundPlan.of(spec)
    rows = rows_of_blocks(lambda block, n: _simulate_block(spec, plan, seed, block, n),
                          start, stop)
    return _fund_draws(spec, horizon, rows)


# --------------------------------------------------------------------------- summaries

def quantiles(values: np.ndarray, qs: Sequence[float], axis: int = 0) -> np.ndarray:
    """``np.quantile`` that returns NaN instead of failing on zero draws."""
    if values.shape[axis] == 0:
        return np.full((len(qs), *np.delete(values.shape, axis)), np.nan)
    return np.quantile(values, qs, axis=axis)


def _rule_flags(draws: FundDraws, tolerance: float | None):
    """Breach flags (by horizon year, at liquidation, first year) and excess loss."""
    if tolerance is None:
        return (draws.breach, draws.liquidation_breach, draws.first_breach_year,
                draws.excess_loss_yuan)
    life = draws.loss_ratio_life > tolerance
    first = _first_true(life)
    first_year = np.where(first < life.shape[1], draws.first_year + first, NO_BREACH)
    numerator = draws.liquidation_loss_ratio * draws.invested_total_yuan
    excess = np.maximum(numerator - tolerance * draws.invested_total_yuan, 0.0)
    return draws.loss_ratio > tolerance, life[:, -1], first_year, excess


def summarize_funds(draws: FundDraws, spec: FundSpec, *,
                    tolerance: float | None = None) -> dict[str, pd.DataFrame]:
    """Summary tables of one fund's draws.

    Parameters
    ----------
    draws : FundDraws
    spec : FundSpec
        The spec the draws came from.
    tolerance : float, optional
        Test this rate against the fund-level loss ratio instead of the spec's rule
        (``None``: the flags simulated with the spec's rule and rates).

    Returns
    -------
    dict of str to DataFrame
        ``funds_by_year`` (index fund, year): means and quantiles of invested capital,
        calls, distributions, the city's flows, realised loss and the loss ratio, and
        P(breach) at each year-end and P(first breach by then);
        ``funds_totals`` (index fund, period): mean flows before, in and beyond the
        horizon and over the life; ``tolerance`` (index fund): the liquidation loss-ratio
        distribution, P(breach) with its standard error, expected excess loss and the
        city's loss; ``first_breach_year`` (index fund, first_breach_year): shares.
    """
    rate = spec.tolerance if tolerance is None else tolerance
    rule = str(spec.tolerance_rule) if tolerance is None else str(ToleranceRule.FUND)
    breach, breach_liq, first_year, excess = _rule_flags(draws, tolerance)
    n, years = draws.n_draws, list(draws.years)
    first_by = (first_year[:, None] != NO_BREACH) & (first_year[:, None] <= np.array(years))
    q = quantiles(draws.loss_ratio, [0.05, 0.5, 0.95])
    by_year = pd.DataFrame({
        "invested_cum_mean_yuan": draws.invested_cum_yuan.mean(0),
        "calls_mean_yuan": draws.calls_yuan.mean(0),
        "distributions_mean_yuan": draws.distributions_yuan.mean(0),
        "city_calls_mean_yuan": draws.city_calls_yuan.mean(0),
        "city_calls_p95_yuan": quantiles(draws.city_calls_yuan, [0.95])[0],
        "city_distributions_mean_yuan": draws.city_distributions_yuan.mean(0),
        "city_net_outlay_mean_yuan": (draws.city_calls_yuan
                                      - draws.city_distributions_yuan).mean(0),
        "realised_loss_cum_mean_yuan": draws.realised_loss_cum_yuan.mean(0),
        "loss_ratio_mean": draws.loss_ratio.mean(0),
        "loss_ratio_p05": q[0], "loss_ratio_p50": q[1], "loss_ratio_p95": q[2],
        "p_breach": breach.mean(0), "p_first_breach_by_year": first_by.mean(0),
    }, index=pd.MultiIndex.from_product([[spec.id], years], names=["fund", "year"]))

    share = draws.city_share
    periods = {
        "before_horizon": (draws.calls_before_yuan, draws.distributions_before_yuan),
        "horizon": (draws.calls_yuan.sum(1), draws.distributions_yuan.sum(1)),
        "beyond_horizon": (draws.calls_beyond_yuan, draws.distributions_beyond_yuan),
    }
    periods["life"] = tuple(sum(p[i] for p in periods.values()) for i in range(2))
    totals = pd.DataFrame(
        [{"calls_mean_yuan": c.mean(), "distributions_mean_yuan": d.mean(),
          "city_calls_mean_yuan": share * c.mean(),
          "city_distributions_mean_yuan": share * d.mean(),
          "city_net_outlay_mean_yuan": share * (c - d).mean()} for c, d in periods.values()],
        index=pd.MultiIndex.from_product([[spec.id], list(periods)], names=["fund", "period"]))

    levels = [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    ql = quantiles(draws.liquidation_loss_ratio, levels)
    p_breach = breach_liq.mean() if n else np.nan
    row = {"tolerance": rate, "tolerance_rule": rule, "loss_measure": str(spec.loss_measure),
           "draws": n, "mean_deals": draws.n_deals.mean(),
           "mean_invested_yuan": draws.invested_total_yuan.mean(),
           "loss_ratio_mean": draws.liquidation_loss_ratio.mean(),
           **{f"loss_ratio_p{round(level * 100):02d}": v for level, v in zip(levels, ql,
                                                                               strict=True)},
           "p_breach_liquidation": p_breach,
           "p_breach_liquidation_se": np.sqrt(p_breach * (1 - p_breach) / n) if n else np.nan,
           "p_breach_ever": (first_year != NO_BREACH).mean(),
           "expected_excess_loss_yuan": excess.mean(),
           "excess_loss_p95_yuan": quantiles(excess, [0.95])[0],
           "city_share": share, "expected_city_loss_yuan": draws.city_loss_yuan.mean(),
           "city_net_cost_mean_yuan": draws.city_net_cost_yuan.mean(),
           **{f"city_net_cost_p{round(level * 100):02d}_yuan": v for level, v in zip(
               (0.05, 0.5, 0.95), quantiles(draws.city_net_cost_yuan, [0.05, 0.5, 0.95]),
               strict=True)},
           "p_city_net_loss": (draws.city_net_cost_yuan > 0).mean()}
    tolerance_table = pd.DataFrame([row], index=pd.Index([spec.id], name="fund"))

    labels = np.where(first_year == NO_BREACH, "none", first_year.astype(str))
    values, counts = np.unique(labels, return_counts=True)
    first_table = pd.DataFrame(
        {"share": counts / max(n, 1)},
        index=pd.MultiIndex.from_product([[spec.id], values],
                                         names=["fund", "first_breach_year"]))
    return {"funds_by_year": by_year, "funds_totals": totals, "tolerance": tolerance_table,
            "first_breach_year": first_table}


def plot_loss_ratio(draws: FundDraws, spec: FundSpec) -> Figure:
    """Histogram of the liquidation loss ratio with the tolerance rate marked.

    Built on :class:`matplotlib.figure.Figure` directly, so no GUI backend is involved.
    """
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.subplots()
    axes.hist(draws.liquidation_loss_ratio, bins=list(np.linspace(0, 1, 51)), color="#4c72b0",
              alpha=0.85, density=True)
    axes.axvline(spec.tolerance, color="#c44e52", linewidth=2,
                 label=f"tolerance {spec.tolerance:.0%}")
    p = draws.liquidation_breach.mean() if draws.n_draws else float("nan")
    axes.set_title(f"{spec.id}: loss ratio at liquidation ({spec.last_year})\n"
                   f"P(breach, {spec.tolerance_rule!s} rule) = {p:.1%}", fontsize=10)
    axes.set_xlabel(f"cumulative realised {spec.loss_measure!s} loss ÷ invested capital")
    axes.set_ylabel("density")
    axes.legend()
    return figure


__all__ = [
    "NO_BREACH", "VARIATE_DTYPE", "Category", "DealOutcomes", "FundDraws", "FundSpec",
    "LossMeasure", "OutcomeSpec", "StageSpec", "StakeOutcomes", "ToleranceRule",
    "check_draw_range", "check_years", "draw_outcomes", "outcome_statistics",
    "outcomes_from_variates", "plot_loss_ratio", "simulate_fund", "summarize_funds",
    "to_horizon",
]
