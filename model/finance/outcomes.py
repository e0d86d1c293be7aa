"""Outcomes of equity stakes: write-off, recovery, exit multiple and realisation lag.

Shared by the funds of article 20 (:mod:`model.finance.funds`) and the converted stakes of
先投后股, article 11 (:mod:`model.finance.conversion`). A stake is written off (with a possible
partial recovery) or exits at a multiple of its cost drawn from a lognormal body with a
Pareto tail; :mod:`model.finance.outcome_reference` gives the model's plain form and
exact moments, against which the samplers are tested. Normals are drawn only for body
exits, and the one-factor copula's ``Φ`` and ``Φ⁻¹`` are only evaluated for the
recoveries and tail exits of a correlated portfolio.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from model.core.schema import StrictModel
from model.core.streams import stream
from model.finance.draw_arrays import VARIATE_DTYPE
from model.policy.programmes import OutcomeSpec


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


def per_category(values: np.ndarray, category: np.ndarray | None):
    """One value per stake from one per category: a scalar when all categories share it,
    else gathered by ``category`` (per slot, a column vector, so this is cheap)."""
    if category is None or np.all(values == values[0]):
        return values[0]
    return values[category]


class Derived(StrictModel):
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


def derived_constants(outcome: OutcomeSpec) -> Derived:
    p, r, t = outcome.write_off_prob, outcome.recovery_prob, outcome.tail_prob
    recovers, tails = p * r > _NEGLIGIBLE, (1 - p) * t > _NEGLIGIBLE
    return Derived(
        write_off_prob=p,
        log_median=float(np.log(outcome.body_median)),
        body_sigma=outcome.body_sigma,
        multiple_cap=outcome.multiple_cap,
        recovery_threshold=p * r if recovers else 0.0,
        recovery_slope=outcome.recovery_max / (p * r) if recovers else 0.0,
        tail_threshold=p + (1 - p) * (1 - t) if tails else 1.0,
        tail_scale=1 / ((1 - p) * t) if tails else 0.0,
        tail_min=outcome.tail_min,
        tail_exponent=-1 / outcome.tail_alpha,
        write_off_years_min=outcome.write_off_years_min,
        write_off_span=outcome.write_off_years_max - outcome.write_off_years_min + 1,
        exit_years_min=outcome.exit_years_min,
        exit_span=outcome.exit_years_max - outcome.exit_years_min + 1,
    )


@dataclass(frozen=True)
class OutcomeTable:
    """The constants of :func:`derived_constants` as arrays by category, built once per call.

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
    def of(cls, outcomes: Sequence[OutcomeSpec]) -> OutcomeTable:
        derived = [derived_constants(outcome) for outcome in outcomes]

        def column(name, dtype=np.float64):
            return np.array([getattr(d, name) for d in derived], dtype=dtype)

        probabilities = [
            column(name) for name in ("write_off_prob", "recovery_threshold", "tail_threshold")
        ]
        single = VARIATE_DTYPE
        values = [
            *probabilities,
            *(p.astype(single) for p in probabilities),
            column("log_median", single),
            column("body_sigma", single),
            column("multiple_cap", single),
            column("recovery_slope", single),
            column("tail_scale"),
            column("tail_min", single),
            column("tail_exponent"),
            column("write_off_span", single),
            column("exit_span", single),
            column("write_off_years_min", np.int8),
            column("exit_years_min", np.int8),
        ]
        names = [f.name for f in dataclasses.fields(cls)][: len(values)]
        constants = dict(zip(names, values, strict=True))
        return cls(
            **constants,
            same=frozenset(name for name, value in constants.items() if np.all(value == value[0])),
        )

    @property
    def shared(self) -> bool:
        """Whether every category has the same outcome model."""
        return len(self.same) == len(dataclasses.fields(self)) - 1

    def per_stake(self, name: str, category):
        """Constant ``name`` per stake (``category`` broadcastable against the stakes):
        a scalar when all categories share it."""
        values = getattr(self, name)
        return values[0] if category is None or name in self.same else values[category]


def conditional_thresholds(
    table: OutcomeTable, factor: np.ndarray, correlation: float
) -> tuple[np.ndarray, ...]:
    """Branch thresholds of each row's stakes on the scale of ``v = Φ(ε)``, given its factor.

    With ``u = Φ(√ρ·Z + √(1-ρ)·ε)``, ``u < x`` exactly when
    ``v < Φ((Φ⁻¹(x) - √ρ·Z) / √(1-ρ))``. Returns the write-off, recovery and tail
    thresholds, each (rows, categories) in single precision.
    """
    shift = (math.sqrt(correlation) * factor)[:, None]
    scale = math.sqrt(1.0 - correlation)
    return tuple(
        special.ndtr((special.ndtri(x) - shift) / scale).astype(VARIATE_DTYPE)
        for x in (table.write_off_prob, table.recovery_threshold, table.tail_threshold)
    )


