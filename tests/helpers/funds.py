"""Fund specifications with answers known independently of the code (tests/finance/,
tests/report/).

With equal tickets where each deal is independently written off with probability p and
otherwise returns exactly 1×, the liquidation loss ratio is Binomial(n, p) / n, so every
tolerance rule has an exact breach probability from scipy's binomial distribution.
"""

from __future__ import annotations

import math

import numpy as np

from model.policy.programmes import FundSpec

#: The horizon of the fund tests.
YEARS = range(2025, 2031)
#: The ticket of every deal of a binary fund (yuan).
TICKET = 1_000_000.0


def binary_outcome(p: float, survivor_multiple: float = 1.0) -> dict:
    """Write-off with probability p (nothing recovered), else exactly ``survivor_multiple``."""
    return dict(
        write_off_prob=p,
        body_median=survivor_multiple,
        body_sigma=0.0,
        tail_prob=0.0,
        write_off_years_min=1,
        write_off_years_max=1,
        exit_years_min=1,
        exit_years_max=2,
        basis="test",
    )


def stage(category="seed", n=20, p=0.45, tolerance=0.5, multiple=1.0, **extra) -> dict:
    """A stage of ``n`` equal deals a year, each a binary outcome (see :func:`binary_outcome`)."""
    return (
        dict(
            category=category,
            deals_per_year_min=n,
            deals_per_year_max=n,
            ticket_min_yuan=TICKET,
            ticket_max_yuan=TICKET,
            tolerance=tolerance,
            outcome=binary_outcome(p, multiple),
            basis="test",
        )
        | extra
    )


def binary_fund(
    stages=None, *, tolerance=0.5, rule="fund", measure="gross", fund_id="test_fund", **extra
) -> FundSpec:
    """A fund investing its whole size in one year into the deals of ``stages``."""
    stages = stages or [stage()]
    size = TICKET * sum(s["deals_per_year_max"] for s in stages)
    return FundSpec.model_validate(
        dict(
            id=fund_id,
            size_yuan=size,
            city_share=0.4,
            first_year=2025,
            investment_years=1,
            life_years=3,
            tolerance=tolerance,
            tolerance_rule=rule,
            loss_measure=measure,
            stages=stages,
            basis="test",
        )
        | extra
    )


def assert_probability(draws_flags: np.ndarray, exact: float) -> None:
    """The share of True flags is within 4 standard errors of the exact probability."""
    n = draws_flags.size
    se = math.sqrt(exact * (1 - exact) / n)
    assert abs(draws_flags.mean() - exact) < 4 * se + 1e-12, (draws_flags.mean(), exact, se)
