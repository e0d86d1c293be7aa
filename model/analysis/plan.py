"""The medium-term plan table (中期财政规划): the plan year and the two after it, by
责任单位 × functional classification × existing or new commitment, one row per line item
beneath, with the mean and the percentiles a budget office appropriates at.

国发〔2015〕3号 has the finance bureau draft a three-year rolling plan each year whose
first year binds the annual budget and whose later two years guide it (calibration-
evidence-2 §5). The plan starts in the scenario's ``plan_start`` (:mod:`model.policy.
periods`). Every figure is the **city's share** of the cost (other payers are in
``by_payer``). A commitment is *existing* (既有) when it was made before the plan year —
a cohort admitted earlier, a fund set up earlier, a loan made earlier — and *new* (新增)
otherwise. Groups' percentiles come from per-draw totals
(:class:`~model.analysis.groupings.Grouping`), never from sums of percentiles; the plan
total is the run's own yearly total, so it equals ``summary_by_year`` to the yuan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from model.analysis.groupings import Grouping
from model.analysis.tables import Summary
from model.core.sketch import DrawStats
from model.core.units import YUAN
from model.policy.classification import TO_CONFIRM
from model.policy.scenario import Scenario

#: Percentiles of the plan table (in percent): the median, and the levels a budget
#: office appropriates at for prudence.
PLAN_PERCENTILES = (50, 80, 95)
#: Names of the groupings the plan table needs from a run.
CITY, EXISTING = "plan_city", "plan_city_existing"
#: Commitments, in the table's order.
COMMITMENTS = ("all", "existing", "new")
#: The plan table's key columns, first in every row.
KEY_COLUMNS = (
    "level",
    "plan_period",
    "unit",
    "class_code",
    "func_code",
    "func_name_zh",
    "func_name_en",
    "code_status",
    "confirm",
    "commitment",
    "item",
    "article",
    "name_zh",
    "name_en",
    "econ_code",
    "channel",
    "city_share",
)


def plan_groupings(scenario: Scenario) -> list[Grouping]:
    """What a run must keep for the plan table: each row's city cost, and its existing
    part, in every draw of the plan years (beyond
    :data:`~model.core.sketch.EXACT_DRAWS` draws, the statistics of the table's lines,
    :func:`plan_records`, instead)."""
    years = scenario.periods.plan_years
    city = Grouping.of_rows(CITY, scenario.row_ids, years, "city")
    records = tuple((commitment, tuple(rows)) for _, _, commitment, rows in plan_records(scenario))
    return [
        dataclasses.replace(city, records=records),
        Grouping.of_rows(EXISTING, scenario.row_ids, years, "city_existing"),
    ]


def plan_records(scenario: Scenario) -> list[tuple[str, dict, str, list[int]]]:
    """Every sum of rows the plan table may show, in its order: (level, keys,
    commitment, row positions); lines and items that are zero in every draw are then
    left out. The plan total of all commitments is the run's yearly total (not here)."""
    classes = row_classes(scenario)
    everything = list(range(len(classes)))
    records: list[tuple[str, dict, str, list[int]]] = [
        ("total", {"commitment": commitment}, commitment, everything)
        for commitment in ("existing", "new")
    ]
    for code, rows in _groups(classes, lambda c: c["class_code"]):
        records.append(("class", {"class_code": code, "commitment": "all"}, "all", rows))
    for unit, unit_rows in _groups(classes, lambda c: c["unit"]):
        for commitment in COMMITMENTS:
            keys = {"unit": unit, "commitment": commitment}
            records.append(("unit", keys, commitment, unit_rows))
        in_unit = classes.iloc[unit_rows]
        for _, code_rows in _groups(in_unit, lambda c: c["func_code"]):
            rows = [unit_rows[i] for i in code_rows]
            first = classes.iloc[rows[0]]
            line_keys = {
                "unit": unit,
                **{k: first.get(k, "") for k in ("class_code", "func_code", "func_name_zh")},
                **{k: first.get(k, "") for k in ("func_name_en", "code_status", "confirm")},
            }
            for commitment in ("existing", "new"):
                records.append(("line", {**line_keys, "commitment": commitment}, commitment, rows))
                for r in rows:
                    item = {**line_keys, "commitment": commitment, **_item_keys(classes.iloc[r])}
                    records.append(("item", item, commitment, [r]))
    return records