def copula_latent(factor: np.ndarray, correlation: float, stride: int):
    """``(flat index, v) -> √ρ·Z_row + √(1-ρ)·Φ⁻¹(v)`` for stakes ``stride`` to a row."""
    loading, noise = math.sqrt(correlation), math.sqrt(1.0 - correlation)

    def latent(index: np.ndarray, v: np.ndarray) -> np.ndarray:
        x = special.ndtri(v.astype(np.float64))
        x *= noise
        x += loading * factor[index // stride]
        return x

    return latent


def sample_outcomes(
    table: OutcomeTable,
    v: np.ndarray,
    u_timing: np.ndarray,
    normals: np.random.Generator,
    *,
    category=None,
    category_of=None,
    thresholds=None,
    latent=None,
    active: np.ndarray | None = None,
):
    """Stake outcomes from uniforms, drawing a normal only for each body exit.

    Parameters
    ----------
    table : OutcomeTable
    v : ndarray of float32
        Uniform [0, 1) per stake. Without ``latent`` it is the outcome variate ``u`` of
        :func:`~model.finance.outcome_reference.outcomes_from_variates`; with it,
        ``v = Φ(ε)`` of the copula and ``u = Φ(latent(v))``, which is only computed for
        the recoveries and tail exits that need their position within the branch.
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
        thresholds = tuple(
            table.per_stake(name, category)
            for name in ("write_off_single", "recovery_single", "tail_single")
        )
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

    def subset(mask: np.ndarray) -> tuple[np.ndarray, Any]:
        index = np.flatnonzero(mask)
        cache: list[np.ndarray] = []

        def param(name: str) -> Any:
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


def draw_outcomes(
    outcomes: Sequence[OutcomeSpec],
    category: np.ndarray | None,
    shape: tuple[int, ...],
    *,
    seed: int,
    key: Sequence[str | int],
    block: int,
    correlation: float = 0.0,
) -> DealOutcomes:
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
    table = OutcomeTable.of(outcomes)
    v = stream(seed, *key, "outcome", block).random(shape, dtype=VARIATE_DTYPE)
    u_timing = stream(seed, *key, "timing", block).random(shape, dtype=VARIATE_DTYPE)
    normals = stream(seed, *key, "multiple", block)
    category_full = (
        None
        if category is None or table.shared
        else np.ascontiguousarray(np.broadcast_to(category, shape))
    )
    category_of = None if category_full is None else category_full.reshape(-1).__getitem__
    thresholds = latent = None
    if correlation > 0 and shape[0]:
        factor = stream(seed, *key, "outcome_factor", block).standard_normal(shape[0])
        per_row = conditional_thresholds(table, factor, correlation)
        if category_full is None:
            row_shape = (shape[0], *[1] * (len(shape) - 1))
            thresholds = tuple(t[:, :1].reshape(row_shape) for t in per_row)
        else:
            rows = category_full.reshape(shape[0], -1)
            thresholds = tuple(np.take_along_axis(t, rows, axis=1).reshape(shape) for t in per_row)
        latent = copula_latent(factor, correlation, math.prod(shape[1:]))
    multiple, lag, written_off = sample_outcomes(
        table,
        v,
        u_timing,
        normals,
        category=category_full,
        category_of=category_of,
        thresholds=thresholds,
        latent=latent,
    )
    return DealOutcomes(multiple, lag.astype(np.int64), written_off)


class StakeOutcomes:
    """Outcomes of independent stakes with one outcome model, drawn from the keyed
    streams ``(*key, q, block)`` of :func:`draw_outcomes` and continuing in stream order
    from call to call.

    Calling it with ``size`` stakes at a time, in order, gives the same outcomes as one
    call with all of them (and as ``draw_outcomes([outcome], None, (total,), ...)``), so
    a model can simulate the draws of a block in chunks without changing them.
    """

    def __init__(self, outcome: OutcomeSpec, *, seed: int, key: Sequence[str | int], block: int):
        self.table = OutcomeTable.of([outcome])
        self.streams = {
            name: stream(seed, *key, name, block) for name in ("outcome", "timing", "multiple")
        }

    def __call__(self, size: int) -> DealOutcomes:
        """Outcomes of the next ``size`` stakes."""
        v = self.streams["outcome"].random(size, dtype=VARIATE_DTYPE)
        u_timing = self.streams["timing"].random(size, dtype=VARIATE_DTYPE)
        multiple, lag, written_off = sample_outcomes(
            self.table, v, u_timing, self.streams["multiple"]
        )
        return DealOutcomes(multiple, lag.astype(np.int64), written_off)


__all__ = [
    "DealOutcomes",
    "Derived",
    "OutcomeTable",
    "StakeOutcomes",
    "conditional_thresholds",
    "copula_latent",
    "derived_constants",
    "draw_outcomes",
    "per_category",
    "sample_outcomes",
]
