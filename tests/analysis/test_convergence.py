"""Monte Carlo convergence (model/analysis/convergence.py): the target precision is reached,
and earlier draws are reused unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from model import simulate
from model.analysis.convergence import convergence

SEED = 20250101


def test_convergence_reaches_the_target_and_needs_more_draws_for_a_tighter_one(baseline):
    loose = convergence(baseline, target_se=0.002, seed=SEED, max_draws=200_000)
    tight = convergence(baseline, target_se=0.0008, seed=SEED, max_draws=200_000)
    assert loose.converged and tight.converged
    assert tight.draws_used > loose.draws_used
    last = tight.table.iloc[-1]
    assert last["rel_se_mean"] <= 0.0008 and last["rel_se_p95"] <= 0.0008
    # earlier draws are reused unchanged: the first check is a run of that many draws
    first_n = int(tight.table.index[0])
    totals = simulate(baseline, first_n, seed=SEED).totals_by_year()[baseline.years].sum(axis=1)
    assert tight.table["mean_yuan"].iloc[0] == pytest.approx(totals.mean(), rel=1e-12)
    assert tight.table["p95_yuan"].iloc[0] == pytest.approx(np.percentile(totals, 95), rel=1e-12)
