"""The stake-outcome model (:mod:`model.finance.outcomes`) in its plain form, against
which the fast samplers are tested: a pure map from standard variates to outcomes
(:func:`outcomes_from_variates`), and the exact outcome statistics in closed form
(:func:`outcome_statistics`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from model.core.schema import StrictModel
from model.finance.outcomes import DealOutcomes, derived_constants, per_category
from model.policy.programmes import OutcomeSpec


def _param(
    specs: Sequence[StrictModel], name: str, category: np.ndarray | None, dtype: type = np.float64
):
    """Parameter ``name`` of ``specs`` (one per category), per stake."""
    return per_category(np.array([getattr(spec, name) for spec in specs], dtype=dtype), category)


def outcomes_from_variates(
    outcomes: Sequence[OutcomeSpec],
    category: np.ndarray | None,
    u_outcome: np.ndarray,
    z_multiple: np.ndarray,
    u_timing: np.ndarray,
) -> DealOutcomes:
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
    table = [derived_constants(outcome) for outcome in outcomes]

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
        at = np.nonzero(
            u_outcome < p("recovery_threshold")
            if branch == "recovery"
            else u_outcome >= p("tail_threshold")
        )
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
    at_least_10 = (
        0.0 if cap < 10 else (1 - p) * ((1 - t) * (1 - body_cdf(10.0)) + t * (1 - tail_cdf(10.0)))
    )
    body_mean = body_partial(cap) + cap * (1 - body_cdf(cap))
    tail_mean = tail_partial(cap) + cap * (1 - tail_cdf(cap))
    mean = p * recovery_mean + (1 - p) * ((1 - t) * body_mean + t * tail_mean)
    body_loss = body_cdf(1.0) - body_partial(1.0)
    tail_loss = tail_cdf(1.0) - tail_partial(1.0)
    loss = p * (1 - recovery_mean) + (1 - p) * ((1 - t) * body_loss + t * tail_loss)
    lag = (
        p * (outcome.write_off_years_min + outcome.write_off_years_max) / 2
        + (1 - p) * (outcome.exit_years_min + outcome.exit_years_max) / 2
    )
    return {
        "share_below_1x": below,
        "share_at_least_10x": at_least_10,
        "share_written_off": p,
        "mean_multiple": mean,
        "loss_per_cost": loss,
        "mean_lag_years": lag,
    }


__all__ = ["outcome_statistics", "outcomes_from_variates"]
