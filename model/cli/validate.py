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
from model.policy.changes import Change, base_of, changes
from model.policy.scenario import Scenario, load_scenario


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
                found = _changes(scenario)
                row = {
                    "kind": "scenario",
                    "name": scenario.name,
                    "items": len(scenario.items),
                    "changes": len(found) if found is not None else None,
                }
                text = f"ok: {path} (scenario '{scenario.name}', {len(scenario.items)} grant items)"
                if found is not None:
                    text += "\n" + format_changes(scenario, found)
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


def _changes(scenario: Scenario) -> list[Change] | None:
    """What a variant changes against the scenario it extends (``None`` for a scenario
    that extends nothing)."""
    base = base_of(scenario)
    return None if base is None else changes(base, scenario)


def format_changes(scenario: Scenario, found: list[Change]) -> str:
    """The items and fields a variant changes, and the fields a reading it pins sets over
    a value of the scenario files."""
    base = Path(scenario.files[-2]).stem if len(scenario.files) > 1 else "its base"
    if not found:
        return f"  changes nothing against {base}"
    items = {c.where for c in found if c.where is not None}
    plural = "" if len(items) == 1 else "s"
    fields = f"{len(found)} field{'' if len(found) == 1 else 's'}"
    lines = [
        f"  changes against {base}: {fields} of {len(items)} item{plural} or programme{plural}"
    ]
    lines += [f"    {change}" for change in found]
    for key, how in scenario.overridden.items():
        lines.append(f"    (a reading sets {'.'.join(map(str, key))}: {how})")
    return "\n".join(lines)


__all__ = ["add_arguments", "format_changes", "run"]
