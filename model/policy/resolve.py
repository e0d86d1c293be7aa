"""Resolving a validated scenario against its catalog: one :class:`ResolvedItem` per grant
line item, and every problem the catalog reveals, each naming its file, item and field.

The checks (:func:`_window_problems`, :func:`_uptake_problems`, :func:`_award`,
:func:`_payment_problems`, :func:`_programme_problems`, :func:`_ceiling_problems`) only
report; :func:`_resolved_item` only builds. ``report(item, field, message)`` records a
problem against the file that set the field (see :func:`model.policy.documents.blamer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from model.core.schema import CapBasis, Modeller, PaymentKind
from model.policy.budget_checks import row_funding
from model.policy.budget_schema import Funding
from model.policy.catalog import Catalog, LineItem
from model.policy.distributions import FORMULA_SPECS, FixedShare, StockFlowCount
from model.policy.periods import PLAN_YEARS
from model.policy.scenario_schema import ItemAssumptions, ScenarioFile, YearRange

#: The message of an item id that the catalog does not have.
UNKNOWN_ITEM = "unknown item id: not in the policy catalog"


class Report(Protocol):
    """``report(item, field, message, related=())``: record a problem of an item's field;
    ``related`` names the top-level fields it is checked against (``horizon``), so that
    it is blamed on the file that set the later of them."""

    def __call__(
        self,
        item: str | None,
        field: str | None,
        message: str,
        related: tuple[str | tuple[str, str], ...] = (),
        /,
    ) -> None: ...


@dataclass(frozen=True)
class ResolvedItem:
    """A catalog line item with the scenario's assumptions applied.

    Attributes
    ----------
    line : LineItem
        The policy's terms (article, amounts, quote).
    assumptions : ItemAssumptions
        The scenario's assumptions for the item.
    reference_yuan : float
        The cap (or floor) in force, after overrides and the scales (yuan).
    amount_scale : float
        The product of the scales applied to the item's amount: ``cap_scale`` times
        ``cap_scale_max`` (a 最高 cap) or ``cap_scale_fixed`` (a 给予 amount); 1 for a
        不少于 floor.
    admission_years : list of int
        Years in which new recipients are admitted.
    years_paid : int or None
        Years of payment of an ``annual_for_years`` award.
    per_year_yuan : float
        What one recipient at award share 1 receives in a paying year (yuan).
    award : ShareSpec
        The award distribution (a formula's bound to the catalog's rate and cap).
    takeup, retention, city_share : float
        Probabilities and shares in force (1 where the scenario states none).
    funding : Funding
        Who pays the item (the city's share is ``city_share``).
    recurring_until : int
        The last year a recurring award pays (the horizon's end by default).
    """

    line: LineItem
    assumptions: ItemAssumptions
    reference_yuan: float
    amount_scale: float
    admission_years: list[int]
    years_paid: int | None
    per_year_yuan: float
    award: Any
    takeup: float
    retention: float
    city_share: float
    recurring_until: int
    funding: Funding

    @property
    def id(self) -> str:
        """The catalog id."""
        return self.line.id

    @property
    def last_payment_year(self) -> int:
        """The last calendar year in which the item can pay anything."""
        last_admission = self.admission_years[-1]
        payment = self.line.payment
        if payment is PaymentKind.ANNUAL_FOR_YEARS:
            return last_admission + (self.years_paid or 1) - 1
        if payment is PaymentKind.RECURRING_ANNUAL:
            return max(last_admission, self.recurring_until)
        if payment is PaymentKind.STAGED:
            return last_admission + sum(stage.lag_years for stage in self.assumptions.stages or [])
        return last_admission


def resolve_items(
    spec: ScenarioFile, catalog: Catalog, report: Report, *, complete: bool = True
) -> dict[str, ResolvedItem]:
    """Resolve every grant item of ``spec`` against ``catalog``, reporting each problem.

    Parameters
    ----------
    complete : bool
        Also require assumptions for every grant item of the catalog (off when only the
        items the schema accepted are being checked).

    Returns
    -------
    dict of str to ResolvedItem
        The items that resolved without a problem, in catalog order.
    """
    window_ok = _window_problems(spec.admission_years, spec, None, report)
    _plan_problems(spec, report)
    for item_id in spec.items:
        if item_id not in catalog.by_id:
            report(item_id, None, UNKNOWN_ITEM)
    for line in catalog.items:
        if complete and line.modelled_by is Modeller.ENGINE and line.id not in spec.items:
            report(line.id, None, "no assumptions given for this catalog item")
        if line.modelled_by is not Modeller.ENGINE and line.id in spec.items:
            report(
                line.id,
                None,
                f"modelled by the {line.modelled_by.value} model; configure "
                f"it in the scenario's {line.modelled_by.value} section, not under items",
            )
    resolved = {}
    for line in catalog.items:
        assumptions = spec.items.get(line.id)
        if assumptions is None or line.modelled_by is not Modeller.ENGINE:
            continue
        if not window_ok and assumptions.admission_years is None:
            continue  # its window is the scenario's, already reported
        counted = _Counted(report)
        item = _resolve_item(line, assumptions, spec, counted)
        if item is not None and not counted.count:
            resolved[line.id] = item
    _ceiling_problems(spec, catalog, report)
    _programme_problems(spec, catalog, report)
    if spec.climate is None:
        for item_id, a in spec.items.items():
            if a.climate_loading > 0:
                report(item_id, "climate_loading", "needs a scenario-level climate section")
    return resolved


class _Counted:
    """A ``report`` that counts what it passes on."""

    def __init__(self, report: Report):
        self.report, self.count = report, 0

    def __call__(
        self,
        item: str | None,
        field: str | None,
        message: str,
        related: tuple[str | tuple[str, str], ...] = (),
    ) -> None:
        self.count += 1
        self.report(item, field, message, related)


def _resolve_item(
    line: LineItem, a: ItemAssumptions, spec: ScenarioFile, report: Report
) -> ResolvedItem | None:
    """Check one item and, unless its award cannot be built, resolve it."""
    window = a.admission_years or spec.admission_years
    _window_problems(window, spec, line.id, report)
    _uptake_problems(a, window.years, spec.horizon.end, line.id, report)
    reference = _reference_yuan(line, a, spec)
    award = _award(line, a, reference, report)
    if award is None:
        return None
    _payment_problems(line, a, window.years, spec, report)
    return _resolved_item(line, a, spec, window.years, reference, award)


def _window_problems(
    window: YearRange, spec: ScenarioFile, item_id: str | None, report: Report
) -> bool:
    """Whether an admission window lies inside the horizon (reported when not)."""
    horizon = spec.horizon
    if horizon.start <= window.start and window.end <= horizon.end:
        return True
    if item_id is None:
        report(
            None,
            "admission_years",
            f"admission years {window.start}–{window.end} fall outside the horizon "
            f"{horizon.start}–{horizon.end}",
            ("horizon",),
        )
    else:
        report(
            item_id,
            "admission_years",
            f"{window.start}–{window.end} falls outside the horizon {horizon.start}–{horizon.end}",
            ("horizon",),
        )
    return False


def _plan_problems(spec: ScenarioFile, report: Report) -> None:
    """The three plan years must lie in the horizon (their totals are horizon years)."""
    if spec.plan_start is None:
        return
    horizon = spec.horizon
    last = spec.plan_start + PLAN_YEARS - 1
    if not horizon.start <= spec.plan_start <= last <= horizon.end:
        report(
            None,
            "plan_start",
            f"the plan years {spec.plan_start}–{last} must lie in the horizon "
            f"{horizon.start}–{horizon.end}",
            ("horizon",),
        )


def _uptake_problems(
    a: ItemAssumptions, years: list[int], horizon_end: int, item_id: str, report: Report
) -> None:
    """Per-year uptake values give one value per admission year, or one per year from the
    window's start to the horizon's end (so that a wider window, such as the reading
    admitting every year to 2030, finds its values; the window uses the first ones)."""
    allowed = sorted({len(years), horizon_end - years[0] + 1})
    for name in ("value", "mean_count", "pool", "base"):
        value = getattr(a.uptake, name, None)
        if isinstance(value, list) and len(value) not in allowed:
            report(
                item_id,
                "uptake",
                f"uptake.{name} lists {len(value)} values for {len(years)} admission "
                f"years {years[0]}–{years[-1]} (give {' or '.join(map(str, allowed))}: "
                f"one per admission year, or one per year to {horizon_end})",
                ("admission_years",),
            )


def amount_scale(line: LineItem, a: ItemAssumptions, spec: ScenarioFile) -> float:
    """The scale of an item's amount: ``cap_scale`` times ``cap_scale_fixed`` for a fixed
    给予 amount or ``cap_scale_max`` for a 最高 cap; 1 for a 不少于 floor (never scaled)."""
    if a.cap_yuan is None and line.cap_yuan is None:
        return 1.0
    kind = spec.cap_scale_fixed if line.fixed else spec.cap_scale_max
    return spec.cap_scale * kind


def _reference_yuan(line: LineItem, a: ItemAssumptions, spec: ScenarioFile) -> float:
    """The amount awards are shares of: the cap in force times its scale, or the
    不少于 floor (not scaled)."""
    cap = a.cap_yuan if a.cap_yuan is not None else line.cap_yuan
    if cap is not None:
        return cap * amount_scale(line, a, spec)
    return line.floor_yuan or 0.0


def _award(line: LineItem, a: ItemAssumptions, reference: float, report: Report) -> Any:
    """The item's award distribution (a formula's bound to its rate and cap), with its
    problems reported; ``None`` when no award can be built."""
    item_id = line.id
    award = a.award
    if award is None:
        if line.payment is PaymentKind.FORMULA:
            report(
                item_id,
                "award",
                "a formula item needs award: {dist: formula_lognormal or formula_fixed, ...}",
            )
            return None
        award = FixedShare(
            dist="fixed",
            value=1.0,
            basis="not stated: each recipient assumed to receive the full amount",
        )
    if line.payment is PaymentKind.FORMULA:
        if not isinstance(award, FORMULA_SPECS) or line.formula is None:
            report(item_id, "award", "a formula item needs dist formula_lognormal or formula_fixed")
            return None
        award = award.bind(line.formula.rate, reference)
    elif isinstance(award, FORMULA_SPECS):
        report(item_id, "award", f"{award.dist} is only for payment formula items")
        return None
    cap = a.cap_yuan if a.cap_yuan is not None else line.cap_yuan
    if cap is None and line.floor_yuan is not None:
        if award.lower < 1.0:
            report(
                item_id,
                "award",
                f"is a multiple of the 不少于 floor ({line.floor_yuan:,.0f} yuan) "
                f"and cannot go below 1 (lowest value {award.lower})",
            )
    elif award.upper > 1.0:
        report(
            item_id,
            "award",
            f"is a share of the cap and cannot exceed 1 (highest value {award.upper})",
        )
    fixed_amount = line.fixed and line.payment is not PaymentKind.FORMULA
    if fixed_amount and (award.lower != 1.0 or award.upper != 1.0):
        report(
            item_id,
            "award",
            f"article {line.article} fixes the amount (给予); the award "
            "must be the full amount (fixed 1.0) — change cap_yuan to model a different sum",
        )
    return award


def _payment_problems(
    line: LineItem, a: ItemAssumptions, years: list[int], spec: ScenarioFile, report: Report
) -> None:
    """Fields that only some payment kinds take, and their values."""
    item_id, payment = line.id, line.payment
    if a.years_paid is not None and payment is not PaymentKind.ANNUAL_FOR_YEARS:
        report(item_id, "years_paid", "only for payment annual_for_years")
    if a.retention is not None and payment is not PaymentKind.RECURRING_ANNUAL:
        report(item_id, "retention", "only for payment recurring_annual")
    if a.recurring_until is not None:
        if payment is not PaymentKind.RECURRING_ANNUAL:
            report(item_id, "recurring_until", "only for payment recurring_annual")
        elif a.recurring_until < years[0]:
            report(
                item_id,
                "recurring_until",
                f"{a.recurring_until} is before the first admission year {years[0]}",
            )
    if payment is PaymentKind.STAGED:
        if a.award is not None:
            report(
                item_id,
                "award",
                "not used for a staged item: each stage's share of the cap sets its amount",
            )
        if not a.stages:
            report(item_id, "stages", "a staged item needs its stages")
        elif sum(stage.share for stage in a.stages) > 1.0 + 1e-12:
            report(
                item_id,
                "stages",
                f"stage shares add up to "
                f"{sum(s.share for s in a.stages):.3f} of the cap (at most 1)",
            )
    elif a.stages is not None:
        report(item_id, "stages", "only for payment staged")
    if isinstance(a.ceiling_yuan, dict):
        horizon = spec.horizon
        outside = [y for y in a.ceiling_yuan if not horizon.start <= y <= horizon.end]
        if outside:
            report(
                item_id, "ceiling_yuan", f"years {outside} are outside the horizon", ("horizon",)
            )


def _resolved_item(
    line: LineItem,
    a: ItemAssumptions,
    spec: ScenarioFile,
    years: list[int],
    reference: float,
    award: Any,
) -> ResolvedItem:
    """Build the resolved item (its checks have passed)."""
    uptake = a.uptake
    if isinstance(uptake, StockFlowCount):
        uptake = uptake.model_copy(update={"first_year": years[0]})
    years_paid = a.years_paid if a.years_paid is not None else line.years_paid
    per_year = reference
    if line.payment is PaymentKind.ANNUAL_FOR_YEARS and line.cap_basis is CapBasis.PER_AWARD:
        per_year = reference / (years_paid or 1)
    return ResolvedItem(
        line=line,
        assumptions=a.model_copy(update={"uptake": uptake}),
        reference_yuan=reference,
        amount_scale=amount_scale(line, a, spec),
        admission_years=years,
        years_paid=years_paid,
        per_year_yuan=per_year,
        award=award,
        takeup=a.takeup.value if a.takeup else 1.0,
        retention=a.retention.value if a.retention else 1.0,
        city_share=row_funding(spec, line.id).city,
        recurring_until=a.recurring_until if a.recurring_until is not None else spec.horizon.end,
        funding=row_funding(spec, line.id),
    )


def _ceiling_problems(spec: ScenarioFile, catalog: Catalog, report: Report) -> None:
    """Ceiling groups name grant items of the catalog, and years inside the horizon."""
    horizon = spec.horizon
    for index, group in enumerate(spec.ceilings):
        label = f"ceilings[{index}]"
        for item_id in group.items:
            if item_id not in catalog.by_id:
                report(label, "items", f"unknown item id {item_id!r}")
            elif catalog.by_id[item_id].modelled_by is not Modeller.ENGINE:
                report(
                    label,
                    "items",
                    f"{item_id!r} is not a grant item: appropriation "
                    "ceilings ration grants, not fund capital or loan compensation",
                )
        if isinstance(group.annual_yuan, dict):
            outside = [y for y in group.annual_yuan if not horizon.start <= y <= horizon.end]
            if outside:
                report(
                    label, "annual_yuan", f"years {outside} are outside the horizon", ("horizon",)
                )


#: Scenario section of each capital-programme model, and the prefix of its fields.
_SECTIONS = {
    Modeller.FUNDS: "",
    Modeller.CONVERSION: "conversion.",
    Modeller.LOANS: "loan_compensation.",
}


def _programme_problems(spec: ScenarioFile, catalog: Catalog, report: Report) -> None:
    """Funds, 先投后股 and the loan pool must be the catalog's items of those models and
    start within the horizon. (A fund's tolerance may differ from the catalog's: that is
    what a tolerance variant does; the baseline's equality with the text is a test.)"""
    sections: list[tuple[Modeller, Any]] = [(Modeller.FUNDS, fund) for fund in spec.funds.values()]
    if spec.conversion is not None:
        sections.append((Modeller.CONVERSION, spec.conversion))
    if spec.loan_compensation is not None:
        sections.append((Modeller.LOANS, spec.loan_compensation))
    for modeller, section in sections:
        line = catalog.by_id.get(section.id)
        where = section.id if modeller is Modeller.FUNDS else None
        prefix = _SECTIONS[modeller]
        if line is None or line.modelled_by is not modeller:
            expected = sorted(i.id for i in catalog.items if i.modelled_by is modeller)
            report(
                where,
                f"{prefix}id",
                f"{section.id!r} is not a catalog item of the {modeller.value} "
                f"model (expected one of {expected})",
            )
            continue
        if section.first_year < spec.horizon.start:
            report(
                where,
                f"{prefix}first_year",
                f"{section.first_year} is before the horizon starts ({spec.horizon.start})",
                ("horizon",),
            )
        capital = getattr(section, "capitalisation", None)
        if capital is not None and not spec.horizon.start <= capital.year <= spec.horizon.end:
            report(
                where,
                f"{prefix}capitalisation.year",
                f"{capital.year} falls outside the horizon {spec.horizon.start}–{spec.horizon.end}",
                ("horizon",),
            )


__all__ = ["UNKNOWN_ITEM", "Report", "ResolvedItem", "resolve_items"]
