"""What is already decided when the plan is drafted: commitments made before the plan
year (既有), and the known outlay (决算/已执行) of the years before it.

The engine pays each cohort of recipients by its schedule; the payments of cohorts
admitted before ``plan_start`` — and the outlays of programmes committed before it (a
fund set up earlier, compensation for loans made earlier) — are *existing* commitments,
the rest *new* ones, as the medium-term plan separates them. Appropriation ceilings ration
existing and new alike, pro rata. Known amounts replace the simulated cost of their years
in every draw.
"""

from __future__ import annotations

import numpy as np

from model.policy.scenario import Scenario


def prorate_existing(existing: np.ndarray, demand: np.ndarray, funded: np.ndarray) -> np.ndarray:
    """The funded part of the existing commitments: rationed like the whole of each
    item-year (yuan, (draws, rows, years)); ``existing`` itself without ceilings."""
    if funded is demand:
        return existing
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, funded / demand, 0.0)
    return existing * ratio


def apply_known_amounts(
    scenario: Scenario,
    years: list[int],
    city_share: np.ndarray,
    demand: np.ndarray,
    funded: np.ndarray,
    existing: np.ndarray | None,
) -> None:
    """Replace, in place and in every draw, the cost of each row-year the scenario gives a
    known amount for (``known_amounts``: the city's outlay, grossed up by the row's city
    share; all of it existing, as its year is before the plan).

    Parameters
    ----------
    city_share : ndarray, shape (rows,)
        The city's share of each row.
    demand, funded, existing : ndarray, shape (draws, rows, years)
        Gross amounts (``funded`` may be ``demand`` itself).
    """
    rows = scenario.row_ids
    for item_id, known in scenario.spec.known_amounts.items():
        r = rows.index(item_id)
        for year, amount in known.amounts.items():
            j = years.index(year)
            gross = amount / city_share[r] if amount else 0.0
            for array in (demand, funded, existing):
                if array is not None:
                    array[:, r, j] = gross


__all__ = ["apply_known_amounts", "prorate_existing"]
