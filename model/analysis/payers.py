"""Who pays: the gross cost of the policy split between the city, the counties, districts
and zones, the province and other payers, by year.

Each row's gross cost (after appropriation ceilings) is split by the scenario's funding
shares (``funding``: :class:`~model.policy.budget_schema.Funding`, each with its basis; a
fund's other investors are the complement of its ``city_share``). The city's row is the
cost every other table reports; the payers add up to the total in every year.
"""

from __future__ import annotations

import pandas as pd

from model.analysis.tables import Summary
from model.core.units import YUAN
from model.policy.budget_schema import PAYER_NAMES, PAYERS
from model.policy.scenario import Scenario


def payer_shares(scenario: Scenario) -> pd.DataFrame:
    """Each row's share paid by each payer (index item, columns :data:`PAYERS`)."""
    return pd.DataFrame(
        [scenario.funding(row_id).shares() for row_id in scenario.row_ids],
        index=pd.Index(scenario.row_ids, name="item"),
        columns=list(PAYERS),
    )


def by_payer(summary: Summary, scenario: Scenario) -> pd.DataFrame:
    """Mean cost by payer and year, the horizon total and the years beyond (yuan).

    Returns
    -------
    pandas.DataFrame
        Index ``payer`` (:data:`PAYERS`, then ``total``, their sum); columns ``name_zh``,
        ``name_en``, ``items`` (rows the payer has a share of), ``mean_<year>`` for each
        horizon year, ``horizon_mean`` and ``committed_mean`` (after the horizon).
    """
    periods = scenario.periods
    gross = summary.row_means["gross"]
    shares = payer_shares(scenario).reindex(gross.index)
    by_year = shares.T.to_numpy() @ gross.to_numpy()  # payers × years
    years = list(gross.columns)
    horizon, beyond = periods.mask("horizon", years), periods.mask("beyond_horizon", years)
    table = pd.DataFrame(
        {
            "name_zh": [PAYER_NAMES[p][0] for p in PAYERS],
            "name_en": [PAYER_NAMES[p][1] for p in PAYERS],
            "items": (shares > 0).sum(axis=0).to_numpy(),
        },
        index=pd.Index(list(PAYERS), name="payer"),
    )
    for j, year in enumerate(years):
        if horizon[j]:
            table[f"mean_{year}{YUAN}"] = by_year[:, j]
    table[f"horizon_mean{YUAN}"] = by_year[:, horizon].sum(axis=1)
    table[f"committed_mean{YUAN}"] = by_year[:, beyond].sum(axis=1)
    total = table.drop(columns=["name_zh", "name_en", "items"]).sum(axis=0)
    table.loc["total"] = {
        "name_zh": "合计",
        "name_en": "total (all payers)",
        "items": len(gross),
        **total,
    }
    return table


__all__ = ["by_payer", "payer_shares"]