def row_classes(scenario: Scenario) -> pd.DataFrame:
    """Each row's 责任单位, functional classification (类, 款, 项 with names and status),
    economic classification, channel, the basis of the mapping and the city's share."""
    classification = scenario.classification
    records = []
    for row_id in scenario.row_ids:
        line = scenario.catalog.by_id[row_id]
        record = {
            "item": row_id,
            "article": line.article,
            "name_zh": line.name_zh,
            "name_en": line.name_en,
            "unit": line.paying_unit,
            "city_share": scenario.funding(row_id).city,
        }
        if classification is not None:
            entry = classification.items[row_id]
            code = classification.codes[entry.func_code]
            record.update(
                class_code=entry.func_code[:3],
                func_code=entry.func_code,
                func_name_zh=code.name_zh,
                func_name_en=code.name_en,
                code_status=code.status,
                confirm=TO_CONFIRM if code.to_confirm else "",
                econ_code=entry.econ_code or "",
                channel=entry.channel,
                alternatives="、".join(entry.alternatives),
                basis=entry.basis,
            )
        else:
            record.update(class_code="", func_code="", code_status="", confirm="", basis="")
        records.append(record)
    return pd.DataFrame(records).set_index("item")


def _stats(values: np.ndarray, years: list[int]) -> dict[str, float]:
    """Mean and percentiles of per-draw values (draws, years) by year and of their sum."""
    out: dict[str, float] = {}
    columns = [(str(y), values[:, j]) for j, y in enumerate(years)]
    columns.append(("plan", values.sum(axis=1)))
    for label, column in columns:
        stem = f"_{label}" if label != "plan" else "_plan"
        out[f"mean{stem}{YUAN}"] = float(column.mean())
        for p, q in zip(PLAN_PERCENTILES, np.percentile(column, PLAN_PERCENTILES), strict=True):
            out[f"p{p}{stem}{YUAN}"] = float(q)
    return out


def plan_table(summary: Summary, scenario: Scenario) -> pd.DataFrame:
    """The medium-term plan table of a run (money in yuan; the city's share).

    Parameters
    ----------
    summary : Summary
        A run's tables, with the :func:`plan_groupings` kept.
    scenario : Scenario

    Returns
    -------
    pandas.DataFrame
        One row per level, in reading order: the plan total (all, existing, new); each
        class (类); then per 责任单位 its subtotal (all, existing, new), and per functional
        code its existing and new lines, each followed by its items. Columns: ``level``,
        ``plan_period``, the keys (``unit``, ``class_code``, ``func_code`` and its names,
        ``code_status``, ``confirm``, ``commitment``, ``item`` …), then ``mean``, ``p50``,
        ``p80``, ``p95`` of each plan year and of the three-year total (``_plan``), and
        with affordability inputs, each year's mean as a share of them.
    """
    periods = scenario.periods
    years = periods.plan_years
    city = summary.groups[CITY]
    if isinstance(city, DrawStats):  # a long run: its lines' statistics
        return _finish(_records_table(summary, scenario, city), scenario, years)
    existing = summary.groups[EXISTING]
    assert not isinstance(existing, DrawStats)
    parts = {"all": city, "existing": existing, "new": city - existing}
    label = periods.label("plan")
    totals = summary.year_totals[years].to_numpy()
    total: dict = {"level": "total", "plan_period": label, "commitment": "all"}
    records: list[dict] = [total | _stats(totals, years)]
    line_shown = False
    for level, keys, commitment, rows in plan_records(scenario):
        values = parts[commitment][:, rows]
        shown = bool(values.any())
        if level == "line":
            line_shown = shown
        if level in ("line", "item") and not (line_shown and shown):
            continue
        records.append(
            {"level": level, "plan_period": label, **keys, **_stats(values.sum(axis=1), years)}
        )
    return _finish(records, scenario, years)


