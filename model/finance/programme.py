"""Running the capital programmes inside a scenario.

The seed and angel funds (article 20), 先投后股 (article 11) and the loan-risk
compensation pool (article 21) are one kind of thing: a
:class:`~model.finance.contract.Programme` that pays city money by year and has tables of
its own. Each model implements the protocol
(:class:`~model.finance.funds.Fund`, :class:`~model.finance.conversion.Conversion`,
:class:`~model.finance.loans.LoanPool`); :func:`programme` picks the model of a
specification by its type. A scenario lists its programmes' specifications once
(:attr:`model.policy.scenario.Scenario.programmes`); the engine runs them on the run's year
axis and seed, so that their city outlays join the grant items as rows of the results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from model.core.sketch import DrawStats
from model.finance.contract import Programme
from model.finance.conversion import Conversion
from model.finance.funds import Fund
from model.finance.loans import LoanPool
from model.policy.programmes import ConversionSpec, FundSpec, LoanPoolSpec, ProgrammeSpec
from model.policy.scenario import Scenario

#: The model of each kind of specification.
MODELS: Mapping[type, Callable[[Any], Programme]] = {
    FundSpec: Fund,
    ConversionSpec: Conversion,
    LoanPoolSpec: LoanPool,
}


def programme(spec: ProgrammeSpec) -> Programme:
    """The model of a programme's specification, chosen by its type."""
    return MODELS[type(spec)](spec)


def programmes(scenario: Scenario) -> list[Programme]:
    """The models of a scenario's programmes, in the order of its rows."""
    return [programme(spec) for spec in scenario.programmes]


def simulate_programmes(scenario: Scenario, draws: int, *, seed: int) -> dict[str, Any]:
    """Draws of the scenario's programmes alone (no grants), by id, on the run's year axis
    and keyed streams: the same numbers as in a full run."""
    years = scenario.payment_years
    return {model.id: model.simulate(years, 0, draws, seed=seed) for model in programmes(scenario)}


def summarize_programmes(scenario: Scenario, draws: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of the scenario's programmes, stacked across programmes of a kind.

    Returns tables named after the models' own (``funds_by_year``, ``tolerance``,
    ``first_breach_year``, ``conversion``, ``loan_compensation``, …), each with a
    leading ``id`` level.
    """
    return _stack(
        {
            model.id: model.summarize(draws[model.id], scenario.periods)
            for model in programmes(scenario)
            if model.id in draws
        }
    )


def programme_quantities(scenario: Scenario, draws: Mapping[str, Any]) -> dict[str, dict]:
    """The per-draw quantities of each programme's tables (:meth:`Programme.quantities`),
    by id: what a run keeps of a chunk's programme draws."""
    return {
        model.id: model.quantities(draws[model.id], scenario.periods)
        for model in programmes(scenario)
        if model.id in draws
    }


def programme_tables(
    scenario: Scenario, stats: Mapping[str, DrawStats], draws: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`summarize_programmes` from each programme's statistics over a
    run (``draws``: any chunk's programme draws, for their labels)."""
    return _stack(
        {
            model.id: model.tables(stats[model.id], draws[model.id], scenario.periods)
            for model in programmes(scenario)
            if model.id in stats
        }
    )


def _stack(tables_by_id: Mapping[str, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    stacked: dict[str, list[pd.DataFrame]] = {}
    for programme_id, tables_of in tables_by_id.items():
        for name, table in tables_of.items():
            stacked.setdefault(name, []).append(table.assign(id=programme_id))
    tables = {}
    for name, parts in stacked.items():
        table = pd.concat(parts)
        index = [n for n in table.index.names if n is not None]
        table = table.reset_index() if index else table.reset_index(drop=True)
        tables[name] = table.set_index(["id", *index])
    return tables


__all__ = [
    "MODELS",
    "programme",
    "programme_quantities",
    "programme_tables",
    "programmes",
    "simulate_programmes",
    "summarize_programmes",
]
