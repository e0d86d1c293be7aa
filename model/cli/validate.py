"""``fiscalsim validate FILE ...``: check catalog, scenario and variant files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.cli.console import machine_table
from model.cli.options import add_output_options
from model.core.errors import InputError, Problem
from model.core.paths import missing_scenario_message, resolve_scenario_path
from model.core.units import Unit
from model.core.yamlio import read_yaml
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim validate``."""
    parser.add_argument("files", nargs="+", type=Path)
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim validate``: check each file, report every problem; exit 2 if any.

    ``--format csv|json`` prints one row per file (``file``, ``ok``, ``kind``, ``name``,
    ``items``); problems always go to stderr."""
    rows: list[dict] = []
    for path in args.files:
        try:
            path = resolve_scenario_path(path)
            if not path.exists() and not path.is_symlink():  # a broken link: read_yaml says why
                raise InputError([Problem(str(path), None, None, missing_scenario_message(path))])
            data = read_yaml(path)
            scenario_keys = {"horizon", "extends", "catalog", "admission_years"}
            if "policy" in data or (
                isinstance(data.get("items"), list) and not scenario_keys & set(data)
            ):
                catalog = load_catalog(path)
                row = {"kind": "catalog", "name": None, "items": len(catalog.items)}
                text = f"ok: {path} (catalog, {len(catalog.items)} line items)"
            else:
                scenario = load_scenario(path)
                row = {"kind": "scenario", "name": scenario.name, "items": len(scenario.items)}
                text = f"ok: {path} (scenario '{scenario.name}', {len(scenario.items)} grant items)"
            rows.append({"file": str(path), "ok": True, **row})
            if args.format == "table" and not args.quiet:
                print(text)
        except InputError as error:
            rows.append({"file": str(path), "ok": False, "kind": None, "name": None, "items": None})
            print(error.report(), file=sys.stderr)
    if args.format != "table" and not args.quiet:
        import pandas as pd  # only for a machine-readable listing

        sys.stdout.write(machine_table(pd.DataFrame(rows), Unit.YUAN, args.format))
    return 2 if any(not row["ok"] for row in rows) else 0


__all__ = ["add_arguments", "run"]