def _finish(records: list[dict], scenario: Scenario, years: list[int]) -> pd.DataFrame:
    table = pd.DataFrame(records)
    first = [c for c in KEY_COLUMNS if c in table.columns]
    last = [c for c in ("alternatives", "basis") if c in table.columns]
    table = table[first + [c for c in table.columns if c not in first + last] + last]
    table = _with_affordability(table, scenario, years)
    table.index = pd.RangeIndex(1, len(table) + 1, name="row")
    return table


def _records_table(summary: Summary, scenario: Scenario, stats: DrawStats) -> list[dict]:
    """The plan table's rows from the statistics of :func:`plan_records` (a run beyond
    :data:`~model.core.sketch.EXACT_DRAWS` draws: sketched percentiles, exact means)."""
    years = scenario.periods.plan_years
    label = scenario.periods.label("plan")
    labels = [str(y) for y in years] + ["plan"]
    means = stats.mean("values")
    quantiles = stats.percentiles("values", PLAN_PERCENTILES)
    shown = stats.sum("nonzero") > 0

    def row(level: str, keys: dict, k: int | None, values: np.ndarray | None = None) -> dict:
        out: dict = {"level": level, "plan_period": label, **keys}
        if values is not None:
            return out | _stats(values, years)
        for j, name in enumerate(labels):
            stem = f"_{name}"
            out[f"mean{stem}{YUAN}"] = float(means[k, j])
            for p, q in zip(PLAN_PERCENTILES, quantiles[:, k, j], strict=True):
                out[f"p{p}{stem}{YUAN}"] = float(q)
        return out

    totals = summary.year_totals[years].to_numpy()
    rows = [row("total", {"commitment": "all"}, None, totals)]
    line_shown = False
    for k, (level, keys, _, _) in enumerate(plan_records(scenario)):
        if level == "line":
            line_shown = bool(shown[k])
        if level in ("line", "item") and not (line_shown and shown[k]):
            continue
        rows.append(row(level, keys, k))
    return rows


def _item_keys(item: pd.Series) -> dict:
    keys = {"item": item.name, "article": item["article"]}
    for name in ("name_zh", "name_en", "econ_code", "channel", "alternatives", "basis"):
        keys[name] = item.get(name, "")
    keys["city_share"] = item["city_share"]
    return keys


def _groups(frame: pd.DataFrame, key: Callable[[pd.Series], str]) -> list[tuple[str, list[int]]]:
    """Positions of the rows of each key, keys in order of first appearance (units) or
    sorted (codes: numeric order is the classification's order)."""
    found: dict[str, list[int]] = {}
    for position, (_, row) in enumerate(frame.iterrows()):
        found.setdefault(str(key(row)), []).append(position)
    names = list(found)
    if all(name.isdigit() for name in names):
        names.sort()
    return [(name, found[name]) for name in names]


def _with_affordability(table: pd.DataFrame, scenario: Scenario, years: list[int]) -> pd.DataFrame:
    """Each year's mean as a share of the city's general budget revenue and of its
    科学技术支出, when the scenario gives them (fractions; the figure's year is stated in
    the scenario and the docs)."""
    inputs = scenario.spec.affordability
    if inputs is None:
        return table
    for name, amount in (
        ("revenue_share", inputs.general_budget_revenue),
        ("st_expenditure_share", inputs.science_tech_expenditure),
    ):
        if amount is None:
            continue
        for year in map(str, years):
            table[f"{name}_{year}"] = table[f"mean_{year}{YUAN}"] / amount.value_yuan
        # the plan total against three years of the aggregate
        table[f"plan_{name}"] = table[f"mean_plan{YUAN}"] / (len(years) * amount.value_yuan)
    return table


__all__ = [
    "COMMITMENTS",
    "PLAN_PERCENTILES",
    "plan_groupings",
    "plan_records",
    "plan_table",
    "row_classes",
]
