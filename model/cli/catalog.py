"""``fiscalsim catalog [SCENARIO]``: the policy's fiscal line items, with the amounts in
force in a scenario."""

from __future__ import annotations

import argparse
import json

import pandas as pd

from model.cli.options import add_output_options
from model.core.paths import CATALOG_PATH
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim catalog``."""
    parser.add_argument("scenario", nargs="?", help="show the caps in force in a scenario")
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim catalog``: print the catalog as a table, CSV or JSON."""
    if args.quiet:
        return 0
    if args.scenario:
        scenario = load_scenario(args.scenario)
        catalog = scenario.catalog
        in_force = {i: item.reference_yuan for i, item in scenario.items.items()}
    else:
        catalog = load_catalog(CATALOG_PATH)
        in_force = {}
    rows = []
    for item in catalog.items:
        row = {
            "id": item.id,
            "article": item.article,
            "chapter": item.chapter,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "payment": item.payment.value,
            "cap_yuan": item.cap_yuan,
            "cap_basis": item.cap_basis.value,
            "fixed": item.fixed,
            "years_paid": item.years_paid,
            "floor_yuan": item.floor_yuan,
            "tolerance": item.tolerance,
            "modelled_by": item.modelled_by.value,
            "responsible_units": item.responsible_units,
            "lead_unit": item.paying_unit,
            "quote": item.quote,
        }
        if in_force:
            row["amount_in_force_yuan"] = in_force.get(item.id)
        rows.append(row)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    frame = pd.DataFrame(rows).set_index("id")
    if args.format == "csv":
        frame["responsible_units"] = frame["responsible_units"].map("、".join)
        print(frame.to_csv(lineterminator="\n"), end="")
        return 0
    columns = ["article", "chapter", "payment", "cap_yuan", "fixed", "years_paid", "name_zh"]
    if in_force:
        columns.insert(4, "amount_in_force_yuan")
    shown = frame[columns].copy()
    for column in ("cap_yuan", "amount_in_force_yuan"):
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v / 1e4:,.1f}万")
    shown = shown.rename(columns={"cap_yuan": "cap", "amount_in_force_yuan": "in force"})
    shown["years_paid"] = shown["years_paid"].map(lambda v: "" if pd.isna(v) else int(v))
    print(shown.to_string())
    print(
        f"\n{len(frame)} fiscal line items; non-fiscal articles: "
        f"{', '.join(str(a.article) for a in catalog.non_fiscal)}"
    )
    return 0


__all__ = ["add_arguments", "run"]
