"""Checks of a scenario's budget sections against its catalog and years, and who pays
each of its rows.

``funding`` and ``known_amounts`` name line items: a grant item of the scenario, 先投后股 or
the loan pool (a fund's shares are its own ``city_share``; the rest of its capital is
other investors'). Known amounts are the city's outlay in years already decided, so they
must fall in the horizon before the plan, and the item must have a city share to gross
them up. :func:`row_funding` gives every row of a run (grant items, then programmes) its
payers' shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from model.policy.budget_schema import Funding
from model.policy.catalog import Catalog
from model.policy.programmes import FundSpec, ProgrammeSpec
from model.policy.scenario_schema import ScenarioFile

#: ``report(item, field, message[, related])``: record a problem (as
#: :class:`model.policy.resolve.Report`).
Report = Callable[..., None]

#: The basis of the default shares: the city pays in full.
DEFAULT_FUNDING_BASIS = (
    "Default: the city pays in full — the text names no other payer, and 市级财政科技资金支持"
    "范围要覆盖全域 (article 25)."
)


def legacy_funding(city_share: float, basis: str) -> Funding:
    """Shares from an item's ``city_share``: the city's, and the rest to others."""
    return Funding(city=city_share, other=1.0 - city_share, basis=basis)


def budget_problems(spec: ScenarioFile, catalog: Catalog, report: Report) -> None:
    """Report every problem of ``funding`` and ``known_amounts``."""
    programmes = {p.id: p for p in _programmes(spec)}
    for item_id in spec.funding:
        if isinstance(programmes.get(item_id), FundSpec):
            report(
                item_id,
                "funding",
                "a fund's shares are its funds.<id>.city_share (the rest of its capital is "
                "other investors'); remove this entry",
            )
        elif item_id not in spec.items and item_id not in programmes:
            report(item_id, "funding", _unknown(item_id, catalog))
        elif item_id in spec.items and spec.items[item_id].city_share is not None:
            report(
                item_id,
                "funding",
                f"items.{item_id}.city_share is set too: give the shares once, here",
                ((item_id, "city_share"),),  # blamed on the later of the two files
            )
    horizon_start, plan_start = spec.horizon.start, spec.plan_start or spec.horizon.start
    for item_id, known in spec.known_amounts.items():
        if item_id not in spec.items and item_id not in programmes:
            report(item_id, "known_amounts", _unknown(item_id, catalog))
            continue
        outside = [y for y in known.amounts if not horizon_start <= y < plan_start]
        if outside:
            report(
                item_id,
                "known_amounts.amounts",
                f"years {sorted(outside)} are not decided years: known amounts replace the "
                f"simulation in the horizon before the plan ({horizon_start}–{plan_start - 1})",
            )
        if city_share(spec, item_id) == 0 and any(known.amounts.values()):
            report(
                item_id,
                "known_amounts.amounts",
                "the city pays no share of this item, so it cannot have a city outlay",
            )


def city_share(spec: ScenarioFile, item_id: str) -> float:
    """The city's share of a row of the scenario (1 where nothing is said)."""
    return row_funding(spec, item_id).city


def row_funding(spec: ScenarioFile, item_id: str) -> Funding:
    """Who pays a row: its ``funding`` entry, its legacy ``city_share``, a fund's own
    share, or the city in full."""
    if item_id in spec.funding:
        return spec.funding[item_id]
    item = spec.items.get(item_id)
    if item is not None and item.city_share is not None:
        return legacy_funding(item.city_share.value, item.city_share.basis)
    fund = spec.funds.get(item_id)
    if fund is not None:
        return legacy_funding(
            fund.city_share,
            f"funds.{item_id}.city_share (an assumption of the scenario: see the fund's basis); "
            "the rest of the fund's capital is other investors' (social or state capital)",
        )
    return Funding(city=1.0, basis=DEFAULT_FUNDING_BASIS)


def _programmes(spec: ScenarioFile) -> Iterable[ProgrammeSpec]:
    yield from spec.funds.values()
    if spec.conversion is not None:
        yield spec.conversion
    if spec.loan_compensation is not None:
        yield spec.loan_compensation


def _unknown(item_id: str, catalog: Catalog) -> str:
    if item_id in catalog.by_id:
        return "the scenario does not model this item"
    return "unknown item id: not in the policy catalog"


__all__ = [
    "DEFAULT_FUNDING_BASIS",
    "budget_problems",
    "city_share",
    "legacy_funding",
    "row_funding",
]
