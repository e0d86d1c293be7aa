"""The loan-risk compensation pool's tables (article 21): statistics of its draws.

:func:`loan_quantities` names the per-draw quantities the tables are statistics of, and
:func:`loan_tables` builds them from a :class:`~model.core.sketch.DrawStats` of those over
a run, so that a long run need not keep the pool's draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.finance.period_tables import period_names, period_quantities, totals_frame
from model.policy.periods import Periods
from model.policy.programmes import LoanPoolSpec


def loan_quantities(draws: Any, periods: Periods | None = None) -> dict[str, np.ndarray]:
    """The per-draw quantities the pool's tables are statistics of (``draws``: its
    :class:`~model.finance.loans.LoanDraws`)."""
    flows = {"payout": (draws.payout_yuan, draws.payout_before_yuan, draws.payout_beyond_yuan)}
    return {
        "payout": draws.payout_yuan,
        "losses": draws.losses,
        "bank_loss": draws.bank_loss_yuan,
        "volume": draws.volume_yuan,
        "ceiling_binds": draws.payout_uncapped_yuan > draws.payout_yuan,
        "capital": draws.capital_yuan,
        **period_quantities(flows, draws.years, periods or Periods.of_years(draws.years)),
    }


def loan_tables(
    stats: DrawStats,
    years: Sequence[int],
    spec: LoanPoolSpec,
    expected: Sequence[float],
    periods: Periods | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`model.finance.loans.summarize_loans` from the statistics of
    :func:`loan_quantities` over a run; ``expected``: the exact expected payout of each
    year (:func:`model.finance.loans.expected_payout`)."""
    n = stats.n
    sd = stats.sd("payout", ddof=0)
    q = stats.quantiles("payout", [0.5, 0.9, 0.95, 0.99])
    table = pd.DataFrame(
        {
            "payout_mean_yuan": stats.mean("payout"),
            "payout_sd_yuan": sd,
            "payout_mean_se_yuan": sd / np.sqrt(max(n, 1)),
            "payout_expected_yuan": list(expected),
            "payout_p50_yuan": q[0],
            "payout_p90_yuan": q[1],
            "payout_p95_yuan": q[2],
            "payout_p99_yuan": q[3],
            "payout_max_yuan": stats.max("payout") if n else np.nan,
            "losses_mean": stats.mean("losses"),
            "bank_loss_mean_yuan": stats.mean("bank_loss"),
            "volume_mean_yuan": stats.mean("volume"),
            "p_ceiling_binds": stats.mean("ceiling_binds"),
            "capital_yuan": stats.mean("capital"),
        },
        index=pd.MultiIndex.from_product([[spec.id], list(years)], names=["pool", "year"]),
    )
    periods = periods or Periods.of_years(years)
    totals = totals_frame(
        period_names(("payout",)),
        lambda p: {
            "payout_mean_yuan": stats.mean(p["payout"]),
            "payout_p95_yuan": stats.quantiles(p["payout"], [0.95])[0],
        },
        periods,
        programme_id=spec.id,
        level="pool",
    )
    return {"loan_compensation": table, "loan_compensation_totals": totals}


__all__ = ["loan_quantities", "loan_tables"]
