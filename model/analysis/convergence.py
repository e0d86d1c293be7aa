"""Monte Carlo convergence: add draws until the horizon total's mean and P95 are known to
a target relative standard error, and the chart of the running estimates.

Run by ``fiscalsim sensitivity --method convergence`` (or ``--target-se``), whose command
line is in :mod:`model.analysis.sensitivity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.core.errors import InputError, Problem
from model.core.streams import BLOCK_DRAWS, check_draws, check_seed
from model.policy.scenario import Scenario
from model.sim.engine import simulate


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


def convergence(
    scenario: Scenario,
    *,
    target_se: float,
    seed: int,
    max_draws: int = 1_000_000,
    min_draws: int = 2_048,
    step: int = 1_024,
    batches: int = 20,
) -> Convergence:
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
        raise InputError(
            [Problem("convergence", None, "--target-se", f"must be positive, got {target_se}")]
        )
    check_draws(max_draws, source="convergence")
    if batches < 2 or min(min_draws, max_draws) < 10 * batches:
        raise InputError(
            [
                Problem(
                    "convergence",
                    None,
                    "draws",
                    f"need at least {10 * batches} draws for {batches} batches",
                )
            ]
        )
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
        row["converged"] = row["rel_se_mean"] <= target_se and row["rel_se_p95"] <= target_se
        rows.append(row)
        if row["converged"] or n >= max_draws:
            break
        n = min(max_draws, max(n + step, -(-int(n * 1.1) // step) * step))
    table = pd.DataFrame(rows).set_index("draws")
    prefixes = np.unique(np.geomspace(min(10 * batches, n), n, 30).astype(int))
    trace = pd.DataFrame([_precision(values[:m], batches) for m in prefixes]).set_index("draws")
    return Convergence(scenario.name, target_se, seed, n, bool(rows[-1]["converged"]), table, trace)


def _precision(values: np.ndarray, batches: int) -> dict[str, float]:
    """Mean and P95 of the draws with their standard errors (P95: by batch means)."""
    n = values.size
    mean, p95 = float(values.mean()), float(np.percentile(values, 95))
    se_mean = float(values.std(ddof=1) / math.sqrt(n))
    batch_p95 = np.percentile(values[: n // batches * batches].reshape(batches, -1), 95, axis=1)
    se_p95 = float(batch_p95.std(ddof=1) / math.sqrt(batches))
    return {
        "draws": n,
        "mean_yuan": mean,
        "se_mean_yuan": se_mean,
        "p95_yuan": p95,
        "se_p95_yuan": se_p95,
        "rel_se_mean": se_mean / abs(mean) if mean else 0.0,
        "rel_se_p95": se_p95 / abs(p95) if p95 else 0.0,
    }


__all__ = ["Convergence", "convergence"]
