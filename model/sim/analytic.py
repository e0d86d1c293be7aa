"""Closed-form expected cost of every grant line item, year by year.

The Monte Carlo engine must agree with these expectations within its standard error;
the tests assert it for every item of the baseline. With appropriation ceilings the
expected *funded* amount has no closed form, so the expectation is of demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.core.schema import PaymentKind
from model.finance.programme import programmes
from model.policy.scenario import Scenario
from model.sim.engine import plan_items


def expected_demand(scenario: Scenario) -> pd.DataFrame:
    """Expected gross demand by item and year, in yuan.

    For cohort size ``N_c`` (after take-up) admitted in year ``c``, award fraction ``S``
    and per-year amount ``A``:

    * one-time, per-event and formula items: ``E[N_c]·E[S]·A`` in year ``c``;
    * ``annual_for_years``: the same in each of the years ``c … c + n − 1``;
    * ``recurring_annual``: ``E[N_c]·r^(t−c)·E[S]·A`` in each year ``t ≥ c`` up to the
      last paying year, with ``r`` the annual retention;
    * ``staged``: ``E[N_c]·(p_1⋯p_s)·share_s·A`` in year ``c + lag_1 + … + lag_s``;
    * funds, 先投后股 and the loan pool: their city outlay where a closed form exists
      (:meth:`model.finance.contract.Programme.expected_outlay`), else NaN;
    * a year with a known amount (``known_amounts``): that amount, grossed up by the
      row's city share, as in every draw.

    Returns
    -------
    pandas.DataFrame
        Index ``item`` (in run order), columns the run's years (yuan).
    """
    years = scenario.payment_years
    expected = np.zeros((len(scenario.items), len(years)))
    for plan in plan_items(scenario, years):
        item, row = plan.item, expected[plan.index]
        amount = item.per_year_yuan
        share = item.award.mean()
        for cohort, table in zip(plan.cohorts, plan.tables, strict=True):
            count = table.mean
            payment = item.line.payment
            if payment is PaymentKind.STAGED:
                reach, paid_at = count, cohort
                for stage in item.assumptions.stages or []:
                    reach *= stage.probability
                    paid_at += stage.lag_years
                    row[paid_at] += reach * stage.share * amount
            elif payment is PaymentKind.RECURRING_ANNUAL:
                for t in range(cohort, plan.last_recurring + 1):
                    row[t] += count * item.retention ** (t - cohort) * share * amount
            elif payment is PaymentKind.ANNUAL_FOR_YEARS:
                row[cohort : cohort + (item.years_paid or 1)] += count * share * amount
            else:
                row[cohort] += count * share * amount
    models = programmes(scenario)
    if models:
        expected = np.vstack([expected, *[model.expected_outlay(years) for model in models]])
    index = [*scenario.items, *(model.id for model in models)]
    for item_id, known in scenario.spec.known_amounts.items():
        share = scenario.funding(item_id).city
        for year, amount in known.amounts.items():
            expected[index.index(item_id), years.index(year)] = amount / share if amount else 0.0
    return pd.DataFrame(
        expected, index=pd.Index(index, name="item"), columns=pd.Index(years, name="year")
    )


def expected_city_cost(scenario: Scenario) -> pd.DataFrame:
    """Expected cost to the city by item and year (demand times city share), yuan."""
    demand = expected_demand(scenario)
    shares = pd.Series({i: scenario.funding(i).city for i in demand.index})
    return demand.mul(shares, axis=0)


__all__ = ["expected_city_cost", "expected_demand"]
